"""The release policy stops payloads with unlisted keys, small cells or per-case values."""

import pytest

from medperf.errors import PolicyViolation
from medperf.schemas import ReleasePolicy
from medperf.site.payloads import DatasetPayload, ResultPayload
from medperf.site.release_policy import check_dataset_payload, check_result_payload


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


def test_default_policy_lets_platform_summary_leave() -> None:
    check_dataset_payload(dataset(OK_STATS), ReleasePolicy())


def test_unlisted_statistics_key_is_named() -> None:
    with pytest.raises(PolicyViolation, match=r"\['mean_age'\]"):
        check_dataset_payload(dataset({**OK_STATS, "mean_age": 51.2}), ReleasePolicy())


def test_small_label_cell_is_refused_with_k() -> None:
    stats = {**OK_STATS, "label_counts": {"0": 38, "1": 2}}
    with pytest.raises(PolicyViolation, match=r"label_counts.1' counts 2 < k=5"):
        check_dataset_payload(dataset(stats), ReleasePolicy())


def test_lists_are_refused_unless_per_case_allowed() -> None:
    stats = {**OK_STATS, "ages": [50, 61]}
    policy = ReleasePolicy(allowed_statistics_keys=[*OK_STATS, "ages"])
    with pytest.raises(PolicyViolation, match="'ages' is a list"):
        check_dataset_payload(dataset(stats), policy)
    check_dataset_payload(dataset(stats), policy.model_copy(update={"allow_per_case": True}))


def test_metrics_on_too_few_cases_are_refused() -> None:
    with pytest.raises(PolicyViolation, match="3 cases < k=5"):
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
    with pytest.raises(PolicyViolation, match="'suppressed' is a list"):
        check_dataset_payload(dataset(leaking), policy)
