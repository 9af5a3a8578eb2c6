"""The release policy as a declared schema: what statistics and metrics may leave a site, checked anywhere.

The same two functions run on the site (before the approval pause) and on the server (before a payload is
stored), so a payload refused on one side is refused on the other. Rules, each refusal naming the key path:

- top-level keys must be allowed (``allowed_statistics_keys`` / ``allowed_metric_keys``);
- every value is a finite number, a boolean or null; a string passes only where ``enum_values`` declares it
  (and only a declared value) or when it names one of the payload's own key paths (e.g. a ``suppressed``
  list of cells); anything else (dates, bytes, ...) is refused;
- lists pass only with ``allow_per_case`` (or when they only name the payload's own key paths); metric
  values are single values unless ``allow_per_case``;
- under a count key (``count_keys``: fnmatch patterns matched against a key's name or dotted path) every
  value is a count of people, whatever its type (``3.0``, ``"2"``, ``True``): it must be a whole number, 0 or
  at least ``min_cell_count`` (k); null is a suppressed cell;
- no key looks like a case id (long digit runs such as ``A-0001`` or ``842302``, ``case_12``-style names,
  UUIDs, long hex strings); the site may also pass its dataset's case ids, and then no key or string may
  equal or contain one;
- size caps: keys per mapping, nesting depth, key and string length, bytes of the canonical JSON.

Messages never repeat a value, and a key that looks like a case id is shown masked, so a refusal logged
on the site reveals no per-case data.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from fnmatch import fnmatchcase
from typing import Any, NoReturn

from medperf.errors import PolicyViolation
from medperf.schemas.entities import ReleasePolicy
from medperf.schemas.task import LabelKind, TaskDeclaration

__all__ = ["check_metrics", "check_statistics", "declared_statistics_keys", "looks_like_case_id"]

# Keys the platform derives from a benchmark's task declaration (allowed whenever the declaration asks for them).
LABEL_SUMMARY_KEY = "label_summary"  # statistics: k-safe bins of a continuous label, per-structure mask volumes
DRIFT_KEY = "drift"  # statistics: drift scores against the benchmark's reference statistics
SUBGROUPS_KEY = "subgroups"  # metrics: {"<column>=<value>": {metric: value} or null (suppressed)}

MAX_INTEGER = 2**63 - 1
MIN_CASE_ID_LENGTH = 3
_ID_WORDS = (
    "case|patient|pat|subject|subj|sub|sample|study|series|scan|image|img|record|rec|mrn|id|pt|participant"
    "|person|specimen|slide|visit|exam|accession|acc|uid"
)
_CASE_ID_PATTERNS = (
    re.compile(r"\d{4,}"),  # a run of 4+ digits: 842302, A-0001, BraTS_00012
    re.compile(r"(?:^[A-Za-z]?|[-_ .#:/])\d{3}(?!\d)"),  # 3 digits after a separator or one letter: P001, A-001
    re.compile(rf"(?i)(?:^|[^a-z])(?:{_ID_WORDS})[-_ .#:]?\d+(?:$|[^0-9])"),  # case_12, patient-3, sub01
    re.compile(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"),  # a UUID
    re.compile(r"(?i)(?=[0-9a-f]*\d)[0-9a-f]{16,}"),  # a long hex string (a hash or an opaque id)
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def looks_like_case_id(key: str) -> bool:
    """Whether a key looks like an identifier of one case rather than a name of a feature or class."""
    return any(pattern.search(key) for pattern in _CASE_ID_PATTERNS)


def _is_valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not _CONTROL.search(text)


class _Walk:
    """One check of one payload (statistics or metrics) against a policy."""

    def __init__(self, what: str, policy: ReleasePolicy, case_ids: Collection[str]) -> None:
        self.what = what
        self.policy = policy
        self.case_ids = {str(case_id) for case_id in case_ids if len(str(case_id)) >= MIN_CASE_ID_LENGTH}
        self.case_id_lengths = sorted({len(case_id) for case_id in self.case_ids})
        self.bytes_seen = 0
        self.structural: list[tuple[str, str]] = []  # (path, string) that must name one of the key paths
        self.key_paths: set[str] = set()

    def refuse(self, path: str, problem: str, advice: str = "fix the container that wrote it") -> NoReturn:
        where = f"{self.what} key '{path}'" if path else self.what
        raise PolicyViolation(f"release policy: {where} {problem}; {advice}; nothing was uploaded")

    def count_bytes(self, path: str, amount: int) -> None:
        self.bytes_seen += amount
        if self.bytes_seen > self.policy.max_payload_bytes:
            self.refuse(
                path,
                f"takes the {self.what} past {self.policy.max_payload_bytes} bytes",
                "release aggregates, not per-case data",
            )

    def contains_case_id(self, text: str) -> bool:
        """Whether text equals or contains a case id (a window per id length: fast for 100k ids)."""
        return any(
            text[start : start + length] in self.case_ids
            for length in self.case_id_lengths
            for start in range(len(text) - length + 1)
        )

    # ------------------------------------------------------------------ keys
    def key_name(self, parent: str, key: object, index: int) -> str:
        """The checked text of one key, or a refusal naming it (masked where it may be a case id)."""
        masked = f"{parent}.<key #{index + 1}>" if parent else f"<key #{index + 1}>"
        if isinstance(key, bool) or not isinstance(key, str | int):
            self.refuse(masked, "is not text")
        text = str(key)
        if len(text) > self.policy.max_string_length:
            self.refuse(masked, f"is longer than {self.policy.max_string_length} characters")
        if not _is_valid_text(text):
            self.refuse(masked, "is not valid text (invalid Unicode or control characters)")
        if looks_like_case_id(text):
            self.refuse(masked, "looks like a case id", "release aggregates, never values keyed by case")
        if self.contains_case_id(text):
            self.refuse(masked, "contains one of the dataset's case ids", "release aggregates only")
        return text

    def is_count_key(self, name: str, path: str) -> bool:
        return any(fnmatchcase(name, p) or fnmatchcase(path, p) for p in self.policy.count_keys)

    # ------------------------------------------------------------------ values
    def walk(self, value: Any, path: str, depth: int, in_count: bool) -> None:
        if isinstance(value, Mapping):
            self.walk_mapping(value, path, depth, in_count)
        elif isinstance(value, list | tuple):
            self.walk_list(value, path, depth, in_count)
        elif in_count:
            self.check_count(value, path)
        else:
            self.check_scalar(value, path)

    def check_depth(self, path: str, depth: int) -> None:
        if depth > self.policy.max_depth:
            self.refuse(path, f"is nested deeper than {self.policy.max_depth} levels", "flatten the statistics")

    def walk_mapping(self, value: Mapping[Any, Any], path: str, depth: int, in_count: bool) -> None:
        self.check_depth(path, depth)
        if len(value) > self.policy.max_keys_per_mapping:
            limit = self.policy.max_keys_per_mapping
            self.refuse(path, f"holds more than {limit} keys", "release aggregates, not per-case data")
        self.count_bytes(path, 2)
        for index, (key, inner) in enumerate(value.items()):
            name = self.key_name(path, key, index)
            inner_path = f"{path}.{name}" if path else name
            self.count_bytes(inner_path, len(name.encode("utf-8")) + 4)
            self.key_paths.add(inner_path)
            self.walk(inner, inner_path, depth + 1, in_count or self.is_count_key(name, inner_path))

    def walk_list(self, value: list[Any] | tuple[Any, ...], path: str, depth: int, in_count: bool) -> None:
        self.check_depth(path, depth)
        if len(value) > self.policy.max_keys_per_mapping:
            self.refuse(path, f"holds more than {self.policy.max_keys_per_mapping} items", "release aggregates only")
        self.count_bytes(path, 2)
        if not self.policy.allow_per_case and not in_count:
            if not all(isinstance(item, str) for item in value):
                self.refuse(
                    path,
                    "is a list (possible per-case values), which this benchmark does not allow to leave",
                    "release aggregates only",
                )
            for index, item in enumerate(value):
                self.check_text(item, f"{path}[{index}]")
                self.structural.append((path, item))
            return
        for index, item in enumerate(value):
            self.walk(item, f"{path}[{index}]", depth + 1, in_count)

    def check_text(self, text: str, path: str) -> None:
        self.count_bytes(path, len(text.encode("utf-8", "replace")) + 3)
        if len(text) > self.policy.max_string_length:
            self.refuse(path, f"holds a string longer than {self.policy.max_string_length} characters")
        if not _is_valid_text(text):
            self.refuse(path, "holds invalid text (invalid Unicode or control characters)")
        if self.contains_case_id(text):
            self.refuse(path, "holds a string containing one of the dataset's case ids", "release aggregates only")

    def check_scalar(self, value: Any, path: str) -> None:
        if value is None or isinstance(value, bool):
            self.count_bytes(path, 5)
        elif isinstance(value, int):
            self.count_bytes(path, len(str(value)) if abs(value) <= MAX_INTEGER else 20)
            if abs(value) > MAX_INTEGER:
                self.refuse(path, "is an integer too large to store")
        elif isinstance(value, float):
            self.count_bytes(path, 8)
            if not math.isfinite(value):
                self.refuse(path, f"is {value}, not a finite number")
        elif isinstance(value, str):
            self.check_text(value, path)
            allowed = [values for pattern, values in self.policy.enum_values.items() if fnmatchcase(path, pattern)]
            if allowed:
                if not any(value in values for values in allowed):
                    self.refuse(path, "holds a string that is not one of its declared values (enum_values)")
            else:
                self.structural.append((path, value))
        else:
            self.refuse(path, f"holds a {type(value).__name__}; only numbers, booleans, null and declared strings")

    def check_count(self, value: Any, path: str) -> None:
        """A count of people, whatever its type: a whole number that is 0 or at least k; null is suppressed."""
        if value is None:
            self.count_bytes(path, 4)
            return
        number: float
        if isinstance(value, bool | int | float):
            number = float(value)
        elif isinstance(value, str):
            self.check_text(value, path)
            try:
                number = float(value)
            except ValueError:
                self.refuse(path, "is a count but holds a string")
        else:
            self.refuse(path, f"is a count but holds a {type(value).__name__}")
        self.count_bytes(path, 8)
        if not math.isfinite(number) or number < 0 or number != int(number) or abs(number) > MAX_INTEGER:
            self.refuse(path, "is a count but is not a whole number >= 0")
        k = self.policy.min_cell_count
        if 0 < number < k:
            self.refuse(
                path,
                f"is a cell counting fewer than k={k} cases",
                "suppress small cells (write null) in the container's statistics",
            )
        if isinstance(value, str | bool):
            self.refuse(path, f"is a count written as a {type(value).__name__}; write a whole number")

    def finish(self, payload: Mapping[str, Any]) -> None:
        """Strings outside enum_values must name one of the payload's own key paths; bytes are exact."""
        for path, text in self.structural:
            if text not in self.key_paths:
                self.refuse(
                    path,
                    "holds a string, which this benchmark does not declare (enum_values)",
                    "release numbers, or ask the benchmark owner to declare the values",
                )
        try:
            size = len(
                json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
            )
        except (TypeError, ValueError):
            self.refuse("", "cannot be written as canonical JSON (mixed key types)")
        if size > self.policy.max_payload_bytes:
            self.refuse("", f"is larger than {self.policy.max_payload_bytes} bytes", "release aggregates only")


