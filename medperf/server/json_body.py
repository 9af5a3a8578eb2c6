"""Parsing a JSON request body at the edge: valid UTF-8 text, no NUL, finite numbers, bounded depth and size."""

import math
from dataclasses import dataclass
from typing import Any

from pydantic_core import from_json

MAX_INTEGER = 2**63 - 1
"""JSON integers must fit a signed 64-bit integer (what both databases and every JSON reader take)."""


@dataclass(frozen=True)
class JsonLimits:
    """Caps on one JSON body: nesting depth and the number of keys plus list items."""

    max_depth: int
    max_items: int


class JsonRefused(ValueError):
    """The body is not JSON the registry stores; str(err) is the one line answered with 422."""


def parse_json_body(body: bytes, limits: JsonLimits) -> Any:
    """The decoded body, or JsonRefused naming what is wrong with it.

    The Rust parser refuses invalid UTF-8, lone surrogates (`"\\ud800"`), NaN/Infinity literals and
    nesting past its own limit; the walk then applies the configured depth and size caps, refuses NUL in
    any key or string, and numbers that are not finite or do not fit 64 bits.
    """
    try:
        value = from_json(body, allow_inf_nan=False)
    except ValueError as err:
        raise JsonRefused(f"body: not valid JSON text ({_first_line(err)})") from None
    _walk(value, limits, check_nul=b"\\u0000" in body)
    return value


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _walk(value: Any, limits: JsonLimits, *, check_nul: bool) -> None:
    """Check every node iteratively (no recursion, whatever the depth)."""
    items = 0
    stack: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, dict | list):
            if depth > limits.max_depth:
                raise JsonRefused(f"{where}: nested deeper than {limits.max_depth} levels")
            items += len(node)
            if items > limits.max_items:
                raise JsonRefused(f"body: more than {limits.max_items} keys and list items in all")
            pairs = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in pairs:
                if check_nul and isinstance(key, str) and "\x00" in key:
                    raise JsonRefused(f"{where}: a key contains a NUL character")
                if isinstance(child, dict | list):
                    stack.append((child, depth + 1, f"{where}.{_label(key)}"))
                else:
                    _check_scalar(child, f"{where}.{_label(key)}", check_nul)
        else:
            _check_scalar(node, where, check_nul)


def _label(key: object) -> str:
    text = str(key)
    return text if len(text) <= 40 and text.isprintable() else text[:40].encode("unicode_escape").decode() + "..."


def _check_scalar(value: Any, where: str, check_nul: bool) -> None:
    if isinstance(value, str):
        if check_nul and "\x00" in value:
            raise JsonRefused(f"{where}: contains a NUL character")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise JsonRefused(f"{where}: numbers must be finite")
    elif isinstance(value, int) and not isinstance(value, bool) and not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
        raise JsonRefused(f"{where}: integers must fit in 64 bits")
