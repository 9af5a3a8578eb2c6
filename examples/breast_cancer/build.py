"""Regenerate the breast-cancer benchmark's data and sanity suite: `python build.py [--out DIR]`.

Deterministic: the same scikit-learn data and seed give byte-identical files.
"""

import argparse
import csv
import json
from pathlib import Path

import numpy as np
from raw_writers import load_format_dictionary, write_csv_site, write_json_site, write_labels, write_xlsx_site
from sklearn.datasets import load_breast_cancer
from suite_builder import build_suite
from wdbc_split import load_wdbc, make_split

HERE = Path(__file__).resolve().parent
FORMATS_FILE = HERE / "containers" / "prep" / "additional_files" / "raw_formats.json"
SITE_LABEL_CODES = {"site-a": ("benign", "malignant"), "site-b": ("B", "M"), "site-c": ("Benign", "Malignant")}


def canonical_features() -> list[str]:
    """The 30 canonical names, in sklearn's order: 'mean radius' -> radius_mean, 'radius error' -> radius_se."""
    names = []
    for name in load_breast_cancer().feature_names:
        text = str(name)
        if text.startswith("mean "):
            prop, stat = text[5:], "mean"
        elif text.startswith("worst "):
            prop, stat = text[6:], "worst"
        else:
            prop, stat = text[: -len(" error")], "se"
        names.append(f"{prop.replace(' ', '_')}_{stat}")
    return names


def write_public(path: Path, features: list[str], ids: list[str], x: np.ndarray, y: np.ndarray) -> None:
    """The public training part in the standard format plus a label column (1 = malignant)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", *features, "label"])
        for case_id, row, label in zip(ids, x, y, strict=True):
            writer.writerow([case_id, *(repr(float(v)) for v in row), int(label)])


def build(out: Path) -> None:
    """Write data/{public,site-a,site-b,site-c,demo} and benchmark/sanity_suite.json under `out`."""
    x, y = load_wdbc()
    features = canonical_features()
    dictionary = load_format_dictionary(FORMATS_FILE)
    parts = make_split()
    public = parts["public"]
    write_public(out / "data" / "public" / "train.csv", features, public.case_ids, x[public.rows], y[public.rows])
    writers = {"site-a": write_csv_site, "site-b": write_json_site, "site-c": write_xlsx_site, "demo": write_csv_site}
    for name, writer in writers.items():
        part = parts[name]
        writer(out / "data" / name / "data", dictionary, features, part.case_ids, x[part.rows])
        codes = SITE_LABEL_CODES.get(name, SITE_LABEL_CODES["site-a"])
        write_labels(out / "data" / name / "labels", part.case_ids, y[part.rows], codes)
    suite = build_suite(x, features)
    (out / "benchmark").mkdir(parents=True, exist_ok=True)
    (out / "benchmark" / "sanity_suite.json").write_text(json.dumps(suite, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    """Command line: rebuild into this folder (default) or another one."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write data/ and benchmark/ into")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
