"""Benchmarks, models and datasets named by id or by name, as an operator types them in a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import Field

from medperf.errors import ConfigError

# The two ways to name an entity: the Prefect UI shows them as a choice of "id" or "name".
EntityRef = Annotated[int, Field(title="id")] | Annotated[str, Field(title="name", min_length=1, max_length=128)]


class _Named(Protocol):
    id: int
    name: str


E = TypeVar("E", bound=_Named)


def resolve(
    kind: str, ref: int | str, get: Callable[[int], E], list_page: Callable[..., Any], **filters: Any
) -> E:
    """The entity `ref` names: an id (also as digits) or an exact name among what this identity may see."""
    from medperf.client.paging import iter_all  # not at import: the site flows' modules load this for EntityRef only

    if isinstance(ref, int) or ref.strip().isdigit():
        return get(int(ref))
    name = ref.strip()
    found = [item for item in iter_all(list_page, **filters) if item.name == name]
    if not found:
        raise ConfigError(
            f"{kind} '{name}': no {kind} of that name is visible to this site; give its id (see `medperf {kind} ls`)"
        )
    if len(found) > 1:
        ids = ", ".join(str(item.id) for item in found)
        raise ConfigError(f"{kind} '{name}': {len(found)} {kind}s have that name (ids {ids}); give the id")
    return found[0]
