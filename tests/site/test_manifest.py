"""The per-case manifest of a prepared folder: one row per case with sizes, types, shapes, spacing, intensities."""

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pydicom
import pytest
from nibabel.testing import data_path as nibabel_data
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut

from medperf.site import image_summaries
from medperf.site.manifest import build_manifest, count_cases

CT_SMALL = Path(str(get_testdata_file("CT_small.dcm")))
MR_SMALL = Path(str(get_testdata_file("MR_small.dcm")))


def row(folder: Path, case_id: str) -> dict:
    table = build_manifest(folder).table
    assert list(table["case_id"]).count(case_id) == 1
    return table.set_index("case_id").loc[case_id].to_dict()


def test_npy_and_png_cases_carry_shape_dtype_and_exact_intensities(tmp_path: Path) -> None:
    array = np.linspace(-3.5, 7.25, 24, dtype=np.float32).reshape(2, 3, 4)
    np.save(tmp_path / "vol-1.npy", array)
    pixels = (np.arange(40 * 30) % 200).astype(np.uint8).reshape(30, 40)
    Image.fromarray(pixels).save(tmp_path / "xray-1.png")
    rgb = np.zeros((5, 6, 3), dtype=np.uint8)
    rgb[..., 1] = 90
    Image.fromarray(rgb).save(tmp_path / "photo-1.jpeg", quality=100)

    vol = row(tmp_path, "vol-1")
    assert (vol["file_type"], vol["readable"], vol["n_files"]) == ("npy", True, 1)
    assert vol["size_bytes"] == (tmp_path / "vol-1.npy").stat().st_size
    assert (vol["ndim"], vol["shape_0"], vol["shape_1"], vol["shape_2"], vol["dtype"]) == (3, 2, 3, 4, "float32")
    assert vol["intensity_min"] == pytest.approx(-3.5)
    assert vol["intensity_max"] == pytest.approx(7.25)
    assert vol["intensity_mean"] == pytest.approx(float(array.mean()), rel=1e-6)
    assert vol["intensity_std"] == pytest.approx(float(array.std()), rel=1e-6)
    assert not vol["intensity_sampled"]

    png = row(tmp_path, "xray-1")
    assert (png["file_type"], png["width"], png["height"], png["mode"], png["channels"]) == ("png", 40, 30, "L", 1)
    assert (png["shape_0"], png["shape_1"], png["dtype"]) == (30, 40, "uint8")
    assert (png["intensity_min"], png["intensity_max"]) == (0.0, 199.0)
    assert png["intensity_mean"] == pytest.approx(float(pixels.mean()))

    jpeg = row(tmp_path, "photo-1")
    assert (jpeg["file_type"], jpeg["mode"], jpeg["channels"]) == ("jpeg", "RGB", 3)
    assert (jpeg["ndim"], jpeg["shape_0"], jpeg["shape_1"], jpeg["shape_2"]) == (3, 5, 6, 3)


def test_nifti_cases_from_nibabel_test_data_carry_spacing_and_scaled_intensities(tmp_path: Path) -> None:
    shutil.copy(Path(nibabel_data) / "example4d.nii.gz", tmp_path / "sub-01.nii.gz")
    shutil.copy(Path(nibabel_data) / "anatomical.nii", tmp_path / "sub-02.nii")
    for case_id, name in (("sub-01", "sub-01.nii.gz"), ("sub-02", "sub-02.nii")):
        image = nib.load(tmp_path / name)
        voxels = np.asanyarray(image.dataobj)
        got = row(tmp_path, case_id)
        assert got["file_type"] == "nifti" and got["readable"]
        assert [got[f"shape_{axis}"] for axis in range(got["ndim"])] == list(image.shape)
        assert [got[f"spacing_{axis}"] for axis in range(len(image.header.get_zooms()))] == pytest.approx(
            [float(zoom) for zoom in image.header.get_zooms()]
        )
        assert got["dtype"] == str(image.get_data_dtype())
        assert (got["intensity_min"], got["intensity_max"]) == (float(voxels.min()), float(voxels.max()))
        assert got["intensity_mean"] == pytest.approx(float(voxels.mean()))


