"""The model x site status matrix of a campaign, and its CSV export."""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from medperf.campaign.cells import CellStatus, RunState, pair_status, summarize
from medperf.campaign.pairs import approved_pairs
from medperf.campaign.snapshot import CampaignSnapshot
from medperf.errors import ConfigError


@dataclass(frozen=True)
class StatusMatrix:
    """Rows: models (id, name); columns: sites; cells: the least advanced status of the site's datasets."""

    benchmark_id: int
    models: list[tuple[int, str]]
    sites: list[str]
    cells: dict[tuple[int, str], CellStatus]
    pairs: dict[tuple[int, int], CellStatus]

    def cell(self, model_id: int, site: str) -> CellStatus:
        """The status of one (model, site) cell."""
        return self.cells[(model_id, site)]

    def counts(self) -> dict[CellStatus, int]:
        """How many (model, dataset) pairs are in each status."""
        totals: dict[CellStatus, int] = {}
        for status in self.pairs.values():
            totals[status] = totals.get(status, 0) + 1
        return totals

    def to_csv(self) -> str:
        """`model_id,model,<site>...` then one row per model."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["model_id", "model", *self.sites])
        for model_id, name in self.models:
            writer.writerow([model_id, name, *(self.cells[(model_id, site)].value for site in self.sites)])
        return buffer.getvalue()

    def write_csv(self, path: Path) -> None:
        """Write the CSV export; a folder that does not exist is a user error."""
        if not path.parent.exists():
            raise ConfigError(f"--csv {path}: folder {path.parent} does not exist; create it or pick another path")
        path.write_text(self.to_csv(), encoding="utf-8")


def build_matrix(snapshot: CampaignSnapshot, runs: Mapping[tuple[int, int], RunState]) -> StatusMatrix:
    """Combine the registry's view (associations, results) with the latest Prefect run of each pair."""
    pairs = {
        (pair.model_id, pair.dataset_id): pair_status(
            snapshot, pair.model_id, pair.dataset_id, runs.get((pair.model_id, pair.dataset_id))
        )
        for pair in approved_pairs(snapshot)
    }
    sites = snapshot.sites
    cells = {
        (model_id, site): summarize(
            [
                status
                for (m, dataset_id), status in pairs.items()
                if m == model_id and snapshot.datasets[dataset_id].site == site
            ]
        )
        for model_id in snapshot.models
        for site in sites
    }
    models = [(model.id, model.name) for model in snapshot.models.values()]
    return StatusMatrix(snapshot.benchmark.id, models, sites, cells, pairs)
