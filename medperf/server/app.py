"""The FastAPI application of the registry: routers under /api/v1, error handlers, the database."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from medperf.server.db import make_engine, make_read_engine
from medperf.server.errors_http import install_error_handlers
from medperf.server.routers import (
    associations,
    audit,
    benchmarks,
    consents,
    containers,
    datasets,
    health,
    models,
    results,
    tokens,
    users,
)
from medperf.settings import ServerSettings

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On shutdown, close the read engine's own pool (the write engine is closed by whoever made the app)."""
    yield
    if app.state.read_engine is not app.state.engine:
        app.state.read_engine.dispose()


def create_app(settings: ServerSettings, *, upgrade_db: bool = True) -> FastAPI:
    """Build the app on the settings' database (migrated to the latest schema unless told not to)."""
    if upgrade_db:  # a worker of `medperf server start` never migrates: it does not load alembic (memory)
        from medperf.server.migrate import upgrade_database

        upgrade_database(settings.database_url)
    on = settings.telemetry
    telemetry: TelemetryConfig = {"tracing": on, "metrics": on, "logs": on, "operation_spans": on}
    app = FastAPI(
        title="MedPerf registry", version="1", docs_url="/docs", redoc_url=None, telemetry=telemetry, lifespan=_lifespan
    )
    app.state.engine = make_engine(settings.database_url)
    app.state.read_engine = make_read_engine(app.state.engine)
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (
        users,
        tokens,
        containers,
        models,
        benchmarks,
        datasets,
        associations,
        results,
        consents,
        audit,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    return app


def app_from_environment() -> FastAPI:
    """App factory for `uvicorn --factory` workers: settings from MEDPERF_SERVER_* (already migrated).

    Everything loaded so far (modules, classes, the app and its schemas: ~120,000 objects) lives as long as
    the worker, so it is moved out of the garbage collector's reach (gc.freeze): a full collection then
    scans only what requests allocate. In-process measurement: ~0.17 ms less collector time per request.
    """
    app = create_app(ServerSettings(), upgrade_db=False)
    gc.collect()
    gc.freeze()
    return app
