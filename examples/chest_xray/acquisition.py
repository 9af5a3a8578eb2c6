"""How a site's X-ray system turns the phantom into a stored PNG: matrix size, gain, offset, noise, bit depth."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from phantom import FloatImage
from PIL import Image


@dataclass(frozen=True)
class AcquisitionProfile:
    """One site's acquisition: stored value = round(clip(gain * attenuation + offset + noise) * (2**bits - 1))."""

    size: int
    bits: int
    gain: float
    offset: float
    noise: float


def acquire(image: FloatImage, profile: AcquisitionProfile, rng: np.random.Generator) -> npt.NDArray[np.uint16]:
    """Detector values (uint16 array; only the low `bits` bits used) of one attenuation image."""
    signal = profile.gain * image + profile.offset + rng.normal(0.0, profile.noise, size=image.shape)
    levels = 2**profile.bits - 1
    stored: npt.NDArray[np.uint16] = np.rint(np.clip(signal, 0.0, 1.0) * levels).astype(np.uint16)
    return stored


def write_png(path: Path, values: npt.NDArray[np.uint16], bits: int) -> None:
    """An 8-bit ("L") or 16-bit ("I;16") grayscale PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, not {bits}")
    picture = Image.fromarray(values.astype(np.uint8 if bits == 8 else np.uint16))  # mode L or I;16
    picture.save(path, format="PNG", optimize=True)


def read_png(path: Path) -> npt.NDArray[np.uint16]:
    """The stored values of a PNG written by write_png (for tests and train.py)."""
    with Image.open(path) as picture:
        array: npt.NDArray[np.uint16] = np.asarray(picture).astype(np.uint16)
    return array
