"""sanity_check and statistics, run directly: the container's own check fails bad data; statistics are aggregates."""

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from chest_xray_harness import EXAMPLE, SITES, PreparedSite, prepared_example, run_direct

POLICY = yaml.safe_load((EXAMPLE / "benchmark" / "benchmark.yaml").read_text())["release_policy"]


@pytest.fixture(scope="module")
def sites() -> dict[str, PreparedSite]:
    return prepared_example()


def check(data: Path, labels: Path, metadata: Path | None = None) -> tuple[int, str]:
    mounts = {"data_path": data, "labels_path": labels}
    if metadata is not None:
        mounts["metadata_path"] = metadata
    done = run_direct("prep", "sanity_check", mounts)
    return done.returncode, done.stderr.strip()


@pytest.mark.parametrize("site", SITES)
def test_sanity_check_passes_on_every_prepared_site(site: str, sites: dict[str, PreparedSite]) -> None:
    prepared = sites[site]
    assert check(prepared.data, prepared.labels, prepared.metadata) == (0, "")


def copy_prepared(site: PreparedSite, tmp_path: Path) -> PreparedSite:
    copied = PreparedSite(
        site.name, site.raw_data, site.raw_labels, tmp_path / "data", tmp_path / "labels",
        tmp_path / "metadata", site.report,
    )  # fmt: skip
    for source, target in ((site.data, copied.data), (site.labels, copied.labels), (site.metadata, copied.metadata)):
        shutil.copytree(source, target)
    return copied


def first_case(site: PreparedSite) -> Path:
    return sorted(site.data.glob("*.npy"))[0]


def wrong_shape(site: PreparedSite) -> None:
    np.save(first_case(site), np.zeros((96, 96), dtype=np.float32))


def wrong_dtype(site: PreparedSite) -> None:
    path = first_case(site)
    np.save(path, np.load(path).astype(np.float64))


def not_normalised(site: PreparedSite) -> None:
    path = first_case(site)
    np.save(path, np.load(path) * 255.0)


def case_removed(site: PreparedSite) -> None:
    first_case(site).unlink()


def bad_label(site: PreparedSite) -> None:
    labels = yaml.safe_load((site.labels / "labels.yaml").read_text())
    labels[sorted(labels)[3]] = 2
    (site.labels / "labels.yaml").write_text(yaml.safe_dump(labels))


def stray_file(site: PreparedSite) -> None:
    (site.data / "cases.csv").write_text("case_id\n")


def metadata_mismatch(site: PreparedSite) -> None:
    path = site.metadata / "cases.csv"
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")


