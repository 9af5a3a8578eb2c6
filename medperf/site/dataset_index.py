"""Where each registered dataset's prepared data lives on this site (local only, never uploaded)."""

import json
from pathlib import Path

from medperf.errors import ConfigError
from medperf.site.dataset_steps import PreparedDataset


class DatasetIndex:
    """Files <data_root>/datasets/<dataset_id>.json mapping a registry dataset to its site folders."""

    def __init__(self, data_root: Path) -> None:
        self.root = data_root / "datasets"

    def record(self, dataset_id: int, prepared: PreparedDataset) -> Path:
        """Remember where the prepared data of a registered dataset is."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{dataset_id}.json"
        data = {
            "data": str(prepared.data),
            "labels": str(prepared.labels),
            "metadata": str(prepared.metadata),
            "prepared_hash": prepared.prepared_hash,
        }
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
        return path

    def get(self, dataset_id: int) -> PreparedDataset:
        """The prepared data of a dataset prepared on this site, or ConfigError saying what to do."""
        path = self.root / f"{dataset_id}.json"
        if not path.is_file():
            raise ConfigError(
                f"dataset {dataset_id} was not prepared on this site ({path} missing); run `medperf prepare` here first"
            )
        data = json.loads(path.read_text())
        return PreparedDataset(
            data=Path(data["data"]),
            labels=Path(data["labels"]),
            metadata=Path(data["metadata"]),
            prepared_hash=data["prepared_hash"],
        )
