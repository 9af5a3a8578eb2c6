"""Radial intensity features around the brightest candidate spot in the lungs (pure numpy)."""

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatImage = npt.NDArray[np.float64]
FEATURE_NAMES = ("ring_0", "ring_1", "ring_2", "ring_3", "ring_4", "lung_residual_std")
RING_EDGES = (0.0, 1.0, 2.0, 3.0, 4.5, 6.5)  # pixel distances from the candidate centre


def local_mean(image: FloatImage, size: int) -> FloatImage:
    """Mean over a size x size window around each pixel (edges replicated)."""
    half = size // 2
    mean: FloatImage = sliding_window_view(np.pad(image, half, mode="edge"), (size, size)).mean(axis=(-2, -1))
    return mean


def candidate(residual: FloatImage, mask: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """(row, column) of the brightest 3x3-smoothed residual inside the mask."""
    smoothed = np.where(mask, local_mean(residual, 3), -np.inf)
    row, col = np.unravel_index(int(np.argmax(smoothed)), smoothed.shape)
    return int(row), int(col)


def radial_profile(residual: FloatImage, row: int, col: int) -> list[float]:
    """Mean residual in each ring [RING_EDGES[i], RING_EDGES[i+1]) around (row, col)."""
    rows, cols = np.indices(residual.shape)
    distance = np.hypot(rows - row, cols - col)
    profile = []
    for low, high in zip(RING_EDGES[:-1], RING_EDGES[1:], strict=True):
        ring = (distance >= low) & (distance < high)
        profile.append(float(residual[ring].mean()))
    return profile


def features(image: FloatImage, mask: npt.NDArray[np.bool_], background: int) -> npt.NDArray[np.float64]:
    """FEATURE_NAMES of one prepared image."""
    residual = image - local_mean(image, background)
    row, col = candidate(residual, mask)
    values = [*radial_profile(residual, row, col), float(residual[mask].std())]
    return np.asarray(values, dtype=np.float64)
