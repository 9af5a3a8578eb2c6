"""The per-case table of prepared data: one row per case; it never leaves the site."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from medperf.errors import SanityCheckFailed

if TYPE_CHECKING:
    import pandas as pd

CASE_TABLE = "case_table.csv"
CASES = "cases.csv"
LABELS = "labels.csv"
CASE_ID = "case_id"


def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd  # lazy: importing the flows must stay fast

    try:
        table = pd.read_csv(path, dtype={CASE_ID: str})
    except (OSError, ValueError) as exc:
        raise SanityCheckFailed(f"{path}: cannot be read as CSV ({type(exc).__name__}); fix the preparation") from None
    if CASE_ID not in table.columns:
        raise SanityCheckFailed(f"{path}: has no '{CASE_ID}' column; the prepared data must have one")
    return table


def build_case_table(prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None = None) -> pd.DataFrame:
    """The preparator's own case_table.csv when it wrote one, else cases.csv joined with labels.csv."""
    for folder in (metadata_dir, prepared_dir):
        if folder is not None and (folder / CASE_TABLE).is_file():
            return _read_csv(folder / CASE_TABLE)
    cases_path = prepared_dir / CASES
    labels_path = labels_dir / LABELS
    for path in (cases_path, labels_path):
        if not path.is_file():
            raise SanityCheckFailed(f"{path}: missing; the prepared data must contain it")
    cases = _read_csv(cases_path)
    labels = _read_csv(labels_path)
    if "label" not in labels.columns:
        raise SanityCheckFailed(f"{labels_path}: has no 'label' column")
    clash = (set(cases.columns) & set(labels.columns)) - {CASE_ID}
    cases = cases.drop(columns=sorted(clash))
    return cases.merge(labels, on=CASE_ID, how="outer", validate="one_to_one", indicator=False)


def read_labels(labels_dir: Path) -> pd.DataFrame:
    """The labels table (case_id, label) of prepared data."""
    path = labels_dir / LABELS
    if not path.is_file():
        raise SanityCheckFailed(f"{path}: missing; the prepared labels must contain it")
    return _read_csv(path)
