"""Every resource group of RegistryClient against a real registry: what goes in comes back typed."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from medperf.client import RegistryClient, Unauthorized, iter_all
from medperf.schemas import (
    ApprovalStatus,
    AutoApprovalMode,
    BenchmarkPolicyUpdate,
    ContainerPublic,
    ContainerUpdate,
    DatasetUpdate,
    ResultCreate,
    ResultFinalize,
    ResultStatus,
    StandingConsentCreate,
    UserCreate,
)

from . import registry_entities as make

NewUser = Callable[[str], RegistryClient]


def test_users_and_tokens(admin: RegistryClient) -> None:
    user = admin.users.create(UserCreate(email="reader@site.example", name="Reader"))
    created = admin.tokens.create(user.id)
    assert created.user_id == user.id and created.token

    with RegistryClient(admin.base_url, created.token) as reader:
        assert reader.users.me().email == "reader@site.example"
        assert [t.id for t in reader.tokens.list(user.id).items] == [created.id]
        assert reader.tokens.revoke(created.id).revoked is True
        with pytest.raises(Unauthorized):
            reader.users.me()

    assert admin.users.get(user.id).name == "Reader"
    assert user.id in [u.id for u in iter_all(admin.users.list, is_admin=False)]


def test_containers_and_models(new_user: NewUser) -> None:
    owner = new_user("modeler")
    prep = make.container(owner, "prepare")
    assert prep.config == make.container_config("prepare")
    assert owner.containers.get(prep.id) == prep

    renamed = owner.containers.update(prep.id, ContainerUpdate(name="renamed-prep"))
    assert renamed.name == "renamed-prep" and renamed.image == prep.image

    model = make.model(owner)
    assert owner.models.get(model.id).container_id == model.container_id
    mine = owner.models.list(owner_id=model.owner_id)
    assert [m.id for m in mine.items] == [model.id] and mine.count == 1


def test_iter_all_walks_every_page(new_user: NewUser) -> None:
    owner = new_user("pager")
    made = [make.container(owner, "infer") for _ in range(5)]
    owner_id = made[0].owner_id

    first = owner.containers.list(owner_id=owner_id, limit=2)
    assert first.count == 5 and len(first.items) == 2

    walked: list[ContainerPublic] = list(iter_all(owner.containers.list, page_size=2, owner_id=owner_id))
    assert sorted(c.id for c in walked) == sorted(c.id for c in made)


def test_benchmark_policy_auto_approves_allowlisted_datasets(admin: RegistryClient, new_user: NewUser) -> None:
    committee, hospital = new_user("committee"), new_user("hospital")
    setup = make.approved_benchmark(committee, admin)
    assert setup.benchmark.approval_status == ApprovalStatus.APPROVED

    email = hospital.users.me().email
    policy = BenchmarkPolicyUpdate(auto_approval_mode=AutoApprovalMode.ALLOWLIST, auto_approval_allowlist=[email])
    updated = committee.benchmarks.set_policy(setup.benchmark.id, policy)
    assert updated.auto_approval_allowlist == [email]

    data = make.dataset(hospital, setup)
    association = hospital.associations.request_dataset(setup.benchmark.id, data.id)
    assert association.approval_status == ApprovalStatus.APPROVED


def test_dataset_client_key_makes_a_retry_return_the_same_dataset(admin: RegistryClient, new_user: NewUser) -> None:
    committee, hospital = new_user("committee"), new_user("hospital")
    setup = make.approved_benchmark(committee, admin)
    request = make.dataset_request(setup, client_key="prepare-run-42")

    first = hospital.datasets.create(request)
    again = hospital.datasets.create(request)
    assert again.id == first.id
    assert first.statistics == {"num_cases": 12}

    renamed = hospital.datasets.update(first.id, DatasetUpdate(name="renamed-data"))
    assert renamed.name == "renamed-data"
    assert [d.id for d in hospital.datasets.list(benchmark_id=setup.benchmark.id).items] == [first.id]


def test_associations_results_consents_and_audit(admin: RegistryClient, new_user: NewUser) -> None:
    committee, hospital, vendor = new_user("committee"), new_user("hospital"), new_user("vendor")
    setup = make.approved_benchmark(committee, admin)
    bench = setup.benchmark.id
    data = make.dataset(hospital, setup)
    model = make.model(vendor)

    requested = hospital.associations.request_dataset(bench, data.id)
    assert requested.approval_status == ApprovalStatus.PENDING
    pending = committee.associations.list("dataset", benchmark_id=bench, approval_status=ApprovalStatus.PENDING)
    assert [a.id for a in pending.items] == [requested.id]
    assert committee.associations.approve("dataset", requested.id).approval_status == ApprovalStatus.APPROVED

    model_request = vendor.associations.request_model(bench, model.id)
    assert committee.associations.reject("model", model_request.id).approval_status == ApprovalStatus.REJECTED
    again = vendor.associations.request_model(bench, model.id)
    committee.associations.approve("model", again.id)
    history = vendor.associations.list("model", model_id=model.id, latest_only=False)
    assert [a.approval_status for a in sorted(history.items, key=lambda a: a.id)] == [
        ApprovalStatus.REJECTED,
        ApprovalStatus.APPROVED,
    ]

    opened = hospital.results.create(
        ResultCreate(benchmark_id=bench, model_id=model.id, dataset_id=data.id, client_key="eval-1")
    )
    assert opened.status == ResultStatus.PENDING
    final = hospital.results.finalize(opened.id, ResultFinalize(metrics={"auc": 0.91}))
    assert final.status == ResultStatus.FINALIZED and final.metrics == {"auc": 0.91}
    assert committee.results.get(opened.id).metrics == {"auc": 0.91}
    assert [r.id for r in vendor.results.list(model_id=model.id).items] == [opened.id]

    expires = datetime.now(UTC) + timedelta(days=30)
    consent = hospital.consents.create(
        StandingConsentCreate(benchmark_id=bench, dataset_id=data.id, expires_at=expires)
    )
    assert [c.id for c in hospital.consents.list(dataset_id=data.id, active=True).items] == [consent.id]
    check = hospital.consents.check(bench, data.id, model.id, model_container_id=model.container_id, policy_version=1)
    assert check.holds is True and check.consent_id == consent.id
    assert hospital.consents.check(bench, data.id, model.id, policy_version=2).holds is False
    assert hospital.consents.revoke(consent.id).revoked is True
    assert hospital.consents.list(dataset_id=data.id, active=True).count == 0

    hospital_id = hospital.users.me().id
    actions = hospital.audit.list(actor_id=hospital_id, limit=500)
    assert {entry.actor_id for entry in actions.items} == {hospital_id}
    trail = admin.audit.list(entity="result", entity_id=opened.id)
    assert sorted(entry.action for entry in trail.items) == ["create", "finalize"]
    assert {entry.actor_id for entry in trail.items} == {hospital_id}
