"""The fixed, seeded, stratified split of the 569 WDBC cases into public, site-a/b/c and demo parts."""

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

SPLIT_SEED = 20260101
PUBLIC_SHARE = 0.40
DEMO_SIZE = 30
SITES = ("site-a", "site-b", "site-c")
CASE_PREFIX = {"public": "P", "site-a": "A", "site-b": "B", "site-c": "C", "demo": "D"}


@dataclass(frozen=True)
class Part:
    """One part of the split: sklearn row indices (in case-id order) and the case ids given to them."""

    name: str
    rows: np.ndarray
    case_ids: list[str]


def load_wdbc() -> tuple[np.ndarray, np.ndarray]:
    """Features (569 x 30, sklearn order) and labels with 1 = malignant (sklearn's target is 0 = malignant)."""
    data = load_breast_cancer()
    return np.asarray(data.data, dtype=float), (1 - np.asarray(data.target)).astype(np.int64)


def _part(name: str, rows: np.ndarray) -> Part:
    prefix = CASE_PREFIX[name]
    return Part(name, np.asarray(rows), [f"{prefix}-{i + 1:04d}" for i in range(len(rows))])


def make_split() -> dict[str, Part]:
    """public (40 %), site-a, site-b, site-c (20 % each) and demo (30 cases of public), all stratified."""
    _, y = load_wdbc()
    rows = np.arange(len(y))
    public, rest = train_test_split(rows, train_size=PUBLIC_SHARE, stratify=y, random_state=SPLIT_SEED)
    site_a, rest_bc = train_test_split(rest, train_size=1 / 3, stratify=y[rest], random_state=SPLIT_SEED)
    site_b, site_c = train_test_split(rest_bc, train_size=0.5, stratify=y[rest_bc], random_state=SPLIT_SEED)
    demo, _ = train_test_split(public, train_size=DEMO_SIZE, stratify=y[public], random_state=SPLIT_SEED)
    parts = {"public": public, "site-a": site_a, "site-b": site_b, "site-c": site_c, "demo": demo}
    return {name: _part(name, part_rows) for name, part_rows in parts.items()}
