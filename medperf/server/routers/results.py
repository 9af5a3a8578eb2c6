"""Results: opened before a run and finalized once by the data owner; scoped reads."""

from typing import Annotated

from fastapi import Query, Response, status
from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import ColumnElement, bindparam

from medperf.schemas import Page, ResultCreate, ResultFinalize, ResultPublic, ResultStatus
from medperf.server.deps import CurrentUser, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import results
from medperf.server.services.lookup import MAX_ID
from medperf.server.services.page_query import Key, PageQueries
from medperf.server.services.visibility import results_of
from medperf.server.tables import Result

router = GuardedRouter(prefix="/results", tags=["results"])

_RESULT_PAGE: TypeAdapter[Page[ResultPublic]] = TypeAdapter(Page[ResultPublic])


def _answer(row: object, created: bool = False) -> Response:
    """The result as JSON, validated once here (a route that returns a model has FastAPI validate it again)."""
    body = ResultPublic.model_validate(row, from_attributes=True).model_dump_json()
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return Response(body, status_code=code, media_type="application/json")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ResultPublic)
def create_result(payload: ResultCreate, session: SessionDep, actor: CurrentUser) -> Response:
    """Open a PENDING result (dataset owner); a retry with the same client_key returns it (200)."""
    row, created = results.create_result(session, actor, payload)
    return _answer(row, created)


@router.post("/finished", status_code=status.HTTP_201_CREATED, response_model=ResultPublic)
def submit_finished(result: ResultCreate, final: ResultFinalize, session: SessionDep, actor: CurrentUser) -> Response:
    """Create a FINALIZED result in one call (a site's approved upload); body {"result": ..., "final": ...}.

    client_key is required: the same key and payload again returns the same result (200); the same key
    with a different payload is refused (409); a PENDING result opened under the key is finalized (200).
    """
    row, created = results.submit_finished(session, actor, result, final)
    return _answer(row, created)


@router.post("/{result_id}/finalize", response_model=ResultPublic)
def finalize_result(result_id: int, payload: ResultFinalize, session: SessionDep, actor: CurrentUser) -> Response:
    """Record the metrics of a PENDING result, once."""
    return _answer(results.finalize_result(session, actor, result_id, payload))


_FILTERS = ("benchmark_id", "model_id", "dataset_id", "status")


def _conditions(key: Key) -> list[ColumnElement[bool]]:
    """WHERE conditions for a key (scoped to the caller?, then one flag per filter in _FILTERS)."""
    scoped, used = key[0], key[1:]
    where = [results_of(bindparam("actor_id"))] if scoped else []
    columns = Result.__table__.columns  # type: ignore[attr-defined]
    return where + [columns[name] == bindparam(name) for name, on in zip(_FILTERS, used, strict=True) if on]


_PAGES = PageQueries(Result.__table__, _conditions)  # type: ignore[attr-defined]


class ResultFilters(BaseModel):
    """The query of a result list, validated as one model (one validation, not one per parameter)."""

    benchmark_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    model_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    dataset_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: ResultStatus | None = None
    limit: int = Field(default=100, ge=1, le=500, description="page size (1..500)")
    offset: int = Field(default=0, ge=0, le=MAX_ID, description="rows to skip")


@router.get("", response_model=Page[ResultPublic])
def list_results(session: SessionDep, actor: CurrentUser, query: Annotated[ResultFilters, Query()]) -> Response:
    """Results the caller may see (its datasets', benchmarks' or models'), filtered."""
    benchmark_id, model_id, dataset_id = query.benchmark_id, query.model_id, query.dataset_id
    scoped = not results.sees_all_of(session, actor, benchmark_id, model_id, dataset_id)
    values = {"benchmark_id": benchmark_id, "model_id": model_id, "dataset_id": dataset_id, "status": query.status}
    params: dict[str, object] = {name: value for name, value in values.items() if value is not None}
    if scoped:
        params["actor_id"] = actor.id
    key = (scoped, *(values[name] is not None for name in _FILTERS))
    return _PAGES.answer(session, key, params, _RESULT_PAGE, query.limit, query.offset)


@router.get("/{result_id}", response_model=ResultPublic)
def read_result(result_id: int, session: SessionDep, actor: CurrentUser) -> Response:
    """One result, if the caller may see it."""
    return _answer(results.visible_result_row(session, actor, result_id))
