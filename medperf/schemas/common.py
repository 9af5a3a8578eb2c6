"""Enumerations and the generic page shape used by every list endpoint."""

from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in every supported database; larger ids are simply unknown."""

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="an id of a registry record (1..2^31-1)")]


class EntityState(StrEnum):
    """Lifecycle of a container, model, benchmark or dataset."""

    DEVELOPMENT = "DEVELOPMENT"
    OPERATION = "OPERATION"


class ApprovalStatus(StrEnum):
    """Decision on a benchmark or an association."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class AutoApprovalMode(StrEnum):
    """How a benchmark answers association requests from others."""

    NEVER = "NEVER"
    ALWAYS = "ALWAYS"
    ALLOWLIST = "ALLOWLIST"


class ResultStatus(StrEnum):
    """A result is created before the run (PENDING) and finalized once."""

    PENDING = "PENDING"
    FINALIZED = "FINALIZED"


class Page(BaseModel, Generic[T]):
    """One page of a list endpoint: the items and the total count matching the filters."""

    items: list[T]
    count: int
    limit: int
    offset: int
