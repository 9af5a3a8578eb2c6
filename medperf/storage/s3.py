"""The S3 object store (MinIO, SeaweedFS, any S3) through the minio client; urls s3://<bucket>/<key>."""

import hashlib
import io
import os
from pathlib import Path
from urllib.parse import urlparse

import certifi
import urllib3
import urllib3.exceptions
from minio import Minio
from minio.error import S3Error

from medperf.errors import ConfigError, MedPerfError, StoreUnavailable
from medperf.hashing import sha256_file
from medperf.storage.base import StoredObject, object_key
from medperf.storage.cache import VerifiedCache, copy_file
from medperf.storage.local_folder import file_url_path


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// url."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        raise ConfigError(f"{url}: not an s3://<bucket>/<key> url; check the registered url")
    return parsed.netloc, parsed.path.lstrip("/")


CONNECT_TIMEOUT_S = 10.0  # a store that does not take the connection by then is down
READ_TIMEOUT_S = 60.0  # a store that took it but stays silent this long is hung (per read, not per object)


def http_client(secure: bool) -> urllib3.PoolManager:
    """minio's own connection pool, except the timeouts: a store that is down fails in seconds, not minutes."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S),
        maxsize=10,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        # a refused connection or a 5xx is retried 5 times in ~6 s; a read timeout once (it cost a minute)
        retries=urllib3.Retry(total=5, read=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


def _why(err: urllib3.exceptions.HTTPError) -> str:
    """A short reason for a failed connection (urllib3's own messages hold object reprs and urls)."""
    reason = getattr(err, "reason", None) or err
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "the connection was refused"
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return "it did not answer in time"
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        return "it closed the connection"
    if isinstance(reason, urllib3.exceptions.ResponseError):
        return "it kept answering with server errors"
    return type(reason).__name__


class S3Store:
    """Objects in an S3 bucket under sha256/<hex>; fetched copies verified into the site's cache."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        cache_dir: Path,
        *,
        secure: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, http_client=http_client(secure)
        )
        self.cache = VerifiedCache(cache_dir)
        self._bucket_ready = False

    def _unreachable(self, err: Exception) -> MedPerfError:
        if isinstance(err, urllib3.exceptions.HTTPError):
            return StoreUnavailable(
                f"object store S3 at {self.endpoint} is unreachable ({_why(err)}); nothing was fetched or sent — "
                "start the store (or fix MEDPERF_STORE_ENDPOINT) and run again"
            )
        return ConfigError(
            f"S3 at {self.endpoint}: {err}; check MEDPERF_STORE_ENDPOINT and the credentials "
            "(MEDPERF_STORE_ACCESS_KEY / MEDPERF_STORE_SECRET_KEY)"
        )

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
        except S3Error as err:
            # Another site (or process) created it between our check and our create: it is there, and ours.
            if err.code != "BucketAlreadyOwnedByYou":
                raise self._unreachable(err) from None
        except urllib3.exceptions.HTTPError as err:
            raise self._unreachable(err) from None
        self._bucket_ready = True

    def _exists(self, key: str) -> bool:
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as err:
            if err.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return False
            raise self._unreachable(err) from None
        return True

    def put_file(self, path: Path) -> StoredObject:
        """Upload a file under its sha256 (skipped when that object is already there)."""
        source = Path(path)
        if not source.is_file():
            raise ConfigError(f"{source}: not a file; give the file to upload")
        sha256 = sha256_file(source)
        key = object_key(sha256)
        self._ensure_bucket()
        try:
            if not self._exists(key):
                self.client.fput_object(self.bucket, key, str(source))
        except (S3Error, urllib3.exceptions.HTTPError) as err:
            raise self._unreachable(err) from None
        return StoredObject(url=f"s3://{self.bucket}/{key}", sha256=sha256, size=source.stat().st_size)

    def put_bytes(self, data: bytes) -> StoredObject:
        """Upload bytes under their sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        key = object_key(sha256)
        self._ensure_bucket()
        try:
            if not self._exists(key):
                self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))
        except (S3Error, urllib3.exceptions.HTTPError) as err:
            raise self._unreachable(err) from None
        return StoredObject(url=f"s3://{self.bucket}/{key}", sha256=sha256, size=len(data))

    def fetch(self, url: str, sha256: str) -> Path:
        """A verified cached copy of an s3:// (or file://) object."""
        if url.startswith("file://"):
            return self.cache.get(url, sha256, copy_file(file_url_path(url)))
        bucket, key = parse_s3_url(url)

        def download(target: Path) -> None:
            try:
                self.client.fget_object(bucket, key, str(target))
            except S3Error as err:
                if err.code in ("NoSuchKey", "NoSuchBucket"):
                    raise ConfigError(f"{url}: no such object; check the url or re-upload it") from None
                raise self._unreachable(err) from None
            except urllib3.exceptions.HTTPError as err:
                raise self._unreachable(err) from None

        return self.cache.get(url, sha256, download)
