"""How a site flow reaches the registry and the object store: the site's own profile and settings."""

import os
from pathlib import Path

from medperf.client.registry import RegistryClient
from medperf.profiles import ProfileStore
from medperf.settings import ObjectStoreSettings
from medperf.storage import ObjectStore, make_store


def site_registry(home: Path) -> RegistryClient:
    """A client for the profile named by $MEDPERF_PROFILE (else the active one) in $MEDPERF_HOME."""
    _, profile = ProfileStore(home).resolve(os.environ.get("MEDPERF_PROFILE") or None)
    return RegistryClient(profile.server_url, profile.token)


def site_store() -> ObjectStore:
    """The object store from MEDPERF_STORE_* settings on this machine."""
    return make_store(ObjectStoreSettings())
