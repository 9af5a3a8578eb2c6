"""The release policy, a declared schema: keys, value types, counts under k, case-id keys and size caps."""

import importlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from medperf.errors import PolicyViolation
from medperf.release_policy import check_metrics, check_statistics, looks_like_case_id
from medperf.schemas import ReleasePolicy
from medperf.site.payloads import DatasetPayload, ResultPayload
from medperf.site.release_policy import check_dataset_payload, check_result_payload
from medperf.site.statistics_summary import summarise

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer"
EXAMPLE_POLICY = ReleasePolicy.model_validate(
    yaml.safe_load((EXAMPLE / "benchmark" / "benchmark.yaml").read_text())["release_policy"]
)


def dataset(stats: dict[str, object]) -> DatasetPayload:
    return DatasetPayload(
        name="d",
        site="site-a",
        benchmark_id=1,
        data_preparation_container_id=1,
        raw_data_hash="a" * 64,
        prepared_data_hash="b" * 64,
        statistics=stats,
    )


def result(metrics: dict[str, object]) -> ResultPayload:
    return ResultPayload(benchmark_id=1, model_id=1, dataset_id=1, metrics=metrics)


OK_STATS = {"num_cases": 40, "label_counts": {"0": 20, "1": 20}, "sanity": {"expectations_failed": 0}}


DEFAULT_POLICY = ReleasePolicy()


def refused(stats: dict[str, Any], policy: ReleasePolicy = DEFAULT_POLICY) -> str:
    """The one-line message of the refusal of these statistics (fails the test when they pass)."""
    with pytest.raises(PolicyViolation) as err:
        check_statistics(stats, policy)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_default_policy_lets_platform_summary_leave() -> None:
    check_dataset_payload(dataset(OK_STATS), ReleasePolicy())


def test_unlisted_statistics_key_is_named() -> None:
    with pytest.raises(PolicyViolation, match=r"\['mean_age'\]"):
        check_dataset_payload(dataset({**OK_STATS, "mean_age": 51.2}), ReleasePolicy())


def test_small_label_cell_is_refused_with_k_without_showing_the_count() -> None:
    stats = {**OK_STATS, "label_counts": {"0": 38, "1": 2}}
    message = refused(stats)
    assert "'label_counts.1' is a cell counting fewer than k=5" in message
    assert " 2 " not in message


def test_lists_are_refused_unless_per_case_allowed() -> None:
    stats = {**OK_STATS, "ages": [50, 61]}
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "ages"])
    with pytest.raises(PolicyViolation, match="'ages' is a list"):
        check_dataset_payload(dataset(stats), policy)
    check_dataset_payload(dataset(stats), policy.model_copy(update={"allow_per_case": True}))


def test_metrics_on_too_few_cases_are_refused() -> None:
    with pytest.raises(PolicyViolation, match="fewer than k=5 cases"):
        check_result_payload(result({"auc": 0.9}), ReleasePolicy(), num_cases=3)


def test_metric_allow_list_and_scalars() -> None:
    policy = ReleasePolicy(allowed_metric_keys=["auc"])
    check_result_payload(result({"auc": 0.9}), policy, num_cases=50)
    with pytest.raises(PolicyViolation, match=r"\['f1'\]"):
        check_result_payload(result({"auc": 0.9, "f1": 0.8}), policy, num_cases=50)
    with pytest.raises(PolicyViolation, match="'auc' is not a single value"):
        check_result_payload(result({"auc": [0.9, 0.1]}), ReleasePolicy(), num_cases=50)


def test_a_list_naming_the_payloads_own_cells_is_structure_but_other_strings_are_not() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "suppressed"])
    stats = {**OK_STATS, "label_counts": {"0": 40, "1": None}, "suppressed": ["label_counts.1"]}
    check_dataset_payload(dataset(stats), policy)
    leaking = {**OK_STATS, "suppressed": ["label_counts.1", "A-0001"]}
    with pytest.raises(PolicyViolation, match="'suppressed.*string"):
        check_dataset_payload(dataset(leaking), policy)


