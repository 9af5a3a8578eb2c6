"""An example's GX 1.x sanity suite run directly by Great Expectations (not through the platform's validator)."""

import os
from typing import Any

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
import great_expectations as gx  # noqa: E402
from great_expectations.core.expectation_suite import ExpectationSuite  # noqa: E402

PLATFORM_KEYS = ("target", "label_column")  # read by the platform, not by GX


def failed_expectations(table: pd.DataFrame, suite_json: dict[str, Any]) -> set[tuple[str, str | None]]:
    """(expectation type, column) of every failed expectation, validated in an ephemeral GX context."""
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("example")
        .add_dataframe_asset("per_case")
        .add_batch_definition_whole_dataframe("all_cases")
    )
    suite = context.suites.add(ExpectationSuite(**{k: v for k, v in suite_json.items() if k not in PLATFORM_KEYS}))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="sanity", data=batch, suite=suite))
    result = definition.run(batch_parameters={"dataframe": table})
    failed: set[tuple[str, str | None]] = set()
    for outcome in result.results:
        config = outcome.expectation_config
        assert config is not None
        if not outcome.success:
            failed.add((config.type, config.kwargs.get("column")))
    assert result.success == (not failed)
    return failed
