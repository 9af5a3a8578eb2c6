"""Join prepared labels in any layout onto the manifest's cases: one file per case, or tables keyed by case id.

Each visible entry of the labels folder whose case id (file name without extension(s), or folder name)
is a case of the prepared data is that case's label:

- `.txt` (one value), `.json`, `.yaml`/`.yml`: a scalar -> column `label`; a mapping -> its scalar entries
  as columns named by their keys; a list -> an array label (below);
- `.npy`: a 0-d array -> `label`; an array, or a PNG/JPEG/NIfTI/DICOM file or a folder of them (a mask)
  -> `label_ndim`, `label_shape_*`, `label_dtype`, `label_unique_count`;
- any other file or folder: only `has_label`.

Other entries that are tables (`.csv`, `.tsv`, `.json`, `.yaml`, `.yml`) are joined on the column (CSV/TSV,
or the key of a list of records) whose values match the case ids, or on the keys of a mapping
`{case id: value}`; a value may also name the case's file (`c1.png` matches case `c1`). A table row's other
columns keep their names (a name the manifest already uses gets the prefix `label_`); a mapping's scalar
value is `label`. The first row of a case wins (later ones count as `duplicates`).

Every joined case gets `has_label` (False for a case no label matched) and `label_readable` (False when
its label file could not be parsed). Label entries matching no case are counted in `unmatched`: these
counts are for the site's report only. Labels that match nothing add no column at all.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medperf.site.case_files import CaseEntry, case_entries, files_of
from medperf.site.image_summaries import DICOM, NPY, RECOGNISED, case_id_of, file_kind, read_array, shape_columns

LABEL = "label"
TABLE_KINDS = ("csv", "tsv", "json", "yaml", "yml")
MAX_LABEL_FILE_BYTES = 64 * 1024 * 1024
# Manifest columns (and every shape_* / spacing_*): a label column of the same name is prefixed with `label_`.
MANIFEST_NAMES = frozenset(
    {"case_id", "n_files", "size_bytes", "file_type", "readable", "ndim", "dtype", "width", "height", "mode",
     "channels", "rows", "cols", "modality", "intensity_min", "intensity_max", "intensity_mean", "intensity_std",
     "intensity_nonfinite", "intensity_sampled", "has_label", "label_readable"}
)  # fmt: skip


@dataclass
class CaseLabels:
    """Label columns per case id, their order, and how the join went (site-only counts)."""

    by_case: dict[str, dict[str, Any]] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    scalar_columns: list[str] = field(default_factory=list)
    unmatched: int = 0
    unreadable: int = 0
    duplicates: int = 0

    @property
    def matched(self) -> int:
        """How many cases got a label."""
        return len(self.by_case)

    @property
    def scalar_column(self) -> str | None:
        """The one column holding a scalar label per case: `label`, or a table's only value column."""
        if LABEL in self.scalar_columns:
            return LABEL
        return self.scalar_columns[0] if len(self.scalar_columns) == 1 else None

    def counts(self) -> dict[str, int]:
        """Site-only counts of the join."""
        return {
            "labels_matched": self.matched,
            "labels_unmatched": self.unmatched,
            "labels_unreadable": self.unreadable,
            "labels_duplicated": self.duplicates,
        }

    def add(self, case_id: str, columns: Mapping[str, Any], scalar: Iterable[str] = ()) -> None:
        """Record one case's label columns (the first label of a case wins)."""
        if case_id in self.by_case:
            self.duplicates += 1
            return
        self.by_case[case_id] = {"has_label": True, "label_readable": True, **columns}
        for name in ("has_label", "label_readable", *columns):
            if name not in self.columns:
                self.columns.append(name)
        for name in scalar:
            if name not in self.scalar_columns:
                self.scalar_columns.append(name)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _column_name(key: Any) -> str:
    """A label column's name: its own, or prefixed with `label_` where the manifest already uses it."""
    name = str(key)
    clashes = name in MANIFEST_NAMES or name.startswith(("shape_", "spacing_"))
    return f"label_{name}" if clashes else name


def _parse_text(text: str) -> Any:
    value = text.strip()
    for parse in (int, float):
        try:
            return parse(value)
        except ValueError:
            continue
    return {"true": True, "false": False}.get(value.lower(), value)


