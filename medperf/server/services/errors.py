"""Errors the services raise for a rule the caller broke; each maps to one HTTP status."""

from medperf.errors import MedPerfError


class RuleError(MedPerfError):
    """A request broke a registry rule; `status_code` is the HTTP status it is answered with."""

    status_code = 400


class Forbidden(RuleError):
    """The caller may see the entity but may not perform this action."""

    status_code = 403


class NotFound(RuleError):
    """Unknown id, or an entity the caller may not see."""

    status_code = 404


class Conflict(RuleError):
    """The entity's state does not allow this change (decided twice, frozen, duplicate)."""

    status_code = 409


class Invalid(RuleError):
    """The payload is well-formed JSON but breaks a validation rule."""

    status_code = 422
