"""The route and router classes of the API: request bodies are size-capped and JSON-checked before any handler
runs, and a request skips, by a substring test, every router whose prefix its path does not contain."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import Match
from starlette.types import Scope

from medperf.server.auth_hop import defer_auth
from medperf.server.json_body import JsonLimits, JsonRefused, parse_json_body
from medperf.settings import ServerSettings


class GuardedRequest(Request):
    """A request whose body is read at most up to the server's cap and whose JSON is checked on decoding."""

    def _settings(self) -> ServerSettings:
        settings: ServerSettings = self.app.state.settings
        return settings

    def _too_large(self) -> HTTPException:
        cap = self._settings().max_body_bytes
        return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"body: larger than the server's limit of {cap} bytes")

    async def body(self) -> bytes:
        """The whole body; 413 as soon as it (or its declared Content-Length) passes the cap."""
        if not hasattr(self, "_body"):
            cap = self._settings().max_body_bytes
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise self._too_large()
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > cap:
                    raise self._too_large()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        """The decoded body; 422 with one line for anything the registry would not store or answer with."""
        if not hasattr(self, "_json"):
            settings = self._settings()
            limits = JsonLimits(max_depth=settings.max_json_depth, max_items=settings.max_json_items)
            try:
                self._json = parse_json_body(await self.body(), limits)
            except JsonRefused as err:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from None
        return self._json


class GuardedRoute(APIRoute):
    """An APIRoute whose handler sees a GuardedRequest, and whose sync endpoint authenticates in its own thread.

    `defers_auth` tells the validation error handler that the token is not looked up yet (auth_hop.py).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        wrapped = defer_auth(endpoint)
        self.defers_auth = wrapped is not None
        super().__init__(path, wrapped or endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            return await handler(GuardedRequest(request.scope, request.receive))

        return guarded


class GuardedRouter(APIRouter):
    """An APIRouter of GuardedRoutes that answers "no match" at once for a path without its prefix.

    Every route of the router starts with its prefix, so a path that does not contain it cannot match
    any of them, not even partially (405); the app tries the routers in turn, and without this each one
    ran every route's regex against the path (twice for the router that matched).
    """

    def __init__(self, *, prefix: str = "", tags: list[str | Any] | None = None) -> None:
        super().__init__(prefix=prefix, tags=tags, route_class=GuardedRoute)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and self.prefix not in scope.get("path", ""):
            return Match.NONE, {}
        return super().matches(scope)
