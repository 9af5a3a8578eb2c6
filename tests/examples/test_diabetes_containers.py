"""The diabetes example's containers, run as their commands run them, agree with scikit-learn to 1e-9."""

import csv
import filecmp
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "diabetes"
CONTAINERS = EXAMPLE / "containers"
EXACT = 1e-9
sys.path.insert(0, str(EXAMPLE))
from expected import MODELS, SITES, expected_metrics, site_predictions  # noqa: E402


def _run(script: Path, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True, check=False)


def _ok(script: Path, *args: object) -> None:
    done = _run(script, *args)
    assert done.returncode == 0, done.stderr


def _prepare(site: str, work: Path) -> tuple[Path, Path]:
    raw = EXAMPLE / "data" / site
    data, labels = work / "data", work / "labels"
    _ok(CONTAINERS / "prep" / "prep.py", "prepare", "--data_path", raw / "data", "--labels_path", raw / "labels",
        "--output_path", data, "--output_labels_path", labels, "--report_file", work / "report.yaml")
    return data, labels


@pytest.fixture(scope="module")
def site_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """(model, site) -> {predictions, results}: prepare, infer and evaluate each site with the containers' code."""
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for site in SITES:
        work = tmp_path_factory.mktemp(site)
        data, labels = _prepare(site, work)
        for model in MODELS:
            folder = CONTAINERS / f"model-{model}"
            predictions = work / f"predictions-{model}"
            _ok(folder / "infer.py", "infer", "--data_path", data, "--parameters_file", folder / "parameters.yaml",
                "--additional_files", folder / "additional_files", "--output_path", predictions)
            results = work / f"results-{model}.yaml"
            _ok(CONTAINERS / "evaluator" / "evaluate.py", "evaluate", "--predictions", predictions, "--labels", labels,
                "--parameters_file", CONTAINERS / "evaluator" / "parameters.yaml", "--output_path", results)
            with (predictions / "predictions.csv").open() as handle:
                rows = list(csv.DictReader(handle))
            runs[(model, site)] = {"predictions": [float(r["prediction"]) for r in rows],
                                   "results": yaml.safe_load(results.read_text())}
    return runs


def test_predictions_equal_scikit_learn(site_runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    for key, (_, want) in site_predictions().items():
        got = site_runs[key]["predictions"]  # prepared rows are sorted by case id, as the split numbered them
        assert got == pytest.approx(want.tolist(), abs=EXACT), key


def test_metrics_equal_scikit_learn_and_lie_inside_their_intervals(
    site_runs: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for key, want in expected_metrics().items():
        got = site_runs[key]["results"]
        assert got["num_cases"] == want["num_cases"] == 100
        for metric in ("mae", "rmse", "r2"):
            assert got[metric] == pytest.approx(want[metric], abs=EXACT), (key, metric)
            assert got[f"{metric}_ci_low"] < got[metric] < got[f"{metric}_ci_high"], (key, metric)
        assert set(got) == {"mae", "mae_ci_low", "mae_ci_high", "rmse", "rmse_ci_low", "rmse_ci_high",
                            "r2", "r2_ci_low", "r2_ci_high", "num_cases"}


def test_the_results_fit_the_declared_task(site_runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    from medperf.bundle import load_benchmark_file

    task = load_benchmark_file(EXAMPLE).task
    assert task is not None and task.kind == "regression" and task.primary_metric == "mae"
    for run in site_runs.values():
        assert task.result_problems(run["results"]) == []


def test_sanity_check_and_statistics_on_the_demo_data(tmp_path: Path) -> None:
    data, labels = _prepare("demo", tmp_path)
    parameters = CONTAINERS / "prep" / "parameters.yaml"
    _ok(CONTAINERS / "prep" / "prep.py", "sanity_check", "--data_path", data, "--labels_path", labels,
        "--parameters_file", parameters)
    out = tmp_path / "statistics.yaml"
    _ok(CONTAINERS / "prep" / "prep.py", "statistics", "--data_path", data, "--labels_path", labels,
        "--parameters_file", parameters, "--output_path", out)
    stats = yaml.safe_load(out.read_text())
    assert stats["num_cases"] == 30 and stats["suppressed"] == []
    assert set(stats["features"]) == {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"}
    assert "target" not in out.read_text()  # the label is summarised by the platform, k-safely, not here


def test_a_bad_cell_fails_prepare_with_one_line_naming_row_and_column(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "data").mkdir(parents=True)
    lines = (EXAMPLE / "data" / "demo" / "data" / "cases.csv").read_text().splitlines()
    cells = lines[3].split(",")
    cells[3] = "n/a"  # bmi of the third case
    lines[3] = ",".join(cells)
    (raw / "data" / "cases.csv").write_text("\n".join(lines) + "\n")
    done = _run(CONTAINERS / "prep" / "prep.py", "prepare", "--data_path", raw / "data", "--labels_path",
                EXAMPLE / "data" / "demo" / "labels", "--output_path", tmp_path / "out",
                "--output_labels_path", tmp_path / "out-labels")
    assert done.returncode == 1
    assert done.stderr.strip() == "ERROR: data_path/cases.csv: row 4, column 'bmi': 'n/a' is not a number"
    assert not (tmp_path / "out").exists()


def test_build_regenerates_the_committed_data_byte_for_byte(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE / "build.py"), "--out", str(tmp_path)], cwd=EXAMPLE,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for relative in ("benchmark/sanity_suite.json", *(f"data/{p}/{k}/{f}" for p in (*SITES, "demo", "public")
                                                       for k, f in (("data", "cases.csv"), ("labels", "labels.csv")))):
        assert filecmp.cmp(tmp_path / relative, EXAMPLE / relative, shallow=False), relative


def test_prepare_writes_each_cases_age_band_and_sanity_check_refuses_a_wrong_one(tmp_path: Path) -> None:
    """age_band is the subgroup column benchmark.yaml declares; it must agree with the age it is cut from."""
    data, labels = _prepare("demo", tmp_path)
    with (data / "cases.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    bands = {"under-45": (0, 45), "45-59": (45, 60), "60-plus": (60, 200)}
    assert all(bands[r["age_band"]][0] <= float(r["age"]) < bands[r["age_band"]][1] for r in rows)
    assert {r["age_band"] for r in rows} == set(bands)
    text = (data / "cases.csv").read_text().replace(f"{rows[0]['age_band']}\n", "60-plus\n" if
                                                    rows[0]["age_band"] != "60-plus" else "under-45\n", 1)
    (data / "cases.csv").write_text(text)
    done = _run(CONTAINERS / "prep" / "prep.py", "sanity_check", "--data_path", data, "--labels_path", labels)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("ERROR: data_path/cases.csv: row 2, column 'age_band': ")
    assert done.stderr.strip().endswith("prepare the raw data again")
