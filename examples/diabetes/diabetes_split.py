"""The diabetes data (scikit-learn, 442 real cases) and its deterministic split: public, three sites, demo."""

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_diabetes

SEED = 20260102
FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
SIZES = {"public": 142, "site-a": 100, "site-b": 100, "site-c": 100}
PREFIX = {"public": "P", "site-a": "A", "site-b": "B", "site-c": "C", "demo": "D"}
DEMO_CASES = 30


@dataclass(frozen=True)
class Part:
    """Rows of the data in one part, with their pseudonymous case ids."""

    rows: np.ndarray
    case_ids: list[str]


def load_data() -> tuple[np.ndarray, np.ndarray]:
    """The unscaled features (age in years, sex 1/2, bmi, bp, six serum measurements) and the target."""
    data = load_diabetes(scaled=False)
    return np.asarray(data.data, dtype=float), np.asarray(data.target, dtype=float)


def make_split() -> dict[str, Part]:
    """A seeded permutation cut into public (142) and site-a/b/c (100 each); the demo is 30 public cases."""
    order = np.random.default_rng(SEED).permutation(442)
    parts: dict[str, Part] = {}
    start = 0
    for name, size in SIZES.items():
        rows = order[start:start + size]
        start += size
        parts[name] = Part(rows, [f"{PREFIX[name]}-{i:04d}" for i in range(1, size + 1)])
    demo_rows = parts["public"].rows[:DEMO_CASES]
    parts["demo"] = Part(demo_rows, [f"{PREFIX['demo']}-{i:04d}" for i in range(1, DEMO_CASES + 1)])
    return parts