def _shown(keys: Collection[str], policy: ReleasePolicy) -> list[str]:
    shown = [
        "<case-id-like key>"
        if looks_like_case_id(key) or len(key) > policy.max_string_length or not _is_valid_text(key)
        else key
        for key in sorted(keys)[:5]
    ]
    return shown + ([f"... {len(keys) - 5} more"] if len(keys) > 5 else [])


def _top_level_keys(payload: Mapping[Any, Any], what: str, policy: ReleasePolicy) -> None:
    if not isinstance(payload, Mapping):
        raise PolicyViolation(f"release policy: the {what} are not a mapping of name -> value; nothing was uploaded")
    if len(payload) > policy.max_keys_per_mapping:
        raise PolicyViolation(
            f"release policy: the {what} hold more than {policy.max_keys_per_mapping} keys; nothing was uploaded"
        )


def declared_statistics_keys(task: TaskDeclaration | None) -> list[str]:
    """The statistics keys a task declaration adds: the label summary of its label kind, drift with a reference."""
    if task is None:
        return []
    keys = [LABEL_SUMMARY_KEY] if task.label_kind in (LabelKind.CONTINUOUS, LabelKind.MASK) else []
    return keys + ([DRIFT_KEY] if task.reference_statistics else [])


def check_statistics(
    statistics: Mapping[str, Any],
    policy: ReleasePolicy,
    *,
    case_ids: Collection[str] = (),
    task: TaskDeclaration | None = None,
) -> None:
    """Raise PolicyViolation (one line naming the key path) unless these dataset statistics may leave.

    ``task`` (the benchmark's declaration) also allows the keys it asks the platform for (label_summary, drift).
    """
    _top_level_keys(statistics, "statistics", policy)
    allowed = set(policy.allowed_statistics_keys) | set(declared_statistics_keys(task))
    extra = {str(key) for key in statistics} - allowed
    if extra:
        raise PolicyViolation(
            f"release policy: statistics keys {_shown(extra, policy)} may not leave the site "
            f"(allowed: {sorted(allowed)}); ask the benchmark owner to allow them"
        )
    walk = _Walk("statistics", policy, case_ids)
    walk.walk(statistics, "", 1, False)
    walk.finish(statistics)


