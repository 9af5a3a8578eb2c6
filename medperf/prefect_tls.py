"""A Prefect API on plain http:// needs no CA bundle: its clients skip loading one (50 ms each, ~8 per run)."""

from collections.abc import MutableMapping
from urllib.parse import urlsplit

SKIP_VERIFY = "PREFECT_API_TLS_INSECURE_SKIP_VERIFY"


def plain_http_tls_env(api_url: str | None) -> dict[str, str]:
    """{SKIP_VERIFY: "true"} for an http:// API, else {}.

    Every Prefect client builds a TLS context from the CA bundle, also for an http:// API that never speaks
    TLS (measured: a quarter of a forked flow run's CPU outside imports). Over plain HTTP there is no
    certificate to verify, so the setting changes nothing but the cost; an https:// API (or no URL) gets
    nothing, and is verified as before.
    """
    if api_url and urlsplit(api_url).scheme.lower() == "http":
        return {SKIP_VERIFY: "true"}
    return {}


def skip_tls_setup_for_plain_http(environ: MutableMapping[str, str]) -> None:
    """Set SKIP_VERIFY in `environ` when its PREFECT_API_URL is http:// and the operator did not set it."""
    for name, value in plain_http_tls_env(environ.get("PREFECT_API_URL")).items():
        environ.setdefault(name, value)
