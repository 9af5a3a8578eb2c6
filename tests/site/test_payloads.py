"""The payload hash is what an approval binds to: stable for equal content, different for any change."""

from medperf.site.payloads import ResultPayload, payload_digest, payload_sha256


def test_hash_does_not_depend_on_key_order() -> None:
    assert payload_sha256({"a": 1, "b": [1, 2]}) == payload_sha256({"b": [1, 2], "a": 1})


def test_any_metric_change_changes_the_digest() -> None:
    base = ResultPayload(benchmark_id=1, model_id=2, dataset_id=3, metrics={"auc": 0.91})
    changed = base.model_copy(update={"metrics": {"auc": 0.92}})
    partial = base.model_copy(update={"partial": True})
    assert len({payload_digest(base), payload_digest(changed), payload_digest(partial)}) == 3
