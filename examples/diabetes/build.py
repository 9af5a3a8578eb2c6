"""Regenerate the diabetes benchmark's data and sanity suite: `python build.py [--out DIR]` (deterministic)."""

import argparse
import csv
import json
from pathlib import Path

import numpy as np
from diabetes_split import FEATURES, load_data, make_split

HERE = Path(__file__).resolve().parent


def _number(value: float) -> str:
    """Whole numbers without a fraction (age 59, sex 2, target 151), others exactly (repr)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_cases(folder: Path, ids: list[str], x: np.ndarray) -> None:
    """data/cases.csv: case_id and the ten features in scikit-learn's units and order."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "cases.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", *FEATURES])
        writer.writerows([case_id, *(_number(v) for v in row)] for case_id, row in zip(ids, x, strict=True))


def write_labels(folder: Path, ids: list[str], y: np.ndarray) -> None:
    """labels/labels.csv: case_id,target (disease progression one year after baseline)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", "target"])
        writer.writerows([case_id, _number(value)] for case_id, value in zip(ids, y, strict=True))


def build_suite(x: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """GX 1.x suite on the per-case table (prepared cases.csv joined with labels.csv)."""
    columns = ["case_id", *FEATURES, "age_band", "target"]
    expectations: list[dict[str, object]] = [
        {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": columns, "exact_match": True}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 20, "max_value": None}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "case_id"}},
        *({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c}} for c in columns),
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "sex", "value_set": [1, 2]}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "age_band", "value_set": ["under-45", "45-59", "60-plus"]}},
    ]
    for index, name in enumerate(FEATURES):
        if name == "sex":
            continue
        low, high = float(x[:, index].min()) / 2, float(x[:, index].max()) * 2
        expectations.append({"type": "expect_column_values_to_be_between",
                             "kwargs": {"column": name, "min_value": round(low, 3), "max_value": round(high, 3)}})
    target_range = {"min_value": float(y.min()) / 2, "max_value": float(y.max()) * 2}
    expectations.append({"type": "expect_column_values_to_be_between", "kwargs": {"column": "target", **target_range}})
    return {
        "name": "diabetes_sanity",
        "meta": {"generated_by": "examples/diabetes/build.py",
                 "ranges": "each feature and the target in [min/2, 2*max] over all 442 cases"},
        "notes": "Validated on the per-case table: prepared cases.csv joined with labels.csv on case_id.",
        "expectations": [{**e, "meta": {}} for e in expectations],
    }


def build(out: Path) -> None:
    """Write data/{public,site-a,site-b,site-c,demo} and benchmark/sanity_suite.json under `out`."""
    x, y = load_data()
    for name, part in make_split().items():
        write_cases(out / "data" / name / "data", part.case_ids, x[part.rows])
        write_labels(out / "data" / name / "labels", part.case_ids, y[part.rows])
    suite = out / "benchmark" / "sanity_suite.json"
    suite.parent.mkdir(parents=True, exist_ok=True)
    suite.write_text(json.dumps(build_suite(x, y), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE)
    build(parser.parse_args().out)