def test_dicom_cases_from_pydicom_test_files_carry_rows_cols_spacing_modality_and_rescaled_values(
    tmp_path: Path,
) -> None:
    shutil.copy(CT_SMALL, tmp_path / "ct-1.dcm")
    shutil.copy(MR_SMALL, tmp_path / "1.2.840.99")  # no extension: recognised by its DICM preamble
    dataset = pydicom.dcmread(CT_SMALL)
    hounsfield = apply_modality_lut(dataset.pixel_array, dataset)

    ct = row(tmp_path, "ct-1")
    assert (ct["file_type"], ct["rows"], ct["cols"], ct["modality"]) == ("dicom", 128, 128, "CT")
    assert (ct["spacing_0"], ct["spacing_1"]) == pytest.approx([float(v) for v in dataset.PixelSpacing])
    assert (ct["intensity_min"], ct["intensity_max"]) == (float(hounsfield.min()), float(hounsfield.max()))
    assert ct["dtype"] == str(dataset.pixel_array.dtype)

    mr = row(tmp_path, "1.2.840.99")
    assert (mr["file_type"], mr["modality"], mr["rows"]) == ("dicom", "MR", 64)


def test_a_folder_per_case_is_summarised_and_hidden_files_and_case_table_are_not_cases(tmp_path: Path) -> None:
    series = tmp_path / "patient-7"
    series.mkdir()
    for index in range(3):
        shutil.copy(CT_SMALL, series / f"slice-{index}.dcm")
    (series / ".DS_Store").write_bytes(b"junk")
    mixed = tmp_path / "patient-8"
    (mixed / "sub").mkdir(parents=True)
    np.save(mixed / "sub" / "image.npy", np.ones((4, 5), dtype=np.int16))
    np.save(mixed / "small.npy", np.zeros(2, dtype=np.int16))
    (mixed / "notes.txt").write_text("free text")
    (tmp_path / "empty-case").mkdir()
    (tmp_path / ".hidden.npy").write_bytes(b"x")
    (tmp_path / "case_table.csv").write_text("case_id\npatient-7\n")

    table = build_manifest(tmp_path).table.set_index("case_id")
    assert sorted(table.index) == ["empty-case", "patient-7", "patient-8"]
    seven = table.loc["patient-7"]
    assert (seven["file_type"], seven["n_files"], seven["ndim"]) == ("dicom", 3, 3)
    assert (seven["shape_0"], seven["shape_1"], seven["shape_2"]) == (3, 128, 128)
    assert seven["size_bytes"] == 3 * CT_SMALL.stat().st_size
    assert seven["spacing_0"] == pytest.approx(float(pydicom.dcmread(CT_SMALL).SliceThickness))
    eight = table.loc["patient-8"]
    assert (eight["file_type"], eight["n_files"], eight["shape_0"], eight["shape_1"]) == ("mixed", 3, 4, 5)
    assert eight["intensity_min"] == 1.0  # the largest recognised file (sub/image.npy) is the one summarised
    assert (table.loc["empty-case", "file_type"], table.loc["empty-case", "n_files"]) == ("empty", 0)
    assert count_cases(tmp_path) == 3


def test_unreadable_files_are_rows_with_readable_false(tmp_path: Path) -> None:
    np.save(tmp_path / "good.npy", np.arange(6))
    (tmp_path / "garbage.npy").write_bytes(b"not an array")
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "cut.png").write_bytes((tmp_path / "good.npy").read_bytes()[:10])
    (tmp_path / "fake.dcm").write_text("no preamble")
    (tmp_path / "broken.nii.gz").write_bytes(b"\x1f\x8b truncated")
    (tmp_path / "notes.txt").write_text("plain text is not decoded")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.npy"
    np.save(outside, np.arange(3))
    (tmp_path / "linked.npy").symlink_to(outside)  # never followed out of the prepared folder

    table = build_manifest(tmp_path).table.set_index("case_id")
    assert sorted(table.index[~table["readable"]]) == ["broken", "cut", "fake", "garbage", "linked", "pickled"]
    assert table.loc["linked", "file_type"] == "symlink" and pd.isna(table.loc["linked", "shape_0"])
    assert table.loc["good", "readable"] and table.loc["good", "shape_0"] == 6
    assert table.loc["notes", "readable"] and table.loc["notes", "file_type"] == "txt"


