"""A busy site's load on a Prefect server while approvals resume paused runs: how many resumes it refused."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID


@dataclass
class ResumeFigures:
    """What `resume_under_load` measured."""

    approvals: int
    accepted: int
    refused: int
    errors: list[str]
    background_writes: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


async def _pause(client: Any, flow_id: UUID, number: int) -> UUID:
    """A new flow run, paused as an approval pause leaves it."""
    from prefect.states import Paused, Running

    response = await client._client.post("/flow_runs/", json={"flow_id": str(flow_id), "name": f"run-{number}"})
    response.raise_for_status()
    run_id = UUID(response.json()["id"])
    await client.set_flow_run_state(run_id, Running(), force=True)
    await client.set_flow_run_state(run_id, Paused(pause_key=f"approval-{number}"), force=True)
    return run_id


async def _busy(client: Any, flow_id: UUID, stop: asyncio.Event, counter: list[int]) -> None:
    """What workers and running flows do meanwhile: new runs, state changes, log lines."""
    from prefect.client.schemas.actions import LogCreate
    from prefect.states import Completed, Running

    while not stop.is_set():
        run_id = await _pause(client, flow_id, 10_000 + counter[0])
        await client.set_flow_run_state(run_id, Running(), force=True)
        await client.create_logs(
            [LogCreate(name="load", level=20, message="busy", timestamp=datetime.now(UTC), flow_run_id=run_id)]
        )
        await client.set_flow_run_state(run_id, Completed(), force=True)
        counter[0] += 1


async def _resume_under_load(api_url: str, approvals: int, writers: int) -> ResumeFigures:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            flow_id = await client.create_flow_from_name("resume-under-load")
            paused = [await _pause(client, flow_id, number) for number in range(approvals)]
            stop, counter = asyncio.Event(), [0]
            background = [asyncio.create_task(_busy(client, flow_id, stop, counter)) for _ in range(writers)]
            started = time.monotonic()
            accepted, errors = 0, []

            async def resume(run_id: UUID) -> None:
                nonlocal accepted
                try:
                    result = await client.resume_flow_run(run_id)
                except Exception as error:  # what the approver would see: the API refused the resume
                    errors.append(f"{type(error).__name__}: {str(error)[:160]}")
                    return
                if result.status.value == "ACCEPT":
                    accepted += 1
                else:
                    errors.append(f"{result.status.value}: {getattr(result.details, 'reason', '')}")

            await asyncio.gather(*(resume(run_id) for run_id in paused))
            seconds = time.monotonic() - started
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
    return ResumeFigures(approvals, accepted, approvals - accepted, errors, counter[0], round(seconds, 2))


def resume_under_load(api_url: str, approvals: int = 20, writers: int = 4) -> ResumeFigures:
    """Resume `approvals` paused runs at once while `writers` loops write runs, states and logs."""
    return asyncio.run(_resume_under_load(api_url, approvals, writers))
