"""A committee and sites on a central stack (infra/stack.py: registry, Prefect, S3), built with the tiny world."""

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
    (root / "archives").mkdir()
    return Committee(RegistryClient(stack.registry_url, token), token, admin, store, root / "archives")


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