def check_metrics(
    metrics: Mapping[str, Any],
    policy: ReleasePolicy,
    num_cases: int | None = None,
    *,
    case_ids: Collection[str] = (),
    task: TaskDeclaration | None = None,
) -> None:
    """Raise PolicyViolation (one line naming the key path) unless these metrics may leave.

    ``num_cases`` is the number of cases the metrics were computed on, where the caller knows it. With a
    ``task`` that declares subgroups, the ``subgroups`` key may carry one mapping of declared metric keys per
    subgroup (null where suppressed), each with its case count (the declared count key) 0 or at least k.
    """
    k = policy.min_cell_count
    if num_cases is not None and 0 < num_cases < k:
        raise PolicyViolation(f"release policy: the metrics come from fewer than k={k} cases; nothing was uploaded")
    _top_level_keys(metrics, "metrics", policy)
    nested = {SUBGROUPS_KEY} if task is not None and task.subgroups else set()
    allowed = policy.allowed_metric_keys
    if allowed is None and task is not None:  # no list of its own: the declared task's keys, however registered
        allowed = task.metric_keys()
    if allowed is not None:
        extra = {str(key) for key in metrics} - set(allowed) - nested
        if extra:
            raise PolicyViolation(
                f"release policy: metrics {_shown(extra, policy)} may not leave the site "
                f"(allowed: {sorted(set(allowed) | nested)})"
            )
    walk = _Walk("metrics", policy, case_ids)
    if nested and task is not None and SUBGROUPS_KEY in metrics:
        _check_subgroups(walk, metrics[SUBGROUPS_KEY], task)
    if not policy.allow_per_case:
        for index, (name, value) in enumerate(metrics.items()):
            if name in nested:
                continue
            if isinstance(value, Mapping | list | tuple):
                path = walk.key_name("", name, index)
                walk.refuse(
                    path,
                    "is not a single value (possible per-case values); only scalar metrics may leave",
                    "fix the evaluator",
                )
    walk.walk(metrics, "", 1, False)
    walk.finish(metrics)


