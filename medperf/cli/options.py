"""Option types shared by every command group, so the same flag means the same thing everywhere."""

from typing import Annotated

import typer

from medperf.schemas import ApprovalStatus, EntityState

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")]
Limit = Annotated[int, typer.Option("--limit", min=1, max=500, help="At most this many items.")]
Offset = Annotated[int, typer.Option("--offset", min=0, help="Skip this many items.")]

BenchmarkId = Annotated[int, typer.Option("-b", "--benchmark", help="Benchmark id.")]
DatasetId = Annotated[int, typer.Option("-d", "--dataset", help="Dataset id.")]
ModelId = Annotated[int, typer.Option("-m", "--model", help="Model id.")]

BenchmarkFilter = Annotated[int | None, typer.Option("-b", "--benchmark", help="Only this benchmark id.")]
DatasetFilter = Annotated[int | None, typer.Option("-d", "--dataset", help="Only this dataset id.")]
ModelFilter = Annotated[int | None, typer.Option("-m", "--model", help="Only this model id.")]
OwnerFilter = Annotated[int | None, typer.Option("--owner", help="Only entities of this owner (user id).")]
StateFilter = Annotated[EntityState | None, typer.Option("--state", help="Only entities in this state.")]
ApprovalFilter = Annotated[ApprovalStatus | None, typer.Option("--approval", help="Only this approval status.")]
