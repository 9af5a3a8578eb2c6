"""The permission matrix: every endpoint x every role gets exactly the status the rules say."""

from collections.abc import Callable
from typing import Any

from server_world import CONFIG, World, build_world, sha

ROLES = ("anonymous", "admin", "bench_owner", "data_owner", "model_owner", "stranger")

# endpoint                                      anon admin bench data model stranger
MATRIX = """
GET /health                                     200  200   200   200  200   200
GET /openapi.json                               200  200   200   200  200   200
POST /users                                     401  201   403   403  403   403
GET /users                                      401  200   403   403  403   403
GET /users/me                                   401  200   200   200  200   200
GET /users/{data_uid}                           401  200   404   200  404   404
POST /users/{data_uid}/tokens                   401  201   403   403  403   403
GET /users/{data_uid}/tokens                    401  200   404   200  404   404
DELETE /tokens/{fresh_token}                    401  200   404   200  404   404
POST /containers                                401  201   201   201  201   201
GET /containers                                 401  200   200   200  200   200
GET /containers/{prep}                          401  200   200   200  200   200
PATCH /containers/{prep}                        401  403   200   403  403   403
POST /models                                    401  403   201   403  403   403
GET /models                                     401  200   200   200  200   200
GET /models/{model}                             401  200   200   200  200   200
PATCH /models/{model}                           401  403   403   403  200   403
POST /benchmarks                                401  201   201   201  201   201
GET /benchmarks                                 401  200   200   200  200   200
GET /benchmarks/{benchmark}                     401  200   200   200  200   200
PATCH /benchmarks/{benchmark}                   401  403   200   403  403   403
POST /benchmarks/{pending_benchmark}/approve    401  200   403   403  403   403
POST /benchmarks/{pending_benchmark}/reject     401  200   403   403  403   403
PUT /benchmarks/{benchmark}/policy              401  403   200   403  403   403
POST /datasets                                  401  201   201   201  201   201
GET /datasets                                   401  200   200   200  200   200
GET /datasets/{dataset}                         401  200   200   200  404   404
PATCH /datasets/{dataset}                       401  403   403   200  404   404
POST /associations/datasets                     401  403   404   201  404   404
POST /associations/models                       401  403   201   403  201   403
GET /associations/datasets                      401  200   200   200  200   200
GET /associations/models                        401  200   200   200  200   200
POST /associations/datasets/{dreq}/approve      401  403   200   403  404   404
POST /associations/datasets/{dreq}/reject       401  403   200   200  404   404
POST /associations/models/{mreq}/approve        401  403   200   404  403   404
POST /associations/models/{mreq}/reject         401  403   200   404  200   404
POST /results                                   401  403   403   201  404   404
GET /results                                    401  200   200   200  200   200
GET /results/{result}                           401  200   200   200  200   404
POST /results/{fresh_result}/finalize           401  403   403   200  403   404
POST /consents                                  401  403   403   201  404   404
GET /consents                                   401  200   200   200  200   200
DELETE /consents/{fresh_consent}                401  403   403   200  404   404
GET /audit                                      401  200   200   200  200   200
"""


def _rows() -> list[tuple[str, str, dict[str, int]]]:
    rows = []
    for line in MATRIX.strip().splitlines():
        method, path, *codes = line.split()
        rows.append((method, path, dict(zip(ROLES, map(int, codes), strict=True))))
    return rows


