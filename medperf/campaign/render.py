"""The status matrix as a rich table (colour per status) for the live view and `benchmark status`."""

from rich.table import Table
from rich.text import Text

from medperf.campaign.cells import CellStatus
from medperf.campaign.matrix import StatusMatrix

STYLES = {
    CellStatus.DONE: "green",
    CellStatus.AWAITING_APPROVAL: "magenta",
    CellStatus.RUNNING: "cyan",
    CellStatus.QUEUED: "blue",
    CellStatus.LATE: "yellow",
    CellStatus.FAILED: "bold red",
    CellStatus.REJECTED: "red",
    CellStatus.PENDING: "white",
    CellStatus.OUTDATED: "dim yellow",
    CellStatus.MISSING: "dim",
}
SETTLED = {
    CellStatus.DONE,
    CellStatus.FAILED,
    CellStatus.REJECTED,
    CellStatus.AWAITING_APPROVAL,
    CellStatus.OUTDATED,
    CellStatus.MISSING,
}


def matrix_table(matrix: StatusMatrix, title: str = "") -> Table:
    """Rows: models; columns: sites; each cell coloured by its status."""
    table = Table(title=title or f"benchmark {matrix.benchmark_id}", title_justify="left")
    table.add_column("model")
    for site in matrix.sites:
        table.add_column(site)
    for model_id, name in matrix.models:
        cells = [Text(matrix.cell(model_id, site).value, style=STYLES[matrix.cell(model_id, site)])
                 for site in matrix.sites]
        table.add_row(f"{model_id} {name}", *cells)
    return table


def is_settled(matrix: StatusMatrix) -> bool:
    """Nothing is queued, late or running any more (done, failed, rejected or waiting for a person)."""
    return all(status in SETTLED for status in matrix.pairs.values())
