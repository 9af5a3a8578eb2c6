"""A plain-HTTP Prefect API skips the CA bundle; an https API is verified as before; the operator's choice stands."""

from medperf.prefect_tls import SKIP_VERIFY, plain_http_tls_env, skip_tls_setup_for_plain_http


def test_only_a_plain_http_api_skips_the_ca_bundle() -> None:
    assert plain_http_tls_env("http://127.0.0.1:4200/api") == {SKIP_VERIFY: "true"}
    assert plain_http_tls_env("HTTP://prefect.site.example/api") == {SKIP_VERIFY: "true"}
    assert plain_http_tls_env("https://prefect.site.example/api") == {}
    assert plain_http_tls_env("") == {}
    assert plain_http_tls_env(None) == {}


def test_the_environment_is_changed_only_where_nothing_was_set() -> None:
    plain = {"PREFECT_API_URL": "http://127.0.0.1:4200/api"}
    skip_tls_setup_for_plain_http(plain)
    assert plain[SKIP_VERIFY] == "true"
    chosen = {"PREFECT_API_URL": "http://127.0.0.1:4200/api", SKIP_VERIFY: "false"}
    skip_tls_setup_for_plain_http(chosen)
    assert chosen[SKIP_VERIFY] == "false"
    secure = {"PREFECT_API_URL": "https://prefect.site.example/api"}
    skip_tls_setup_for_plain_http(secure)
    assert SKIP_VERIFY not in secure
