"""The prepare_dataset steps as plain functions: prepare, sanity checks, statistics."""

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.errors import SanityCheckFailed
from medperf.hashing import FolderHash, hash_folder, list_path, sha256_path, stamp_digest
from medperf.schemas.task import TaskDeclaration
from medperf.site import container_steps
from medperf.site.case_table import PerCaseTable, build_case_table, count_cases, listed_case_ids, table_choice
from medperf.site.container_steps import StepContext
from medperf.site.file_index_file import save_file_index, write_private_text
from medperf.site.gx_validation import validate_case_table
from medperf.site.payloads import payload_sha256
from medperf.site.release_policy import case_ids_in
from medperf.site.statistics_summary import read_container_statistics, summarise

PREPARED_FILES = "prepared.files.idx"  # next to a prepare step's folders: the records of its hash (site only)
LEGACY_PREPARED_FILES = "prepared.files.json"  # the same, written by a prepare step before index version 2
PREPARED_FROM = "prepared.raw.sha256"  # next to them: the raw_data_hash they were prepared from (site only)


@dataclass(frozen=True)
class PreparedDataset:
    """Prepared data on the site and its hash (data and labels)."""

    data: Path
    labels: Path
    metadata: Path
    prepared_hash: str


class RawInputs:
    """The raw data and raw labels, listed once (one lstat per file): the prepare step's cache key and raw_data_hash.

    Both come from that one listing, which refuses what sha256_path refuses, with the same one-line errors.
    """

    def __init__(self, data: Path, labels: Path) -> None:
        self.data, self.labels = data, labels
        self.data_listing, self.labels_listing = list_path(data), list_path(labels)

    def stamp_key(self) -> str:
        """What the prepare step is cached by: the raw files' stamps, without reading a file.

        The content hash reads every raw file; keyed by stamps, the prepare container need not wait for that
        read (it runs alongside). A cached step is then used only if it was prepared from the same raw_data_hash.
        """
        data, labels = stamp_digest(self.data, self.data_listing), stamp_digest(self.labels, self.labels_listing)
        return payload_sha256({"data": data, "labels": labels})

    def content_hash(self) -> str:
        """raw_data_hash: the hash of the raw data and raw labels together (reads every listed file)."""
        data, labels = sha256_path(self.data, self.data_listing), sha256_path(self.labels, self.labels_listing)
        return payload_sha256({"data": data, "labels": labels})


def raw_data_hash(data: Path, labels: Path) -> str:
    """The hash of the raw data and raw labels together."""
    return RawInputs(data, labels).content_hash()


def raw_stamp_key(data: Path, labels: Path) -> str:
    """What the prepare step is cached by (RawInputs.stamp_key)."""
    return RawInputs(data, labels).stamp_key()


def prepared_from(prepared: PreparedDataset) -> str | None:
    """The raw_data_hash the prepared data was made from, as recorded on the site; None if not recorded."""
    try:
        return (prepared.data.parent / PREPARED_FROM).read_text().strip() or None
    except OSError:
        return None


def record_prepared_from(prepared: PreparedDataset, raw_hash: str) -> None:
    """Record next to the prepared folders which raw data they were made from (site only)."""
    write_private_text(prepared.data.parent / PREPARED_FROM, raw_hash + "\n")


def prepared_hash(data: Path, labels: Path) -> str:
    """The hash of the prepared data folder and prepared labels folder together."""
    return prepared_digest(hash_folder(data), hash_folder(labels))


def prepared_digest(data: FolderHash, labels: FolderHash) -> str:
    """prepared_hash from the per-file records of the two folders (what the dataset index keeps)."""
    return payload_sha256({"data": data.files.manifest(), "labels": labels.files.manifest()})


def prepare(ctx: StepContext, raw_data: Path, raw_labels: Path) -> PreparedDataset:
    """Run the preparation container and hash what it wrote, once.

    The per-file records of that hash are kept next to the prepared folders (PREPARED_FILES), so the site's
    dataset index starts from them when the dataset is registered instead of reading every file again.
    """
    out = container_steps.prepare(ctx, raw_data, raw_labels)
    hashed_at_ns = time.time_ns()
    data, labels = hash_folder(out.data), hash_folder(out.labels)
    digest = prepared_digest(data, labels)
    folders = {"data": data.files, "labels": labels.files}
    save_file_index(out.data.parent / PREPARED_FILES, hashed_at_ns, time.time(), folders)
    return PreparedDataset(out.data, out.labels, out.metadata, digest)


