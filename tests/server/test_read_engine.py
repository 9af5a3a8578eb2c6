"""Reads run on a pool of their own in autocommit mode (Postgres); the write pool's connections never are."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from medperf.server.services.users import authenticate, issue_token
from medperf.server.tables import User


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_reads_have_their_own_autocommit_pool_and_writes_never_autocommit(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    assert state.read_engine is not state.engine and state.read_engine.pool is not state.engine.pool
    for _ in range(3):  # connections go back and forth between requests: each pool keeps its own mode
        with state.read_engine.connect() as read:
            assert read.connection.dbapi_connection.autocommit is True
        with state.engine.connect() as write:
            assert write.connection.dbapi_connection.autocommit is False


def test_the_authenticated_user_is_a_detached_copy_of_its_row(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        user = User(email="someone@example.org", name="someone")
        session.add(user)
        session.commit()
        _token, clear = issue_token(session, None, user.id or 0)
        session.refresh(user)
        stored = user.model_dump()
    with Session(engine) as session:
        found = authenticate(session, clear)
        assert found is not None and found not in session
        assert isinstance(found, User) and found.model_dump() == stored
        assert authenticate(session, clear + "x") is None
