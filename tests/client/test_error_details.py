"""Turning an error response body into the one line a user reads."""

import httpx

from medperf.client.errors import Conflict, InvalidRequest, error_for_status
from medperf.client.http import detail_of, query
from medperf.schemas import ApprovalStatus


def test_string_detail_is_kept_verbatim() -> None:
    response = httpx.Response(409, json={"detail": "dataset 4 is OPERATION and frozen"})
    assert detail_of(response) == "dataset 4 is OPERATION and frozen"


def test_fastapi_validation_list_names_the_fields() -> None:
    body = {
        "detail": [
            {"loc": ["body", "image_digest"], "msg": "String should match pattern", "type": "x"},
            {"loc": ["query", "limit"], "msg": "Input should be less than or equal to 500", "type": "y"},
        ]
    }
    assert detail_of(httpx.Response(422, json=body)) == (
        "image_digest: String should match pattern; limit: Input should be less than or equal to 500"
    )


def test_non_json_body_gives_its_first_line() -> None:
    assert detail_of(httpx.Response(502, text="Bad Gateway\n<html>")) == "Bad Gateway"
    assert detail_of(httpx.Response(500, text="")) == "HTTP 500 Internal Server Error"


def test_status_picks_the_typed_error() -> None:
    assert type(error_for_status(409, "x")) is Conflict
    assert type(error_for_status(422, "x")) is InvalidRequest
    err = error_for_status(418, "teapot")
    assert err.status_code == 418 and str(err) == "teapot"


def test_query_drops_unset_filters_and_sends_enum_values() -> None:
    params = query(limit=10, owner_id=None, approval_status=ApprovalStatus.PENDING, latest_only=False)
    assert params == {"limit": 10, "approval_status": "PENDING", "latest_only": False}
