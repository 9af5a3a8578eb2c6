"""prepare task: site PNGs + labels CSV -> one float32 .npy per case, labels.yaml, per-case metadata and report.

`python3 /project/prepare.py --data_path RAW --labels_path RAW_LABELS --parameters_file P.yaml
 --output_path DATA --output_labels_path LABELS [--metadata_path META] [--report_file REPORT.yaml]`
Everything is read and checked first; nothing is written unless every case prepares.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from parameters import PrepParameters, load_parameters
from prep_errors import PrepError, run_cli
from prepared_layout import write_labels, write_metadata
from raw_images import decode_png, normalise, resample
from raw_labels import find_labels_csv, read_labels


def raw_images(data_path: Path) -> dict[str, Path]:
    """case id -> PNG file in data_path (hidden files ignored; any other file fails)."""
    if not data_path.is_dir():
        raise PrepError("data_path: is not a folder; give the folder of PNG images")
    images: dict[str, Path] = {}
    for path in sorted(data_path.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_file() or path.suffix.lower() != ".png":
            raise PrepError(f"data_path/{path.name}: is not a .png file; remove it or convert it to PNG")
        images[path.stem] = path
    if not images:
        raise PrepError("data_path: contains no .png images")
    return images


def match_cases(images: dict[str, Path], labels: dict[str, int], labels_name: str) -> list[str]:
    """The case ids, when every image has a label and every label an image."""
    unlabelled = sorted(set(images) - set(labels))
    if unlabelled:
        raise PrepError(f"data_path/{images[unlabelled[0]].name}: has no label in labels_path/{labels_name}")
    missing = sorted(set(labels) - set(images))
    if missing:
        raise PrepError(f"labels_path/{labels_name}: case {missing[0]!r} has no image {missing[0]}.png in data_path")
    return sorted(images)


def prepare(args: argparse.Namespace) -> str:
    """Run the prepare task; returns the summary line."""
    parameters: PrepParameters = load_parameters(args.parameters_file)
    labels_name = find_labels_csv(args.labels_path).name
    labels = read_labels(args.labels_path, parameters.labels)
    images = raw_images(args.data_path)
    cases = match_cases(images, labels, labels_name)
    arrays: dict[str, npt.NDArray[np.float32]] = {}
    metadata: list[dict[str, object]] = []
    for case in cases:
        decoded = decode_png(images[case])
        resized = resample(decoded.pixels, parameters.image_size)
        arrays[case] = normalise(resized, parameters.percentiles, images[case].name)
        height, width = decoded.pixels.shape
        metadata.append(
            {"case_id": case, "source_file": images[case].name, "mode": decoded.mode, "bits": decoded.bits,
             "source_height": height, "source_width": width}
        )  # fmt: skip
    args.output_path.mkdir(parents=True, exist_ok=True)
    for case, array in arrays.items():
        np.save(args.output_path / f"{case}.npy", array, allow_pickle=False)
    write_labels(args.output_labels_path, {case: labels[case] for case in cases})
    if args.metadata_path is not None:
        write_metadata(args.metadata_path, metadata)
    if args.report_file is not None:
        report = {case: {"status": "prepared", "source_file": images[case].name} for case in cases}
        args.report_file.parent.mkdir(parents=True, exist_ok=True)
        args.report_file.write_text(yaml.safe_dump(report, sort_keys=True), encoding="utf-8")
    return f"prepared {len(cases)} cases at {parameters.image_size}x{parameters.image_size}"


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the task; a user error prints one line and exits 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_path", type=Path, required=True)
    parser.add_argument("--labels_path", type=Path, required=True)
    parser.add_argument("--parameters_file", type=Path, required=True)
    parser.add_argument("--output_path", type=Path, required=True)
    parser.add_argument("--output_labels_path", type=Path, required=True)
    parser.add_argument("--metadata_path", type=Path)
    parser.add_argument("--report_file", type=Path)
    args = parser.parse_args(argv)
    return run_cli(lambda: prepare(args))


if __name__ == "__main__":
    sys.exit(main())
