"""A committee and sites on a central stack (infra/stack.py: registry, Prefect, S3), built with the tiny world."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.client import RegistryClient
from medperf.demo.tiny_world import (
    DEADLINE_S,
    Committee,
    Site,
    finish_with_approvals,
    make_site,
    new_user,
    prepare_dataset_at,
    store_settings,
)
from medperf.storage import make_store


def stack_committee(stack: Any, root: Path, email: str) -> Committee:
    """A new committee user with its own object-store cache and archive folder under root."""
    admin = RegistryClient(stack.registry_url, stack.admin_token)
    token = new_user(admin, email)
    store = make_store(store_settings(stack, root / "committee-cache"))
    return Committee(RegistryClient(stack.registry_url, token), token, admin, store)


def stack_site(stack: Any, committee: Committee, name: str, root: Path, owner_email: str) -> Site:
    """A site machine under root whose data owner is a new user."""
    return make_site(name, root, stack.registry_url, new_user(committee.admin, owner_email), stack)


def prepare_and_associate(
    committee: Committee, sites: list[Site], benchmark_id: int, what: str, deadline_s: float = DEADLINE_S
) -> None:
    """Each (running) site prepares its dataset on its own pool; the committee approves its association."""
    runs = [prepare_dataset_at(site, benchmark_id) for site in sites]
    finish_with_approvals(sites, runs, what, deadline_s)
    for site in sites:
        dataset = next(iter(site.owner.datasets.list(site=site.name).items))
        site.dataset_id = dataset.id
        request = site.owner.associations.request_dataset(benchmark_id, dataset.id)
        committee.client.associations.approve("dataset", request.id)


@dataclass
class StackWorld:
    """A committee, its benchmark, and sites up on the stack, each with a prepared dataset associated with it."""

    committee: Committee
    sites: list[Site]
    benchmark_id: int
    root: Path


@contextmanager
def stack_world(
    stack: Any, root: Path, site_names: list[str], tag: str, *, site_env: dict[str, str] | None = None,
    before_up: Callable[[Site], None] | None = None, **up_options: Any,
) -> Iterator[StackWorld]:
    """A new committee and benchmark, and each named site up (pool, deployments, worker; continuous evaluation
    paused) with its dataset prepared on its own pool and associated; the sites' workers stop afterwards.

    site_env is added to each site's environment and before_up(site) runs before it comes up (a fault test's
    hooks); up_options go to Site.up (pool_concurrency=1 for a pool of one slot)."""
    committee = stack_committee(stack, root, f"committee-{tag}@bench.example")
    benchmark = committee.create_benchmark()
    sites = [stack_site(stack, committee, name, root, f"owner-{name}@hospital.example") for name in site_names]
    try:
        for site in sites:
            site.env.update(site_env or {})
            if before_up is not None:
                before_up(site)
            site.up(continuous_paused=True, **up_options)
        what = "the dataset to be prepared" if len(sites) == 1 else f"the {len(sites)} datasets to be prepared"
        prepare_and_associate(committee, sites, benchmark.id, what)
        yield StackWorld(committee, sites, benchmark.id, root)
    finally:
        for site in sites:
            site.down()
