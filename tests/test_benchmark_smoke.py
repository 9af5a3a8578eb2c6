"""CI's smoke run of the imaging-scale benchmark: 5,000 files through benchmarks/dataset_check.py, figures checked."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMED = ["prepared_hash_s", "record_index_s", "full_rehash_s", "incremental_unchanged_s", "incremental_10_changed_s"]


def test_the_imaging_scale_check_runs_at_5000_files_and_reads_nothing_when_unchanged() -> None:
    script = ROOT / "benchmarks" / "dataset_check.py"
    command = [sys.executable, str(script), "--files", "5000", "--repeat", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]  # the script asserts that 10 changed files were caught
    figures = json.loads(done.stdout)["dataset_check"]
    assert figures["files"] == 5001  # the cases and the labels table
    assert figures["files_read_when_unchanged"] == 0  # the incremental check of an unchanged dataset read nothing
    assert all(isinstance(figures[key], float) and figures[key] >= 0 for key in TIMED)  # printed, never judged
