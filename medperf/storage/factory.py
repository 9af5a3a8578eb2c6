"""Choose the object store from its settings."""

from medperf.settings import ObjectStoreSettings
from medperf.storage.base import ObjectStore


def make_store(settings: ObjectStoreSettings) -> ObjectStore:
    """LocalFolderStore for kind 'local', S3Store for kind 's3'."""
    if settings.kind == "s3":
        from medperf.storage.s3 import S3Store

        return S3Store(
            settings.endpoint,
            settings.access_key,
            settings.secret_key,
            settings.bucket,
            settings.cache_dir,
            secure=settings.secure,
        )
    from medperf.storage.local_folder import LocalFolderStore

    return LocalFolderStore(settings.root, settings.cache_dir)
