"""Fixtures of the breast-cancer example tests (helpers live in breast_cancer_harness.py)."""

import pytest
from breast_cancer_harness import PreparedSite, prepare_all_sites


@pytest.fixture(scope="session")
def prepared_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PreparedSite]:
    """Every committed site (and the demo) prepared once per test session."""
    return prepare_all_sites(tmp_path_factory.mktemp("prepared"))
