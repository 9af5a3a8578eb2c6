"""The result client key: a re-run of the same inputs finds the same result; a new container a new one."""

from datetime import UTC, datetime
from typing import Any

from flows.result_compute import result_client_key
from medperf.schemas import BenchmarkPublic, ModelPublic

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _model(**changes: Any) -> ModelPublic:
    fields: dict[str, Any] = {
        "id": 3,
        "name": "m",
        "owner_id": 1,
        "container_id": 11,
        "version": "1",
        "state": "OPERATION",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return ModelPublic.model_validate({**fields, **changes})


def _benchmark(**changes: Any) -> BenchmarkPublic:
    fields: dict[str, Any] = {
        "id": 5,
        "name": "b",
        "description": "",
        "owner_id": 1,
        "data_preparation_container_id": 10,
        "reference_model_id": 3,
        "evaluator_container_id": 12,
        "demo_dataset_url": None,
        "demo_dataset_sha256": None,
        "sanity_suite": None,
        "release_policy": {},
        "state": "OPERATION",
        "approval_status": "APPROVED",
        "auto_approval_mode": "NEVER",
        "auto_approval_allowlist": [],
        "created_at": NOW,
        "approved_at": None,
    }
    return BenchmarkPublic.model_validate({**fields, **changes})


def test_same_inputs_same_key_new_model_container_or_evaluator_new_key() -> None:
    key = result_client_key("site-a", _benchmark(), _model(), 9)
    assert key == result_client_key("site-a", _benchmark(), _model(), 9)
    assert key != result_client_key("site-a", _benchmark(), _model(container_id=21), 9)
    assert key != result_client_key("site-a", _benchmark(evaluator_container_id=22), _model(), 9)
    assert key != result_client_key("site-a", _benchmark(), _model(version="2"), 9)
    assert key != result_client_key("site-b", _benchmark(), _model(), 9)
