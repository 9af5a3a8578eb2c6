"""Statistics follow the declared label kind: class counts, k-safe bins, per-structure volumes; never per-value keys."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from medperf.errors import ConfigError, PolicyViolation
from medperf.release_policy import check_statistics
from medperf.schemas import ReleasePolicy
from medperf.schemas.task import LabelKind, MetricSpec, TaskDeclaration, TaskKind
from medperf.site.dataset_steps import PreparedDataset, statistics
from medperf.site.label_statistics import binned_summary, suppress_small
from medperf.site.mask_volumes import case_volumes, mask_summary
from medperf.site.statistics_summary import summarise

K = 5
POLICY = ReleasePolicy(min_cell_count=K)


def task(kind: LabelKind, label_column: str | None = "label") -> TaskDeclaration:
    return TaskDeclaration(
        kind=TaskKind.REGRESSION if kind is LabelKind.CONTINUOUS else TaskKind.BINARY,
        metrics=[MetricSpec(name="mae", direction="lower")],
        primary_metric="mae",
        label_column=label_column,
        label_kind=kind,
    )


def regression_table(n: int, seed: int = 0) -> pd.DataFrame:
    """A site of a regression benchmark: whole-number targets (like the diabetes progression score)."""
    rng = np.random.default_rng(seed)
    targets = rng.choice(np.arange(25, 347), size=n, replace=False)
    return pd.DataFrame({"case_id": [f"p{i}" for i in range(n)], "age": rng.integers(20, 80, n), "target": targets})


def all_keys(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(key) for key in value] + [key for inner in value.values() for key in all_keys(inner)]
    return []


def numbers_under(value: Any) -> list[float]:
    if isinstance(value, Mapping):
        return [number for inner in value.values() for number in numbers_under(inner)]
    return [float(value)] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_a_continuous_target_makes_no_per_value_cells_and_passes_the_policy() -> None:
    table = regression_table(18)  # 18 distinct whole-number targets: each would be a cell of one case
    declared = task(LabelKind.CONTINUOUS, "target")
    stats = summarise(table, {"expectations_failed": 0}, {}, "target", task=declared, k=K)
    assert "label_counts" not in stats
    summary = stats["label_summary"]
    targets = {str(int(value)) for value in table["target"]}
    assert not targets & set(all_keys(stats)), "a target value became a key"
    released = set(numbers_under(summary))
    assert float(table["target"].min()) not in released and float(table["target"].max()) not in released
    assert sum(summary["bin_counts"].values()) == 18 and all(count >= K for count in summary["bin_counts"].values())
    assert summary["mean"] == pytest.approx(table["target"].mean())
    assert summary["std"] == pytest.approx(table["target"].std(ddof=1))
    check_statistics(stats, POLICY, case_ids=table["case_id"].tolist(), task=declared)
    with pytest.raises(PolicyViolation, match="label_summary"):
        check_statistics(stats, POLICY)  # without the declaration the key is not allowed


def test_without_a_declaration_a_continuous_label_gets_nothing_and_a_categorical_one_its_counts() -> None:
    table = regression_table(30).assign(label=lambda frame: frame["target"] / 7)
    assert set(summarise(table, {}, {}, "label", k=K)) == {"num_cases", "sanity"}
    whole = regression_table(18)  # whole-number targets read as classes: one case per "class", no counts at all
    assert set(summarise(whole, {}, {}, "target", k=K)) == {"num_cases", "sanity"}
    binary = pd.DataFrame({"case_id": [f"c{i}" for i in range(12)], "label": [0] * 6 + [1] * 6})
    assert summarise(binary, {}, {}, "label", k=K)["label_counts"] == {"0": 6, "1": 6}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 5, 11])
def test_bins_each_hold_k_never_split_ties_and_no_edge_is_a_case_value(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.round(rng.gamma(2.0, 3.0, size=int(rng.integers(k, 400))), 0)  # many ties
    summary = binned_summary(values.tolist(), k)
    assert summary is not None
    counts = list(summary["bin_counts"].values())
    edges = list(summary["bin_edges"].values())
    assert sum(counts) == len(values) and min(counts) >= k and len(counts) <= 10
    assert edges == sorted(edges) and len(edges) == len(counts) - 1
    assert not set(edges) & set(values.tolist()), "an edge equals a case's value"
    placed = np.bincount(np.searchsorted(edges, values), minlength=len(counts))
    assert placed.tolist() == counts, "a tie was split over two bins"
    means = list(summary["bin_means"].values())
    for index, mean in enumerate(means):
        assert mean == pytest.approx(values[np.searchsorted(edges, values) == index].mean())


def test_fewer_than_k_values_release_no_summary_and_a_small_missing_cell_hides_the_bin_counts() -> None:
    assert binned_summary([1.0, 2.0, 3.0], 5) is None
    table = pd.DataFrame({"case_id": [f"c{i}" for i in range(23)], "y": [*np.linspace(0, 1, 20), None, None, None]})
    summary = summarise(table, {}, {}, "y", task=task(LabelKind.CONTINUOUS, "y"), k=K)["label_summary"]
    assert summary["case_counts"] == {"with_value": None, "missing": None}
    assert set(summary["bin_counts"].values()) == {None}
    assert summary["mean"] == pytest.approx(0.5)
    check_statistics({"num_cases": 23, "label_summary": summary}, POLICY, task=task(LabelKind.CONTINUOUS, "y"))


def test_categorical_counts_suppress_a_small_class_and_the_next_smallest_so_the_total_hides_it() -> None:
    assert suppress_small({"a": 30, "b": 7, "c": 2}, K) == {"a": 30, "b": None, "c": None}
    assert suppress_small({"a": 30, "b": 0, "c": 9}, K) == {"a": 30, "b": 0, "c": 9}
    assert suppress_small({"a": 3, "b": 4, "c": 9}, K) == {"a": None, "b": None, "c": 9}
    table = pd.DataFrame({"case_id": [f"c{i}" for i in range(40)], "label": [0] * 30 + [1] * 8 + [2] * 2})
    stats = summarise(table, {}, {}, "label", task=task(LabelKind.CATEGORICAL), k=K)
    assert stats["label_counts"] == {"0": 30, "1": None, "2": None}
    check_statistics(stats, POLICY, task=task(LabelKind.CATEGORICAL))


def test_a_declared_label_column_the_table_lacks_is_one_line_naming_the_field() -> None:
    table = regression_table(10)
    with pytest.raises(ConfigError, match=r"task.label_column: 'progression' is not a column") as err:
        summarise(table, {}, {}, None, task=task(LabelKind.CONTINUOUS, "progression"), k=K)
    assert "\n" not in str(err.value)


def write_masks(labels: Path, n: int, rare: int) -> list[dict[int, int]]:
    """n masks with structure 1 (a square of random size); structure 2 only in the first `rare` cases."""
    rng = np.random.default_rng(3)
    labels.mkdir(parents=True)
    truth = []
    for index in range(n):
        mask = np.zeros((32, 32), dtype=np.uint8)
        side = int(rng.integers(3, 12))
        mask[:side, :side] = 1
        if index < rare:
            mask[20:24, 20:22] = 2
        np.save(labels / f"case-{index}.npy", mask)
        truth.append({1: side * side, 2: 8 if index < rare else 0})
    return truth


def test_masks_get_per_structure_volumes_and_a_rare_structure_is_suppressed(tmp_path: Path) -> None:
    truth = write_masks(tmp_path / "labels", 12, rare=2)
    masks = case_volumes(tmp_path / "labels")
    volumes = masks.volumes
    assert masks.unreadable == 0 and len(volumes) == 12 and masks.unit == "voxels", "a .npy has no spacing"
    summary = mask_summary(volumes, K, masks.unit)
    one, two = summary["structures"]["1"], summary["structures"]["2"]
    assert one["case_counts"] == {"with_structure": 12, "without": 0}
    assert one["mean"] == pytest.approx(np.mean([case[1] for case in truth]))
    assert sum(one["bin_counts"].values()) == 12
    assert two == {"case_counts": {"with_structure": None, "without": None}}, "2 cases with structure 2: hidden"
    stats = {"num_cases": 12, "label_summary": summary}
    check_statistics(stats, POLICY, task=task(LabelKind.MASK))


class StatisticsRunner:
    """A preparation container whose statistics task writes nothing of its own."""

    def run(self, spec: Any, task: str, mounts: Mapping[str, Path], *, log_dir: Path, timeout_s: Any = None) -> Any:
        from medperf.containers.spec import TaskResult

        mounts["output_path"].write_text("{}\n")
        return TaskResult(task, 0, log_dir / f"{task}.log", "", 0.1, False)


def test_the_statistics_step_follows_the_declaration_on_the_manifest(tmp_path: Path) -> None:
    from medperf.containers.config import parse_container_config
    from medperf.containers.spec import ContainerSpec
    from medperf.site.container_steps import StepContext

    data, labels, metadata = tmp_path / "data", tmp_path / "labels", tmp_path / "metadata"
    for folder in (data, labels, metadata):
        folder.mkdir()
    targets = {f"secret-case-{i:02d}": float(100 + 7 * i) for i in range(15)}
    for case_id in targets:
        np.save(data / f"{case_id}.npy", np.zeros((4, 4), dtype=np.float32))
    (labels / "labels.json").write_text(json.dumps(targets))
    spec = ContainerSpec(name="prep", config=parse_container_config({"tasks": {"statistics": {}}}), image="x")
    ctx = StepContext(StatisticsRunner(), spec, tmp_path / "work", timeout_s=None)
    prepared = PreparedDataset(data, labels, metadata, prepared_hash="h")
    stats = statistics(ctx, prepared, {}, None, task(LabelKind.CONTINUOUS), K)
    assert "label_counts" not in stats and stats["label_summary"]["case_counts"] == {"with_value": 15, "missing": 0}
    assert len(stats["label_summary"]["bin_counts"]) == 3
    check_statistics(stats, POLICY, case_ids=list(targets), task=task(LabelKind.CONTINUOUS))
    assert "secret-case" not in json.dumps(stats)


def test_nifti_masks_are_summarised_in_cubic_millimetres_from_their_voxel_spacing(tmp_path: Path) -> None:
    """A NIfTI mask carries its voxel spacing (zooms): 2 x 2 x 3 mm voxels are 12 mm³ each."""
    import nibabel as nib

    labels = tmp_path / "labels"
    labels.mkdir()
    sides = [3, 4, 5, 6, 7, 8]
    for index, side in enumerate(sides):
        mask = np.zeros((16, 16, 4), dtype=np.uint8)
        mask[:side, :side, :2] = 1
        image = nib.Nifti1Image(mask, affine=np.diag([2.0, 2.0, 3.0, 1.0]))
        nib.save(image, labels / f"case-{index}.nii.gz")
    masks = case_volumes(labels)
    assert masks.unit == "mm3" and masks.unreadable == 0
    assert sorted(case[1] for case in masks.volumes) == [side * side * 2 * 12.0 for side in sides]
    summary = mask_summary(masks.volumes, K, masks.unit)
    assert summary["volumes_in_mm3"] is True
    assert summary["structures"]["1"]["mean"] == pytest.approx(np.mean([s * s * 2 * 12.0 for s in sides]))
    check_statistics({"num_cases": len(sides), "label_summary": summary}, POLICY, task=task(LabelKind.MASK))
