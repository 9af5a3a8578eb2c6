"""Reader for a site that exports one nested JSON document per case (e.g. nucleus.radius.mean)."""

import json
from pathlib import Path

from canonical_features import FEATURES
from prep_errors import RawDataError
from raw_cases import CaseCollector, RawCase, parse_case_id, parse_number
from raw_formats import FormatSpec

_MISSING = object()


def _lookup(document: object, dotted: str) -> object:
    """The value at a dotted path in nested objects, or _MISSING."""
    node = document
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def read_json_cases(paths: list[Path], spec: FormatSpec, names: list[str]) -> list[RawCase]:
    """Read one case per file; every case is row 1 of its file, columns are dotted JSON paths."""
    collector = CaseCollector(spec.id_column)
    for path, name in zip(paths, names, strict=True):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise RawDataError(name, 1, "-", f"not valid JSON ({err})") from None
        columns = [spec.id_column] + [spec.columns[f].name for f in FEATURES]
        for column in columns:
            if _lookup(document, column) is _MISSING:
                raise RawDataError(name, 1, column, "column is missing")
        case_id = parse_case_id(_lookup(document, spec.id_column), name, 1, spec.id_column)
        values = tuple(
            parse_number(_lookup(document, spec.columns[f].name), name, 1, spec.columns[f].name)
            * spec.columns[f].factor
            for f in FEATURES
        )
        collector.add(RawCase(case_id, values, name, 1))
    return collector.cases
