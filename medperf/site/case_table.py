"""The per-case table the GX suite validates and num_cases counts: the preparator's own, or the manifest.

The benchmark's sanity_suite may say which table it targets:

- `"target": "case_table"`: the preparator's own table: `case_table.csv` in the metadata folder or the
  prepared data folder, else the older layout `cases.csv` (data) joined with `labels.csv` (labels). Its
  case-id column is `case_id` when it has one, else its first column. Without such a table the check fails
  with one line naming what is missing.
- `"target": "manifest"`: the manifest derived on the site (medperf/site/manifest.py).
- no target: the preparator's table when it wrote one, else the manifest.

`"label_column"` may name the column holding each case's scalar label (for `label_counts`); without it,
the manifest's scalar label column, or the single value column of `labels.csv`, or a `label` column of the
preparator's table is used when there is one. Nothing of this table leaves the site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medperf.errors import ConfigError, SanityCheckFailed
from medperf.site.case_files import CASE_TABLE, case_ids
from medperf.site.manifest import build_manifest
from medperf.site.manifest import count_cases as count_manifest_cases

if TYPE_CHECKING:
    import pandas as pd

CASES = "cases.csv"
LABELS = "labels.csv"
CASE_ID = "case_id"
MANIFEST, PREPARATOR_TABLE = "manifest", "case_table"
TARGETS = (MANIFEST, PREPARATOR_TABLE)


@dataclass(frozen=True)
class TableChoice:
    """What the benchmark's sanity_suite declares about the per-case table (both optional)."""

    target: str | None = None
    label_column: str | None = None


def table_choice(suite: Mapping[str, Any] | None) -> TableChoice:
    """Read `target` and `label_column` of a sanity_suite; a bad value is a ConfigError naming the field."""
    if not suite:
        return TableChoice()
    target = suite.get("target")
    if target is not None and target not in TARGETS:
        raise ConfigError(f"benchmark sanity_suite: 'target' must be one of {list(TARGETS)}; fix the suite")
    label_column = suite.get("label_column")
    if label_column is not None and not (isinstance(label_column, str) and label_column):
        raise ConfigError("benchmark sanity_suite: 'label_column' must be a column name; fix the suite")
    return TableChoice(target=target, label_column=label_column)


@dataclass(frozen=True)
class PerCaseTable:
    """One row per case, where it came from, its id and label columns, and site-only counts."""

    table: pd.DataFrame
    source: str
    id_column: str | None
    label_column: str | None
    site_counts: dict[str, int] = field(default_factory=dict)

    def site_report(self) -> dict[str, Any]:
        """Which table was checked and how many cases it has (for the site's own report)."""
        return {"table": self.source, "cases": len(self.table), **self.site_counts}


def _id_column(columns: list[str]) -> str | None:
    if CASE_ID in columns:
        return CASE_ID
    return columns[0] if columns else None


def _read_csv(path: Path) -> tuple[pd.DataFrame, str | None]:
    """A CSV table and its case-id column (read as text: '007' stays '007')."""
    import pandas as pd  # lazy: importing the flows must stay fast

    try:
        header = [str(name) for name in pd.read_csv(path, nrows=0).columns]
        id_column = _id_column(header)
        table = pd.read_csv(path, dtype={id_column: str} if id_column else None)
    except (OSError, ValueError) as exc:
        raise SanityCheckFailed(f"{path}: cannot be read as CSV ({type(exc).__name__}); fix the preparation") from None
    return table, id_column


def _joined_legacy(cases_path: Path, labels_path: Path) -> PerCaseTable:
    """cases.csv joined with labels.csv on their case-id columns (all cases of either file)."""
    import pandas as pd

    cases, cases_id = _read_csv(cases_path)
    labels, labels_id = _read_csv(labels_path)
    if cases_id is None or labels_id is None:
        empty = cases_path if cases_id is None else labels_path
        raise SanityCheckFailed(f"{empty}: has no columns; fix the preparation")
    labels = labels.rename(columns={labels_id: cases_id})
    clash = (set(cases.columns) & set(labels.columns)) - {cases_id}
    cases = cases.drop(columns=sorted(clash))
    try:
        table = cases.merge(labels, on=cases_id, how="outer", validate="one_to_one")
    except pd.errors.MergeError:
        raise SanityCheckFailed(
            f"{cases_path} / {labels_path}: a case id appears more than once; fix the preparation"
        ) from None
    value_columns = [name for name in labels.columns if name != cases_id]
    label_column = value_columns[0] if len(value_columns) == 1 else None
    return PerCaseTable(table, PREPARATOR_TABLE, cases_id, label_column)