# ---------------------------------------------------------------- finding 4: strings are not scalars
@pytest.mark.parametrize(
    "value",
    ["A-0001=0.93;A-0002=0.12", "0.93", "x" * (20 * 1024 * 1024)],
    ids=["per-case-string", "number-as-string", "20-MB-string"],
)
def test_a_string_metric_is_refused_naming_the_key(value: str) -> None:
    started = time.monotonic()
    with pytest.raises(PolicyViolation) as err:
        check_metrics({"auc": value}, ReleasePolicy(), num_cases=50)
    assert "metrics key 'auc'" in str(err.value)
    assert "A-0001" not in str(err.value), "a refusal never repeats the value"
    assert time.monotonic() - started < 1.0


def test_a_string_statistic_is_refused_unless_declared_as_an_enum() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "scanner"], enum_values={"scanner": ["GE", "Siemens"]})
    check_statistics({**OK_STATS, "scanner": "GE"}, policy)
    assert "'scanner' holds a string that is not one of its declared values" in refused(
        {**OK_STATS, "scanner": "case 12 was on GE"}, policy
    )
    undeclared = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "note"])
    assert "'note' holds a string" in refused({**OK_STATS, "note": "hello"}, undeclared)


def test_enum_patterns_match_nested_paths_and_metrics() -> None:
    policy = ReleasePolicy(enum_values={"*.grade": ["low", "high"]}, allow_per_case=True)
    check_metrics({"per_site": {"grade": "low"}}, policy)
    with pytest.raises(PolicyViolation, match="'per_site.grade'"):
        check_metrics({"per_site": {"grade": "A-0001"}}, policy)


@pytest.mark.parametrize(
    ("value", "problem"),
    [(float("nan"), "not a finite number"), (float("inf"), "not a finite number"), (2**70, "too large")],
    ids=["nan", "inf", "huge-int"],
)
def test_numbers_must_be_finite_and_bounded(value: float, problem: str) -> None:
    with pytest.raises(PolicyViolation, match=f"'auc' .*{problem}"):
        check_metrics({"auc": value}, ReleasePolicy())


def test_booleans_and_null_are_values() -> None:
    check_metrics({"converged": True, "auc": None}, ReleasePolicy())


def test_yaml_dates_and_bytes_are_refused() -> None:
    import datetime

    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "when"])
    assert "'when' holds a date" in refused({**OK_STATS, "when": datetime.date(2024, 1, 1)}, policy)
    assert "'when' holds a bytes" in refused({**OK_STATS, "when": b"\x00"}, policy)


# ---------------------------------------------------------------- finding 4: every count, whatever its type
@pytest.mark.parametrize(
    "cell",
    [3.0, "2", True, 2.5, -1, "many", float("nan")],
    ids=["float-3.0", "string-2", "bool-true", "fraction", "negative", "word", "nan"],
)
def test_every_count_is_checked_whatever_its_type(cell: object) -> None:
    message = refused({**OK_STATS, "label_counts": {"0": 38, "1": cell}})
    assert "'label_counts.1'" in message


def test_a_count_written_as_a_large_string_is_still_refused_as_a_string() -> None:
    assert "count written as a str" in refused({**OK_STATS, "label_counts": {"0": 38, "1": "7"}})


def test_a_small_cell_deep_under_a_count_key_is_refused() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "by_site"])
    stats = {**OK_STATS, "by_site": {"north": {"label_counts": {"0": 30, "1": 3}}}}
    assert "'by_site.north.label_counts.1' is a cell counting fewer than k=5" in refused(stats, policy)


def test_declared_count_keys_not_ending_in_counts_are_counts() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "histogram"], count_keys=["num_cases", "histogram"])
    stats = {**OK_STATS, "histogram": {"age_40_50": 12, "age_50_60": 1}}
    assert "'histogram.age_50_60' is a cell counting fewer than k=5" in refused(stats, policy)
    check_statistics({**OK_STATS, "histogram": {"age_40_50": 12, "age_50_60": 0}}, policy)


