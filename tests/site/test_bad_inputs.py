"""A corpus of bad inputs at a site: each ends in one clear line naming the file or field, nothing written.

Every case below builds one bad input in a fresh folder and runs the site code that meets it (hashing the
raw data, reading a container's statistics.yaml or results.yaml, reading a container config or a benchmark
folder, `medperf bundle check`, packing, unpacking and fetching archives, the site secret). The test
asserts, for each: a MedPerfError (or for CLI cases exit code 1) whose message is ONE line naming the file
or field, no traceback, an answer within a deadline (a FIFO must not hang anything), and that no file was
written or changed anywhere under the case's folder.

The cases (ids):
  raw data:      raw-data-fifo, raw-data-socket, raw-data-device, raw-data-symlink-outside,
                 raw-data-dangling-symlink, raw-data-symlink-to-folder, raw-labels-path-is-fifo
  statistics:    statistics-alias-bomb, statistics-self-alias, statistics-deep-nesting, statistics-not-utf8,
                 statistics-too-large, statistics-bad-syntax, statistics-python-tag, statistics-not-a-mapping,
                 statistics-is-symlink
  results:       results-alias-bomb, results-not-utf8, results-is-a-folder, results-is-symlink
  containers:    container-config-not-utf8, container-config-alias-bomb, container-config-is-fifo,
                 parameters-alias-bomb
  benchmark:     benchmark-yaml-not-utf8, benchmark-demo-absolute, benchmark-demo-dotdot,
                 benchmark-container-outside, benchmark-symlink-outside, benchmark-demo-holds-symlink,
                 benchmark-nul-in-path, sanity-suite-deep-json, sanity-suite-not-utf8
  CLI:           cli-bundle-check-container-outside, cli-bundle-check-demo-etc-ssl,
                 cli-bundle-check-project-symlink, cli-approvals-ls-secret-is-folder
  packing:       pack-folder-symlink, pack-folder-fifo, pack-project-symlink
  archives:      tarball-declared-huge, tarball-too-many-members, tarball-absolute-member,
                 tarball-link-escape, tarball-garbage
  object store:  file-url-hash-mismatch, file-url-is-fifo, file-url-is-folder
  site secret:   site-secret-is-folder, site-secret-is-symlink, site-secret-is-fifo, site-secret-binary
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import socket
import stat
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from medperf.bundle import load_benchmark_file, load_container_project
from medperf.bundle.container_project import pack_project
from medperf.containers.config import load_container_config
from medperf.containers.tarball import UnpackLimits, pack_folder, unpack_tarball
from medperf.errors import MedPerfError
from medperf.hashing import sha256_file, sha256_folder
from medperf.site.approval_code import load_or_create_site_secret
from medperf.site.dataset_steps import raw_data_hash
from medperf.site.evaluation_steps import read_metrics
from medperf.site.statistics_summary import read_container_statistics
from medperf.storage.local_folder import LocalFolderStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer"
DEADLINE_S = 20.0
ALIAS_BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)
NOT_UTF8 = b"name: caf\xe9\nimage: \xff\xfe\n"


@dataclass
class Probe:
    """One bad input: the call that meets it, what its one line must name, or a CLI command to run."""

    action: Callable[[], Any] | None = None
    names: tuple[str, ...] = ()
    cli: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)


CASES: dict[str, Callable[[Path], Probe]] = {}


def case(name: str) -> Callable[[Callable[[Path], Probe]], Callable[[Path], Probe]]:
    def register(build: Callable[[Path], Probe]) -> Callable[[Path], Probe]:
        CASES[name] = build
        return build

    return register


# ---------------------------------------------------------------- helpers that build bad inputs
def raw_folders(root: Path) -> tuple[Path, Path]:
    data, labels = root / "raw" / "data", root / "raw" / "labels"
    data.mkdir(parents=True)
    labels.mkdir(parents=True)
    (data / "cases.csv").write_text("case_id,size\nc1,1\n")
    (labels / "labels.csv").write_text("case_id,label\nc1,0\n")
    return data, labels


def benchmark_copy(root: Path) -> Path:
    target = root / "my-benchmark"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("site-*", "__pycache__", "public"))
    return target


def edit_benchmark(folder: Path, **changes: object) -> Path:
    path = folder / "benchmark" / "benchmark.yaml"
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".", 1)
            data[outer][inner] = value
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data))
    return path


def project_copy(root: Path, name: str = "prep") -> Path:
    target = root / name
    shutil.copytree(EXAMPLE / "containers" / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def tar_with(path: Path, add: Callable[[tarfile.TarFile], None]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        add(tar)
    return path


# ---------------------------------------------------------------- raw data (hashing)
@case("raw-data-fifo")
def _(tmp: Path) -> Probe:
    data, labels = raw_folders(tmp)
    os.mkfifo(data / "pipe")
    return Probe(lambda: raw_data_hash(data, labels), ("pipe", "FIFO"))


@case("raw-data-socket")
def _(tmp: Path) -> Probe:
    data, labels = raw_folders(tmp)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(data / "sock"))
    return Probe(lambda: raw_data_hash(data, labels), ("sock", "socket"))


@case("raw-data-device")
def _(tmp: Path) -> Probe:
    data, labels = raw_folders(tmp)
    os.mknod(data / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    return Probe(lambda: raw_data_hash(data, labels), ("null", "device file"))


@case("raw-data-symlink-outside")
def _(tmp: Path) -> Probe:
    data, labels = raw_folders(tmp)
    (tmp / "elsewhere.txt").write_text("not part of the dataset\n")
    (data / "linked.csv").symlink_to(tmp / "elsewhere.txt")
    return Probe(lambda: raw_data_hash(data, labels), ("linked.csv", "symbolic link"))


@case("raw-data-dangling-symlink")
def _(tmp: Path) -> Probe:
    data, labels = raw_folders(tmp)
    (data / "gone.csv").symlink_to(tmp / "nowhere.csv")
    return Probe(lambda: raw_data_hash(data, labels), ("gone.csv", "symbolic link"))


@case("raw-data-symlink-to-folder")
def _(tmp: Path) -> Probe:
    data, labels = raw_folders(tmp)
    (data / "sub").mkdir()
    (data / "sub-link").symlink_to(data / "sub")
    return Probe(lambda: raw_data_hash(data, labels), ("sub-link", "symbolic link"))


@case("raw-labels-path-is-fifo")
def _(tmp: Path) -> Probe:
    data, _ = raw_folders(tmp)
    os.mkfifo(tmp / "labels.csv")
    return Probe(lambda: raw_data_hash(data, tmp / "labels.csv"), ("labels.csv", "FIFO"))


# ---------------------------------------------------------------- a container's statistics.yaml
def statistics_file(tmp: Path, content: bytes) -> Probe:
    path = tmp / "work" / "statistics.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return Probe(lambda: read_container_statistics(path), ("statistics.yaml",))


@case("statistics-alias-bomb")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, ALIAS_BOMB.encode())


@case("statistics-self-alias")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, b"a: &loop [*loop]\n")


@case("statistics-deep-nesting")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, b"a: " + b"[" * 50_000 + b"]" * 50_000 + b"\n")


@case("statistics-not-utf8")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, NOT_UTF8)


@case("statistics-too-large")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, b"notes: '" + b"x" * (5 * 1024 * 1024) + b"'\n")


@case("statistics-bad-syntax")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, b"num_cases: [1, 2\n")


@case("statistics-python-tag")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, b"num_cases: !!python/object/apply:os.system ['true']\n")


@case("statistics-not-a-mapping")
def _(tmp: Path) -> Probe:
    return statistics_file(tmp, b"- 1\n- 2\n")


@case("statistics-is-symlink")
def _(tmp: Path) -> Probe:
    """A container replaced its output by a link to a site file: the site does not read through it."""
    (tmp / "site-file.yaml").write_text("num_cases: 40\n")
    path = tmp / "work" / "statistics.yaml"
    path.parent.mkdir(parents=True)
    path.symlink_to(tmp / "site-file.yaml")
    return Probe(lambda: read_container_statistics(path), ("statistics.yaml", "symbolic link"))


# ---------------------------------------------------------------- an evaluator's results.yaml
def results_file(tmp: Path, content: bytes | None) -> Probe:
    path = tmp / "work" / "results.yaml"
    path.parent.mkdir(parents=True)
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    return Probe(lambda: read_metrics(path), ("results.yaml",))


@case("results-alias-bomb")
def _(tmp: Path) -> Probe:
    return results_file(tmp, ALIAS_BOMB.encode())


@case("results-not-utf8")
def _(tmp: Path) -> Probe:
    return results_file(tmp, b"auc: 0.9\nnote: \xff\n")


@case("results-is-a-folder")
def _(tmp: Path) -> Probe:
    return results_file(tmp, None)


@case("results-is-symlink")
def _(tmp: Path) -> Probe:
    (tmp / "site-file.yaml").write_text("auc: 0.5\n")
    path = tmp / "work" / "results.yaml"
    path.parent.mkdir(parents=True)
    path.symlink_to(tmp / "site-file.yaml")
    return Probe(lambda: read_metrics(path), ("results.yaml", "symbolic link"))


# ---------------------------------------------------------------- container projects
@case("container-config-not-utf8")
def _(tmp: Path) -> Probe:
    project = project_copy(tmp)
    (project / "container_config.yaml").write_bytes(NOT_UTF8)
    return Probe(lambda: load_container_config(project / "container_config.yaml"), ("container_config.yaml", "UTF-8"))


@case("container-config-alias-bomb")
def _(tmp: Path) -> Probe:
    project = project_copy(tmp)
    (project / "container_config.yaml").write_text(ALIAS_BOMB)
    return Probe(lambda: load_container_project(project), ("container_config.yaml", "alias"))


@case("container-config-is-fifo")
def _(tmp: Path) -> Probe:
    project = project_copy(tmp)
    (project / "container_config.yaml").unlink()
    os.mkfifo(project / "container_config.yaml")
    return Probe(lambda: load_container_config(project / "container_config.yaml"), ("container_config.yaml", "FIFO"))


@case("parameters-alias-bomb")
def _(tmp: Path) -> Probe:
    project = project_copy(tmp)
    (project / "parameters.yaml").write_text(ALIAS_BOMB)
    return Probe(lambda: load_container_project(project), ("parameters.yaml", "alias"))


# ---------------------------------------------------------------- benchmark folders
@case("benchmark-yaml-not-utf8")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    (folder / "benchmark" / "benchmark.yaml").write_bytes(NOT_UTF8)
    return Probe(lambda: load_benchmark_file(folder), ("benchmark.yaml", "UTF-8"))


@case("benchmark-demo-absolute")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    edit_benchmark(folder, **{"demo_dataset.data_path": "/etc/ssl"})
    return Probe(lambda: load_benchmark_file(folder), ("demo_dataset.data_path", "/etc/ssl", "absolute"))


@case("benchmark-demo-dotdot")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    edit_benchmark(folder, **{"demo_dataset.labels_path": "../../../../../../etc"})
    return Probe(lambda: load_benchmark_file(folder), ("demo_dataset.labels_path", "outside the benchmark folder"))


@case("benchmark-container-outside")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    project_copy(tmp, "evaluator")
    edit_benchmark(folder, evaluator_container="../evaluator")
    return Probe(lambda: load_benchmark_file(folder), ("evaluator_container", "outside the benchmark folder"))


@case("benchmark-symlink-outside")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    outside = project_copy(tmp, "model-gnb")
    (folder / "containers" / "model-gnb-link").symlink_to(outside)
    edit_benchmark(folder, models={"gnb": "containers/model-gnb-link"})
    return Probe(lambda: load_benchmark_file(folder), ("models.gnb", "outside the benchmark folder"))


@case("benchmark-demo-holds-symlink")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    (tmp / "secret.txt").write_text("a file from elsewhere\n")
    (folder / "data" / "demo" / "data" / "extra.csv").symlink_to(tmp / "secret.txt")
    return Probe(lambda: load_benchmark_file(folder), ("extra.csv", "symbolic link"))


@case("benchmark-nul-in-path")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    edit_benchmark(folder, reference_model="containers/model\x00-logreg")
    return Probe(lambda: load_benchmark_file(folder), ("reference_model", "not a usable path"))


@case("sanity-suite-deep-json")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    (folder / "benchmark" / "sanity_suite.json").write_text("[" * 200_000 + "]" * 200_000)
    return Probe(lambda: load_benchmark_file(folder), ("sanity_suite.json", "nested too deeply"))


@case("sanity-suite-not-utf8")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    (folder / "benchmark" / "sanity_suite.json").write_bytes(b'{"name": "\xff"}')
    return Probe(lambda: load_benchmark_file(folder), ("sanity_suite.json", "UTF-8"))


# ---------------------------------------------------------------- the CLI (`medperf ...`)
@case("cli-bundle-check-container-outside")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    project_copy(tmp, "evaluator")
    edit_benchmark(folder, evaluator_container="../evaluator")
    return Probe(cli=["bundle", "check", str(folder)], names=("evaluator_container", "outside"))


@case("cli-bundle-check-demo-etc-ssl")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    edit_benchmark(folder, **{"demo_dataset.data_path": "/etc/ssl"})
    return Probe(cli=["bundle", "check", str(folder)], names=("demo_dataset.data_path", "/etc/ssl"))


@case("cli-bundle-check-project-symlink")
def _(tmp: Path) -> Probe:
    folder = benchmark_copy(tmp)
    (tmp / "private.key").write_text("not for publication\n")
    (folder / "containers" / "model-mlp" / "weights.key").symlink_to(tmp / "private.key")
    return Probe(cli=["bundle", "check", str(folder)], names=("weights.key", "symbolic link"))


@case("cli-approvals-ls-secret-is-folder")
def _(tmp: Path) -> Probe:
    home = tmp / "home"
    (home / "site-secret").mkdir(parents=True)
    env = {"MEDPERF_HOME": str(home), "MEDPERF_SITE_DATA_ROOT": str(tmp / "site")}
    return Probe(cli=["approvals", "ls"], names=("site-secret", "regular file"), env=env)


# ---------------------------------------------------------------- packing
@case("pack-folder-symlink")
def _(tmp: Path) -> Probe:
    folder = tmp / "project"
    folder.mkdir()
    (folder / "run.py").write_text("print('hi')\n")
    (folder / "passwd").symlink_to("/etc/passwd")
    return Probe(lambda: pack_folder(folder, tmp / "out" / "project.tar.gz"), ("passwd", "symbolic link"))


@case("pack-folder-fifo")
def _(tmp: Path) -> Probe:
    folder = tmp / "project"
    folder.mkdir()
    os.mkfifo(folder / "pipe")
    return Probe(lambda: pack_folder(folder, tmp / "out" / "project.tar.gz"), ("pipe", "FIFO"))


@case("pack-project-symlink")
def _(tmp: Path) -> Probe:
    project = project_copy(tmp, "model-logreg")
    (tmp / "other.txt").write_text("from outside the project\n")
    (project / "notes.txt").symlink_to(tmp / "other.txt")
    store = LocalFolderStore(tmp / "store", tmp / "cache")
    return Probe(lambda: pack_project(load_container_project(project), store), ("notes.txt", "symbolic link"))


# ---------------------------------------------------------------- archives fetched by the site
@case("tarball-declared-huge")
def _(tmp: Path) -> Probe:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("huge.bin")
        info.size = 11 * 1024**3  # a header only: the archive is tiny, it claims 11 GiB
        tar.addfile(info)

    (tmp / "in").mkdir()
    archive = tar_with(tmp / "in" / "bomb.tar.gz", add)
    return Probe(lambda: unpack_tarball(archive, tmp / "dest" / "files"), ("bomb.tar.gz", "more than"))


@case("tarball-too-many-members")
def _(tmp: Path) -> Probe:
    def add(tar: tarfile.TarFile) -> None:
        for i in range(101):
            tar.addfile(tarfile.TarInfo(f"f{i}.txt"), io.BytesIO(b""))

    (tmp / "in").mkdir()
    archive = tar_with(tmp / "in" / "many.tar.gz", add)
    limits = UnpackLimits(max_members=100)
    return Probe(lambda: unpack_tarball(archive, tmp / "dest" / "files", limits), ("many.tar.gz", "100 files"))


@case("tarball-absolute-member")
def _(tmp: Path) -> Probe:
    def add(tar: tarfile.TarFile) -> None:
        tar.addfile(tarfile.TarInfo("/tmp/medperf-absolute-member.txt"), io.BytesIO(b""))

    (tmp / "in").mkdir()
    archive = tar_with(tmp / "in" / "abs.tar.gz", add)
    return Probe(lambda: unpack_tarball(archive, tmp / "dest" / "files"), ("abs.tar.gz", "absolute path"))


@case("tarball-link-escape")
def _(tmp: Path) -> Probe:
    def add(tar: tarfile.TarFile) -> None:
        link = tarfile.TarInfo("escape")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../../etc/passwd"
        tar.addfile(link)

    (tmp / "in").mkdir()
    archive = tar_with(tmp / "in" / "link.tar.gz", add)
    return Probe(lambda: unpack_tarball(archive, tmp / "dest" / "files"), ("link.tar.gz", "cannot unpack"))


@case("tarball-garbage")
def _(tmp: Path) -> Probe:
    (tmp / "in").mkdir()
    archive = tmp / "in" / "garbage.tar.gz"
    archive.write_bytes(gzip.compress(b"this is not a tar archive" * 100))
    return Probe(lambda: unpack_tarball(archive, tmp / "dest" / "files"), ("garbage.tar.gz", "cannot unpack"))


# ---------------------------------------------------------------- the object store (file:// urls)
@case("file-url-hash-mismatch")
def _(tmp: Path) -> Probe:
    other = tmp / "someone-elses" / "file.txt"
    other.parent.mkdir()
    other.write_text("content the caller wants to learn the hash of\n")
    store = LocalFolderStore(tmp / "store", tmp / "cache")
    wanted = "0" * 64
    return Probe(lambda: store.fetch(other.as_uri(), wanted), (other.as_uri(), wanted))


@case("file-url-is-fifo")
def _(tmp: Path) -> Probe:
    (tmp / "in").mkdir()
    os.mkfifo(tmp / "in" / "pipe")
    store = LocalFolderStore(tmp / "store", tmp / "cache")
    return Probe(lambda: store.fetch((tmp / "in" / "pipe").as_uri(), "0" * 64), ("pipe", "no such object"))


@case("file-url-is-folder")
def _(tmp: Path) -> Probe:
    (tmp / "in").mkdir()
    store = LocalFolderStore(tmp / "store", tmp / "cache")
    return Probe(lambda: store.fetch((tmp / "in").as_uri(), "0" * 64), ("in", "no such object"))


# ---------------------------------------------------------------- the site secret
def secret_probe(home: Path) -> Probe:
    return Probe(lambda: load_or_create_site_secret(home), ("site-secret",))


@case("site-secret-is-folder")
def _(tmp: Path) -> Probe:
    (tmp / "home" / "site-secret").mkdir(parents=True)
    return secret_probe(tmp / "home")


@case("site-secret-is-symlink")
def _(tmp: Path) -> Probe:
    (tmp / "home").mkdir()
    (tmp / "elsewhere").write_text("a" * 64)
    (tmp / "elsewhere").chmod(0o600)
    (tmp / "home" / "site-secret").symlink_to(tmp / "elsewhere")
    return secret_probe(tmp / "home")


@case("site-secret-is-fifo")
def _(tmp: Path) -> Probe:
    (tmp / "home").mkdir()
    os.mkfifo(tmp / "home" / "site-secret", 0o600)
    return secret_probe(tmp / "home")


@case("site-secret-binary")
def _(tmp: Path) -> Probe:
    (tmp / "home").mkdir()
    (tmp / "home" / "site-secret").write_bytes(b"\xff\xfe" * 40)
    (tmp / "home" / "site-secret").chmod(0o600)
    return secret_probe(tmp / "home")


# ---------------------------------------------------------------- the test over the corpus
def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under root except empty folders: (mode, size, mtime); symlinks and FIFOs not followed."""
    seen: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            info = os.lstat(path)
            if stat.S_ISDIR(info.st_mode) and not any(path.iterdir()):
                continue
            if not stat.S_ISDIR(info.st_mode):
                seen[str(path.relative_to(root))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return seen


def run_with_deadline(action: Callable[[], Any]) -> BaseException | None:
    """Run action on a thread; the exception it raised (None when it returned), failing on a hang."""
    outcome: dict[str, BaseException | None] = {"error": None}

    def target() -> None:
        try:
            action()
        except BaseException as err:  # handed to the test thread
            outcome["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(DEADLINE_S)
    assert not thread.is_alive(), f"no answer within {DEADLINE_S}s (a hang)"
    assert time.monotonic() - started < DEADLINE_S
    return outcome["error"]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert all(name in (__doc__ or "") for name in CASES), "every case is listed in the module docstring"


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_clear_line_and_writes_nothing(name: str, tmp_path: Path) -> None:
    workspace = tmp_path / "case"
    workspace.mkdir()
    probe = CASES[name](workspace)
    before = snapshot(workspace)
    if probe.cli is not None:
        from medperf.cli.main import app

        env = {"MEDPERF_HOME": str(workspace / "cli-home"), "MEDPERF_PROFILE": None, "COLUMNS": "400", **probe.env}
        result = CliRunner().invoke(app, probe.cli, env=env)
        output = result.output.strip()
        assert result.exit_code == 1, output
        assert "Traceback" not in output
        assert isinstance(result.exception, SystemExit), "a user error ends the command, never an exception"
        lines = output.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), output
        message = lines[0]
    else:
        assert probe.action is not None
        error = run_with_deadline(probe.action)
        assert isinstance(error, MedPerfError), f"expected a MedPerfError, got {error!r}"
        assert error.__cause__ is None, "chained: a logged traceback would show the original error"
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
    for expected in probe.names:
        assert expected in message, f"{expected!r} not named in: {message}"
    assert snapshot(workspace) == before, "nothing may be written or changed"


# ---------------------------------------------------------------- findings that need more than one line
def test_a_hash_mismatch_never_echoes_another_files_hash(tmp_path: Path) -> None:
    other = tmp_path / "private.txt"
    other.write_text("the content of some file on the site\n")
    store = LocalFolderStore(tmp_path / "store", tmp_path / "cache")
    error = run_with_deadline(lambda: store.fetch(other.as_uri(), "0" * 64))
    assert isinstance(error, MedPerfError)
    assert sha256_file(other) not in str(error)


def test_a_small_archive_that_unpacks_large_is_refused_while_streaming(tmp_path: Path) -> None:
    """About 1 MB on disk, 1 GiB unpacked: refused from the member's header, before its bytes are written."""
    mib = 1024 * 1024
    info = tarfile.TarInfo("zeros.bin")
    info.size = 1024 * mib
    header = info.tobuf(tarfile.PAX_FORMAT)
    zeros = gzip.compress(bytes(mib), compresslevel=9)
    archive = tmp_path / "bomb.tar.gz"
    with archive.open("wb") as handle:  # gzip members concatenated: one stream of header + 1 GiB of zeros
        handle.write(gzip.compress(header))
        for _ in range(1024):
            handle.write(zeros)
        handle.write(gzip.compress(bytes(1024)))
    assert archive.stat().st_size < 2 * mib
    error = run_with_deadline(lambda: unpack_tarball(archive, tmp_path / "dest"))  # the default limits
    assert isinstance(error, MedPerfError) and "expands more than 200x its size" in str(error)
    assert not (tmp_path / "dest").exists()
    error = run_with_deadline(lambda: unpack_tarball(archive, tmp_path / "dest", UnpackLimits(max_bytes=256 * mib)))
    assert isinstance(error, MedPerfError) and "more than 268435456 bytes" in str(error)
    assert not (tmp_path / "dest").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bomb.tar.gz"], "the staging folder is removed"


def test_an_archive_within_the_limits_unpacks(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "a.txt").write_text("a\n")
    archive = pack_folder(source, tmp_path / "a.tar.gz")
    dest = unpack_tarball(archive, tmp_path / "dest", UnpackLimits(max_bytes=2, max_members=2))
    assert (dest / "sub" / "a.txt").read_text() == "a\n"


def test_a_symlink_to_a_file_inside_the_folder_hashes_as_that_content(tmp_path: Path) -> None:
    """The documented choice: a link inside the folder counts by the content behind it, not its target text."""
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        (folder / "real").mkdir(parents=True)
        (folder / "real" / "a.csv").write_text("1,2\n")
    (one / "b.csv").symlink_to(one / "real" / "a.csv")  # absolute target
    (two / "b.csv").symlink_to(Path("real") / "a.csv")  # relative target: same content, other target text
    assert sha256_folder(one) == sha256_folder(two)
    (two / "real" / "a.csv").write_text("1,3\n")
    assert sha256_folder(one) != sha256_folder(two), "the hash covers the content behind the link"


def test_a_yaml_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "statistics.yaml"
    path.write_text(ALIAS_BOMB)
    started = time.monotonic()
    error = run_with_deadline(lambda: read_container_statistics(path))
    assert isinstance(error, MedPerfError) and "alias bomb" in str(error)
    assert time.monotonic() - started < 1.0


def test_ordinary_yaml_anchors_still_load(tmp_path: Path) -> None:
    path = tmp_path / "statistics.yaml"
    path.write_text("base: &b {mean: 1.0}\nfeatures: {radius_mean: *b, texture_mean: *b}\n")
    assert read_container_statistics(path)["features"]["texture_mean"] == {"mean": 1.0}


def test_the_example_bundle_still_checks(tmp_path: Path) -> None:
    from medperf.cli.main import app

    folder = benchmark_copy(tmp_path)
    result = CliRunner().invoke(app, ["bundle", "check", str(folder)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert json.dumps("breast-cancer-wdbc")[1:-1] in result.output
