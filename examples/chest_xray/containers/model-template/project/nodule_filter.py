"""Matched filtering for round nodules: remove the slowly varying anatomy, correlate with a Gaussian blob."""

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatImage = npt.NDArray[np.float64]


def box_mean(image: FloatImage, size: int) -> FloatImage:
    """Mean over a size x size window around each pixel (edges replicated)."""
    half = size // 2
    padded = np.pad(image, half, mode="edge")
    mean: FloatImage = sliding_window_view(padded, (size, size)).mean(axis=(-2, -1))
    return mean


def high_pass(image: FloatImage, size: int) -> FloatImage:
    """The image minus its local (box) mean: nodules, ribs and noise remain."""
    residual: FloatImage = image - box_mean(image, size)
    return residual


def blob_template(sigma: float) -> FloatImage:
    """A zero-mean, unit-norm Gaussian blob on a (2r+1)^2 window, r = ceil(2.5 sigma)."""
    radius = int(np.ceil(2.5 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    blob = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2.0 * sigma**2))
    blob -= blob.mean()
    template: FloatImage = blob / np.linalg.norm(blob)
    return template


def matched_response(image: FloatImage, template: FloatImage) -> FloatImage:
    """Correlation of the image with the template at every pixel (edges replicated)."""
    half = template.shape[0] // 2
    windows = sliding_window_view(np.pad(image, half, mode="edge"), template.shape)
    response: FloatImage = np.einsum("ijkl,kl->ij", windows, template)
    return response


def strongest_blob(
    image: FloatImage, mask: npt.NDArray[np.bool_], sigma: float, background: int
) -> tuple[float, int, int]:
    """(response, row, column) of the strongest blob inside the mask."""
    response = matched_response(high_pass(image, background), blob_template(sigma))
    masked = np.where(mask, response, -np.inf)
    row, col = np.unravel_index(int(np.argmax(masked)), masked.shape)
    return float(masked[row, col]), int(row), int(col)
