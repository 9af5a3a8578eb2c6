"""Per-file model: reads every prepared case file, writes one prediction file per case (1 when value > threshold)."""

import sys
from pathlib import Path

data, parameters, out = map(Path, sys.argv[1:])
params = dict(line.split(": ", 1) for line in parameters.read_text().splitlines() if ": " in line)
threshold = float(params.get("threshold", "10"))
for path in sorted(data.glob("*.txt")):
    (out / path.name).write_text(f"{int(float(path.read_text()) > threshold)}\n")
