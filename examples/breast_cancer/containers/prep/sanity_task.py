"""Task sanity_check: the prepared tables have the standard shape, plausible values and matching labels."""

from pathlib import Path
from typing import Any

from canonical_features import FEATURES
from prep_errors import SanityCheckError
from prepared_table import read_prepared_cases, read_prepared_labels


def run_sanity_check(data_path: Path, labels_path: Path, parameters: dict[str, Any]) -> int:
    """Raise SanityCheckError with one line naming what is wrong; return the number of cases when fine."""
    ids, values = read_prepared_cases(data_path)
    labels = read_prepared_labels(labels_path)
    min_cases = int(parameters.get("min_cases", 1))
    if len(ids) < min_cases:
        raise SanityCheckError(f"data_path/cases.csv: {len(ids)} cases, the benchmark needs at least {min_cases}")
    seen: set[str] = set()
    for row_number, (case_id, vals) in enumerate(zip(ids, values, strict=True), start=2):
        if not case_id.strip():
            raise SanityCheckError(f"data_path/cases.csv: row {row_number}, column 'case_id': empty case id")
        if case_id in seen:
            raise SanityCheckError(f"data_path/cases.csv: row {row_number}, column 'case_id': duplicate case id")
        seen.add(case_id)
        for feature, value in zip(FEATURES, vals, strict=True):
            if value < 0:
                raise SanityCheckError(
                    f"data_path/cases.csv: row {row_number}, column {feature!r}: negative value {value}"
                )
    if seen != set(labels):
        missing = len(seen - set(labels))
        extra = len(set(labels) - seen)
        raise SanityCheckError(
            f"labels_path/labels.csv: {missing} cases have no label and {extra} labels have no case; re-run prepare"
        )
    return len(ids)
