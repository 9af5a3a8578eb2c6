"""The single-fault tests' view of stack_world: one site (a pool of one slot) and helpers to dispatch and check."""

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign_world import Committee, Site, finish_with_approvals, read_run, unique, upload_container
from support.tcp_bridge import bridge

from medperf.campaign.dispatch import dispatch_with_retry
from medperf.campaign.snapshot import load_snapshot
from medperf.demo.stack_world import stack_world
from medperf.schemas import ModelCreate, ModelPublic, ResultStatus
from medperf.site.run_store import RunStore

SUFFIX = str(os.getpid() % 10000)


@dataclass
class World:
    """The committee, one site with a prepared dataset associated to the benchmark, the benchmark id."""

    committee: Committee
    site: Site
    benchmark_id: int

    @property
    def dataset_id(self) -> int:
        """The site's dataset."""
        assert self.site.dataset_id is not None
        return self.site.dataset_id

    def model(self, **parameters: Any) -> ModelPublic:
        """A new model (its own container, never fetched by the site before) associated with the benchmark."""
        committee = self.committee
        parameters = {"threshold": 10, "name": unique("params"), **parameters}
        container = upload_container(committee.client, committee.store, "model", parameters)
        model = committee.client.models.create(ModelCreate(name=unique("model"), container_id=container.id))
        committee.associate_model(model)
        return model

    def dispatch(self, model_id: int) -> list[tuple[int, int, str]]:
        """The campaign's dispatch of this model (as `medperf benchmark run -m` does): (model, dataset, run)."""
        client = self.committee.client
        created = dispatch_with_retry(lambda: load_snapshot(client, self.benchmark_id), self.benchmark_id,
                                      models=[model_id]).created
        return [(d.pair.model_id, d.pair.dataset_id, str(d.flow_run_id)) for d in created]

    def dispatch_one(self, model_id: int) -> str:
        """Dispatch the model, which must create exactly one run, on the site's dataset; its run id."""
        created = self.dispatch(model_id)
        assert [(model, dataset) for model, dataset, _ in created] == [(model_id, self.dataset_id)]
        return created[0][2]

    def dispatch_with_env(self, model_id: int, env: dict[str, str]) -> str:
        """One evaluate_model run of the pair whose process gets these variables on top of the site's; its id."""
        from prefect.client.orchestration import get_client
        from prefect.deployments import run_deployment

        from medperf.campaign.deployment_names import EVALUATE_FLOW, deployment_name
        from medperf.campaign.dispatch import evaluation_parameters
        from medperf.campaign.pairs import Pair
        from medperf.campaign.run_tags import run_tags

        name = deployment_name(EVALUATE_FLOW, self.site.name)
        with get_client(sync_client=True) as client:
            site_env = dict(client.read_deployment_by_name(name).job_variables["env"])
        pair = Pair(model_id, self.dataset_id, self.site.name)
        run = run_deployment(name, parameters=evaluation_parameters(self.benchmark_id, pair), timeout=0,
                             tags=run_tags(self.benchmark_id, model_id, self.dataset_id), as_subflow=False,
                             job_variables={"env": {**site_env, **env}})  # fmt: skip
        return str(run.id)  # type: ignore[union-attr]

    def finalized(self, model_id: int) -> list[int]:
        """Ids of the FINALIZED results of the model on the site's dataset, as the registry has them."""
        page = self.committee.client.results.list(
            benchmark_id=self.benchmark_id, model_id=model_id, dataset_id=self.dataset_id, status=ResultStatus.FINALIZED
        )
        return [result.id for result in page.items]

    def approvals_asked(self, run_id: str) -> int:
        """How many approvals the site recorded for this run (0: the owner was never asked)."""
        return sum(1 for pending in RunStore(self.site.data_root).approvals() if pending.flow_run_id == run_id)

    def complete(self, run_id: str, what: str) -> None:
        """Approve what the run asks until it completes (fails when it does not)."""
        finish_with_approvals([self.site], [run_id], what)


def final_state(run_id: str) -> Any:
    """The run's state once it is final, else None (for poll)."""
    state = read_run(run_id).state
    return state if state is not None and state.is_final() else None


@contextmanager
def one_site_world(
    stack: Any, root: Path, name: str, *, site_env: dict[str, str] | None = None,
    before_up: Callable[[Site], None] | None = None,
) -> Iterator[World]:
    """A committee and site `name` (pool of one slot) with its dataset prepared and associated; site down after."""
    with stack_world(stack, root, [name], name, site_env=site_env, before_up=before_up, pool_concurrency=1) as world:
        yield World(world.committee, world.sites[0], world.benchmark_id)


class SwitchableStore:
    """A TCP proxy in front of the S3 server that a test switches off: while off, nothing listens on its port
    (connections are refused, as for a store that is down)."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        probe = socket.create_server(("127.0.0.1", 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
        self.listener: socket.socket | None = None
        self.switch_on()

    @property
    def endpoint(self) -> str:
        """host:port, as MEDPERF_STORE_ENDPOINT takes it."""
        return f"127.0.0.1:{self.port}"

    def switch_on(self) -> None:
        """Listen again and forward to the store."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def switch_off(self) -> None:
        """Stop listening: every new connection is refused."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=bridge, args=(client, self.target), daemon=True).start()
