"""A synthetic chest-radiograph phantom: lung fields, heart, spine, ribs, parenchyma texture and an optional nodule.

Everything is drawn on normalised coordinates (x = column, y = row, both in [-1, 1]) so the same case
renders at any matrix size. Values are "attenuation" in [0, 1] (bright = dense, as on a radiograph)
before a site's acquisition (gain, offset, noise, bit depth) is applied by `acquisition.py`.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatImage = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Nodule:
    """A round solid lesion: centre (normalised x, y), radius (normalised) and added attenuation."""

    x: float
    y: float
    radius: float
    contrast: float


@dataclass(frozen=True)
class Anatomy:
    """Per-case anatomy drawn from the case's random generator."""

    scale: float
    shift_x: float
    shift_y: float
    rib_phase: float
    heart_size: float
    texture_seed: int
    nodule: Nodule | None


def _grid(size: int) -> tuple[FloatImage, FloatImage]:
    centres = (np.arange(size, dtype=np.float64) + 0.5) / size * 2.0 - 1.0
    y, x = np.meshgrid(centres, centres, indexing="ij")
    return x, y


def _soft_ellipse(x: FloatImage, y: FloatImage, cx: float, cy: float, ax: float, ay: float, edge: float) -> FloatImage:
    """1 inside the ellipse, 0 outside, with a logistic edge `edge` wide (normalised radius units)."""
    radius = np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2)
    weight: FloatImage = 1.0 / (1.0 + np.exp(-(1.0 - radius) / edge))
    return weight


def lung_centres(anatomy: Anatomy) -> tuple[tuple[float, float, float, float], ...]:
    """(cx, cy, ax, ay) of the right (image left) and left lung fields."""
    s = anatomy.scale
    cy = -0.06 * s + anatomy.shift_y
    return (
        (-0.40 * s + anatomy.shift_x, cy, 0.28 * s, 0.60 * s),
        (0.40 * s + anatomy.shift_x, cy, 0.26 * s, 0.58 * s),
    )


def lung_field(x: FloatImage, y: FloatImage, anatomy: Anatomy) -> FloatImage:
    """Soft mask of both lung fields (1 = aerated lung)."""
    right, left = (_soft_ellipse(x, y, *lung, edge=0.05) for lung in lung_centres(anatomy))
    field: FloatImage = np.maximum(right, left)
    return field


def _smooth_noise(size: int, seed: int, sigma_norm: float) -> FloatImage:
    """Unit-variance Gaussian noise low-passed with a Gaussian of `sigma_norm` (normalised units)."""
    white = np.random.default_rng(seed).standard_normal((size, size))
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    sigma_px = sigma_norm * size / 2.0
    kernel = np.exp(-2.0 * (np.pi * sigma_px) ** 2 * (fx**2 + fy**2))
    smooth: FloatImage = np.fft.irfft2(np.fft.rfft2(white) * kernel, s=(size, size))
    return smooth / max(float(smooth.std()), 1e-12)


def _ribs(x: FloatImage, y: FloatImage, anatomy: Anatomy) -> FloatImage:
    """Posterior ribs: bright bands that curve down towards the sides of the chest."""
    bands = np.zeros_like(x)
    for k in range(10):
        centre = -0.78 + 0.165 * k + anatomy.rib_phase + anatomy.shift_y
        curve = centre + 0.30 * (np.abs(x - anatomy.shift_x) - 0.15) ** 2
        bands += np.exp(-(((y - curve) / 0.035) ** 2))
    return bands


def render(size: int, anatomy: Anatomy) -> FloatImage:
    """The noiseless attenuation image (size x size, values about 0-1) of one case."""
    x, y = _grid(size)
    body = _soft_ellipse(x, y, anatomy.shift_x, 0.10 + anatomy.shift_y, 1.0, 1.2, edge=0.04)
    lungs = lung_field(x, y, anatomy)
    heart = _soft_ellipse(
        x, y, 0.14 + anatomy.shift_x, 0.30 + anatomy.shift_y, 0.30 * anatomy.heart_size, 0.26, edge=0.06
    )
    spine = np.exp(-(((x - anatomy.shift_x) / 0.09) ** 2)) * body
    image = 0.08 + 0.50 * body - 0.34 * lungs + 0.22 * heart * lungs + 0.10 * spine
    image = image + 0.07 * _ribs(x, y, anatomy) * body
    image = image + 0.025 * _smooth_noise(size, anatomy.texture_seed, 0.05) * lungs
    nodule = anatomy.nodule
    if nodule is not None:
        distance = np.sqrt((x - nodule.x) ** 2 + (y - nodule.y) ** 2)
        disc = 1.0 / (1.0 + np.exp(-(nodule.radius - distance) / (0.2 * nodule.radius)))
        image = image + nodule.contrast * disc
    result: FloatImage = image
    return result


def _nodule_site(rng: np.random.Generator, anatomy: Anatomy) -> tuple[float, float]:
    """A centre well inside one lung field (rejection sampling on the ellipse of that lung)."""
    cx, cy, ax, ay = lung_centres(anatomy)[int(rng.integers(0, 2))]
    while True:
        u, v = rng.uniform(-1.0, 1.0, size=2)
        if u * u + v * v <= 0.55:
            return cx + float(u) * ax, cy + float(v) * ay


def draw_anatomy(rng: np.random.Generator, has_nodule: bool) -> Anatomy:
    """Random anatomy of one case; a nodule (radius 0.045-0.08, contrast 0.12-0.25) when has_nodule."""
    base = Anatomy(
        scale=float(rng.uniform(0.92, 1.06)),
        shift_x=float(rng.uniform(-0.04, 0.04)),
        shift_y=float(rng.uniform(-0.04, 0.04)),
        rib_phase=float(rng.uniform(0.0, 0.165)),
        heart_size=float(rng.uniform(0.85, 1.15)),
        texture_seed=int(rng.integers(0, 2**31)),
        nodule=None,
    )
    if not has_nodule:
        return base
    x, y = _nodule_site(rng, base)
    nodule = Nodule(x=x, y=y, radius=float(rng.uniform(0.045, 0.08)), contrast=float(rng.uniform(0.12, 0.25)))
    return Anatomy(**{**base.__dict__, "nodule": nodule})
