"""Schema-driven fuzzing: malformed payloads, unknown ids and forbidden actions never produce a 500."""

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from server_world import Registry, build_world

MAX_EXAMPLES = 120


def test_no_request_generated_from_the_openapi_document_gets_a_500(registry: Registry) -> None:
    world = build_world(registry)
    schema = schemathesis.openapi.from_asgi("/openapi.json", registry.client.app)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 40
    tokens = [t for t in world.tokens.values() if t is not None]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one_request(data: Any) -> None:
        operation = data.draw(st.sampled_from(operations), label="operation")
        case = data.draw(operation.as_strategy(), label="case")
        token = data.draw(st.sampled_from(tokens), label="token")
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
        if response.status_code >= 400:
            assert isinstance(response.json()["detail"], str), response.text

    one_request()
