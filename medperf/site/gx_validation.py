"""Validate the per-case table (manifest or case table) with the benchmark's GX 1.x suite, in an ephemeral context."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medperf.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not hold: its name, column, how many cases broke it and a few of them."""

    expectation: str
    column: str | None
    unexpected_count: int | None
    sample_case_ids: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """expect_x(column) — the name a user sees."""
        return f"{self.expectation}({self.column})" if self.column else self.expectation


@dataclass(frozen=True)
class SuiteOutcome:
    """The result of one suite: how many expectations ran and which failed."""

    evaluated: int
    failures: list[FailedExpectation]

    @property
    def success(self) -> bool:
        """True when every expectation held."""
        return not self.failures

    def counts(self) -> dict[str, int]:
        """Sanity results as counts only: what may be released."""
        return {"expectations_evaluated": self.evaluated, "expectations_failed": len(self.failures)}

    def site_report(self) -> dict[str, Any]:
        """The full report with sample case ids, for the site's own records only."""
        return {
            "evaluated": self.evaluated,
            "failures": [
                {
                    "expectation": item.expectation,
                    "column": item.column,
                    "unexpected_count": item.unexpected_count,
                    "sample_case_ids": item.sample_case_ids,
                }
                for item in self.failures
            ],
        }


def _quiet_gx() -> None:
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _build_suite(suite_json: dict[str, Any]) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    raw = suite_json.get("expectations")
    if not isinstance(raw, list):
        raise ConfigError("benchmark sanity_suite: 'expectations' must be a list of GX 1.x expectations")
    expectations = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ConfigError(f"benchmark sanity_suite: expectations[{index}] needs a 'type' (GX 1.x format)")
        try:
            config = ExpectationConfiguration(type=item["type"], kwargs=dict(item.get("kwargs") or {}))
            expectations.append(config.to_domain_obj())
        except Exception as exc:  # GX raises many error types for a bad expectation
            raise ConfigError(
                f"benchmark sanity_suite: expectations[{index}] ({item['type']}) is invalid: "
                f"{type(exc).__name__}; fix the suite"
            ) from None
    return gx.ExpectationSuite(name=str(suite_json.get("name") or "sanity"), expectations=expectations)


def _sample_ids(result: dict[str, Any], id_column: str | None) -> list[str]:
    ids: list[str] = []
    for entry in result.get("unexpected_index_list") or result.get("partial_unexpected_index_list") or []:
        if id_column is not None and isinstance(entry, dict) and id_column in entry:
            ids.append(str(entry[id_column]))
        if len(ids) >= SAMPLE_SIZE:
            break
    return ids


def validate_case_table(
    table: pd.DataFrame, suite_json: dict[str, Any] | None, id_column: str | None = "case_id"
) -> SuiteOutcome:
    """Run every expectation of the suite on the table; no suite means nothing to check.

    id_column names the cases in the site-only samples of failed expectations (the preparator's table may
    call it something else than case_id); the suite's `target` and `label_column` keys are read elsewhere.
    """
    if not suite_json:
        return SuiteOutcome(evaluated=0, failures=[])
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    suite = _build_suite(suite_json)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("site")
    asset = source.add_dataframe_asset("case_table")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": table})
    index_columns = [id_column] if id_column is not None and id_column in table.columns else []
    validation = batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": index_columns,
            "partial_unexpected_count": SAMPLE_SIZE,
        },
    )
    failures = []
    for item in validation.results:
        if item.success:
            continue
        config = item.expectation_config
        result = dict(item.result or {})
        count = result.get("unexpected_count")
        failures.append(
            FailedExpectation(
                expectation=str(config.type),
                column=config.kwargs.get("column"),
                unexpected_count=None if count is None else int(count),
                sample_case_ids=_sample_ids(result, index_columns[0] if index_columns else None),
            )
        )
    return SuiteOutcome(evaluated=len(validation.results), failures=failures)