def test_num_cases_is_a_count_in_metrics_too() -> None:
    with pytest.raises(PolicyViolation, match="'num_cases' is a cell counting fewer than k=5"):
        check_metrics({"auc": 0.9, "num_cases": 3}, ReleasePolicy())


def test_suppressed_cells_are_null() -> None:
    check_statistics({**OK_STATS, "label_counts": {"0": 38, "1": None}}, ReleasePolicy())


# ---------------------------------------------------------------- finding 4: no key that looks like a case id
@pytest.mark.parametrize(
    "key",
    ["A-0001", "842302", "case_12", "patient-3", "sub01", "P001", "123e4567-e89b-12d3-a456-426614174000",
     "9f86d081884c7d659a2feaa0c55ad015"],
)
def test_case_id_like_keys_are_refused_and_masked(key: str) -> None:
    assert looks_like_case_id(key)
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "features"])
    message = refused({**OK_STATS, "features": {key: {"mean": 1.0}}}, policy)
    assert "'features.<key #1>' looks like a case id" in message
    assert key not in message, "a key that may be a case id is never repeated"


@pytest.mark.parametrize(
    "key", ["radius_mean", "fractal_dimension_worst", "concave_points_se", "0", "1", "benign", "sha256", "age_40_50",
            "auc_ci_low", "expectations_failed"],
)
def test_feature_and_class_names_are_not_case_ids(key: str) -> None:
    assert not looks_like_case_id(key)


def test_an_unlisted_case_id_key_is_masked_in_the_allow_list_message() -> None:
    message = refused({**OK_STATS, "A-0001": 0.93})
    assert "A-0001" not in message and "<case-id-like key>" in message


def test_the_site_refuses_keys_and_strings_holding_its_case_ids() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "features", "suppressed"])
    with pytest.raises(PolicyViolation, match="contains one of the dataset's case ids"):
        check_dataset_payload(dataset({**OK_STATS, "features": {"xmrnlondon": 1.0}}), policy, case_ids=["mrnlondon"])
    leaking = {**OK_STATS, "features": {"mrnlondon_size": 1.0}, "suppressed": ["features.mrnlondon_size"]}
    with pytest.raises(PolicyViolation, match="case ids"):
        check_dataset_payload(dataset(leaking), policy, case_ids=["mrnlondon"])
    check_dataset_payload(dataset(OK_STATS), policy, case_ids=["mrnlondon", "0", "1"])  # short ids: too common


# ---------------------------------------------------------------- finding 4/7: size caps, fast
def test_too_many_keys_are_refused_at_once() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "features"])
    started = time.monotonic()
    stats = {**OK_STATS, "features": {f"f{i}x": 1.0 for i in range(400_000)}}
    assert "'features' holds more than 256 keys" in refused(stats, policy)
    assert time.monotonic() - started < 2.0


def test_top_level_with_too_many_keys_is_refused() -> None:
    with pytest.raises(PolicyViolation, match="more than 256 keys"):
        check_metrics({f"m{i}x": 0.5 for i in range(300)}, ReleasePolicy())


def test_deep_nesting_is_refused() -> None:
    deep: dict[str, Any] = {"v": 1.0}
    for _ in range(300):
        deep = {"n": deep}
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "tree"])
    assert "nested deeper than 6 levels" in refused({**OK_STATS, "tree": deep}, policy)


def test_total_bytes_are_capped() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, *(f"group_{c}" for c in "abcdefghij")])
    stats: dict[str, Any] = dict(OK_STATS)
    for c in "abcdefghij":
        stats[f"group_{c}"] = {f"feature_{c}_{i}_x{'y' * 200}": 1.5 for i in range(40)}
    assert "bytes" in refused(stats, policy)


