"""Walking every page of a list endpoint."""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from medperf.schemas import Page

T = TypeVar("T")
MAX_PAGE_SIZE = 500


def iter_all(list_page: Callable[..., Page[T]], /, *, page_size: int = MAX_PAGE_SIZE, **filters: Any) -> Iterator[T]:
    """Yield every item of a list method (e.g. `client.datasets.list`), fetching page after page."""
    offset = 0
    while True:
        page = list_page(limit=page_size, offset=offset, **filters)
        yield from page.items
        offset += len(page.items)
        if not page.items or offset >= page.count:
            return