def is_intact(prepared: PreparedDataset) -> bool:
    """Whether the prepared folders still hold exactly what was prepared (a cached step is not stale)."""
    if not (prepared.data.is_dir() and prepared.labels.is_dir()):
        return False
    return prepared_hash(prepared.data, prepared.labels) == prepared.prepared_hash


def per_case_table(prepared: PreparedDataset, suite: dict[str, Any] | None, *, summaries: bool = True) -> PerCaseTable:
    """The table the benchmark's suite targets: the preparator's case table or the manifest (site only)."""
    return build_case_table(prepared.data, prepared.labels, prepared.metadata, table_choice(suite), summaries=summaries)


def listed_cases(prepared: PreparedDataset, suite: dict[str, Any] | None) -> tuple[int, list[str]]:
    """The rows and case ids of the per-case table the suite targets (site only), without decoding any image.

    As per_case_table(summaries=False) then release_policy.case_ids_in, but a manifest without a declared
    label column is only listed: no labels are joined, no table is built.
    """
    ids = listed_case_ids(prepared.data, prepared.labels, prepared.metadata, table_choice(suite))
    if ids is not None:
        return len(ids), ids
    table = per_case_table(prepared, suite, summaries=False)
    return len(table.table), case_ids_in(table)


def case_count(prepared: PreparedDataset, suite: dict[str, Any] | None) -> int:
    """num_cases: the rows of the per-case table the suite targets, without decoding any image."""
    return count_cases(prepared.data, prepared.labels, prepared.metadata, table_choice(suite))


def _write_site_report(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    path.chmod(0o600)


def sanity_check(
    ctx: StepContext, prepared: PreparedDataset, suite: dict[str, Any] | None, report_path: Path
) -> dict[str, int]:
    """The container's own check, then the GX suite on the per-case table; counts only come back.

    The site's report (which table was checked, its case count, how the labels joined and, on a failure,
    sample case ids) is written to report_path on the site. On a GX failure SanityCheckFailed names each
    failed expectation with its count, without any case id.
    """
    container_steps.sanity_check(ctx, prepared.data, prepared.labels, metadata=prepared.metadata)
    table = per_case_table(prepared, suite)
    outcome = validate_case_table(table.table, suite, id_column=table.id_column)
    _write_site_report(report_path, {**table.site_report(), **outcome.site_report()})
    if not outcome.success:
        failed = "; ".join(
            f"{item.label}: {item.unexpected_count} cases" if item.unexpected_count is not None else item.label
            for item in outcome.failures
        )
        raise SanityCheckFailed(
            f"sanity check failed ({len(outcome.failures)} of {outcome.evaluated} expectations): {failed}; "
            f"sample case ids on this site in {report_path}; nothing was uploaded"
        )
    return {"container_check_passed": 1, **outcome.counts()}


def statistics(
    ctx: StepContext,
    prepared: PreparedDataset,
    sanity: dict[str, int],
    suite: dict[str, Any] | None = None,
    task: TaskDeclaration | None = None,
    k: int | None = None,
) -> dict[str, Any]:
    """The container's statistics.yaml plus the platform's summary of the per-case table the suite targets.

    task (the benchmark's declaration) picks the label summary and, with reference statistics, adds drift;
    k (the release policy's min_cell_count) makes every platform cell 0 or at least k.
    """
    stats_file = container_steps.statistics(ctx, prepared.data, prepared.labels, metadata=prepared.metadata)
    summaries = task is not None and bool(task.reference_statistics)  # drift may score the manifest's summaries
    table = per_case_table(prepared, suite, summaries=summaries)
    return summarise(
        table.table,
        sanity,
        read_container_statistics(stats_file),
        table.label_column,
        task=task,
        k=k,
        labels_dir=prepared.labels,
    )
