"""Drift against the benchmark's reference: a site shifted on purpose is flagged, a random split is not."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_breast_cancer
from support.example_containers import EXAMPLES, example_container, sandbox_runner

from medperf.errors import ConfigError
from medperf.release_policy import check_statistics
from medperf.schemas import ReleasePolicy
from medperf.schemas.task import MetricSpec, TaskDeclaration, TaskKind
from medperf.site.drift import (
    chi_square_quantile,
    drift_rows,
    drift_summary,
    population_stability_index,
    reference_statistics,
    reference_statistics_of,
)
from medperf.site.statistics_summary import summarise

K = 5
DEMO_CASES = 30  # the breast-cancer example's demo dataset holds 30 cases


def breast_cancer() -> pd.DataFrame:
    """scikit-learn's copy of the Wisconsin breast-cancer data (569 real cases, 30 features), with case ids."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns={"target": "label"})
    frame.columns = [str(name).replace(" ", "_") for name in frame.columns]
    return frame.assign(case_id=[f"wdbc-{i}" for i in range(len(frame))])


FRAME = breast_cancer()
FEATURES = [name for name in FRAME.columns if name not in ("case_id", "label")]


def split(seed: int, site_cases: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(FRAME))
    return FRAME.iloc[order[:DEMO_CASES]], FRAME.iloc[order[DEMO_CASES : DEMO_CASES + site_cases]]


def task_with(reference: dict[str, object]) -> TaskDeclaration:
    return TaskDeclaration(
        kind=TaskKind.BINARY,
        metrics=[MetricSpec(name="auc", direction="higher")],
        primary_metric="auc",
        reference_statistics=reference,
    )


@pytest.mark.parametrize("seed", range(20))
def test_an_unshifted_random_split_is_not_flagged(seed: int) -> None:
    demo, site = split(seed)
    drift = drift_summary(site, reference_statistics(demo, id_column="case_id"), K)
    assert drift["num_features"] == 31 and "case_id" not in drift["features"]
    assert drift["drifted"] is False, [name for name, score in drift["features"].items() if score["drifted"]]


def test_features_times_one_and_a_half_are_flagged() -> None:
    demo, site = split(0)
    shifted = site.assign(**{name: site[name] * 1.5 for name in FEATURES})
    drift = drift_summary(shifted, reference_statistics(demo, id_column="case_id"), K)
    assert drift["drifted"] is True and drift["num_drifted"] >= 10
    assert drift["features"]["mean_radius"]["drifted"] and drift["features"]["mean_radius"]["smd"] > 1
    assert drift["features"]["label"]["drifted"] is False, "the labels were not shifted"


def test_one_feature_moved_by_two_standard_deviations_is_the_one_flagged() -> None:
    demo, site = split(1)
    moved = site.assign(mean_texture=site["mean_texture"] + 2 * FRAME["mean_texture"].std())
    drift = drift_summary(moved, reference_statistics(demo, id_column="case_id"), K)
    flagged = [name for name, score in drift["features"].items() if score["drifted"]]
    assert flagged == ["mean_texture"]
    assert drift["features"]["mean_texture"]["psi"] > 0.25 and drift["features"]["mean_texture"]["smd"] > 1.5


def test_a_shifted_category_mix_is_flagged_and_unseen_categories_count() -> None:
    reference = reference_statistics(pd.DataFrame({"vendor": ["ge", "siemens"] * 50}))
    assert reference["features"]["vendor"]["shares"] == {"ge": 0.5, "siemens": 0.5}
    same = drift_summary(pd.DataFrame({"vendor": ["ge", "siemens"] * 40}), reference, K)
    other = drift_summary(pd.DataFrame({"vendor": ["philips"] * 60 + ["ge"] * 20}), reference, K)
    assert same["drifted"] is False and other["drifted"] is True


def test_scores_match_their_formulas() -> None:
    assert population_stability_index([0.5, 0.5], [0.5, 0.5]) == 0
    expected = (0.7 - 0.5) * np.log(0.7 / 0.5) + (0.3 - 0.5) * np.log(0.3 / 0.5)
    assert population_stability_index([0.7, 0.3], [0.5, 0.5]) == pytest.approx(expected)
    assert chi_square_quantile(9, 1.6449) == pytest.approx(16.919, rel=0.01)  # chi2.ppf(0.95, 9)
    demo, site = split(2)
    drift = drift_summary(site, reference_statistics(demo, id_column="case_id"), K)
    ref, here = demo["mean_area"], site["mean_area"]
    smd = (here.mean() - ref.mean()) / np.sqrt((here.std() ** 2 + ref.std() ** 2) / 2)
    assert drift["features"]["mean_area"]["smd"] == pytest.approx(smd, abs=1e-4)


