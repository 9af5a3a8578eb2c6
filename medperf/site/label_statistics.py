"""Label summaries by declared label kind, each released cell 0 or at least k: class counts, k-safe bins, volumes.

- categorical: one count per class; a class below k is suppressed (null), and so is the next smallest class
  when only one would be (the total would give it away);
- continuous: mean, std and equal-frequency bins that each hold at least k cases. Bins never split tied
  values; an edge is the midpoint between two neighbouring cases' values, so no edge is a case's value,
  and the outermost bins are open (no minimum or maximum is released). Never a key per value;
- mask: per structure (label value other than 0), how many cases have it and the k-safe summary of its
  volume over those cases (mm³ where every mask carries voxel spacing, NIfTI or DICOM; else voxels).

Nothing here is per case; the inputs (the per-case table, the labels folder) never leave the site.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medperf.site.case_files import case_entries, files_of
from medperf.site.image_summaries import DICOM, RECOGNISED, file_kind, read_array

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MAX_BINS = 10
MAX_STRUCTURES = 20
BACKGROUND = 0


def suppress_small(counts: dict[str, int], k: int) -> dict[str, int | None]:
    """Cells below k become null; when exactly one cell would be null, the smallest other non-zero cell is too."""
    small = {key for key, count in counts.items() if 0 < count < k}
    if len(small) == 1:
        others = sorted((count, key) for key, count in counts.items() if count > 0 and key not in small)
        if others:
            small.add(others[0][1])
    return {key: (None if key in small else count) for key, count in counts.items()}


def finite_values(values: Iterable[Any]) -> tuple[list[float], int]:
    """The finite numbers among values, and how many were missing (null, NaN, not a number)."""
    numbers: list[float] = []
    missing = 0
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            missing += 1
        else:
            numbers.append(float(value))
    return numbers, missing


def equal_frequency_groups(ordered: np.ndarray, k: int, max_bins: int) -> list[tuple[int, int]]:
    """[start, stop) index ranges of sorted values: about equal-frequency, each >= k, ties never split."""
    import numpy as np

    n = len(ordered)
    bins = min(max_bins, n // k)
    target = max(k, math.ceil(n / bins))
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # first index of each distinct value
    stops = np.r_[starts[1:], n]
    groups: list[tuple[int, int]] = []
    begin = 0
    for stop in stops.tolist():
        rest = n - stop
        if stop - begin >= target and (rest == 0 or rest >= k):
            groups.append((begin, stop))
            begin = stop
    if begin < n:  # the tail holds fewer than target: it joins the last bin unless it holds k on its own
        if groups and n - begin < k:
            groups[-1] = (groups[-1][0], n)
        else:
            groups.append((begin, n))
    return groups


def binned_summary(values: Sequence[float], k: int, max_bins: int = MAX_BINS) -> dict[str, Any] | None:
    """mean, std and k-safe bins (counts, inner edges, means) of n >= k finite values; None when n < k."""
    import numpy as np

    if len(values) < max(k, 1):
        return None
    ordered = np.sort(np.asarray(values, dtype=float))
    groups = equal_frequency_groups(ordered, k, max_bins)
    names = [f"bin_{index + 1}" for index in range(len(groups))]
    return {
        "mean": float(ordered.mean()),
        "std": float(ordered.std(ddof=1)) if len(ordered) > 1 else 0.0,
        "bin_counts": {name: stop - start for name, (start, stop) in zip(names, groups, strict=True)},
        "bin_edges": {
            f"edge_{index + 1}": float((ordered[stop - 1] + ordered[stop]) / 2)
            for index, (_, stop) in enumerate(groups[:-1])
        },
        "bin_means": {
            name: float(ordered[start:stop].mean()) for name, (start, stop) in zip(names, groups, strict=True)
        },
    }


def _with_bins(numbers: Sequence[float], cells: dict[str, int | None], count_cell: str, k: int) -> dict[str, Any]:
    """case_counts, then the binned summary of the numbers; their bin counts are null when their cell is."""
    summary: dict[str, Any] = {"case_counts": cells}
    binned = binned_summary(numbers, k)
    if binned is not None:
        if cells[count_cell] is None:
            binned["bin_counts"] = dict.fromkeys(binned["bin_counts"])
        summary |= binned
    return summary


def continuous_summary(values: Iterable[Any], k: int) -> dict[str, Any]:
    """case_counts (with a value / missing), then the binned summary of the finite values.

    When the missing cell is suppressed the bin counts are too (their sum and num_cases would give it away).
    """
    numbers, missing = finite_values(values)
    return _with_bins(numbers, suppress_small({"with_value": len(numbers), "missing": missing}, k), "with_value", k)


def categorical_counts(table: pd.DataFrame, column: str, k: int | None) -> dict[str, int | None] | None:
    """Class counts of a categorical label column (see statistics_summary.label_counts), small cells null.

    None when most classes hold fewer than k cases: such a column is a per-value list (a whole-number target),
    and even a null cell would publish that its value occurs.
    """
    from medperf.site.statistics_summary import label_counts

    counts = label_counts(table, column)
    if counts is None or k is None:
        return dict(counts) if counts is not None else None
    if 2 * sum(0 < count < k for count in counts.values()) > len(counts):
        return None
    return suppress_small(counts, k)


# ------------------------------------------------------------------ masks
def _mask_files(path: Path) -> tuple[str, list[Path]] | None:
    """The recognised file(s) of one case's mask: a file, or a DICOM series / the largest image of a folder."""
    if path.is_symlink():
        return None
    if path.is_file():
        kind = file_kind(path)
        return (kind, [path]) if kind in RECOGNISED else None
    found = [(item, file_kind(item)) for item in files_of(path) if not item.is_symlink()]
    found = [(item, kind) for item, kind in found if kind in RECOGNISED]
    if not found:
        return None
    if all(kind == DICOM for _, kind in found):
        return DICOM, [item for item, _ in found]
    item, kind = max(found, key=lambda pair: (pair[0].stat().st_size, pair[0].name))
    return kind, [item]


