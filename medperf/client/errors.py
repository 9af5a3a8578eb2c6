"""Typed errors of the registry client; each carries the server's one-line `detail`."""

from medperf.errors import MedPerfError


class ApiError(MedPerfError):
    """The registry answered with an error status; str(err) is the server's detail message."""

    def __init__(self, status_code: int, detail: str, *, method: str = "", path: str = "") -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.method = method
        self.path = path


class Unauthorized(ApiError):
    """401: no token, an unknown token or a revoked one."""


class Forbidden(ApiError):
    """403: the caller may not do this."""


class NotFound(ApiError):
    """404: unknown id, or an entity the caller may not see."""


class Conflict(ApiError):
    """409: the entity's state forbids it (decided twice, frozen, duplicate)."""


class InvalidRequest(ApiError):
    """422: the payload or a query parameter is invalid."""


class ServerUnavailable(MedPerfError):
    """The registry could not be reached (connection refused, DNS, timeout) or kept failing (5xx)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"cannot reach the MedPerf server at {url} ({reason}); "
            "check the URL and the server with `medperf auth status`"
        )
        self.url = url
        self.reason = reason


ERROR_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
}


def error_for_status(status_code: int, detail: str, *, method: str = "", path: str = "") -> ApiError:
    """The typed error for an HTTP error status (ApiError itself for statuses without a subclass)."""
    cls = ERROR_BY_STATUS.get(status_code, ApiError)
    return cls(status_code, detail, method=method, path=path)
