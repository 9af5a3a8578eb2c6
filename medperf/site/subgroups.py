"""Subgroup metrics on the site: the evaluator run once more per value of each declared subgroup column.

A benchmark declares columns of the per-case table (``task.subgroups``, e.g. sex, age band, scanner vendor).
For every value of such a column the site copies the predictions and labels of that subgroup's cases into a
folder of their own (per-case files by case id, and rows / entries of tables keyed by case id; other files
whole) and runs the evaluator on them. What comes back is keyed ``"<column>=<value>"``:

- a subgroup of fewer than k cases is suppressed (null, the evaluator is not even run on it); when exactly
  one subgroup of a column would be, the smallest other one is too (the overall count would give it away);
- otherwise the declared metric keys of the evaluator's output, with the subgroup's case count under the
  declared count key; an evaluator that fails on a subgroup, or counts fewer than k cases, gives null too.

This runs before the payload is shown to the data owner; per-case folders stay in the step's work folder.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import yaml

from medperf.errors import ConfigError
from medperf.release_policy import SUBGROUPS_KEY
from medperf.schemas.task import TaskDeclaration
from medperf.site.case_table import PerCaseTable
from medperf.site.container_steps import StepContext, StepFailed, fresh_dir
from medperf.site.image_summaries import case_id_of, file_kind
from medperf.site.label_statistics import suppress_small

MAX_VALUES_PER_COLUMN = 20
MISSING = "missing"
TABLE_KINDS = ("csv", "tsv", "json", "yaml", "yml")
Evaluate = Callable[[StepContext, Path, Path], dict[str, Any]]


@dataclass(frozen=True)
class Subgroup:
    """The cases of one value of one subgroup column."""

    name: str  # "<column>=<value>"
    column: str
    case_ids: frozenset[str]


@dataclass
class SubgroupOutcome:
    """The released metrics per subgroup (null = not released) and, for the site only, why each null is."""

    metrics: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    suppressed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _value_name(value: Any) -> str | None:
    """The text a subgroup value is named by (whole floats as integers); None for a non-categorical value."""
    if isinstance(value, bool | str):
        return str(value).strip()
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer():
        return str(int(float(value)))
    return None


def _is_missing(value: Any) -> bool:
    return value is None or isinstance(value, float) and math.isnan(value) or value == ""


def subgroups_of(table: PerCaseTable, columns: list[str]) -> list[Subgroup]:
    """The subgroups of each declared column; a missing column or a non-categorical one is a ConfigError."""
    if not columns:
        return []
    if table.id_column is None:
        raise ConfigError(f"benchmark task.subgroups: the {table.source} has no case-id column to split by")
    ids = [str(case_id) for case_id in table.table[table.id_column].tolist()]
    groups: list[Subgroup] = []
    for column in columns:
        if column not in table.table.columns:
            raise ConfigError(
                f"benchmark task.subgroups: '{column}' is not a column of the per-case table ({table.source}); "
                "fix benchmark.yaml or the preparation"
            )
        members: dict[str, set[str]] = {}
        for case_id, value in zip(ids, table.table[column].tolist(), strict=True):
            name = MISSING if _is_missing(value) else _value_name(value)
            if name is None:
                raise ConfigError(
                    f"benchmark task.subgroups: column '{column}' holds non-categorical values; declare a banded "
                    "column instead (e.g. age_band)"
                )
            members.setdefault(name, set()).add(case_id)
        if len(members) > MAX_VALUES_PER_COLUMN:
            raise ConfigError(
                f"benchmark task.subgroups: column '{column}' has more than {MAX_VALUES_PER_COLUMN} values; "
                "declare a banded column instead"
            )
        groups += [Subgroup(f"{column}={value}", column, frozenset(cases)) for value, cases in sorted(members.items())]
    return groups


def suppressed_subgroups(groups: list[Subgroup], k: int) -> set[str]:
    """Subgroups below k, plus the smallest other one of a column where only one would be suppressed."""
    hidden: set[str] = set()
    for column in dict.fromkeys(group.column for group in groups):
        sizes = {group.name: len(group.case_ids) for group in groups if group.column == column}
        hidden |= {name for name, count in suppress_small(sizes, k).items() if count is None}
    return hidden


# ------------------------------------------------------------------ splitting a folder by case
def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)


def _case_of(text: Any, case_ids: frozenset[str]) -> str | None:
    """The case a table cell or key names: the id itself, or a file of it ('c1.png' -> 'c1')."""
    if text is None or isinstance(text, Mapping | list):
        return None
    value = str(text).strip()
    if value in case_ids:
        return value
    base = case_id_of(Path(value).name) if value else value
    return base if base in case_ids else None


def _split_rows(rows: list[dict[str, Any]], keep: frozenset[str], case_ids: frozenset[str]) -> list[Any] | None:
    """The records of the kept cases, by the key naming the most cases; None when no key names a case."""
    scores: dict[str, int] = {}
    for row in rows:
        for key, value in row.items():
            if _case_of(value, case_ids) is not None:
                scores[key] = scores.get(key, 0) + 1
    if not scores:
        return None
    key = max(scores, key=lambda name: scores[name])
    return [row for row in rows if _case_of(row.get(key), case_ids) in keep]


def _split_structured(data: Any, keep: frozenset[str], case_ids: frozenset[str]) -> Any | None:
    """A mapping {case id: value} or a list of records cut to the kept cases (one wrapping level looked into)."""
    if isinstance(data, Mapping):
        if any(_case_of(key, case_ids) is not None for key in data):
            return {key: value for key, value in data.items() if _case_of(key, case_ids) in keep}
        if len(data) == 1:
            ((outer, inner),) = data.items()
            split = _split_structured(inner, keep, case_ids)
            return None if split is None else {outer: split}
        return None
    if isinstance(data, list) and data and all(isinstance(item, Mapping) for item in data):
        return _split_rows([dict(item) for item in data], keep, case_ids)
    return None


def _split_csv(source: Path, target: Path, kind: str, keep: frozenset[str], case_ids: frozenset[str]) -> bool:
    delimiter = "\t" if kind == "tsv" else ","
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    if not rows:
        return False
    header, body = rows[0], rows[1:]
    scores = [sum(_case_of(row[i], case_ids) is not None for row in body if i < len(row)) for i in range(len(header))]
    if not scores or max(scores) == 0:
        return False
    column = scores.index(max(scores))
    kept = [row for row in body if column < len(row) and _case_of(row[column], case_ids) in keep]
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows([header, *kept])
    return True


def _split_table(source: Path, target: Path, kind: str, keep: frozenset[str], case_ids: frozenset[str]) -> bool:
    """Write the kept cases' part of a table; False (nothing written) when it is not keyed by case."""
    from medperf.safe_yaml import load_yaml_file

    try:
        if kind in ("csv", "tsv"):
            return _split_csv(source, target, kind, keep, case_ids)
        data = json.loads(source.read_text(encoding="utf-8")) if kind == "json" else load_yaml_file(source, "table")
    except (OSError, ValueError, yaml.YAMLError, csv.Error):
        return False
    split = _split_structured(data, keep, case_ids)
    if split is None:
        return False
    if kind == "json":
        target.write_text(json.dumps(split), encoding="utf-8")
    else:
        target.write_text(yaml.safe_dump(split, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return True


def split_folder(source: Path, target: Path, keep: frozenset[str], case_ids: frozenset[str]) -> bool:
    """Copy into target what of source belongs to the kept cases; returns whether anything was split by case.

    A top-level file or folder named by a case id is copied only for a kept case; a table keyed by case id
    (CSV/TSV column, JSON/YAML keys or records) keeps only the kept cases' rows; anything else is copied
    whole. Symlinks are never followed or copied.
    """
    fresh_dir(target)
    split = False
    with os.scandir(source) as scan:
        entries = sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in scan)
    for name, is_folder in entries:
        path = source / name
        if name.startswith(".") or path.is_symlink():
            continue
        case = name if is_folder else case_id_of(name)
        if case in case_ids:
            split = True
            if case in keep:
                _copy(path, target / name)
            continue
        kind = "" if is_folder else file_kind(path)
        if kind in TABLE_KINDS and _split_table(path, target / name, kind, keep, case_ids):
            split = True
            continue
        _copy(path, target / name)
    return split


# ------------------------------------------------------------------ running the evaluator per subgroup
def _released(metrics: Mapping[str, Any], task: TaskDeclaration, size: int, k: int) -> dict[str, Any] | None:
    """The declared scalar metrics of one subgroup with its case count; None when the evaluator counted < k."""
    declared = set(task.metric_keys())
    kept = {
        key: value
        for key, value in metrics.items()
        if key in declared and (value is None or isinstance(value, bool | int | float))
    }
    count = kept.get(task.count_key)
    if isinstance(count, bool) or not isinstance(count, int | float) or count != count:
        count = size
    if 0 < count < k:
        return None
    kept[task.count_key] = int(count)
    return kept


def subgroup_metrics(
    ctx: StepContext,
    predictions: Path,
    labels: Path,
    table: PerCaseTable,
    task: TaskDeclaration,
    k: int,
    evaluate: Evaluate,
) -> SubgroupOutcome:
    """Run the evaluator once per subgroup of the declared columns (see the module docstring)."""
    groups = subgroups_of(table, task.subgroups)
    hidden = suppressed_subgroups(groups, k)
    all_ids = frozenset(str(case_id) for case_id in table.table[table.id_column].tolist()) if groups else frozenset()
    outcome = SubgroupOutcome()
    root = ctx.work_dir / "subgroups"
    for index, group in enumerate(groups):
        if group.name in hidden:
            outcome.metrics[group.name] = None
            outcome.suppressed.append(group.name)
            continue
        work = root / f"group-{index + 1}"
        inputs = work / "inputs"
        for source, what in ((predictions, "predictions"), (labels, "labels")):
            if not split_folder(source, inputs / what, group.case_ids, all_ids):
                raise ConfigError(
                    f"benchmark task.subgroups: the {what} folder has no per-case files and no table keyed by "
                    "case id, so the evaluator cannot be run per subgroup; remove task.subgroups or write "
                    f"{what} by case id"
                )
        step = StepContext(ctx.runner, ctx.spec, work, ctx.timeout_s)
        try:
            metrics = evaluate(step, inputs / "predictions", inputs / "labels")
        except (StepFailed, ConfigError):
            metrics = None
        finally:
            shutil.rmtree(inputs, ignore_errors=True)
        released = None if metrics is None else _released(metrics, task, len(group.case_ids), k)
        if metrics is None:
            outcome.failed.append(group.name)
        elif released is None:
            outcome.suppressed.append(group.name)
        outcome.metrics[group.name] = released
    return outcome


def subgroup_rows(metrics: Mapping[str, Any], task: TaskDeclaration) -> list[dict[str, str]]:
    """The `subgroups` of a metrics payload as table rows (subgroup, cases, primary metric, released or
    suppressed) for the approval form; empty when the payload has none."""
    groups = metrics.get(SUBGROUPS_KEY)
    if not isinstance(groups, Mapping):
        return []
    rows = []
    for name, released in groups.items():
        if not isinstance(released, Mapping):
            rows.append({"subgroup": str(name), "cases": "", task.primary_metric: "", "status": "suppressed (< k)"})
            continue
        value = released.get(task.primary_metric)
        shown = f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else "n/a"
        count = released.get(task.count_key)
        rows.append({"subgroup": str(name), "cases": str(count), task.primary_metric: shown, "status": "released"})
    return rows