def _array_columns(values: Any) -> dict[str, Any]:
    """label_ndim, label_shape_*, label_dtype and label_unique_count of an array label (a mask)."""
    import numpy as np

    array = np.asarray(values)
    columns = shape_columns(array.shape, prefix="label_") | {"label_dtype": str(array.dtype)}
    if array.dtype.kind in "biuf":
        columns["label_unique_count"] = int(np.unique(array).size)
    return columns


def value_columns(value: Any) -> tuple[dict[str, Any], list[str]]:
    """The label columns of one parsed value, and which of them are scalar labels."""
    if _is_scalar(value):
        return {LABEL: value}, [LABEL]
    if isinstance(value, Mapping):
        scalars = {_column_name(key): item for key, item in value.items() if _is_scalar(item)}
        return scalars, list(scalars)
    if isinstance(value, list):
        try:
            return _array_columns(value), []
        except ValueError:  # ragged lists are not arrays
            return {}, []
    return {}, []


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_LABEL_FILE_BYTES:
        raise ValueError(f"{path.name}: larger than {MAX_LABEL_FILE_BYTES} bytes")
    return path.read_text(encoding="utf-8")


def _read_structured(path: Path, kind: str) -> Any:
    if kind == "json":
        return json.loads(_read_text(path))
    from medperf.safe_yaml import YamlLimits, load_yaml_file

    return load_yaml_file(path, "labels file", YamlLimits(max_bytes=MAX_LABEL_FILE_BYTES, max_nodes=10_000_000))


def _image_label(kind: str, paths: list[Path]) -> dict[str, Any]:
    from medperf.site.image_summaries import unique_count

    read = read_array(kind, paths)
    columns = {
        f"label_{name}": value for name, value in read.columns.items() if name == "ndim" or name.startswith("shape_")
    }
    return columns | {"label_dtype": read.columns["dtype"], "label_unique_count": unique_count(read.values)}


def _file_label(path: Path, arrays: bool) -> tuple[dict[str, Any], list[str]]:
    kind = file_kind(path)
    if kind == "txt":
        return value_columns(_parse_text(_read_text(path)))
    if kind in ("json", "yaml", "yml"):
        return value_columns(_read_structured(path, kind))
    if kind == NPY:
        import numpy as np

        array = np.load(path, mmap_mode="r", allow_pickle=False)
        if array.ndim == 0:
            return value_columns(array.item())
        return (_image_label(NPY, [path]) if arrays else {}), []
    if kind in RECOGNISED and arrays:
        return _image_label(kind, [path]), []
    return {}, []


def _folder_label(folder: Path) -> dict[str, Any]:
    recognised = [(path, file_kind(path)) for path in files_of(folder) if not path.is_symlink()]
    recognised = [(path, kind) for path, kind in recognised if kind in RECOGNISED]
    if not recognised:
        return {}
    if all(kind == DICOM for _, kind in recognised):
        return _image_label(DICOM, [path for path, _ in recognised])
    path, kind = sorted(recognised, key=lambda item: (-item[0].stat().st_size, item[0].name))[0]
    return _image_label(kind, [path])


def _add_case_label(labels: CaseLabels, entry: CaseEntry, arrays: bool) -> None:
    columns: dict[str, Any] = {}
    scalar: list[str] = []
    try:
        if entry.is_folder:
            columns = _folder_label(entry.path) if arrays else {}
        elif entry.path.is_symlink():
            raise ValueError("symlinks are never followed")
        else:
            columns, scalar = _file_label(entry.path, arrays)
    except Exception:  # any parse or format-library error: the label is there but cannot be read
        columns, scalar = {"label_readable": False}, []
        labels.unreadable += 1
    labels.add(entry.case_id, columns, scalar)


def _matching_id(value: Any, case_ids: Collection[str]) -> str | None:
    """The case a table value names: the id itself, or a file name of it ('c1.png' -> 'c1')."""
    if value is None or isinstance(value, float) and value != value:
        return None
    text = str(value).strip()
    if text in case_ids:
        return text
    name = text if "/" not in text and text != "." else Path(text).name  # a bare name: no Path per row
    base = case_id_of(name) if text else text
    return base if base in case_ids else None


