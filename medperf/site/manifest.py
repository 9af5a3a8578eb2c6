"""The per-case manifest of a prepared folder, derived on the site for the GX suite; it never leaves the site.

Cases: each visible top-level entry of the prepared data folder is one case. A file is a case whose id is
its name without extension(s) (`c1.nii.gz` -> `c1`); a folder is a case whose id is the folder name and
whose files (recursively) are summarised together. Hidden entries, OS leftovers (`__MACOSX`, `Thumbs.db`)
and the preparator's `case_table.csv` are not cases. Symlinks are never followed (a linked case is
`file_type = "symlink"`, `readable = False`). Two entries with the same id (`c1.npy`, `c1.png`) are two rows.

Columns (stable names a GX suite can target; a column is absent when no case has it):

- every case: `case_id` (str), `n_files`, `size_bytes` (int), `file_type` (`npy`, `png`, `jpeg`, `nifti`,
  `dicom`, another lower-case extension, `unknown`; a folder: the one type of its files, `mixed` or `empty`),
  `readable` (bool: False when a recognised file cannot be opened or decoded; other files are not decoded);
- recognised formats: `ndim`, `shape_0` .. `shape_{ndim-1}`, `dtype` (stored dtype), and `intensity_min`,
  `intensity_max`, `intensity_mean`, `intensity_std` (finite values), `intensity_nonfinite` (count of NaN/inf),
  `intensity_sampled` (True when a large file was summarised on a sample, see image_summaries.py);
- NIfTI (`.nii`, `.nii.gz`, nibabel): `spacing_0` .. (voxel zooms); intensities after scl_slope/inter;
- DICOM (`.dcm`, or no extension with the DICM preamble, pydicom): `rows`, `cols`, `modality`, `spacing_*`
  (pixel spacing; a volume first gets the slice spacing); intensities after the modality LUT. A folder
  whose recognised files are all DICOM is one series: `shape_0` = number of slices;
- PNG/JPEG (Pillow): `width`, `height`, `mode`, `channels`; `shape` is (height, width[, channels]);
- `.npy` (numpy, memory-mapped, never unpickled): shape, dtype and intensities.
- Another folder case is summarised by its largest recognised file.
- labels (see manifest_labels.py): `has_label`, `label_readable`, `label` or the labels table's own
  columns, `label_ndim`, `label_shape_*`, `label_dtype`, `label_unique_count`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medperf.site.case_files import CaseEntry, case_entries, files_of
from medperf.site.image_summaries import DICOM, RECOGNISED, file_kind, summarise_image
from medperf.site.manifest_labels import CaseLabels, join_labels

if TYPE_CHECKING:
    import pandas as pd

CASE_ID = "case_id"
LEADING_COLUMNS = ("case_id", "n_files", "size_bytes", "file_type", "readable", "ndim")
TRAILING_COLUMNS = (
    "dtype",
    "width",
    "height",
    "mode",
    "channels",
    "rows",
    "cols",
    "modality",
    "intensity_min",
    "intensity_max",
    "intensity_mean",
    "intensity_std",
    "intensity_nonfinite",
    "intensity_sampled",
)

INTEGER_PREFIXES = (
    "n_files",
    "size_bytes",
    "ndim",
    "shape_",
    "width",
    "height",
    "channels",
    "rows",
    "cols",
    "intensity_nonfinite",
    "label_ndim",
    "label_shape_",
    "label_unique_count",
)


@dataclass(frozen=True)
class Manifest:
    """The manifest table and how its labels joined (counts for the site's own report only)."""

    table: pd.DataFrame
    labels: CaseLabels

    @property
    def label_column(self) -> str | None:
        """The scalar label column, when the labels gave one."""
        return self.labels.scalar_column

    def site_counts(self) -> dict[str, int]:
        """Counts for the site's report: cases and how the labels joined."""
        return {"cases": len(self.table), **self.labels.counts()}


def _file_row(entry: CaseEntry) -> dict[str, Any]:
    path = entry.path
    size = _size(path)
    if size is None:
        kind = "symlink" if path.is_symlink() else "unknown"
        return {"n_files": 1, "size_bytes": 0, "file_type": kind, "readable": False}
    kind = file_kind(path)
    row: dict[str, Any] = {"n_files": 1, "size_bytes": size, "file_type": kind, "readable": True}
    if kind in RECOGNISED:
        row |= summarise_image(kind, [path])
    return row


def _size(path: Path) -> int | None:
    """A file's size; None for a symlink (never followed) or a file that vanished or cannot be stat'ed."""
    if path.is_symlink():
        return None
    try:
        return path.stat().st_size
    except OSError:
        return None


def _folder_row(entry: CaseEntry) -> dict[str, Any]:
    files = list(files_of(entry.path))
    sizes = {path: _size(path) for path in files}
    kinds = {path: ("symlink" if path.is_symlink() else file_kind(path)) for path in files}
    distinct = set(kinds.values())
    file_type = "empty" if not distinct else distinct.pop() if len(distinct) == 1 else "mixed"
    total = sum(size or 0 for size in sizes.values())
    row: dict[str, Any] = {"n_files": len(files), "size_bytes": total, "file_type": file_type}
    row["readable"] = all(size is not None for size in sizes.values())
    recognised = [path for path in files if kinds[path] in RECOGNISED]
    if not recognised:
        return row
    if all(kinds[path] == DICOM for path in recognised):
        summary = summarise_image(DICOM, recognised)
    else:
        primary = sorted(recognised, key=lambda path: (-(sizes[path] or 0), path.name))[0]
        summary = summarise_image(kinds[primary], [primary])
    return row | summary | {"readable": row["readable"] and summary["readable"]}


def case_row(entry: CaseEntry, summaries: bool = True) -> dict[str, Any]:
    """One manifest row (without labels) for one case; only its id when summaries is False."""
    if not summaries:
        return {CASE_ID: entry.case_id}
    row = _folder_row(entry) if entry.is_folder else _file_row(entry)
    return {CASE_ID: entry.case_id, **row}


def _ordered(columns: Iterable[str], label_columns: list[str]) -> list[str]:
    present = list(dict.fromkeys(columns))
    numbered = sorted(
        (name for name in present if name.startswith(("shape_", "spacing_"))),
        key=lambda name: (name.split("_")[0] != "shape", int(name.rsplit("_", 1)[1])),
    )
    order = [name for name in LEADING_COLUMNS if name in present] + numbered
    order += [name for name in TRAILING_COLUMNS if name in present]
    order += [name for name in present if name not in order and name not in label_columns]
    return order + [name for name in label_columns if name in present]


def build_manifest(prepared_dir: Path, labels_dir: Path | None = None, *, summaries: bool = True) -> Manifest:
    """One row per case of prepared_dir with its file summaries, joined with the labels in labels_dir.

    With summaries=False no image is decoded: the rows hold the case ids and the scalar labels only.
    """
    import pandas as pd  # lazy: importing the flows must stay fast

    rows = [case_row(entry, summaries) for entry in case_entries(prepared_dir)]
    labels = join_labels(labels_dir, [row[CASE_ID] for row in rows], arrays=summaries)
    for row in rows:
        row.update(labels.by_case.get(row[CASE_ID], {}))
        if labels.matched:
            row.setdefault("has_label", False)
    columns = _ordered((name for row in rows for name in row), labels.columns)
    table = pd.DataFrame(rows, columns=columns if rows else [CASE_ID])
    return Manifest(table=_typed(table), labels=labels)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns with gaps stay integers (nullable Int64), not floats; case ids are strings."""
    import pandas as pd

    typed = table.copy()
    typed[CASE_ID] = typed[CASE_ID].astype(str)
    for name in typed.columns:
        column = typed[name]
        if column.dtype == object and column.dropna().map(type).isin([bool]).all() and column.notna().any():
            typed[name] = column.astype("boolean")
        elif pd.api.types.is_float_dtype(column) and column.notna().any() and column.isna().any():
            values = column.dropna()
            if bool((values == values.round()).all()) and name.startswith(INTEGER_PREFIXES):
                typed[name] = column.astype("Int64")
    return typed


def count_cases(prepared_dir: Path) -> int:
    """How many cases the manifest of prepared_dir has, without reading any file."""
    return len(case_entries(prepared_dir))
