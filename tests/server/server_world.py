"""Test helpers: a thin client over the registry API and a populated world with every role."""

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx
from fastapi.testclient import TestClient

API = "/api/v1"

CONFIG = {
    "tasks": {
        "prepare": {"run_args": {"command": "python prep.py"}},
        "infer": {"run_args": {"command": "python infer.py"}},
        "evaluate": {"run_args": {"command": "python eval.py"}},
    }
}


def sha(text: str) -> str:
    """A valid sha256 hex digest derived from `text`."""
    return hashlib.sha256(text.encode()).hexdigest()


class Registry:
    """Calls the API as a given token; builds users and entities; asserts the expected status."""

    def __init__(self, client: TestClient, admin_token: str) -> None:
        self.client = client
        self.admin = admin_token
        self._n = 0

    def call(self, method: str, path: str, token: str | None, body: Any = None, **params: Any) -> httpx.Response:
        """One request; `path` is relative to /api/v1 unless it starts with '/health' or '/openapi'."""
        url = path if path.startswith(("/health", "/openapi")) else API + path
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.request(method, url, headers=headers, json=body, params=params or None)

    def ok(self, method: str, path: str, token: str | None, body: Any = None, status: int = 200) -> Any:
        """The JSON body of a call that must answer `status`."""
        response = self.call(method, path, token, body)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json()

    def user(self, name: str, is_admin: bool = False) -> tuple[int, str]:
        """Create a user through the admin; returns (id, clear token)."""
        body = {"email": f"{name}@example.org", "name": name, "is_admin": is_admin}
        user = self.ok("POST", "/users", self.admin, body, 201)
        token = self.ok("POST", f"/users/{user['id']}/tokens", self.admin, None, 201)
        return user["id"], token["token"]

    def _name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}-{self._n}"

    def container(self, token: str, operation: bool = False) -> int:
        """Register a container (optionally moved to OPERATION)."""
        body = {"name": self._name("container"), "config": CONFIG, "image": "medperf/x:1"}
        cid: int = self.ok("POST", "/containers", token, body, 201)["id"]
        if operation:
            self.ok("PATCH", f"/containers/{cid}", token, {"state": "OPERATION"})
        return cid

    def model(self, token: str, container_id: int | None = None) -> int:
        """Register a model around a (new) container."""
        container_id = container_id or self.container(token)
        body = {"name": self._name("model"), "container_id": container_id}
        mid: int = self.ok("POST", "/models", token, body, 201)["id"]
        return mid

    def benchmark(self, token: str, approve: bool = True) -> dict[str, Any]:
        """Register a benchmark with fresh parts; approved by the admin unless told otherwise."""
        body = {
            "name": self._name("bench"),
            "data_preparation_container_id": self.container(token),
            "reference_model_id": self.model(token),
            "evaluator_container_id": self.container(token),
        }
        bench: dict[str, Any] = self.ok("POST", "/benchmarks", token, body, 201)
        if approve:
            bench = self.ok("POST", f"/benchmarks/{bench['id']}/approve", self.admin)
        return bench

    def dataset(self, token: str, bench: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Register a dataset prepared for `bench`."""
        name = self._name("data")
        body = {
            "name": name,
            "site": "site-a",
            "benchmark_id": bench["id"],
            "data_preparation_container_id": bench["data_preparation_container_id"],
            "raw_data_hash": sha("raw" + name),
            "prepared_data_hash": sha("prep" + name),
            **extra,
        }
        dataset: dict[str, Any] = self.ok("POST", "/datasets", token, body, 201)
        return dataset


class DatasetForBenchmark(NamedTuple):
    """A data owner's dataset registered for a benchmark owner's approved benchmark (not yet associated)."""

    bench_owner: str
    data_owner: str
    bench: dict[str, Any]
    dataset: dict[str, Any]


def dataset_for_benchmark(reg: Registry, data_user: str = "data") -> DatasetForBenchmark:
    """Users "bench" and data_user (their tokens), bench's approved benchmark and data_user's dataset for it."""
    _, bench_owner = reg.user("bench")
    _, data_owner = reg.user(data_user)
    bench = reg.benchmark(bench_owner)
    return DatasetForBenchmark(bench_owner, data_owner, bench, reg.dataset(data_owner, bench))


@dataclass
class World:
    """Every role with a token, and one entity of each kind linking them."""

    reg: Registry
    tokens: dict[str, str | None]
    ids: dict[str, int]


def build_world(reg: Registry) -> World:
    """Admin, benchmark owner, data owner, model owner and a stranger, with approved associations."""
    _, bench_owner = reg.user("bench")
    data_uid, data_owner = reg.user("data")
    _, model_owner = reg.user("modeler")
    _, stranger = reg.user("stranger")
    bench = reg.benchmark(bench_owner)
    dataset = reg.dataset(data_owner, bench)
    model = reg.model(model_owner)
    dassoc = reg.ok(
        "POST",
        "/associations/datasets",
        data_owner,
        {"benchmark_id": bench["id"], "dataset_id": dataset["id"]},
        201,
    )
    reg.ok("POST", f"/associations/datasets/{dassoc['id']}/approve", bench_owner)
    massoc = reg.ok("POST", "/associations/models", model_owner, {"benchmark_id": bench["id"], "model_id": model}, 201)
    reg.ok("POST", f"/associations/models/{massoc['id']}/approve", bench_owner)
    result = reg.ok(
        "POST",
        "/results",
        data_owner,
        {"benchmark_id": bench["id"], "model_id": model, "dataset_id": dataset["id"]},
        201,
    )
    consent = reg.ok(
        "POST",
        "/consents",
        data_owner,
        {"benchmark_id": bench["id"], "dataset_id": dataset["id"], "expires_at": "2999-01-01T00:00:00Z"},
        201,
    )
    tokens: dict[str, str | None] = {
        "anonymous": None,
        "admin": reg.admin,
        "bench_owner": bench_owner,
        "data_owner": data_owner,
        "model_owner": model_owner,
        "stranger": stranger,
    }
    ids = {
        "benchmark": bench["id"],
        "prep": bench["data_preparation_container_id"],
        "ref_model": bench["reference_model_id"],
        "dataset": dataset["id"],
        "model": model,
        "model_container": reg.ok("GET", f"/models/{model}", model_owner)["container_id"],
        "dassoc": dassoc["id"],
        "massoc": massoc["id"],
        "result": result["id"],
        "consent": consent["id"],
        "data_uid": data_uid,
    }
    return World(reg, tokens, ids)
