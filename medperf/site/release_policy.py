"""The release-policy check run on every outgoing payload before it is shown for approval.

A thin wrapper over medperf.release_policy (the same rules the server applies again); the site adds what
only it knows: the dataset's case ids, so that no key or string of the payload equals or contains one.
"""

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medperf.release_policy import check_metrics, check_statistics
from medperf.schemas import ReleasePolicy
from medperf.site.case_table import TableChoice, build_case_table, table_choice
from medperf.site.payloads import DatasetPayload, ResultPayload

if TYPE_CHECKING:
    from medperf.site.dataset_steps import PreparedDataset


def check_dataset_payload(
    payload: DatasetPayload, policy: ReleasePolicy, case_ids: Collection[str] = ()
) -> None:
    """Raise PolicyViolation when the statistics would release a key, a small cell or per-case values."""
    check_statistics(payload.statistics, policy, case_ids=case_ids)


def check_result_payload(
    payload: ResultPayload, policy: ReleasePolicy, num_cases: int, case_ids: Collection[str] = ()
) -> None:
    """Raise PolicyViolation for a metric not allowed, a non-scalar metric or too few cases."""
    check_metrics(payload.metrics, policy, num_cases=num_cases, case_ids=case_ids)


def case_ids_of(
    prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None = None, choice: TableChoice | None = None
) -> list[str]:
    """The case ids of a prepared dataset (its per-case table), for the site's stronger check; never uploaded."""
    table = build_case_table(prepared_dir, labels_dir, metadata_dir, choice, summaries=False)
    if table.id_column is None:
        return []
    return [str(case_id) for case_id in table.table[table.id_column].dropna()]


def site_case_ids(prepared: "PreparedDataset", suite: Mapping[str, Any] | None) -> list[str]:
    """case_ids_of a prepared dataset, its per-case table chosen as the benchmark's sanity suite says."""
    return case_ids_of(prepared.data, prepared.labels, prepared.metadata, table_choice(suite))
