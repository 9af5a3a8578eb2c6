"""What a Dockerfile says where no image is built (the sandbox): code places, argv, environment, working folder."""

from pathlib import Path

import pytest

from medperf.containers import parse_container_config
from medperf.containers.dockerfile import NO_DOCKERFILE, parse_dockerfile
from medperf.containers.image_view import code_binds, task_argv, task_environment
from medperf.errors import ConfigError

PATH = Path("/p/Dockerfile")


def test_copy_forms_destinations_workdir_and_exec_entrypoint() -> None:
    facts = parse_dockerfile(
        "# syntax=docker/dockerfile:1\n"
        "FROM python:3.11-slim AS base\n"
        "ARG APP=/opt/app\n"
        "ENV HOME_DIR=$APP LANG=C.UTF-8\n"
        "COPY project/requirements.txt /project/requirements.txt\n"
        "RUN pip install -r /project/requirements.txt \\\n"
        "    && rm -rf /root/.cache\n"
        "COPY --chown=1000:1000 project /project\n"
        "COPY [\"a.py\", \"b.py\", \"${HOME_DIR}/\"]\n"
        "WORKDIR /project\n"
        "WORKDIR src\n"
        "COPY . .\n"
        "ENTRYPOINT [\"python3\", \"/project/main.py\"]\n"
        "CMD [\"--task\", \"infer\"]\n",
        PATH,
    )
    assert [(c.sources, c.destination, c.into_folder) for c in facts.copies] == [
        (("project/requirements.txt",), "/project/requirements.txt", False),
        (("project",), "/project", False),
        (("a.py", "b.py"), "/opt/app", True),
        ((".",), "/project/src", False),
    ]
    assert facts.workdir == "/project/src"
    assert facts.entrypoint == ("python3", "/project/main.py")
    assert facts.cmd == ("--task", "infer")
    assert facts.env == {"HOME_DIR": "/opt/app", "LANG": "C.UTF-8"}


def test_shell_forms_use_the_shell_and_legacy_env() -> None:
    facts = parse_dockerfile(
        "FROM medperf/base:bookworm\nENV GREETING hello world\nSHELL [\"/bin/bash\", \"-c\"]\n"
        "ENTRYPOINT python3 /app/run.py --flag\nCMD echo ignored\n",
        PATH,
    )
    assert facts.env == {"GREETING": "hello world"}
    assert facts.entrypoint == ("/bin/bash", "-c", "python3 /app/run.py --flag")
    assert facts.cmd == ("/bin/bash", "-c", "echo ignored")
    assert facts.workdir == "/"  # Docker's default


def test_no_dockerfile_means_code_at_workspace() -> None:
    assert NO_DOCKERFILE.destinations == ("/workspace",) and NO_DOCKERFILE.workdir == "/workspace"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("RUN true\n", "no FROM line"),
        ("FROM a\nCOPY --from=a /x /y\n", "line 2: COPY --from"),
        ("FROM a\nCOPY --exclude=*.md . /app\n", "line 2: COPY --exclude: flag not supported"),
        ("FROM a\nCOPY <<EOF /x\nhi\nEOF\n", "line 2: COPY: heredocs are not supported"),
        ("FROM a\nCOPY ../secrets /app\n", "line 2: COPY ../secrets: is outside the build context"),
        ("FROM a\nENTRYPOINT [\"python3\", 3]\n", "line 2: ENTRYPOINT: not a JSON list of strings"),
    ],
)
def test_what_cannot_be_followed_is_refused_naming_the_line(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_dockerfile(text, PATH)
    assert str(caught.value).startswith(f"{PATH}: {problem}")


def test_code_binds_follow_docker_copy_rules(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "main.py").write_text("")
    (tmp_path / "a.py").write_text("")
    (tmp_path / "b.py").write_text("")
    facts = parse_dockerfile(
        "FROM x\nCOPY project /project\nCOPY *.py /tools/\nCOPY a.py /single/renamed.py\n", tmp_path / "Dockerfile"
    )
    binds = [(bind.host_path.relative_to(tmp_path).as_posix(), bind.target) for bind in code_binds(facts, tmp_path)]
    assert binds == [
        ("project", "/project"),
        ("a.py", "/tools/a.py"),
        ("b.py", "/tools/b.py"),
        ("a.py", "/single/renamed.py"),
    ]


def _task(run_args: dict[str, object] | None) -> object:
    task: dict[str, object] = {"output_volumes": {"output_path": {"mount_path": "/o", "type": "directory"}}}
    if run_args is not None:
        task["run_args"] = run_args
    return parse_container_config({"tasks": {"infer": task}}).tasks["infer"]


@pytest.mark.parametrize(
    ("run_args", "argv"),
    [
        (None, ["python3", "/app/m.py", "--default"]),  # ENTRYPOINT + CMD
        ({"command": ["--data", "/d"]}, ["python3", "/app/m.py", "--data", "/d"]),  # command replaces CMD
        ({"entrypoint": "python3 /app/other.py"}, ["python3", "/app/other.py"]),  # entrypoint drops CMD
        ({"entrypoint": ["sh", "-c"], "command": ["exit 0"]}, ["sh", "-c", "exit 0"]),
    ],
)
def test_argv_follows_docker(run_args: dict[str, object] | None, argv: list[str]) -> None:
    facts = parse_dockerfile("FROM x\nENTRYPOINT [\"python3\", \"/app/m.py\"]\nCMD [\"--default\"]\n", PATH)
    assert task_argv(facts, _task(run_args), "c") == argv  # type: ignore[arg-type]


def test_nothing_to_run_is_one_line_naming_the_key() -> None:
    facts = parse_dockerfile("FROM x\nCOPY . /app\n", PATH)
    with pytest.raises(ConfigError, match=r"nothing to run: .* give tasks.infer.run_args.command$"):
        task_argv(facts, _task(None), "c")  # type: ignore[arg-type]


def test_environment_is_dockerfile_env_then_run_args_with_the_env_first_on_path() -> None:
    facts = parse_dockerfile("FROM x\nENV PATH=/opt/tool/bin:$PATH MODE=docker\n", PATH)
    env = task_environment(facts, _task({"environment": {"MODE": "site", "SEED": 1}}), Path("/envs/k/bin"))  # type: ignore[arg-type]
    assert env["MODE"] == "site" and env["SEED"] == "1"
    assert env["PATH"] == "/envs/k/bin:/opt/tool/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["VIRTUAL_ENV"] == "/envs/k" and env["HOME"] == "/tmp"