def _check_subgroups(walk: _Walk, subgroups: Any, task: TaskDeclaration) -> None:
    """Each subgroup is null (suppressed) or a flat mapping of declared metric keys with a case count >= k."""
    if not isinstance(subgroups, Mapping):
        walk.refuse(SUBGROUPS_KEY, "is not a mapping of subgroup -> metrics", "fix the site's subgroup step")
    declared = set(task.metric_keys())
    for index, (name, metrics) in enumerate(subgroups.items()):
        path = f"{SUBGROUPS_KEY}.{walk.key_name(SUBGROUPS_KEY, name, index)}"
        if metrics is None:
            continue
        if not isinstance(metrics, Mapping):
            walk.refuse(path, "is neither null (suppressed) nor a mapping of metrics", "fix the site's subgroup step")
        extra = {str(key) for key in metrics} - declared
        if extra:
            walk.refuse(path, f"holds metrics the task does not declare ({len(extra)})", "declare them in task.metrics")
        if any(isinstance(value, Mapping | list | tuple) for value in metrics.values()):
            walk.refuse(path, "holds a value that is not a single value", "only scalar metrics may leave")
        count = metrics.get(task.count_key)
        if isinstance(count, bool) or not isinstance(count, int | float) or count != int(count):
            walk.refuse(f"{path}.{task.count_key}", "is not the subgroup's whole case count", "fix the subgroup step")
        if 0 < count < walk.policy.min_cell_count:
            walk.refuse(
                f"{path}.{task.count_key}",
                f"is a subgroup of fewer than k={walk.policy.min_cell_count} cases",
                "suppress it (null) before release",
            )
