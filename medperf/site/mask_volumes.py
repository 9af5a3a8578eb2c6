"""Mask labels: per structure (label value other than 0), how many cases have it and the k-safe summary of its
volume over those cases, in mm³ where every mask carries voxel spacing (NIfTI, DICOM), else in voxels.

Nothing here is per case; the labels folder never leaves the site.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.site.case_files import case_entries, files_of
from medperf.site.image_summaries import DICOM, RECOGNISED, file_kind, read_array
from medperf.site.label_statistics import suppress_small, with_bins

MAX_STRUCTURES = 20
BACKGROUND = 0


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
        summary[str(value)] = with_bins(present, cells, "with_structure", k)
    return {"case_counts": suppress_small({"masks": len(volumes)}, k), "volumes_in_mm3": unit == "mm3",
            "structures": summary}
