"""Object stores (a local folder or S3), content-addressed by sha256 and verified on read."""

from medperf.storage.base import ObjectStore, StoredObject
from medperf.storage.factory import make_store

__all__ = ["ObjectStore", "StoredObject", "make_store"]