def structure_voxels(kind: str, paths: list[Path]) -> tuple[dict[int, float], float | None] | None:
    """Voxels per label value of one mask (scaled up where a very large file was read on a sample), and the
    volume of one voxel in mm³ where the format carries spacing (NIfTI, DICOM), else None.

    None when the mask holds values that are not whole numbers (not a label mask).
    """
    import numpy as np

    read = read_array(kind, paths)
    total_values = math.prod(int(read.columns[f"shape_{axis}"]) for axis in range(int(read.columns["ndim"])))
    voxels: dict[int, float] = {}
    seen = 0
    for batch in read.values:
        values, counts = np.unique(np.asarray(batch), return_counts=True)
        if values.dtype.kind == "f" and not np.all(np.isfinite(values) & (values == np.round(values))):
            return None
        if values.dtype.kind not in "biuf":
            return None
        seen += int(counts.sum())
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            voxels[int(value)] = voxels.get(int(value), 0.0) + float(count)
    scale = total_values / seen if read.sampled and seen else 1.0
    return {value: count * scale for value, count in voxels.items()}, voxel_volume_mm3(read.columns)


def voxel_volume_mm3(columns: dict[str, Any]) -> float | None:
    """The volume of one voxel in mm³ from the spacing of the (up to three) space axes; None without spacing."""
    axes = min(3, int(columns.get("ndim", 0)))
    spacing = [columns.get(f"spacing_{axis}") for axis in range(axes)]
    sizes = [float(value) for value in spacing if isinstance(value, int | float) and value > 0]
    if axes == 0 or len(sizes) < axes:
        return None
    return math.prod(sizes)


@dataclass(frozen=True)
class MaskVolumes:
    """Per structure volume of every readable mask, their unit, and how many masks could not be read (site-only)."""

    volumes: list[dict[int, float]]
    unit: str  # "mm3" when every mask carries its voxel spacing, else "voxels"
    unreadable: int


def case_volumes(labels_dir: Path, case_ids: Iterable[str] | None = None) -> MaskVolumes:
    """Volumes per structure of every readable mask in the labels folder (of the given cases): in mm³ when
    every mask's format carries voxel spacing, else in voxels (never a mix)."""
    wanted = None if case_ids is None else set(case_ids)
    counted: list[tuple[dict[int, float], float | None]] = []
    unreadable = 0
    for entry in case_entries(labels_dir):
        if wanted is not None and entry.case_id not in wanted:
            continue
        found = _mask_files(entry.path)
        if found is None:
            continue
        try:
            one = structure_voxels(*found)
        except Exception:  # any format-library error: this mask cannot be read
            one = None
        if one is None:
            unreadable += 1
        else:
            counted.append(one)
    if counted and all(voxel is not None for _, voxel in counted):
        volumes = [{value: n * (voxel or 1.0) for value, n in case.items()} for case, voxel in counted]
        return MaskVolumes(volumes, "mm3", unreadable)
    return MaskVolumes([case for case, _ in counted], "voxels", unreadable)


def mask_summary(volumes: list[dict[int, float]], k: int, unit: str = "voxels") -> dict[str, Any]:
    """Per structure (its label value): cases with / without it and the binned summary of its volume (unit)."""
    structures = sorted({value for case in volumes for value in case if value != BACKGROUND})
    if len(structures) > MAX_STRUCTURES:
        from medperf.errors import ConfigError

        raise ConfigError(
            f"labels: the masks hold {len(structures)} label values (more than {MAX_STRUCTURES}); declare "
            "task.label_kind 'none' or 'continuous' in benchmark.yaml for labels that are not structure masks"
        )
    summary: dict[str, Any] = {}
    for value in structures:
        present = [case[value] for case in volumes if case.get(value, 0) > 0]
        cells = suppress_small({"with_structure": len(present), "without": len(volumes) - len(present)}, k)
        summary[str(value)] = _with_bins(present, cells, "with_structure", k)
    return {"case_counts": suppress_small({"masks": len(volumes)}, k), "volumes_in_mm3": unit == "mm3",
            "structures": summary}