@dataclass(frozen=True)
class TableRow:
    """One row of a labels table: the values its case id is looked for in, and the values it holds."""

    ids: Mapping[str, Any]
    values: Mapping[str, Any]


def _rows_of_frame(path: Path, kind: str) -> list[TableRow]:
    """CSV/TSV rows; ids are matched on the text as written ('007' stays '007'), values keep their types."""
    import pandas as pd

    sep = "\t" if kind == "tsv" else ","
    typed = pd.read_csv(path, sep=sep)
    text = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    values = typed.astype(object).where(typed.notna(), None).to_dict("records")
    return [
        TableRow({str(key): item for key, item in raw.items()}, {str(key): item for key, item in row.items()})
        for raw, row in zip(text.to_dict("records"), values, strict=True)
    ]


def _best_key(rows: list[TableRow], case_ids: Collection[str]) -> str | None:
    """The column whose values name the most cases (at least one)."""
    scores: dict[str, int] = {}
    for row in rows:
        for key, value in row.ids.items():
            if _is_scalar(value) and _matching_id(value, case_ids) is not None:
                scores[key] = scores.get(key, 0) + 1
    return max(scores, key=lambda key: scores[key]) if scores else None


def _join_rows(labels: CaseLabels, rows: list[TableRow], case_ids: Collection[str]) -> None:
    key = _best_key(rows, case_ids)
    if key is None:
        labels.unmatched += len(rows)
        return
    for row in rows:
        case_id = _matching_id(row.ids.get(key), case_ids)
        if case_id is None:
            labels.unmatched += 1
            continue
        columns, scalar = value_columns({name: value for name, value in row.values.items() if name != key})
        labels.add(case_id, columns, scalar)


def _join_mapping(labels: CaseLabels, data: Mapping[Any, Any], case_ids: Collection[str]) -> None:
    if not any(_matching_id(key, case_ids) is not None for key in data):
        if len(data) == 1:  # {"labels": {...}} or {"cases": [...]}: look one level in
            _join_structured(labels, next(iter(data.values())), case_ids)
        else:
            labels.unmatched += len(data)
        return
    for key, value in data.items():
        case_id = _matching_id(key, case_ids)
        if case_id is None:
            labels.unmatched += 1
            continue
        columns, scalar = value_columns(value)
        labels.add(case_id, columns, scalar)


def _join_structured(labels: CaseLabels, data: Any, case_ids: Collection[str]) -> None:
    if isinstance(data, Mapping):
        _join_mapping(labels, data, case_ids)
    elif isinstance(data, list) and all(isinstance(item, Mapping) for item in data):
        records = [{str(key): value for key, value in item.items()} for item in data]
        _join_rows(labels, [TableRow(record, record) for record in records], case_ids)
    else:
        labels.unmatched += 1


def _join_table(labels: CaseLabels, path: Path, kind: str, case_ids: Collection[str]) -> None:
    try:
        if kind in ("csv", "tsv"):
            _join_rows(labels, _rows_of_frame(path, kind), case_ids)
        else:
            _join_structured(labels, _read_structured(path, kind), case_ids)
    except Exception:  # a table that cannot be parsed joins nothing
        labels.unreadable += 1


def join_labels(labels_dir: Path | None, case_ids: Iterable[str], *, arrays: bool = True) -> CaseLabels:
    """Label columns per case from a labels folder in any of the layouts above.

    With arrays=False array labels (masks) are not decoded: their cases get has_label only.
    """
    ids = frozenset(case_ids)
    labels = CaseLabels()
    if labels_dir is None:
        return labels
    tables: list[tuple[Path, str]] = []
    for entry in case_entries(labels_dir):
        if entry.case_id in ids:
            _add_case_label(labels, entry, arrays)
            continue
        kind = "" if entry.is_folder or entry.path.is_symlink() else file_kind(entry.path)
        if kind in TABLE_KINDS:
            tables.append((entry.path, kind))
        else:
            labels.unmatched += 1
    for path, kind in tables:
        _join_table(labels, path, kind, ids)
    return labels
