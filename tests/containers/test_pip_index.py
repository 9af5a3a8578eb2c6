"""uv gets the site's package index settings: uv's own first, then pip's (files and PIP_* variables) translated."""

from pathlib import Path

from medperf.containers.pip_index import uv_index_options


def _conf(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_pip_config_files_and_variables_become_uv_arguments(tmp_path: Path) -> None:
    system = _conf(tmp_path / "etc" / "pip.conf", "[global]\nindex-url = https://mirror.site/simple\ncert = /nope\n")
    user = _conf(tmp_path / "user" / "pip.conf",
                 "[global]\nextra-index-url = https://a.site/simple\n  https://b.site/simple\n"
                 "[install]\nfind-links = /opt/wheels\ntrusted-host = mirror.site\n")
    options = uv_index_options({"HOME": str(tmp_path)}, [system, user])
    assert options.args == [
        "--index-url", "https://mirror.site/simple",
        "--extra-index-url", "https://a.site/simple", "--extra-index-url", "https://b.site/simple",
        "--find-links", "/opt/wheels",
        "--allow-insecure-host", "mirror.site",
        "--index-strategy", "unsafe-best-match",  # pip looks at every index; so does uv then
    ]  # fmt: skip
    assert options.env == {}  # the cert file does not exist


def test_later_files_and_pip_variables_win(tmp_path: Path) -> None:
    first = _conf(tmp_path / "1.conf", "[global]\nindex-url = https://first/simple\n")
    second = _conf(tmp_path / "2.conf", "[global]\nindex-url = https://second/simple\n")
    cert = _conf(tmp_path / "ca.pem", "-----BEGIN CERTIFICATE-----\n")
    assert uv_index_options({"HOME": str(tmp_path)}, [first, second]).args[:2] == ["--index-url", "https://second/simple"]
    options = uv_index_options({"HOME": str(tmp_path), "PIP_INDEX_URL": "https://env/simple", "PIP_CERT": str(cert)},
                               [first, second])
    assert options.args[:2] == ["--index-url", "https://env/simple"]
    assert options.env == {"SSL_CERT_FILE": str(cert)}


def test_uv_settings_are_left_to_uv(tmp_path: Path) -> None:
    conf = _conf(tmp_path / "pip.conf", "[global]\nindex-url = https://pip/simple\nextra-index-url = https://x/simple\n")
    env = {"HOME": str(tmp_path), "UV_INDEX_URL": "https://uv/simple", "UV_INDEX_STRATEGY": "first-index"}
    assert uv_index_options(env, [conf]).args == ["--extra-index-url", "https://x/simple"]
    _conf(tmp_path / ".config" / "uv" / "uv.toml", 'extra-index-url = ["https://uv-extra/simple"]\n')
    assert uv_index_options(env, [conf]).args == []


def test_no_settings_no_arguments_and_no_built_in_host(tmp_path: Path) -> None:
    options = uv_index_options({"HOME": str(tmp_path), "PIP_CONFIG_FILE": "/dev/null"})
    assert options.args == [] and options.env == {}
