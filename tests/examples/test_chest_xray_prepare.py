"""prepare, run directly: one float32 .npy per case, labels in the preparator's own layout, metadata, report."""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from chest_xray_harness import SITES, PreparedSite, acquisition, generator, prepare_mounts, prepared_example, run_direct
from PIL import Image


@pytest.fixture(scope="module")
def sites() -> dict[str, PreparedSite]:
    return prepared_example()


def raw_labels(site: str) -> dict[str, int]:
    """case id -> 0/1 read straight from the site's CSV with the generator's own conventions."""
    spec = generator.SITES[site]
    with (generator.HERE / "data" / site / "labels" / spec.labels_file).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row[spec.image_column].removesuffix(".png"): spec.codes.index(row[spec.label_column]) for row in rows}


@pytest.mark.parametrize("site", SITES)
def test_every_case_becomes_a_normalised_float32_array(site: str, sites: dict[str, PreparedSite]) -> None:
    prepared = sites[site]
    files = sorted(prepared.data.iterdir())
    assert [p.suffix for p in files] == [".npy"] * generator.SITES[site].cases
    for path in files:
        array = np.load(path)
        assert array.dtype == np.float32 and array.shape == (64, 64)
        assert float(array.min()) == 0.0 and float(array.max()) == 1.0


@pytest.mark.parametrize("site", SITES)
def test_labels_are_written_in_the_preparators_own_layout(site: str, sites: dict[str, PreparedSite]) -> None:
    prepared = sites[site]
    assert [p.name for p in prepared.labels.iterdir()] == ["labels.yaml"]
    assert yaml.safe_load((prepared.labels / "labels.yaml").read_text()) == raw_labels(site)
    assert {p.stem for p in prepared.data.iterdir()} == set(raw_labels(site))


@pytest.mark.parametrize(("site", "size", "bits"), [("site-a", 64, 8), ("site-b", 64, 16), ("site-c", 96, 8)])
def test_metadata_and_report_describe_each_source_image(
    site: str, size: int, bits: int, sites: dict[str, PreparedSite]
) -> None:
    prepared = sites[site]
    with (prepared.metadata / "cases.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["case_id"] for row in rows] == sorted(raw_labels(site))
    assert {(row["source_height"], row["source_width"], row["bits"]) for row in rows} == {
        (str(size), str(size), str(bits))
    }
    report = yaml.safe_load(prepared.report.read_text())
    assert set(report) == set(raw_labels(site))
    assert {entry["status"] for entry in report.values()} == {"prepared"}


def expected_array(png: Path, factor_up: int, block: int, levels: float) -> np.ndarray:
    """Area resampling computed another way: replicate each pixel factor_up x factor_up, average block x block
    blocks; then the 1st/99th percentiles mapped to 0/1 and clipped."""
    pixels = acquisition.read_png(png).astype(np.float64) / levels
    up = np.repeat(np.repeat(pixels, factor_up, axis=0), factor_up, axis=1)
    n = up.shape[0] // block
    small = up.reshape(n, block, n, block).mean(axis=(1, 3))
    low, high = np.percentile(small, [1.0, 99.0])
    return np.clip((small - low) / (high - low), 0.0, 1.0)


@pytest.mark.parametrize(("site", "factor_up", "block", "levels"), [("site-c", 2, 3, 255.0), ("site-b", 1, 1, 65535.0)])
def test_arrays_equal_an_independent_resampling_and_normalisation(
    site: str, factor_up: int, block: int, levels: float, sites: dict[str, PreparedSite]
) -> None:
    prepared = sites[site]
    for case in sorted(raw_labels(site))[:10]:
        expected = expected_array(prepared.raw_data / f"{case}.png", factor_up, block, levels)
        assert np.allclose(np.load(prepared.data / f"{case}.npy"), expected, atol=1e-6), case


def copy_raw(site: str, tmp_path: Path) -> tuple[Path, Path]:
    data, labels = tmp_path / "raw" / "images", tmp_path / "raw" / "labels"
    shutil.copytree(generator.HERE / "data" / site / "images", data)
    shutil.copytree(generator.HERE / "data" / site / "labels", labels)
    return data, labels


def edit_csv(path: Path, row: int, column: int, value: str) -> None:
    rows = list(csv.reader(path.open(newline="")))
    rows[row][column] = value
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def unknown_code(data: Path, labels: Path) -> None:
    edit_csv(labels / "findings.csv", 5, 1, "maybe")


def renamed_column(data: Path, labels: Path) -> None:
    edit_csv(labels / "findings.csv", 0, 1, "diagnosis")


def missing_image(data: Path, labels: Path) -> None:
    (data / "CXR-B-0007.png").unlink()


def unlabelled_image(data: Path, labels: Path) -> None:
    shutil.copy(data / "CXR-B-0001.png", data / "CXR-B-0999.png")


def stray_file(data: Path, labels: Path) -> None:
    (data / "notes.txt").write_text("hello")


def colour_png(data: Path, labels: Path) -> None:
    Image.new("RGB", (64, 64), (10, 20, 30)).save(data / "CXR-B-0003.png")


def broken_png(data: Path, labels: Path) -> None:
    (data / "CXR-B-0004.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")


def uniform_png(data: Path, labels: Path) -> None:
    Image.fromarray(np.full((64, 64), 30000, dtype=np.uint16)).save(data / "CXR-B-0005.png")


BAD_INPUTS = {
    "unknown label code": (unknown_code, "labels_path/findings.csv: row 6, column 'nodule_present': 'maybe'"),
    "renamed label column": (renamed_column, "labels_path/findings.csv: row 1: needs exactly one label column"),
    "image missing": (missing_image, "labels_path/findings.csv: case 'CXR-B-0007' has no image"),
    "image without label": (unlabelled_image, "data_path/CXR-B-0999.png: has no label"),
    "stray file": (stray_file, "data_path/notes.txt: is not a .png file"),
    "colour png": (colour_png, "data_path/CXR-B-0003.png: is not a grayscale PNG (mode RGB)"),
    "broken png": (broken_png, "data_path/CXR-B-0004.png: cannot be decoded"),
    "uniform png": (uniform_png, "data_path/CXR-B-0005.png: the image is uniform"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_raw_data_fails_with_one_line_and_writes_nothing(name: str, tmp_path: Path) -> None:
    corrupt, message = BAD_INPUTS[name]
    data, labels = copy_raw("site-b", tmp_path)
    corrupt(data, labels)
    mounts = prepare_mounts(data, labels, tmp_path / "out")
    done = run_direct("prep", "prepare", mounts)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ERROR: {message}"), done.stderr
    assert not (tmp_path / "out").exists()


def test_image_size_comes_from_parameters_yaml(tmp_path: Path) -> None:
    parameters = yaml.safe_load((generator.HERE / "containers" / "prep" / "workspace" / "parameters.yaml").read_text())
    parameters["image_size"] = 32
    (tmp_path / "parameters.yaml").write_text(yaml.safe_dump(parameters))
    data, labels = generator.HERE / "data" / "demo" / "images", generator.HERE / "data" / "demo" / "labels"
    mounts = {**prepare_mounts(data, labels, tmp_path / "out"), "parameters_file": tmp_path / "parameters.yaml"}
    done = run_direct("prep", "prepare", mounts)
    assert done.returncode == 0, done.stderr
    assert {np.load(p).shape for p in (tmp_path / "out" / "data").iterdir()} == {(32, 32)}
