"""Raw PNGs (data_path): decode 8- or 16-bit grayscale, resample to the benchmark size, normalise intensities."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError
from prep_errors import PrepError

FloatImage = npt.NDArray[np.float64]
MAX_LEVEL = {"L": 255.0, "I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I": 65535.0}


@dataclass(frozen=True)
class DecodedImage:
    """One PNG's pixels scaled to [0, 1] by its bit depth, with what the metadata records about it."""

    pixels: FloatImage
    mode: str
    bits: int


def decode_png(path: Path) -> DecodedImage:
    """Pixels of a grayscale PNG as float64 in [0, 1]; anything else fails naming the file."""
    try:
        with Image.open(path) as picture:
            if picture.format != "PNG":
                raise PrepError(f"data_path/{path.name}: is a {picture.format} file, not a PNG")
            mode = picture.mode
            if mode not in MAX_LEVEL:
                raise PrepError(f"data_path/{path.name}: is not a grayscale PNG (mode {mode}); export it as grayscale")
            values = np.asarray(picture, dtype=np.float64)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PrepError(f"data_path/{path.name}: cannot be decoded as a PNG image; re-export it") from None
    if values.ndim != 2 or min(values.shape) < 8:
        raise PrepError(f"data_path/{path.name}: is {values.shape}, expected a 2-D image of at least 8x8 pixels")
    level = MAX_LEVEL[mode]
    return DecodedImage(pixels=values / level, mode=mode, bits=8 if level == 255.0 else 16)


def area_weights(n_in: int, n_out: int) -> FloatImage:
    """(n_out, n_in) matrix of box (area) resampling: each output pixel averages the input it covers."""
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in), dtype=np.float64)
    for i in range(n_out):
        low, high = i * scale, (i + 1) * scale
        for j in range(int(np.floor(low)), min(int(np.ceil(high)), n_in)):
            weights[i, j] = min(high, j + 1.0) - max(low, float(j))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights


def resample(pixels: FloatImage, size: int) -> FloatImage:
    """Area resampling to size x size (rows and columns separately; a no-op at the same size)."""
    rows, cols = pixels.shape
    if (rows, cols) == (size, size):
        return pixels
    resampled: FloatImage = area_weights(rows, size) @ pixels @ area_weights(cols, size).T
    return resampled


def normalise(pixels: FloatImage, percentiles: tuple[float, float], name: str) -> npt.NDArray[np.float32]:
    """Map the image's low/high percentiles to 0/1, clip to [0, 1], as float32."""
    low, high = np.percentile(pixels, percentiles)
    if high - low < 1e-6:
        raise PrepError(f"data_path/{name}: the image is uniform (no contrast); check the export")
    scaled = np.clip((pixels - low) / (high - low), 0.0, 1.0)
    return scaled.astype(np.float32)
