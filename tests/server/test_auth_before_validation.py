"""A caller without a valid token gets 401 before any 422 (the token is looked up in the endpoint's thread)."""

from typing import Any

import pytest
from server_world import Registry

INVALID = [
    ("GET", "/results", None, {"limit": 9999}),  # a query parameter out of range
    ("GET", "/results/not-a-number", None, {}),  # a path parameter of the wrong type
    ("POST", "/results", {"benchmark_id": 1}, {}),  # a body missing fields
    ("GET", "/users/me", None, {"unused": 1}),  # a route without a session parameter (valid request)
]


def _tokens(registry: Registry) -> dict[str, str]:
    """An unknown token, a revoked one and a valid one (of the same user)."""
    uid, valid = registry.user("caller")
    second = registry.ok("POST", f"/users/{uid}/tokens", registry.admin, None, 201)
    registry.ok("DELETE", f"/tokens/{second['id']}", registry.admin)
    return {"unknown": "mpt_not-a-token", "revoked": second["token"], "valid": valid}


@pytest.mark.parametrize(("method", "path", "body", "params"), INVALID)
def test_bad_token_is_refused_before_validation(
    registry: Registry, method: str, path: str, body: Any, params: dict[str, Any]
) -> None:
    tokens = _tokens(registry)
    for kind in ("unknown", "revoked"):
        response = registry.call(method, path, tokens[kind], body, **params)
        assert response.status_code == 401, (kind, response.text)
        assert response.json() == {"detail": "Authorization: the token is unknown or revoked"}
        assert response.headers["WWW-Authenticate"] == "Bearer"
    missing = registry.call(method, path, None, body, **params)
    assert missing.status_code == 401
    assert missing.json()["detail"].startswith("Authorization: send 'Bearer <token>'")
    valid = registry.call(method, path, tokens["valid"], body, **params)
    assert valid.status_code == (200 if path == "/users/me" else 422), valid.text
