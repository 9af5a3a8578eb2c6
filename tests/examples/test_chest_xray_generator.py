"""generate.py is deterministic, reproduces the committed data and gives each site its own acquisition."""

import csv
from pathlib import Path

import numpy as np
import pytest
from chest_xray_harness import DATA, SITES, acquisition, generator, phantom

SITE_SPECS = generator.SITES
read_png, case_labels = acquisition.read_png, generator.case_labels
generate, generate_site = generator.generate, generator.generate_site
draw_anatomy, render = phantom.draw_anatomy, phantom.render


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_regenerating_gives_the_committed_files(tmp_path: Path) -> None:
    generate(tmp_path)
    assert listing(tmp_path) == listing(DATA)
    for name in listing(DATA):
        fresh, committed = tmp_path / name, DATA / name
        if name.endswith(".png"):
            # Pixel values, not PNG bytes: zlib builds may compress the same pixels differently.
            assert np.array_equal(read_png(fresh), read_png(committed)), name
        else:
            assert fresh.read_bytes() == committed.read_bytes(), name


def test_the_same_site_twice_is_byte_identical(tmp_path: Path) -> None:
    spec = SITE_SPECS["demo"]
    first, second = generate_site(spec, tmp_path / "one"), generate_site(spec, tmp_path / "two")
    assert listing(first) == listing(second)
    for name in listing(first):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_committed_pngs_stay_small() -> None:
    total = sum(p.stat().st_size for p in DATA.rglob("*.png"))
    assert total < 2_000_000, f"{total} bytes of committed PNGs"


@pytest.mark.parametrize("site", SITES)
def test_labels_csv_uses_the_sites_own_columns_and_codes(site: str) -> None:
    spec = SITE_SPECS[site]
    with (DATA / site / "labels" / spec.labels_file).open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [spec.image_column, spec.label_column]
    assert len(rows) - 1 == spec.cases == len(list((DATA / site / "images").glob("*.png")))
    codes = [row[1] for row in rows[1:]]
    assert set(codes) == set(spec.codes)
    assert codes.count(spec.codes[1]) == spec.positives == sum(case_labels(spec))
    assert spec.positives >= 5 and spec.cases - spec.positives >= 5  # every label count is k-safe (k = 5)


def stored(site: str) -> np.ndarray:
    return np.stack([read_png(p).astype(np.float64) for p in sorted((DATA / site / "images").glob("*.png"))])


def test_sites_differ_in_matrix_size_bit_depth_brightness_and_noise() -> None:
    a, b, c = stored("site-a"), stored("site-b"), stored("site-c")
    assert a.shape[1:] == b.shape[1:] == (64, 64)
    assert c.shape[1:] == (96, 96)
    assert a.max() <= 255 and c.max() <= 255 and b.max() > 255  # site-b stores 16-bit PNGs
    a01, b01 = a / 255.0, b / 65535.0
    assert b01.mean() > a01.mean() + 0.05  # brighter
    # Noise: the pixel-to-pixel differences (anatomy is smooth at this scale) are larger at site-b.
    assert np.diff(b01, axis=2).std() > 1.3 * np.diff(a01, axis=2).std()


def test_a_nodule_adds_a_round_bright_spot_inside_the_lungs() -> None:
    anatomy = draw_anatomy(np.random.default_rng(7), has_nodule=True)
    assert anatomy.nodule is not None
    without = type(anatomy)(**{**anatomy.__dict__, "nodule": None})
    difference = render(64, anatomy) - render(64, without)
    row, col = np.unravel_index(int(np.argmax(difference)), difference.shape)
    centre = ((anatomy.nodule.y + 1) / 2 * 64 - 0.5, (anatomy.nodule.x + 1) / 2 * 64 - 0.5)
    assert abs(row - centre[0]) <= 1 and abs(col - centre[1]) <= 1
    assert difference.max() == pytest.approx(anatomy.nodule.contrast, rel=0.1)
    assert difference.min() >= 0.0
