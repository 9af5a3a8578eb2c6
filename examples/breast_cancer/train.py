"""Train the three models on the public part and write each container's additional_files/weights.json."""

import json
from pathlib import Path

from model_training import export_weights, train_models

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Train and export; run after build.py."""
    features, models = train_models(HERE / "data" / "public" / "train.csv")
    for name, model in models.items():
        target = HERE / "containers" / f"model-{name}" / "additional_files" / "weights.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(export_weights(name, model, features), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {target.relative_to(HERE)}")


if __name__ == "__main__":
    main()
