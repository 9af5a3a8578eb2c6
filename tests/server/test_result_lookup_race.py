"""Opening a result reads what it checks in one statement, built once and shared: its first concurrent uses agree."""

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from server_world import Registry, build_world
from sqlalchemy.engine import Engine
from sqlmodel import Session

from medperf.schemas import ResultCreate
from medperf.server.db import make_engine
from medperf.server.services.results import build_lookup, read_opening
from medperf.server.services.users import authenticate
from medperf.server.tables import User

THREADS, ROUNDS = 12, 8  # 12: within the smallest pool (SQLite: 5 + 10 overflow), every thread holds one


@pytest.fixture
def short_switch_interval() -> Iterator[None]:
    """Threads switch every 10 µs instead of 5 ms: a race in a first compilation shows up in a few rounds."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.usefixtures("short_switch_interval")
def test_first_concurrent_lookups_of_a_fresh_statement_all_get_their_own_row(registry: Registry) -> None:
    """The ORM version of this lookup (aliased() subqueries, reverted in 05c1d8e) got rows of another shape when
    many threads ran it for the first time at once (NoSuchColumnError 'dataset_link.id', MultipleResultsFound: its
    SQL compiled without the alias, a cartesian product); this harness failed on it in 3 of 3 runs. Each round
    builds a fresh statement on a fresh engine (an empty compiled cache) and races its first executions."""
    world = build_world(registry)
    engine = registry.client.app.state.engine  # type: ignore[attr-defined]
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        actor = authenticate(session, str(world.tokens["data_owner"]))
    assert actor is not None
    payload = ResultCreate(
        benchmark_id=world.ids["benchmark"], model_id=world.ids["model"], dataset_id=world.ids["dataset"]
    )
    failures: list[str] = []
    for _ in range(ROUNDS):
        fresh = make_engine(url)  # and a fresh engine: its compiled cache is empty, the first uses compile
        statement, start = build_lookup(), threading.Barrier(THREADS)
        args = (fresh, actor, payload, statement, start, failures)
        threads = [threading.Thread(target=_look, args=args) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        fresh.dispose()
    assert failures == []


def _look(
    engine: Engine, actor: User, payload: ResultCreate, statement: Any, start: threading.Barrier, failures: list[str]
) -> None:
    """One thread: connect, wait for the others, run the statement, check the row is this payload's."""
    with Session(engine) as session:
        session.connection()  # connect before the barrier: the threads meet at the statement
        start.wait(timeout=60)
        try:
            opening = read_opening(session, actor, payload, statement)
            assert opening is not None and opening.existing is None
            assert opening.dataset is not None and opening.dataset.id == payload.dataset_id
            assert opening.benchmark is not None and opening.benchmark.id == payload.benchmark_id
            assert opening.model is not None and opening.model.id == payload.model_id
            assert opening.dataset_link[0] == "APPROVED" and opening.model_link[0] == "APPROVED"
        except Exception as err:  # every thread's failure is reported
            failures.append(repr(err)[:200])
