"""scoped_env (the stack's variables for one module): values inside the block, the old ones after it."""

import os

import pytest
from support.scoped_env import scoped_env


def test_variables_are_set_inside_and_restored_or_removed_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDPERF_TEST_KEPT", "before")
    monkeypatch.delenv("MEDPERF_TEST_NEW", raising=False)
    with scoped_env({"MEDPERF_TEST_KEPT": "inside", "MEDPERF_TEST_NEW": "s3"}):
        assert (os.environ["MEDPERF_TEST_KEPT"], os.environ["MEDPERF_TEST_NEW"]) == ("inside", "s3")
    assert os.environ["MEDPERF_TEST_KEPT"] == "before"
    assert "MEDPERF_TEST_NEW" not in os.environ


def test_variables_are_restored_when_the_block_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDPERF_TEST_NEW", raising=False)
    with pytest.raises(RuntimeError), scoped_env({"MEDPERF_TEST_NEW": "s3"}):
        raise RuntimeError("a module's fixture failed")
    assert "MEDPERF_TEST_NEW" not in os.environ
