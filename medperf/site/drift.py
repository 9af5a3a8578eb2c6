"""Drift of a site's data against the benchmark's reference: PSI and standardized mean difference per feature.

The reference (``reference_statistics``) is computed by the benchmark committee on its demo / public data
and stored in the task declaration: per feature of the per-case table, equal-frequency bin edges and
shares (numbers) or category shares (text), with mean and std. On the site, ``drift_summary`` places the
site's cases in the same bins and releases only one score per feature:

- psi: population stability index, sum over bins of (site - reference share) * ln(site / reference share);
- smd: (site mean - reference mean) / sqrt((site std^2 + reference std^2) / 2), numeric features only.

A feature is flagged when its score passes the usual threshold (PSI > 0.25, |SMD| > 0.5) AND lies beyond
what sampling noise of the two sample sizes explains (z = 3.5: a demo of 30 cases must not flag a site by
chance): PSI is then about (1/n_ref + 1/n_site) * chi-square(bins - 1), SMD about normal(0, 1/n_ref + 1/n_site).
Only these scores leave the site; the site's own bin counts, means and stds do not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from medperf.errors import ConfigError
from medperf.release_policy import DRIFT_KEY, looks_like_case_id
from medperf.schemas.task import LabelKind
from medperf.site.label_statistics import MAX_BINS, equal_frequency_groups

if TYPE_CHECKING:
    import pandas as pd

    from medperf.schemas.task import TaskDeclaration

PSI_THRESHOLD = 0.25
SMD_THRESHOLD = 0.5
NOISE_Z = 3.5
SHARE_FLOOR = 1e-4
CASES_PER_BIN = 10  # the reference gets one bin per 10 demo cases, from 2 up to MAX_BINS
MAX_CATEGORIES = 20
MAX_FEATURES = 128
DIGITS = 4
NUMERIC, CATEGORICAL = "numeric", "categorical"


# ------------------------------------------------------------------ the reference (benchmark committee)
def _numeric(series: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _finite(series: pd.Series) -> Any:
    """The finite numbers of a column as a float array (text that is not a number is left out)."""
    import numpy as np
    import pandas as pd

    values = np.asarray(pd.to_numeric(series, errors="coerce").dropna(), dtype=float)
    return values[np.isfinite(values)]


def _categories(series: pd.Series) -> list[str]:
    return [str(value) for value in series.dropna().tolist()]


def _numeric_reference(series: pd.Series) -> dict[str, Any] | None:
    import numpy as np

    values = np.sort(_finite(series))
    n = len(values)
    if n < 2:
        return None
    bins = max(2, min(MAX_BINS, n // CASES_PER_BIN))
    groups = equal_frequency_groups(values, max(1, n // bins), bins)
    return {
        "kind": NUMERIC,
        "num_values": n,
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)),
        "edges": [float((values[stop - 1] + values[stop]) / 2) for _, stop in groups[:-1]],
        "shares": [(stop - start) / n for start, stop in groups],
    }


def _categorical_reference(series: pd.Series) -> dict[str, Any] | None:
    values = _categories(series)
    distinct = sorted(set(values))
    if not 1 < len(distinct) <= MAX_CATEGORIES:
        return None
    return {
        "kind": CATEGORICAL,
        "num_values": len(values),
        "shares": {category: values.count(category) / len(values) for category in distinct},
    }


def reference_statistics(
    table: pd.DataFrame, task: TaskDeclaration | None = None, id_column: str | None = None
) -> dict[str, Any]:
    """The reference a benchmark stores in task.reference_statistics, from its demo / public per-case table.

    Every column but the case-id column (and columns named like case ids) is a feature: numbers get
    equal-frequency bins (about 10 demo cases each, 2 to 10 bins), text and booleans with at most 20
    values get category shares. Columns with at most one value, or free text, are left out, and so is
    the label column of a task whose label_kind is none.
    """
    features: dict[str, Any] = {}
    skip = {id_column, "case_id"}
    if task is not None and task.label_kind == LabelKind.NONE:
        skip.add(task.label_column)  # a label the benchmark keeps out of its statistics stays out of drift too
    for column in table.columns:
        name = str(column)
        if name in skip or looks_like_case_id(name) or len(features) >= MAX_FEATURES:
            continue
        series = table[column]
        entry = _numeric_reference(series) if _numeric(series) else _categorical_reference(series)
        if entry is not None:
            features[name] = entry
    return {"num_cases": int(len(table)), "features": features}


def reference_statistics_of(
    prepared: Path, labels: Path, metadata: Path | None, suite: Mapping[str, Any] | None, task: TaskDeclaration | None
) -> dict[str, Any]:
    """reference_statistics of a prepared demo dataset (its per-case table, as the sites will build theirs)."""
    from medperf.site.case_table import build_case_table, table_choice

    table = build_case_table(prepared, labels, metadata, table_choice(dict(suite) if suite else None))
    return reference_statistics(table.table, task, table.id_column)


# ------------------------------------------------------------------ the site
def chi_square_quantile(df: int, z: float) -> float:
    """The chi-square quantile at the normal quantile z (Wilson-Hilferty), for df >= 1."""
    term = 2.0 / (9.0 * df)
    return float(df * max(0.0, 1.0 - term + z * math.sqrt(term)) ** 3)


def population_stability_index(site: list[float], reference: list[float]) -> float:
    """sum (s - r) * ln(s / r) over bins, shares floored at SHARE_FLOOR (an empty bin is not infinite)."""
    total = 0.0
    for s, r in zip(site, reference, strict=True):
        s, r = max(s, SHARE_FLOOR), max(r, SHARE_FLOOR)
        total += (s - r) * math.log(s / r)
    return total


def _bad_reference(name: str) -> ConfigError:
    return ConfigError(
        f"benchmark task.reference_statistics: feature '{name}' is malformed; compute it again with "
        "reference_statistics() on the demo data"
    )


def _numeric_drift(series: pd.Series, ref: Mapping[str, Any], name: str) -> tuple[dict[str, Any], int] | None:
    import numpy as np

    values = _finite(series)
    try:
        edges = [float(edge) for edge in ref["edges"]]
        shares = [float(share) for share in ref["shares"]]
        ref_mean, ref_std, ref_n = float(ref["mean"]), float(ref["std"]), int(ref["num_values"])
    except (KeyError, TypeError, ValueError):
        raise _bad_reference(name) from None
    if len(shares) != len(edges) + 1:
        raise _bad_reference(name)
    if len(values) < 2:
        return None
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(shares))
    psi = population_stability_index((counts / len(values)).tolist(), shares)
    pooled = math.sqrt((float(values.std(ddof=1)) ** 2 + ref_std**2) / 2)
    smd = (float(values.mean()) - ref_mean) / pooled if pooled > 0 else None
    return _scored(psi, smd, len(shares), ref_n, len(values)), len(values)


def _categorical_drift(series: pd.Series, ref: Mapping[str, Any], name: str) -> tuple[dict[str, Any], int] | None:
    values = _categories(series)
    try:
        shares = {str(key): float(value) for key, value in ref["shares"].items()}
        ref_n = int(ref["num_values"])
    except (AttributeError, KeyError, TypeError, ValueError):
        raise _bad_reference(name) from None
    if not values:
        return None
    site = [sum(value == category for value in values) / len(values) for category in shares]
    other = 1.0 - sum(site)  # categories the reference never saw
    psi = population_stability_index([*site, other], [*shares.values(), 0.0])
    return _scored(psi, None, len(shares) + (1 if other > 0 else 0), ref_n, len(values)), len(values)


def _scored(psi: float, smd: float | None, bins: int, ref_n: int, site_n: int) -> dict[str, Any]:
    noise = 1.0 / max(ref_n, 1) + 1.0 / max(site_n, 1)
    psi_flag = psi > PSI_THRESHOLD and psi > noise * chi_square_quantile(max(bins - 1, 1), NOISE_Z)
    smd_flag = smd is not None and abs(smd) > SMD_THRESHOLD and abs(smd) > NOISE_Z * math.sqrt(noise)
    return {
        "psi": round(psi, DIGITS),
        "smd": None if smd is None else round(smd, DIGITS),
        "drifted": bool(psi_flag or smd_flag),
    }


def drift_summary(table: pd.DataFrame, reference: Mapping[str, Any], k: int) -> dict[str, Any]:
    """The site's drift scores against the reference: per feature psi / smd / drifted, and an overall flag.

    A feature scored on fewer than k of the site's cases is left out (its score would describe too few people).
    """
    features = reference.get("features") if isinstance(reference, Mapping) else None
    if not isinstance(features, Mapping):
        raise ConfigError("benchmark task.reference_statistics: has no 'features' mapping; compute it again")
    scores: dict[str, Any] = {}
    for name, ref in features.items():
        if name not in table.columns or not isinstance(ref, Mapping) or looks_like_case_id(str(name)):
            continue
        kind = ref.get("kind")
        scorer = _numeric_drift if kind == NUMERIC else _categorical_drift if kind == CATEGORICAL else None
        if scorer is None:
            raise _bad_reference(str(name))
        scored = scorer(cast("pd.Series", table[name]), ref, str(name))
        if scored is not None and scored[1] >= k:
            scores[str(name)] = scored[0]
    drifted = sorted(name for name, score in scores.items() if score["drifted"])
    return {"features": scores, "num_features": len(scores), "num_drifted": len(drifted), "drifted": bool(drifted)}


def drift_rows(statistics: Mapping[str, Any]) -> list[dict[str, str]]:
    """The drift of a statistics payload as table rows (feature, PSI, SMD, drifted) for the approval form;
    drifted features first, then by PSI. Empty when the payload has no drift."""
    drift = statistics.get(DRIFT_KEY)
    if not isinstance(drift, Mapping) or not isinstance(drift.get("features"), Mapping):
        return []
    items = sorted(drift["features"].items(), key=lambda item: (not item[1].get("drifted"), -(item[1].get("psi") or 0)))
    rows = [
        {
            "feature": name,
            "psi": f"{score.get('psi'):.3f}" if isinstance(score.get("psi"), float | int) else "n/a",
            "smd": f"{score.get('smd'):+.3f}" if isinstance(score.get("smd"), float | int) else "n/a",
            "drifted": "yes" if score.get("drifted") else "no",
        }
        for name, score in items
    ]
    overall = "yes" if drift.get("drifted") else "no"
    return [*rows, {"feature": f"overall ({drift.get('num_drifted', 0)} of {len(rows)} drifted)", "psi": "",
                    "smd": "", "drifted": overall}]  # fmt: skip
