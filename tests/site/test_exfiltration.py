"""A container tries to smuggle per-case data out through statistics or metrics; the release policy refuses.

The containers really run (sandbox runner, bubblewrap) through the site's own steps
(medperf.site.dataset_steps.statistics, medperf.site.evaluation_steps.evaluate), read the prepared
per-case files they are given, and write what they try to smuggle; the payload built from their output is
checked exactly as the flows check it, with the dataset's case ids. Each refusal names the key and repeats
neither the smuggled value nor a case id.
"""

import csv
import json
from pathlib import Path

import pytest

from medperf.containers import ContainerSpec, make_runner, parse_container_config
from medperf.errors import PolicyViolation
from medperf.schemas import ReleasePolicy
from medperf.settings import SiteSettings
from medperf.site.container_steps import StepContext
from medperf.site.dataset_steps import PreparedDataset, statistics
from medperf.site.evaluation_steps import evaluate
from medperf.site.payloads import DatasetPayload, ResultPayload
from medperf.site.release_policy import case_ids_of, check_dataset_payload, check_result_payload

CASES = 40
CASE_IDS = [f"Kq{chr(97 + i // 26)}{chr(97 + i % 26)}7z" for i in range(CASES)]
SMUGGLER = '''"""Reads the per-case files it is given and hides them in its output (a hostile container)."""
import csv, json, sys
from pathlib import Path

task, mode, labels_dir, output = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
rows = list(csv.DictReader((labels_dir / "labels.csv").open()))
ids = [row["case_id"] for row in rows]
leak = ";".join(f"{row['case_id']}={row['label']}" for row in rows)
honest = {"auc": 0.91, "num_cases": len(rows)} if task == "evaluate" else {"num_cases": len(rows)}
key = "auc" if task == "evaluate" else "features"
smuggled = {
    "string": {key: leak},
    "huge-string": {key: leak * 1000},
    "number-as-text": {key: "0.5" + leak},
    "case-id-keys": {key: {case_id: 0.5 for case_id in ids}},
    "id-pattern-keys": {key: {f"A-{1000 + i}": 0.5 for i in range(len(ids))}},
    "id-inside-key": {key: {f"size_of_{ids[0]}": 0.5}},
    "per-case-list": {key: [float(row["label"]) for row in rows]},
    "small-cell": {key: {"label_counts": {"0": 37, "1": 3.0}}},
    "count-as-text": {key: {"label_counts": {"0": 37, "1": "3"}}},
    "many-keys": {key: {f"f{i}x": 0.5 for i in range(100000)}},
    "yaml-date": {key: "2024-01-01"},
}[mode]
output.parent.mkdir(parents=True, exist_ok=True)
text = json.dumps({**honest, **smuggled})
if mode == "yaml-date":
    text = f"{key}: 2024-01-01\\nnum_cases: {len(rows)}\\n"
output.write_text(text)
'''


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "smuggler"
    project.mkdir()
    (project / "Dockerfile").write_text("FROM medperf/base:bookworm\nCOPY . /workspace\nWORKDIR /workspace\n")
    (project / "smuggle.py").write_text(SMUGGLER)
    return project


def _spec(project: Path, mode: str) -> ContainerSpec:
    volumes = "/mlcommons/volumes"
    directory = {"type": "directory"}

    def task(name: str, labels: str) -> dict[str, object]:
        return {
            "run_args": {"command": ["python3", "/workspace/smuggle.py", name, mode, f"{volumes}/{labels}",
                                     f"{volumes}/out/result.yaml"]},
            "input_volumes": {
                "data_path" if name != "evaluate" else "predictions": {"mount_path": f"{volumes}/data", **directory},
                "labels_path" if name != "evaluate" else "labels": {"mount_path": f"{volumes}/{labels}", **directory},
            },
            "output_volumes": {"output_path": {"mount_path": f"{volumes}/out/result.yaml", "type": "file"}},
        }

    config = parse_container_config(
        {"tasks": {"statistics": task("statistics", "labels"), "evaluate": task("evaluate", "labels")}}
    )
    return ContainerSpec(name="smuggler", config=config, image="medperf/smuggler:1", source_dir=project)


@pytest.fixture
def prepared(tmp_path: Path) -> PreparedDataset:
    """Prepared data of 40 cases whose ids are opaque hospital tokens (no digit runs: only the site's own
    list of case ids can tell them from feature names)."""
    data, labels = tmp_path / "prepared" / "data", tmp_path / "prepared" / "labels"
    data.mkdir(parents=True)
    labels.mkdir()
    with (data / "cases.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "size"])
        writer.writerows([[case_id, 1.5 + i] for i, case_id in enumerate(CASE_IDS)])
    with (labels / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "label"])
        writer.writerows([[case_id, i % 2] for i, case_id in enumerate(CASE_IDS)])
    return PreparedDataset(data, labels, tmp_path / "prepared" / "metadata", "c" * 64)