def test_long_strings_and_keys_are_refused() -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "features"])
    assert "longer than 256 characters" in refused({**OK_STATS, "features": {"k" * 300: 1.0}}, policy)


@pytest.mark.parametrize("text", ["\ud800", "a\x00b"], ids=["lone-surrogate", "nul"])
def test_invalid_text_is_refused(text: str) -> None:
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "features"], enum_values={"features.x": [text]})
    assert "not valid text" in refused({**OK_STATS, "features": {text: 1.0}}, policy)
    assert "invalid text" in refused({**OK_STATS, "features": {"x": text}}, policy)


def test_policy_fields_have_defaults_so_old_benchmarks_stay_valid() -> None:
    old = ReleasePolicy.model_validate(
        {"allowed_statistics_keys": ["num_cases"], "allowed_metric_keys": None, "min_cell_count": 5,
         "allow_per_case": False}
    )
    assert old.count_keys == ["num_cases", "*_counts"] and old.max_depth == 6 and old.max_payload_bytes == 65536


# ---------------------------------------------------------------- the breast-cancer example passes
@pytest.fixture
def example_module() -> Iterator[Any]:
    """Import a module of one of the example's containers with its folder on sys.path."""
    added: list[str] = []

    def load(container: str, module: str) -> Any:
        folder = str(EXAMPLE / "containers" / container)
        sys.path.insert(0, folder)
        added.append(folder)
        return importlib.import_module(module)

    yield load
    for folder in added:
        sys.path.remove(folder)


def test_the_breast_cancer_statistics_and_metrics_pass_the_example_policy(example_module: Any) -> None:
    stats_task = example_module("prep", "statistics_task")
    features = example_module("prep", "canonical_features").FEATURES
    rng = np.random.default_rng(0)
    values = [tuple(rng.normal(10, 2, len(features))) for _ in range(30)]
    labels = [0] * 25 + [1] * 5
    sanity = {"expectations_evaluated": 12, "expectations_failed": 0}
    table = pd.DataFrame({"case_id": [f"{842302 + i}" for i in range(30)], "label": labels})
    stats = summarise(table, sanity, stats_task.compute_statistics(values, labels, 5))
    check_statistics(stats, EXAMPLE_POLICY, case_ids=list(table["case_id"]))
    check_statistics(stats_task.compute_statistics(values[:3], [0, 0, 1], 5), EXAMPLE_POLICY)  # all suppressed
    small = summarise(table.head(3), sanity, stats_task.compute_statistics(values[:3], [0, 0, 1], 5))
    assert "is a cell counting fewer than k=5" in refused(small, EXAMPLE_POLICY)  # the platform's counts

    evaluate = example_module("evaluator", "evaluate")
    y = np.array(labels)
    metrics = evaluate.compute_results(y, np.clip(y * 0.7 + 0.1, 0, 1), {"bootstrap_resamples": 50})
    check_metrics(metrics, EXAMPLE_POLICY, num_cases=30)


def test_without_a_metric_list_of_its_own_the_policy_allows_exactly_the_declared_tasks_keys() -> None:
    """A benchmark registered through the API with a task and no allowed_metric_keys: the site still lets only
    the declared metrics, their CI ends and the count key leave."""
    from medperf.schemas.task import TaskDeclaration

    task = TaskDeclaration.model_validate({
        "kind": "regression", "primary_metric": "mae",
        "metrics": [{"name": "mae", "direction": "lower", "ci": ["mae_ci_low", "mae_ci_high"]}],
    })
    policy = ReleasePolicy(allowed_metric_keys=None)
    declared = {"mae": 40.1, "mae_ci_low": 38.0, "mae_ci_high": 42.5, "num_cases": 100}
    check_metrics(declared, policy, task=task)
    with pytest.raises(PolicyViolation, match=r"metrics \['median_error'\] may not leave the site"):
        check_metrics({**declared, "median_error": 35.0}, policy, task=task)
    check_metrics({**declared, "median_error": 35.0}, policy)  # no declaration, no list: scalars may leave
