"""The prepared layout this benchmark's preparator, models and evaluator agree on.

output_path/<case_id>.npy         one float32 image_size x image_size array per case, values in [0, 1]
output_labels_path/labels.yaml    case_id -> 0 (normal) / 1 (nodule)
metadata_path/cases.csv           per case: source file, mode, bit depth, source height and width
"""

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from prep_errors import PrepError

LABELS_FILE = "labels.yaml"
METADATA_FILE = "cases.csv"
METADATA_COLUMNS = ("case_id", "source_file", "mode", "bits", "source_height", "source_width")


def case_ids(data_path: Path) -> list[str]:
    """The prepared cases (the .npy files), sorted; any other file fails."""
    if not data_path.is_dir():
        raise PrepError("data_path: is not a folder; give the prepared data folder")
    others = sorted(p.name for p in data_path.iterdir() if p.suffix != ".npy" or not p.is_file())
    if others:
        raise PrepError(f"data_path: {others[0]!r} is not a prepared case (<case_id>.npy); remove it")
    return sorted(p.stem for p in data_path.glob("*.npy"))


def load_case(data_path: Path, case_id: str) -> npt.NDArray[np.float32]:
    """One prepared array (no pickles)."""
    try:
        array: npt.NDArray[np.float32] = np.load(data_path / f"{case_id}.npy", allow_pickle=False)
    except (OSError, ValueError):
        raise PrepError(f"data_path/{case_id}.npy: is not a readable .npy array; prepare the data again") from None
    return array


def write_labels(labels_path: Path, labels: Mapping[str, int]) -> None:
    """labels.yaml, cases sorted."""
    labels_path.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({case: int(labels[case]) for case in sorted(labels)}, sort_keys=True)
    (labels_path / LABELS_FILE).write_text(text, encoding="utf-8")


def read_labels(labels_path: Path) -> dict[str, int]:
    """case id -> 0/1 from labels.yaml; anything else fails naming the case."""
    path = labels_path / LABELS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise PrepError(f"labels_path/{LABELS_FILE}: not found; prepare the data again") from None
    except yaml.YAMLError:
        raise PrepError(f"labels_path/{LABELS_FILE}: is not valid YAML") from None
    if not isinstance(raw, dict):
        raise PrepError(f"labels_path/{LABELS_FILE}: must map case ids to 0 or 1")
    labels: dict[str, int] = {}
    for case, value in raw.items():
        if value not in (0, 1) or isinstance(value, bool):
            raise PrepError(f"labels_path/{LABELS_FILE}: case {case!r}: label {value!r} is not 0 or 1")
        labels[str(case)] = int(value)
    return labels


def write_metadata(metadata_path: Path, rows: list[dict[str, object]]) -> None:
    """cases.csv: one row per case (stays on the site)."""
    metadata_path.mkdir(parents=True, exist_ok=True)
    with (metadata_path / METADATA_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=METADATA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda row: str(row["case_id"])))


def has_metadata(metadata_path: Path | None) -> bool:
    """Whether a metadata folder was given and holds cases.csv (the metadata is optional)."""
    return metadata_path is not None and (metadata_path / METADATA_FILE).is_file()


def read_metadata(metadata_path: Path) -> list[dict[str, str]]:
    """The rows of cases.csv; a wrong header fails."""
    path = metadata_path / METADATA_FILE
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != METADATA_COLUMNS:
                raise PrepError(f"metadata_path/{METADATA_FILE}: header must be {','.join(METADATA_COLUMNS)}")
            return list(reader)
    except OSError:
        raise PrepError(f"metadata_path/{METADATA_FILE}: not found; prepare the data again") from None
