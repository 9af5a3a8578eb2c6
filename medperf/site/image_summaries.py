"""Summaries of one array or image file (.npy, PNG/JPEG, NIfTI, DICOM): shape, dtype, spacing, intensities.

Every reader returns manifest columns (see medperf/site/manifest.py for their names) and the values to
summarise. Large files are never read whole into memory: a `.npy` of MMAP_MIN_BYTES or more is
memory-mapped and an evenly strided sample of at most MAX_EXACT_VALUES values is read; a NIfTI volume is
read through nibabel's array proxy (memory-mapped when uncompressed) with strides along its slowest axes;
a PNG/JPEG above the limit is subsampled by nearest neighbour. DICOM pixel data is decoded per file
(slices are small), a series one slice at a time. When a sample was used, `intensity_sampled` is True and
min/max are those of the sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MAX_EXACT_VALUES = 1 << 23  # arrays up to 8 Mi values are summarised exactly, larger ones on a strided sample
MMAP_MIN_BYTES = 1 << 22  # .npy files from 4 MiB on are memory-mapped

NPY, PNG, JPEG, NIFTI, DICOM = "npy", "png", "jpeg", "nifti", "dicom"
RECOGNISED = (NPY, PNG, JPEG, NIFTI, DICOM)
_BY_SUFFIX = {
    ".npy": NPY,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".nii": NIFTI,
    ".nii.gz": NIFTI,
    ".dcm": DICOM,
    ".dicom": DICOM,
}
_COMPRESSION = (".gz", ".bz2", ".xz", ".zst")
_DICOM_MAGIC_OFFSET = 128


def compound_suffix(name: str) -> str:
    """The extension of a file name, including a compression suffix: 'a.nii.gz' -> '.nii.gz', 'b.npy' -> '.npy'.

    As from Path(name).suffixes, found with two rfind calls (asked once per case, often several times).
    """
    if "/" in name or name in ("", "."):
        name = Path(name).name
    if name.endswith("."):
        return ""
    base = name.lstrip(".")
    last_dot = base.rfind(".")
    if last_dot <= 0:  # no suffix: the part before the first dot is the stem
        return ""
    last = base[last_dot:]
    if not _is_extension(last):  # '1.2.840.5' is a DICOM UID, not an extension
        return ""
    if last.lower() in _COMPRESSION:
        previous_dot = base.rfind(".", 0, last_dot)
        if previous_dot > 0 and _is_extension(base[previous_dot:last_dot]):
            return base[previous_dot:]
    return last


@lru_cache(maxsize=4096)  # a folder's files share a few suffixes; asked once per case
def _is_extension(suffix: str) -> bool:
    return any(char.isalpha() for char in suffix) and " " not in suffix


def case_id_of(name: str) -> str:
    """The case id a FILE stands for: its name without extension(s), e.g. 'c1.nii.gz' -> 'c1'."""
    suffix = compound_suffix(name)
    return name[: len(name) - len(suffix)] if suffix and len(suffix) < len(name) else name


def _has_dicom_magic(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(_DICOM_MAGIC_OFFSET)
            return handle.read(4) == b"DICM"
    except OSError:
        return False


def file_kind(path: Path) -> str:
    """The format of a file: one of RECOGNISED, else its lower-case extension without the dot, else 'unknown'.

    A file without an extension that carries the DICOM preamble is DICOM (scanners often write no extension).
    """
    suffix = compound_suffix(path.name).lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if not suffix:
        return DICOM if _has_dicom_magic(path) else "unknown"
    return suffix.lstrip(".")


@dataclass
class IntensityAccumulator:
    """Min, max, mean and std over values added in batches (Chan's pooled variance); non-finite values counted."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    nonfinite: int = 0
    sampled: bool = False

    def add(self, values: np.ndarray, sampled: bool = False) -> None:
        """Fold one batch of numeric values in; complex or non-numeric arrays are not intensities."""
        import numpy as np

        flat = np.asarray(values).reshape(-1)
        if flat.dtype == np.bool_:
            flat = flat.view(np.uint8)
        if flat.dtype.kind not in "iuf":
            return
        self.sampled = self.sampled or sampled
        if flat.dtype.kind == "f":
            finite = np.isfinite(flat)
            if not finite.all():
                self.nonfinite += int(flat.size - int(finite.sum()))
                flat = flat[finite]
        if flat.size == 0:
            return
        n = int(flat.size)
        batch_mean = float(np.mean(flat, dtype=np.float64))
        batch_m2 = float(np.var(flat, dtype=np.float64)) * n
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean += delta * n / total
        self.m2 += batch_m2 + delta * delta * self.count * n / total
        self.count = total
        self.low = min(self.low, float(np.min(flat)))
        self.high = max(self.high, float(np.max(flat)))

    def columns(self) -> dict[str, Any]:
        """intensity_* columns; empty when no numeric value was seen (non-finite values are still counted)."""
        if self.count == 0 and self.nonfinite == 0:
            return {}
        stats: dict[str, Any] = {"intensity_nonfinite": self.nonfinite, "intensity_sampled": self.sampled}
        if self.count:
            stats |= {
                "intensity_min": self.low,
                "intensity_max": self.high,
                "intensity_mean": self.mean,
                "intensity_std": math.sqrt(max(self.m2 / self.count, 0.0)),
            }
        return stats


@dataclass
class ArrayRead:
    """What a reader found: format columns (shape, dtype, spacing, ...) and the values to summarise.

    values yields the arrays one at a time (a DICOM series decodes one slice per step, never all at once).
    """

    columns: dict[str, Any]
    values: Iterator[np.ndarray]
    sampled: bool = False


def shape_columns(shape: Sequence[int], prefix: str = "") -> dict[str, Any]:
    """{prefix}ndim and {prefix}shape_0 .. shape_{n-1}."""
    columns: dict[str, Any] = {f"{prefix}ndim": len(shape)}
    columns |= {f"{prefix}shape_{axis}": int(size) for axis, size in enumerate(shape)}
    return columns


def spacing_columns(spacing: Sequence[float]) -> dict[str, Any]:
    """spacing_0 .. spacing_{n-1} (millimetres for NIfTI/DICOM space axes)."""
    return {f"spacing_{axis}": float(value) for axis, value in enumerate(spacing)}


def _axis_steps(shape: Sequence[int], slowest_last: bool) -> list[int]:
    """Strides along the slowest-varying axes so that at most about MAX_EXACT_VALUES values are read."""
    steps = [1] * len(shape)
    remaining = math.prod(shape)
    axes = reversed(range(len(shape))) if slowest_last else iter(range(len(shape)))
    for axis in axes:
        if remaining <= MAX_EXACT_VALUES or shape[axis] == 0:
            break
        step = min(math.ceil(remaining / MAX_EXACT_VALUES), shape[axis])
        steps[axis] = step
        remaining = remaining // shape[axis] * math.ceil(shape[axis] / step)
    return steps


def read_npy(path: Path) -> ArrayRead:
    """A .npy file, memory-mapped above MMAP_MIN_BYTES (small files are read at once, which is faster);
    never unpickled (object arrays are unreadable)."""
    import numpy as np

    if path.stat().st_size >= MMAP_MIN_BYTES:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    else:
        array = np.load(path, allow_pickle=False)
    columns = shape_columns(array.shape) | {"dtype": str(array.dtype)}
    if array.size <= MAX_EXACT_VALUES:
        return ArrayRead(columns, iter([np.asarray(array)]))
    step = math.ceil(array.size / MAX_EXACT_VALUES)
    flat = array.reshape(-1, order="A")  # a view for C- and Fortran-ordered files alike
    return ArrayRead(columns, iter([np.asarray(flat[::step])]), sampled=True)


def read_picture(path: Path) -> ArrayRead:
    """A PNG or JPEG via Pillow: width, height, mode, channels and the pixel values (palette images as RGB)."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        columns: dict[str, Any] = {
            "width": width,
            "height": height,
            "mode": image.mode,
            "channels": len(image.getbands()),
        }
        picture = image.convert("RGBA" if "transparency" in image.info else "RGB") if image.mode == "P" else image
        sampled = width * height * columns["channels"] > MAX_EXACT_VALUES
        if sampled:
            factor = math.ceil(math.sqrt(width * height * columns["channels"] / MAX_EXACT_VALUES))
            size = (max(1, width // factor), max(1, height // factor))
            picture = picture.resize(size, Image.Resampling.NEAREST)
        pixels = np.asarray(picture)
    full_shape = (height, width, *pixels.shape[2:])
    columns |= shape_columns(full_shape) | {"dtype": str(pixels.dtype)}
    return ArrayRead(columns, iter([pixels]), sampled=sampled)


def read_nifti(path: Path) -> ArrayRead:
    """A NIfTI-1/2 image via nibabel: shape, on-disk dtype, voxel spacing (zooms), scaled intensities."""
    import nibabel as nib
    import numpy as np

    image: Any = nib.load(path)
    shape = tuple(int(size) for size in image.shape)
    columns = shape_columns(shape) | {"dtype": str(image.get_data_dtype())}
    zooms = getattr(image.header, "get_zooms", None)
    if zooms is not None:
        columns |= spacing_columns(zooms())
    steps = _axis_steps(shape, slowest_last=True)  # NIfTI is stored Fortran-ordered: the last axis is slowest
    if all(step == 1 for step in steps):
        return ArrayRead(columns, iter([np.asanyarray(image.dataobj)]))
    values = image.dataobj[tuple(slice(None, None, step) for step in steps)]
    return ArrayRead(columns, iter([np.asarray(values)]), sampled=True)


def _dicom_pixels(dataset: Any) -> np.ndarray:
    """Pixel values after the modality LUT (e.g. CT Hounsfield units)."""
    try:
        from pydicom.pixels import apply_modality_lut
    except ImportError:  # pydicom < 3
        from pydicom.pixel_data_handlers.util import apply_modality_lut  # type: ignore[no-redef]
    return apply_modality_lut(dataset.pixel_array, dataset)


def _dicom_spacing(dataset: Any, volume: bool) -> list[float]:
    pixel = dataset.get("PixelSpacing") or dataset.get("ImagerPixelSpacing")
    if not pixel:
        return []
    spacing = [float(value) for value in pixel]
    if volume:
        between = dataset.get("SpacingBetweenSlices") or dataset.get("SliceThickness")
        if between is None:
            return []
        spacing.insert(0, float(between))
    return spacing


def read_dicom_series(paths: Sequence[Path]) -> ArrayRead:
    """One DICOM file, or a series of slices (one file each) read as one volume of len(paths) slices.

    Rows, columns, modality, dtype and spacing come from the first file; intensities pool every slice.
    """
    import pydicom

    first = pydicom.dcmread(paths[0])
    pixels = _dicom_pixels(first)
    stored = first.pixel_array.dtype
    series = len(paths) > 1
    shape = (len(paths), *pixels.shape) if series else pixels.shape
    columns: dict[str, Any] = {
        "rows": int(first.Rows),
        "cols": int(first.Columns),
        "modality": str(first.get("Modality", "")),
    }
    columns |= shape_columns(shape) | {"dtype": str(stored)}
    frames = int(first.get("NumberOfFrames", 1) or 1)
    columns |= spacing_columns(_dicom_spacing(first, volume=series or frames > 1))

    def slices() -> Iterator[np.ndarray]:
        yield pixels
        for path in paths[1:]:
            yield _dicom_pixels(pydicom.dcmread(path))

    return ArrayRead(columns, slices())


def _subsample(values: np.ndarray, total: int) -> tuple[np.ndarray, bool]:
    """Every value when the whole read holds at most MAX_EXACT_VALUES, else an even stride of this batch."""
    if total <= MAX_EXACT_VALUES:
        return values, False
    step = math.ceil(total / MAX_EXACT_VALUES)
    return values.reshape(-1)[::step], True


def read_array(kind: str, paths: Sequence[Path]) -> ArrayRead:
    """Read one file of a recognised kind (or a DICOM series); raises whatever the format library raises."""
    if kind == DICOM:
        return read_dicom_series(paths)
    (path,) = paths
    reader = {NPY: read_npy, PNG: read_picture, JPEG: read_picture, NIFTI: read_nifti}[kind]
    return reader(path)


def summarise_image(kind: str, paths: Sequence[Path]) -> dict[str, Any]:
    """Format and intensity columns of a recognised file (or DICOM series); readable=False if it cannot be read."""
    try:
        read = read_array(kind, paths)
        total = math.prod(int(read.columns[f"shape_{axis}"]) for axis in range(int(read.columns["ndim"])))
        intensities = IntensityAccumulator()
        for values in read.values:
            sample, sampled = (values, True) if read.sampled else _subsample(values, total)
            intensities.add(sample, sampled=sampled)
    except Exception:  # any error of a format library means: this file cannot be read
        return {"readable": False}
    return {"readable": True, **read.columns, **intensities.columns()}


def unique_count(values: Iterator[np.ndarray]) -> int:
    """How many distinct values the arrays hold together (masks: the number of classes present)."""
    import numpy as np

    seen: np.ndarray | None = None
    for batch in values:
        distinct = np.unique(batch)
        seen = distinct if seen is None else np.union1d(seen, distinct)
    return 0 if seen is None else int(seen.size)
