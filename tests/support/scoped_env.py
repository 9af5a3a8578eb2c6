"""Set environment variables for a block and put back what was there before (unset stays unset)."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def scoped_env(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ updated with values inside the block; each name restored or removed after it."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