CORRUPTIONS: dict[str, tuple[Callable[[PreparedSite], None], str]] = {
    "wrong shape": (wrong_shape, "data_path/CXR-A-0001.npy: shape (96, 96), expected (64, 64)"),
    "wrong dtype": (wrong_dtype, "data_path/CXR-A-0001.npy: dtype float64, expected float32"),
    "not normalised": (not_normalised, "data_path/CXR-A-0001.npy: values outside [0, 1]"),
    "case removed": (case_removed, "labels_path/labels.yaml: case 'CXR-A-0001' is not both"),
    "bad label": (bad_label, "labels_path/labels.yaml: case 'CXR-A-0004': label 2 is not 0 or 1"),
    "stray file": (stray_file, "data_path: 'cases.csv' is not a prepared case"),
    "metadata mismatch": (metadata_mismatch, "metadata_path/cases.csv: its case ids differ"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_sanity_check_fails_bad_prepared_data_with_one_line(
    name: str, sites: dict[str, PreparedSite], tmp_path: Path
) -> None:
    corrupt, message = CORRUPTIONS[name]
    site = copy_prepared(sites["site-a"], tmp_path)
    corrupt(site)
    code, stderr = check(site.data, site.labels, site.metadata)
    assert code == 1
    assert len(stderr.splitlines()) == 1 and stderr.startswith(f"ERROR: {message}"), stderr


def test_sanity_check_needs_min_cases(sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    site = copy_prepared(sites["demo"], tmp_path)
    for path in sorted(site.data.glob("*.npy"))[19:]:
        path.unlink()
    code, stderr = check(site.data, site.labels)
    assert (code, stderr) == (1, "ERROR: data_path: 19 prepared cases, fewer than min_cases=20")


def statistics(site: PreparedSite, out: Path) -> dict:
    mounts = {"data_path": site.data, "labels_path": site.labels, "metadata_path": site.metadata, "output_path": out}
    done = run_direct("prep", "statistics", mounts)
    assert done.returncode == 0, done.stderr
    result: dict = yaml.safe_load(out.read_text())
    return result


def leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in leaves(inner)]
    return [value]


@pytest.mark.parametrize("site", SITES)
def test_statistics_are_released_aggregates(site: str, sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    prepared = sites[site]
    stats = statistics(prepared, tmp_path / "statistics.yaml")
    labels = yaml.safe_load((prepared.labels / "labels.yaml").read_text())
    assert set(stats) <= set(POLICY["allowed_statistics_keys"])
    assert stats["num_cases"] == len(labels)
    assert stats["label_counts"] == {"normal": list(labels.values()).count(0), "nodule": list(labels.values()).count(1)}
    assert stats["image_size"] == {"height": 64, "width": 64}
    pixels = np.stack([np.load(p).astype(np.float64) for p in sorted(prepared.data.glob("*.npy"))])
    assert stats["intensity"] == {"mean": round(float(pixels.mean()), 6), "std": round(float(pixels.std()), 6)}
    source = "96x96" if site == "site-c" else "64x64"
    assert stats["source_size_counts"] == {source: len(labels)}
    assert stats["suppressed"] == []
    assert all(isinstance(leaf, int | float) for leaf in leaves({k: v for k, v in stats.items() if k != "suppressed"}))


def keep_only(site: PreparedSite, labels: dict[str, int], keep: list[str]) -> None:
    """Shrink a copied prepared site to the kept cases (arrays and labels) and drop its metadata."""
    for path in site.data.glob("*.npy"):
        if path.stem not in keep:
            path.unlink()
    (site.labels / "labels.yaml").write_text(yaml.safe_dump({case: labels[case] for case in keep}))
    shutil.rmtree(site.metadata)


def test_statistics_suppress_counts_below_k(sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    site = copy_prepared(sites["demo"], tmp_path / "small")
    labels = yaml.safe_load((site.labels / "labels.yaml").read_text())
    keep = (
        sorted(case for case, label in labels.items() if label == 0)[:6]
        + sorted(case for case, label in labels.items() if label == 1)[:2]
    )
    keep_only(site, labels, keep)
    mounts = {"data_path": site.data, "labels_path": site.labels, "output_path": tmp_path / "s.yaml"}
    done = run_direct("prep", "statistics", mounts)
    assert done.returncode == 0, done.stderr
    stats = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert stats["num_cases"] == 8
    assert stats["label_counts"] == {"normal": 6, "nodule": None}
    assert stats["suppressed"] == ["label_counts.nodule"]
    assert "source_size_counts" not in stats  # no metadata_path given


def test_statistics_of_fewer_than_k_cases_suppress_everything_per_dataset(
    sites: dict[str, PreparedSite], tmp_path: Path
) -> None:
    site = copy_prepared(sites["demo"], tmp_path / "tiny")
    labels = yaml.safe_load((site.labels / "labels.yaml").read_text())
    keep = sorted(labels)[:3]
    keep_only(site, labels, keep)
    mounts = {"data_path": site.data, "labels_path": site.labels, "output_path": tmp_path / "s.yaml"}
    assert run_direct("prep", "statistics", mounts).returncode == 0
    stats = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert stats["num_cases"] is None and stats["intensity"] is None
    assert set(stats["suppressed"]) >= {"num_cases", "intensity"}
