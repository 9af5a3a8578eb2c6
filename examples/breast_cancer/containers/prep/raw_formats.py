"""The format dictionary (additional_files/raw_formats.json) and detection of a site's raw format."""

import json
from dataclasses import dataclass
from pathlib import Path

from canonical_features import FEATURES
from prep_errors import PrepError


@dataclass(frozen=True)
class ColumnSpec:
    """Where a canonical feature sits in a raw format and the factor that converts it to canonical units."""

    name: str
    factor: float


@dataclass(frozen=True)
class FormatSpec:
    """How one raw format names the case id and the 30 features."""

    kind: str
    id_column: str
    columns: dict[str, ColumnSpec]
    sheet: str | None = None


@dataclass(frozen=True)
class LabelSpec:
    """The raw labels file: its name, its two columns and the accepted label codes (case-insensitive)."""

    file: str
    id_column: str
    label_column: str
    codes: dict[str, int]


@dataclass(frozen=True)
class FormatDictionary:
    """All known raw formats plus the label convention."""

    formats: dict[str, FormatSpec]
    labels: LabelSpec


def load_format_dictionary(path: Path) -> FormatDictionary:
    """Read raw_formats.json; a missing feature mapping is a configuration error, named in one line."""
    if not path.is_file():
        raise PrepError(f"{path}: format dictionary not found; mount the additional files (raw_formats.json)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        formats: dict[str, FormatSpec] = {}
        for kind, spec in raw["formats"].items():
            columns = {f: ColumnSpec(str(c["name"]), float(c["factor"])) for f, c in spec["columns"].items()}
            missing = [f for f in FEATURES if f not in columns]
            if missing:
                raise PrepError(f"{path}: format {kind!r} does not map feature {missing[0]!r}")
            formats[kind] = FormatSpec(kind, str(spec["id_column"]), columns, spec.get("sheet"))
        lab = raw["labels"]
        codes = {str(k).lower(): int(v) for k, v in lab["codes"].items()}
        labels = LabelSpec(str(lab["file"]), str(lab["id_column"]), str(lab["label_column"]), codes)
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as err:
        raise PrepError(f"{path}: malformed format dictionary ({err!r})") from err
    return FormatDictionary(formats, labels)


def detect_format(data_path: Path) -> tuple[str, list[Path]]:
    """Tell the raw format from the files in data_path: one .csv, one .xlsx, or one .json per case."""
    if not data_path.is_dir():
        raise PrepError(f"data_path {data_path}: not a directory")
    files = sorted(p for p in data_path.iterdir() if p.is_file() and not p.name.startswith("."))
    by_suffix: dict[str, list[Path]] = {}
    for path in files:
        by_suffix.setdefault(path.suffix.lower(), []).append(path)
    kinds = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}
    found = [s for s in by_suffix if s in kinds]
    if len(found) != 1:
        listed = ", ".join(p.name for p in files[:5]) or "nothing"
        raise PrepError(f"data_path: expected one .csv, one .xlsx or .json files (one per case), found {listed}")
    suffix = found[0]
    if suffix in (".csv", ".xlsx") and len(by_suffix[suffix]) != 1:
        raise PrepError(f"data_path: expected exactly one {suffix} file, found {len(by_suffix[suffix])}")
    return kinds[suffix], by_suffix[suffix]
