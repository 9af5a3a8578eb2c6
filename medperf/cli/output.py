"""Rendering registry answers: a rich table for people, JSON for scripts (`--json`)."""

import json
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import typer
import yaml
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from medperf.schemas import Page

CELL_MAX = 60


def console() -> Console:
    """A console on the current stdout (its width follows $COLUMNS when output is not a terminal)."""
    return Console(highlight=False)


def echo_json(data: Any) -> None:
    """Print JSON on stdout, exactly (no wrapping, no colour), so scripts can parse it."""
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def cell(value: Any) -> str:
    """A short, readable text for one table cell."""
    if value is None:
        return "-"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, dict | list):
        text = json.dumps(value, separators=(",", ":"), default=str)
        return text if len(text) <= CELL_MAX else text[: CELL_MAX - 1] + "…"
    return str(value)


def print_page(page: Page[Any], columns: Sequence[str], *, as_json: bool, title: str = "") -> None:
    """A list answer: a table of the chosen columns with 'N of M' under it, or the page as JSON."""
    if as_json:
        echo_json(page.model_dump(mode="json"))
        return
    table = Table(title=title or None, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for item in page.items:
        table.add_row(*(cell(getattr(item, column, None)) for column in columns))
    console().print(table)
    shown = f"{page.offset + 1}-{page.offset + len(page.items)}" if page.items else "none"
    console().print(f"showing {shown} of {page.count}")


def print_entity(entity: BaseModel, *, as_json: bool, title: str = "") -> None:
    """One entity: a field/value table (nested values as YAML), or its JSON."""
    if as_json:
        echo_json(entity.model_dump(mode="json"))
        return
    table = Table(title=title or None, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in entity:
        nested = isinstance(value, dict | list) and value
        text = yaml.safe_dump(value, sort_keys=False, width=100).rstrip() if nested else cell(value)
        table.add_row(name, text)
    console().print(table)


def print_message(message: str) -> None:
    """A confirmation line for people, printed as is (no wrapping, no markup)."""
    console().print(message, soft_wrap=True, markup=False)
