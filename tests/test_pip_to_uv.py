"""scripts/pip_to_uv.py: uv gets the indexes, find-links and constraints that pip is configured with."""

from pathlib import Path

from support.modules import load_module

ROOT = Path(__file__).resolve().parents[1]
uv_options = load_module("medperf_pip_to_uv", ROOT / "scripts" / "pip_to_uv.py").uv_options


def test_every_index_find_links_and_constraint_of_pip_is_passed_on() -> None:
    config = "\n".join([
        "global.index-url='https://mirror.example/simple'",
        "global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'",
        ":env:.find-links='/opt/wheels'",
        "global.find-links='/opt/wheels'",
        "global.constraint='/etc/xdg/pip/constraints.txt'",
        "global.cert='/etc/ssl/certs/ca-certificates.crt'",
        ":env:.default-timeout='180'",
    ])
    assert uv_options(config) == [
        "--index-strategy", "unsafe-best-match",
        "--index-url", "https://mirror.example/simple",
        "--extra-index-url", "file:///opt/a/simple", "--extra-index-url", "file:///opt/b/simple",
        "--find-links", "/opt/wheels",
        "--constraint", "/etc/xdg/pip/constraints.txt",
    ]


def test_no_configuration_keeps_uvs_defaults_but_picks_the_best_version() -> None:
    assert uv_options("") == ["--index-strategy", "unsafe-best-match"]
