"""Per-file evaluator: reads every prediction file and the labels table; accuracy and the evaluated cases."""

import sys
from pathlib import Path

predictions_dir, labels_dir, output = map(Path, sys.argv[1:])
labels = dict(line.split(",", 1) for line in (labels_dir / "labels.csv").read_text().splitlines()[1:])
predictions = {path.stem: path.read_text().strip() for path in sorted(predictions_dir.glob("*.txt"))}
hits = sum(1 for case, value in predictions.items() if labels.get(case) == value)
output.write_text(f"accuracy: {hits / max(len(predictions), 1):.4f}\nevaluated_cases: {len(predictions)}\n")
