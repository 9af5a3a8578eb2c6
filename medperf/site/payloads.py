"""The exact payloads that leave a site, in canonical JSON so their sha256 is stable."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict


def canonical_json(value: Any) -> str:
    """Serialise a JSON value deterministically (sorted keys, no whitespace)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def payload_sha256(value: Any) -> str:
    """The sha256 (hex) of a payload's canonical JSON: what an approval code binds to."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


class DatasetPayload(BaseModel):
    """What a prepared dataset uploads: its name, hashes and released statistics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "dataset"
    name: str
    site: str
    benchmark_id: int
    data_preparation_container_id: int
    raw_data_hash: str
    prepared_data_hash: str
    statistics: dict[str, Any]


class ResultPayload(BaseModel):
    """What an evaluation uploads: the metrics of one model on one dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "result"
    benchmark_id: int
    model_id: int
    dataset_id: int
    metrics: dict[str, Any]
    partial: bool = False
    model_container_id: int | None = None
    evaluator_container_id: int | None = None


class BatchPayload(BaseModel):
    """What a site's campaign run asks approval for once: the results of several pairs, as numbered rows.

    Each row is uploaded on its own (a ResultPayload, hashed and sent as a single result is); the approval
    code binds to the whole table, and the owner may reject rows, which are then never sent.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "results"
    benchmark_id: int
    rows: tuple[ResultPayload, ...]


Payload = DatasetPayload | ResultPayload | BatchPayload


def payload_dict(payload: Payload) -> dict[str, Any]:
    """The JSON form of a payload, the one that is hashed, shown and uploaded."""
    return payload.model_dump(mode="json")


def payload_digest(payload: Payload) -> str:
    """The sha256 of a payload's canonical JSON."""
    return payload_sha256(payload_dict(payload))