def test_a_large_array_is_summarised_on_a_memory_mapped_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.arange(10_000, dtype=np.float64)
    np.save(tmp_path / "big.npy", values)
    monkeypatch.setattr(image_summaries, "MAX_EXACT_VALUES", 1_000)
    monkeypatch.setattr(image_summaries, "MMAP_MIN_BYTES", 0)
    got = row(tmp_path, "big")
    assert got["intensity_sampled"] and got["shape_0"] == 10_000
    assert 0.0 <= got["intensity_min"] < 20 and 9_980 < got["intensity_max"] <= 9_999
    assert got["intensity_mean"] == pytest.approx(values.mean(), rel=0.01)


def test_large_nifti_and_png_are_summarised_on_strided_samples_with_their_full_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(Path(nibabel_data) / "example4d.nii.gz", tmp_path / "vol.nii.gz")  # 128 x 96 x 24 x 2
    pixels = np.arange(300 * 400, dtype=np.uint32).reshape(300, 400) % 65_000
    Image.fromarray(pixels.astype(np.uint16)).save(tmp_path / "big.png")
    monkeypatch.setattr(image_summaries, "MAX_EXACT_VALUES", 100_000)
    table = build_manifest(tmp_path).table.set_index("case_id")
    vol = table.loc["vol"]
    sample = np.asanyarray(nib.load(tmp_path / "vol.nii.gz").dataobj)[:, :, ::3, ::2]  # the slowest axes
    assert vol["intensity_sampled"] and (vol["shape_2"], vol["shape_3"]) == (24, 2)
    assert (vol["intensity_min"], vol["intensity_max"]) == (float(sample.min()), float(sample.max()))
    big = table.loc["big"]
    assert big["intensity_sampled"] and (big["width"], big["height"], big["shape_0"]) == (400, 300, 300)
    assert big["intensity_max"] <= 64_999 and big["dtype"] == "uint16"


def test_nonfinite_values_are_counted_not_hidden(tmp_path: Path) -> None:
    np.save(tmp_path / "c1.npy", np.array([1.0, np.nan, 3.0, np.inf]))
    got = row(tmp_path, "c1")
    assert (got["intensity_nonfinite"], got["intensity_min"], got["intensity_max"]) == (2, 1.0, 3.0)


def test_an_empty_prepared_folder_is_an_empty_manifest(tmp_path: Path) -> None:
    manifest = build_manifest(tmp_path)
    assert len(manifest.table) == 0 and list(manifest.table.columns) == ["case_id"]


def _suffix_by_pathlib(name: str) -> str:
    """The compound suffix as defined: from Path(name).suffixes, an extension has a letter and no space."""
    suffixes = Path(name).suffixes

    def extension(suffix: str) -> bool:
        return any(char.isalpha() for char in suffix) and " " not in suffix

    if not suffixes or not extension(suffixes[-1]):
        return ""
    if len(suffixes) >= 2 and suffixes[-1].lower() in (".gz", ".bz2", ".xz", ".zst") and extension(suffixes[-2]):
        return "".join(suffixes[-2:])
    return suffixes[-1]


def test_the_compound_suffix_is_what_pathlib_says() -> None:
    names = ["", ".", "..", "...", "a", "a.", "a..", ".a", "..a", ".a.b", "a.b.c", "c1.nii.gz", "x/y.z", "x/",
             "/", "x/.", "./a.b", "a/..", "a.b/", "1.2.840.5", " a.b ", "a. b", "a.b.", ".hidden.tar.gz",
             "a..gz", "a.1.gz", "a.GZ", "b.tar.GZ", "c.x y.gz", "d.nii.", "e.gz.gz", "..f.nii.gz",
             "g.2.nii"]  # fmt: skip
    for name in names:
        assert image_summaries.compound_suffix(name) == _suffix_by_pathlib(name), name
    assert image_summaries.case_id_of("c1.nii.gz") == "c1" and image_summaries.case_id_of("1.2.840.5") == "1.2.840.5"
