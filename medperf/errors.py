"""The exception family: each carries the one-line message a user sees."""


class MedPerfError(Exception):
    """Base of every error a user can cause; str(err) is the one line to print."""


class ConfigError(MedPerfError):
    """A configuration file or setting is invalid."""


class HashMismatch(MedPerfError):
    """Content does not match its expected sha256."""


class ContainerTaskFailed(MedPerfError):
    """A container task exited non-zero, crashed or timed out."""


class ApprovalRejected(MedPerfError):
    """The data owner rejected an upload or gave a wrong approval code."""


class PolicyViolation(MedPerfError):
    """An outgoing payload breaks the benchmark's release policy."""


class SanityCheckFailed(MedPerfError):
    """Prepared data failed the benchmark's sanity checks."""


class StoreUnavailable(MedPerfError):
    """The object store cannot be reached (down, refusing or not answering); a later retry may succeed."""


class DiskFull(MedPerfError):
    """A folder of the site ran out of disk space."""


class ConnectionLost(MedPerfError):
    """A site run lost a server it needs (the Prefect API, typically) mid-run and stopped."""
