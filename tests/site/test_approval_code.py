"""Approval codes bind a decision to one run and one exact payload, under a secret only the site has."""

import stat
from pathlib import Path

import pytest

from medperf.errors import ConfigError
from medperf.site.approval_code import approval_code, code_matches, load_or_create_site_secret
from medperf.site.approval_form import Answer, Decision, judge, not_taken_reason


def test_secret_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = load_or_create_site_secret(tmp_path)
    assert stat.S_IMODE((tmp_path / "site-secret").stat().st_mode) == 0o600
    assert load_or_create_site_secret(tmp_path) == first


def test_a_secret_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_site_secret(tmp_path)
    (tmp_path / "site-secret").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_site_secret(tmp_path)


def test_code_is_short_readable_and_bound_to_run_and_payload() -> None:
    secret = b"s" * 64
    code = approval_code(secret, "run-1", "a" * 64)
    assert len(code) == 11 and code[5] == "-"
    assert code != approval_code(secret, "run-2", "a" * 64)
    assert code != approval_code(secret, "run-1", "b" * 64)
    assert code != approval_code(b"t" * 64, "run-1", "a" * 64)


def test_typed_code_tolerates_case_and_missing_dash() -> None:
    secret = b"s" * 64
    code = approval_code(secret, "run-1", "a" * 64)
    assert code_matches(secret, "run-1", "a" * 64, code.lower().replace("-", " "))
    assert not code_matches(secret, "run-1", "a" * 64, "AAAAA-AAAAA")


@pytest.mark.parametrize(
    ("approve", "use_right_code", "expected"),
    [
        (True, True, Decision.APPROVED),
        (True, False, Decision.WRONG_CODE),
        (False, True, Decision.REJECTED),
        (False, False, Decision.WRONG_CODE),
    ],
    ids=["approve", "approve-wrong-code", "reject", "reject-wrong-code"],
)
def test_judge(approve: bool, use_right_code: bool, expected: Decision) -> None:
    secret = b"s" * 64
    code = approval_code(secret, "run", "c" * 64) if use_right_code else "ZZZZZ-ZZZZZ"
    assert judge(Answer(approve, "", code), secret, "run", "c" * 64) is expected


def test_rejecting_without_any_code_decides_nothing() -> None:
    """Someone who reaches only the shared Prefect UI cannot reject a site's upload."""
    assert judge(Answer(False, "no", ""), b"s" * 64, "run", "c" * 64) is Decision.WRONG_CODE


@pytest.mark.parametrize(
    "typed",
    ["ÄÖÜẞ-ÉÈÊË", "١٢٣٤٥-٦٧٨٩٠", "💥💥💥💥💥-💥💥💥💥💥", "\x00\ud800", "ß" * 10, "A" * 10_000],
    ids=["latin-accents", "arabic-digits", "emoji", "nul-and-surrogate", "eszett", "very-long"],
)
def test_any_typed_text_is_a_wrong_code_never_an_error(typed: str) -> None:
    secret = b"s" * 64
    assert not code_matches(secret, "run", "c" * 64, typed)
    assert judge(Answer(True, "", typed), secret, "run", "c" * 64) is Decision.WRONG_CODE


def test_the_right_code_with_non_ascii_decoration_still_matches() -> None:
    secret = b"s" * 64
    code = approval_code(secret, "run", "c" * 64)
    assert code_matches(secret, "run", "c" * 64, f"« {code} »")


def test_an_answer_prefect_did_not_take_is_reported_not_counted() -> None:
    """A busy Prefect server answers a resume with ABORT as a normal result; that answer was not stored."""
    from prefect.client.schemas.responses import (
        OrchestrationResult,
        SetStateStatus,
        StateAbortDetails,
        StateAcceptDetails,
    )

    taken = OrchestrationResult(state=None, status=SetStateStatus.ACCEPT, details=StateAcceptDetails())
    aborted = OrchestrationResult(
        state=None,
        status=SetStateStatus.ABORT, details=StateAbortDetails(reason="Error validating state: database is locked")
    )
    assert not_taken_reason(taken) is None
    assert not_taken_reason(aborted) == "Error validating state: database is locked"