def test_drift_goes_into_the_statistics_the_policy_accepts_and_the_form_rows(tmp_path: Path) -> None:
    demo, site = split(3)
    task = task_with(reference_statistics(demo, id_column="case_id"))
    moved = site.assign(mean_texture=site["mean_texture"] + 2 * FRAME["mean_texture"].std())
    stats = summarise(moved, {}, {}, "label", task=task, k=K)
    assert stats["drift"]["drifted"] is True
    check_statistics(stats, ReleasePolicy(min_cell_count=K), case_ids=moved["case_id"].tolist(), task=task)
    assert "wdbc-" not in json.dumps(stats)
    rows = drift_rows(stats)
    assert rows[0]["feature"] == "mean_texture" and rows[0]["drifted"] == "yes"
    assert rows[-1] == {"feature": "overall (1 of 31 drifted)", "psi": "", "smd": "", "drifted": "yes"}
    assert drift_rows({"num_cases": 10}) == []


def test_the_reference_of_a_prepared_demo_folder_and_a_malformed_reference(tmp_path: Path) -> None:
    data, labels = tmp_path / "data", tmp_path / "labels"
    data.mkdir()
    labels.mkdir()
    demo, _ = split(4)
    demo[["case_id", *FEATURES]].to_csv(data / "cases.csv", index=False)
    demo[["case_id", "label"]].to_csv(labels / "labels.csv", index=False)
    reference = reference_statistics_of(data, labels, None, None, None)
    assert reference["num_cases"] == DEMO_CASES and len(reference["features"]) == 31
    unlabelled = task_with({}).model_copy(update={"label_kind": "none"})
    assert "label" not in reference_statistics(demo, unlabelled, "case_id")["features"]
    json.dumps(reference)  # stored in the registry with the task: plain JSON
    broken = {"features": {"mean_radius": {"kind": "numeric", "edges": [1.0], "shares": [1.0]}}}
    with pytest.raises(ConfigError, match="task.reference_statistics: feature 'mean_radius'"):
        drift_summary(FRAME, broken, K)


def test_the_breast_cancer_prepare_steps_score_site_a_against_the_demo_and_flag_it_once_rescaled(
    tmp_path: Path,
) -> None:
    from medperf.site.container_steps import StepContext
    from medperf.site.dataset_steps import PreparedDataset, prepare, statistics

    example = EXAMPLES / "breast_cancer"
    spec = example_container("breast_cancer", "prep", image="medperf/breast-cancer-prep:test")
    runner = sandbox_runner(tmp_path)
    suite = json.loads((example / "benchmark" / "sanity_suite.json").read_text())

    def prepared(name: str) -> PreparedDataset:
        raw = example / "data" / name
        return prepare(StepContext(runner, spec, tmp_path / name, timeout_s=300), raw / "data", raw / "labels")

    demo = prepared("demo")
    task = task_with(reference_statistics_of(demo.data, demo.labels, demo.metadata, suite, None))
    site = prepared("site-a")
    stats = statistics(StepContext(runner, spec, tmp_path / "stats", timeout_s=300), site, {}, suite, task, K)
    assert stats["drift"]["num_features"] >= 30 and stats["drift"]["drifted"] is False
    policy = ReleasePolicy.model_validate(
        yaml.safe_load((example / "benchmark" / "benchmark.yaml").read_text())["release_policy"]
    )
    check_statistics(stats, policy, task=task)

    cases = site.data / "cases.csv"
    table = pd.read_csv(cases, dtype={"case_id": str})
    features = [name for name in table.columns if name != "case_id"]
    table[features] = table[features] * 1.5  # a site whose measurements come out 1.5 times larger
    table.to_csv(cases, index=False)
    rescaled = statistics(StepContext(runner, spec, tmp_path / "stats2", timeout_s=300), site, {}, suite, task, K)
    assert rescaled["drift"]["drifted"] is True and rescaled["drift"]["num_drifted"] >= 10