def _context(tmp_path: Path, mode: str) -> StepContext:
    settings = SiteSettings(runner="sandbox", data_root=tmp_path / "site", task_timeout_seconds=120)
    spec = _spec(_project(tmp_path), mode)
    return StepContext(make_runner(settings), spec, tmp_path / "site" / "work" / mode, 120)


POLICY = ReleasePolicy(allowed_statistics_keys=["num_cases", "label_counts", "sanity", "features"])
STATISTICS_MODES = {
    "string": "'features' holds a string",
    "huge-string": "'features' takes the statistics past 65536 bytes",
    "number-as-text": "'features' holds a string",
    "case-id-keys": "'features.<key #1>' contains one of the dataset's case ids",
    "id-pattern-keys": "'features.<key #1>' looks like a case id",
    "id-inside-key": "'features.<key #1>' contains one of the dataset's case ids",
    "per-case-list": "'features' is a list",
    "small-cell": "'features.label_counts.1' is a cell counting fewer than k=5",
    "count-as-text": "'features.label_counts.1' is a cell counting fewer than k=5",
    "many-keys": "'features' holds more than 256 keys",
    "yaml-date": "'features' holds a date",
}


def _assert_clean(message: str, case_ids: list[str]) -> None:
    assert "\n" not in message
    assert not any(case_id in message for case_id in case_ids), "a refusal never repeats a case id"


@pytest.mark.parametrize("mode", list(STATISTICS_MODES))
def test_statistics_smuggling_is_refused_naming_the_key(mode: str, prepared: PreparedDataset, tmp_path: Path) -> None:
    ctx = _context(tmp_path, mode)
    stats = statistics(ctx, prepared, {"expectations_failed": 0})
    written = (ctx.work_dir / "statistics.yaml").read_text()
    assert CASE_IDS[0] in written or mode in ("small-cell", "count-as-text", "many-keys", "yaml-date", "per-case-list",
                                          "id-pattern-keys")
    payload = DatasetPayload(
        name="d", site="site-a", benchmark_id=1, data_preparation_container_id=1, raw_data_hash="a" * 64,
        prepared_data_hash=prepared.prepared_hash, statistics=stats,
    )
    case_ids = case_ids_of(prepared.data, prepared.labels)
    with pytest.raises(PolicyViolation) as err:
        check_dataset_payload(payload, POLICY, case_ids)
    assert STATISTICS_MODES[mode] in str(err.value)
    _assert_clean(str(err.value), case_ids)


METRICS_MODES = {
    "string": "'auc' holds a string",
    "huge-string": "'auc' takes the metrics past 65536 bytes",
    "number-as-text": "'auc' holds a string",
    "case-id-keys": "'auc' is not a single value",
    "per-case-list": "'auc' is not a single value",
    "yaml-date": "'auc' holds a date",
}


@pytest.mark.parametrize("mode", list(METRICS_MODES))
def test_metrics_smuggling_is_refused_naming_the_key(mode: str, prepared: PreparedDataset, tmp_path: Path) -> None:
    ctx = _context(tmp_path, mode)
    metrics = evaluate(ctx, prepared.data, prepared.labels)
    payload = ResultPayload(benchmark_id=1, model_id=1, dataset_id=1, metrics=metrics)
    case_ids = case_ids_of(prepared.data, prepared.labels)
    with pytest.raises(PolicyViolation) as err:
        check_result_payload(payload, ReleasePolicy(), num_cases=CASES, case_ids=case_ids)
    assert METRICS_MODES[mode] in str(err.value)
    _assert_clean(str(err.value), case_ids)


def test_an_honest_container_passes_the_same_path(prepared: PreparedDataset, tmp_path: Path) -> None:
    """The same steps with an honest output go through: the refusals above are about the smuggling."""
    ctx = _context(tmp_path, "small-cell")
    honest = ctx.spec.source_dir / "smuggle.py"  # type: ignore[operator]
    honest.write_text(honest.read_text().replace('"1": 3.0', '"1": 3.0 if False else None'))
    stats = statistics(ctx, prepared, {"expectations_failed": 0})
    assert stats["features"] == {"label_counts": {"0": 37, "1": None}}
    payload = DatasetPayload(
        name="d", site="site-a", benchmark_id=1, data_preparation_container_id=1, raw_data_hash="a" * 64,
        prepared_data_hash=prepared.prepared_hash, statistics=stats,
    )
    check_dataset_payload(payload, POLICY, case_ids_of(prepared.data, prepared.labels))
    assert json.dumps(stats)  # what would be shown for approval
