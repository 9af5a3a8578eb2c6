"""The release-policy check run on every outgoing payload before it is shown for approval.

A thin wrapper over medperf.release_policy (the same rules the server applies again); the site adds what
only it knows: the dataset's case ids, so that no key or string of the payload equals or contains one.
"""

from collections.abc import Collection
from pathlib import Path

from medperf.release_policy import check_metrics, check_statistics
from medperf.schemas import ReleasePolicy
from medperf.schemas.task import TaskDeclaration
from medperf.site.case_table import PerCaseTable, TableChoice, build_case_table
from medperf.site.payloads import DatasetPayload, ResultPayload


def check_dataset_payload(
    payload: DatasetPayload,
    policy: ReleasePolicy,
    case_ids: Collection[str] = (),
    task: TaskDeclaration | None = None,
) -> None:
    """Raise PolicyViolation when the statistics would release a key, a small cell or per-case values."""
    check_statistics(payload.statistics, policy, case_ids=case_ids, task=task)


def check_result_payload(
    payload: ResultPayload,
    policy: ReleasePolicy,
    num_cases: int,
    case_ids: Collection[str] = (),
    task: TaskDeclaration | None = None,
) -> None:
    """Raise PolicyViolation for a metric not allowed, a non-scalar metric or too few cases."""
    check_metrics(payload.metrics, policy, num_cases=num_cases, case_ids=case_ids, task=task)


def case_ids_in(table: PerCaseTable) -> list[str]:
    """The case ids of a per-case table, for the site's stronger check; never uploaded."""
    if table.id_column is None:
        return []
    return [str(case_id) for case_id in table.table[table.id_column].dropna()]


def case_ids_of(
    prepared_dir: Path, labels_dir: Path, metadata_dir: Path | None = None, choice: TableChoice | None = None
) -> list[str]:
    """The case ids of a prepared dataset (its per-case table, built without decoding any image)."""
    return case_ids_in(build_case_table(prepared_dir, labels_dir, metadata_dir, choice, summaries=False))
