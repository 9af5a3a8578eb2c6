"""Exception handlers: every error a caller can cause becomes a one-line {"detail": ...}, never a 500."""

from typing import Any

from fastapi import FastAPI, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError

from medperf.errors import PolicyViolation
from medperf.server.auth_hop import refusal
from medperf.server.services.errors import RuleError


def _location(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"


async def _validation(request: Request, exc: Exception) -> Response:
    if getattr(request.scope.get("route"), "defers_auth", False):  # the token is not checked yet: 401 first
        refused = await run_in_threadpool(refusal, request)
        if refused is not None:
            return await http_exception_handler(request, refused)
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {}
    detail = f"{_location(first)}: {first.get('msg', 'invalid value')}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _rule(_request: Request, exc: Exception) -> JSONResponse:
    code = exc.status_code if isinstance(exc, RuleError) else status.HTTP_400_BAD_REQUEST
    return JSONResponse({"detail": str(exc)}, status_code=code)


def _policy(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _data(_request: Request, _exc: Exception) -> JSONResponse:
    detail = "a value is out of range for the database or contains a NUL character"
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _integrity(_request: Request, _exc: Exception) -> JSONResponse:
    detail = "the change conflicts with an existing record (duplicate or missing reference)"
    return JSONResponse({"detail": detail}, status_code=status.HTTP_409_CONFLICT)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(RuleError, _rule)
    app.add_exception_handler(PolicyViolation, _policy)
    app.add_exception_handler(DataError, _data)
    app.add_exception_handler(IntegrityError, _integrity)