def preparator_table(prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None = None) -> PerCaseTable | None:
    """The preparator's own case_table.csv when it wrote one, else cases.csv joined with labels.csv, else None."""
    for folder in (metadata_dir, prepared_dir):
        if folder is not None and (folder / CASE_TABLE).is_file():
            table, id_column = _read_csv(folder / CASE_TABLE)
            label_column = "label" if "label" in table.columns and id_column != "label" else None
            return PerCaseTable(table, PREPARATOR_TABLE, id_column, label_column)
    if (prepared_dir / CASES).is_file() and (labels_dir / LABELS).is_file():
        return _joined_legacy(prepared_dir / CASES, labels_dir / LABELS)
    return None


def _missing_table(prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None) -> SanityCheckFailed:
    places = f"{metadata_dir} or {prepared_dir}" if metadata_dir is not None else str(prepared_dir)
    return SanityCheckFailed(
        f"benchmark sanity_suite targets the preparator's case table, but there is none: no {CASE_TABLE} in "
        f"{places}, and no {prepared_dir / CASES} with {labels_dir / LABELS}; the preparator must write one, "
        f"or the suite must target '{MANIFEST}'"
    )


def _with_label_column(table: PerCaseTable, declared: str | None) -> PerCaseTable:
    if declared is None:
        return table
    if declared not in table.table.columns:
        raise SanityCheckFailed(
            f"benchmark sanity_suite: label_column '{declared}' is not a column of the {table.source} "
            "(the manifest's label columns come from the labels folder); fix the suite or the preparation"
        )
    return PerCaseTable(table.table, table.source, table.id_column, declared, table.site_counts)


def build_case_table(
    prepared_dir: Path,
    labels_dir: Path,
    metadata_dir: Path | None = None,
    choice: TableChoice | None = None,
    *,
    summaries: bool = True,
) -> PerCaseTable:
    """The per-case table the choice selects (see the module docstring).

    With summaries=False a manifest lists its cases and labels without decoding any image (for counts).
    """
    choice = choice or TableChoice()
    if choice.target != MANIFEST:
        own = preparator_table(prepared_dir, labels_dir, metadata_dir)
        if own is not None:
            return _with_label_column(own, choice.label_column)
        if choice.target == PREPARATOR_TABLE:
            raise _missing_table(prepared_dir, labels_dir, metadata_dir)
    manifest = build_manifest(prepared_dir, labels_dir, summaries=summaries)
    table = PerCaseTable(manifest.table, MANIFEST, CASE_ID, manifest.label_column, manifest.site_counts())
    return _with_label_column(table, choice.label_column)


def count_cases(
    prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None = None, choice: TableChoice | None = None
) -> int:
    """Rows of the per-case table the choice selects, without decoding images (num_cases)."""
    choice = choice or TableChoice()
    if choice.target != MANIFEST:
        own = preparator_table(prepared_dir, labels_dir, metadata_dir)
        if own is not None:
            return len(own.table)
        if choice.target == PREPARATOR_TABLE:
            raise _missing_table(prepared_dir, labels_dir, metadata_dir)
    return count_manifest_cases(prepared_dir)


def _has_preparator_table(prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None) -> bool:
    """Whether preparator_table would find a table (without reading it)."""
    if any(folder is not None and (folder / CASE_TABLE).is_file() for folder in (metadata_dir, prepared_dir)):
        return True
    return (prepared_dir / CASES).is_file() and (labels_dir / LABELS).is_file()


def listed_case_ids(
    prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None = None, choice: TableChoice | None = None
) -> list[str] | None:
    """The case ids when the choice selects the manifest and declares no label column, else None.

    That manifest's rows are the prepared folder's entries, so listing them gives its ids (same order) without
    joining the labels; any other table must be built (build_case_table) to know its ids and errors.
    """
    choice = choice or TableChoice()
    if choice.label_column is not None or choice.target == PREPARATOR_TABLE:
        return None
    if choice.target is None and _has_preparator_table(prepared_dir, labels_dir, metadata_dir):
        return None
    return case_ids(prepared_dir)