class Subjects:
    """Fills a path's {placeholders}, creating a fresh target where the call changes state."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.reg = world.reg
        self.n = 0

    def _fresh(self) -> int:
        self.n += 1
        return self.n

    def value(self, key: str) -> int:
        w, reg, t = self.w, self.reg, self.w.tokens
        makers: dict[str, Callable[[], int]] = {
            "fresh_token": lambda: reg.ok("POST", f"/users/{w.ids['data_uid']}/tokens", reg.admin, None, 201)["id"],
            "pending_benchmark": lambda: reg.benchmark(reg.user(f"pending{self._fresh()}")[1], approve=False)["id"],
            "dreq": lambda: self._dataset_request(),
            "mreq": lambda: reg.ok(
                "POST",
                "/associations/models",
                t["model_owner"],
                {"benchmark_id": w.ids["benchmark"], "model_id": reg.model(str(t["model_owner"]))},
                201,
            )["id"],
            "fresh_result": lambda: reg.ok("POST", "/results", t["data_owner"], self._result_body(), 201)["id"],
            "fresh_consent": lambda: reg.ok("POST", "/consents", t["data_owner"], self._consent_body(), 201)["id"],
        }
        return makers[key]() if key in makers else w.ids[key]

    def _dataset_request(self) -> int:
        data = self.reg.dataset(
            str(self.w.tokens["data_owner"]),
            {"id": self.w.ids["benchmark"], "data_preparation_container_id": self.w.ids["prep"]},
        )
        body = {"benchmark_id": self.w.ids["benchmark"], "dataset_id": data["id"]}
        rid: int = self.reg.ok("POST", "/associations/datasets", self.w.tokens["data_owner"], body, 201)["id"]
        return rid

    def _result_body(self) -> dict[str, Any]:
        return {
            "benchmark_id": self.w.ids["benchmark"],
            "model_id": self.w.ids["model"],
            "dataset_id": self.w.ids["dataset"],
        }

    def _consent_body(self) -> dict[str, Any]:
        return {
            "benchmark_id": self.w.ids["benchmark"],
            "dataset_id": self.w.ids["dataset"],
            "expires_at": "2999-01-01T00:00:00Z",
        }

    def body(self, method: str, template: str, role: str) -> Any:
        n, w = self._fresh(), self.w
        bodies: dict[str, Any] = {
            "POST /users": {"email": f"new{n}@example.org", "name": "New"},
            "POST /containers": {"name": f"c{n}", "config": CONFIG, "image": "x:1"},
            "PATCH /containers/{prep}": {"name": f"renamed{n}"},
            "POST /models": {"name": f"m{n}", "container_id": w.ids["prep"]},
            "PATCH /models/{model}": {"version": f"v{n}"},
            "POST /benchmarks": {
                "name": f"b{n}",
                "data_preparation_container_id": w.ids["prep"],
                "reference_model_id": w.ids["ref_model"],
                "evaluator_container_id": w.ids["prep"],
            },
            "PATCH /benchmarks/{benchmark}": {"description": f"d{n}"},
            "PUT /benchmarks/{benchmark}/policy": {"auto_approval_mode": "NEVER"},
            "POST /datasets": {
                "name": f"d{n}",
                "site": "site-b",
                "benchmark_id": w.ids["benchmark"],
                "data_preparation_container_id": w.ids["prep"],
                "raw_data_hash": sha(f"r{n}"),
                "prepared_data_hash": sha(f"p{n}"),
            },
            "PATCH /datasets/{dataset}": {"name": f"renamed{n}"},
            "POST /associations/datasets": lambda: {
                "benchmark_id": w.ids["benchmark"],
                "dataset_id": self.reg.dataset(
                    str(w.tokens["data_owner"]),
                    {"id": w.ids["benchmark"], "data_preparation_container_id": w.ids["prep"]},
                )["id"],
            },
            "POST /associations/models": lambda: {
                "benchmark_id": w.ids["benchmark"],
                "model_id": self.reg.model(str(w.tokens["model_owner"])),
            },
            "POST /results": self._result_body(),
            "POST /results/{fresh_result}/finalize": {"metrics": {"auc": 0.9}},
            "POST /consents": self._consent_body(),
        }
        found = bodies.get(f"{method} {template}")
        return found() if callable(found) else found


def test_permission_matrix(registry: Any) -> None:
    """Each role gets exactly the status in MATRIX; a refused call leaves no trace in the audit log."""
    world = build_world(registry)
    subjects = Subjects(world)
    mismatches = []
    for method, template, expected in _rows():
        observed = {role: _call(registry, world, subjects, method, template, role) for role in ROLES}
        if observed != expected:
            wrong = {
                role: f"{observed[role]} (expected {expected[role]})"
                for role in ROLES
                if observed[role] != expected[role]
            }
            mismatches.append(f"{method} {template}: {wrong}")
    assert mismatches == []


def _call(registry: Any, world: World, subjects: Subjects, method: str, template: str, role: str) -> int:
    path = template
    for key in PLACEHOLDERS:
        if "{" + key + "}" in path:
            path = path.replace("{" + key + "}", str(subjects.value(key)))
    body = subjects.body(method, template, role)
    before = registry.ok("GET", "/audit", registry.admin)["count"]
    response = registry.call(method, path, world.tokens[role], body)
    if response.status_code >= 400:
        assert registry.ok("GET", "/audit", registry.admin)["count"] == before, f"refused {method} {path} was audited"
        assert isinstance(response.json()["detail"], str)
    return int(response.status_code)


PLACEHOLDERS = (
    "data_uid",
    "fresh_token",
    "prep",
    "model",
    "pending_benchmark",
    "benchmark",
    "dataset",
    "dreq",
    "mreq",
    "fresh_result",
    "result",
    "fresh_consent",
)
