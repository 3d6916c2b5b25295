"""Build and run a GX suite per delivery source.

The suites are derived from `ingestion.contracts`, so the contract documentation, the
loader's row checks and these suites state the same rules. They run on the cleaned frame
of every delivery before it is loaded (a second, independent line of defence behind the
loader's row checks). Large deliveries are validated in chunks.
"""

import json
import os
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ingestion.contracts import (
    AGS,
    CODE,
    DATE,
    DECIMAL,
    ID,
    SCHULJAHR,
    TABULAR_CONTRACTS,
    YEAR,
    YESNO,
    Contract,
)
from ingestion.rows import year_range

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

CHUNK_ROWS = 250_000
# Deliveries larger than this are validated on a fixed-seed sample of this size: the
# loader's row checks have already looked at every row with the same rules, and GX costs
# about 30 µs per row (a county's residents file would take a minute).
SAMPLE_ROWS = 10_000


@dataclass
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failed: int
    failures: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {"suite": self.suite, "success": self.success, "evaluated": self.evaluated,
             "failed": self.failed, "failures": self.failures},
            ensure_ascii=False, default=str,
        )


def _context():
    """A fresh ephemeral context (about 30 ms): nothing is kept between deliveries."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _expectations(contract: Contract, stichtag: date) -> list:
    import great_expectations.expectations as gxe

    found = []
    for column in contract.columns:
        name = column.name
        if name == "hausnummer_zusatz":
            continue
        if column.required:
            found.append(gxe.ExpectColumnValuesToNotBeNull(column=name))
        if column.kind == CODE and column.codes:
            found.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(column.codes)))
        elif column.kind == CODE:
            found.append(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=r"^\d{3}$"))
        elif column.kind == AGS:
            found.append(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=r"^\d{8}$"))
        elif column.kind == ID:
            found.append(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=r"^[0-9a-f]{32}$"))
        elif column.kind == DATE:
            # the same rules as the loader's row checks (ingestion.rows), never stricter:
            # no date after the Stichtag; a birth date at most 115 completed years back
            earliest = pd.Timestamp(stichtag.year - 116, 1, 1) if name == "geburtsdatum" else None
            found.append(gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=earliest, max_value=pd.Timestamp(stichtag)))
        elif column.kind == YESNO:
            found.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=[True, False]))
        elif column.kind == YEAR:
            low, high = year_range(stichtag)
            found.append(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=low, max_value=high))
        elif column.kind == SCHULJAHR:
            found.append(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=r"^\d{4}/\d{2}$"))
        elif column.kind == DECIMAL and column.minimum is not None:
            found.append(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=column.minimum))
    if "ende_nach_beginn" in contract.extra_checks:
        found.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ende", column_B="beginn", or_equal=True,
            ignore_row_if="either_value_is_missing"))
    if len(contract.key) == 1:
        found.append(gxe.ExpectColumnValuesToBeUnique(column=contract.key[0]))
    elif contract.key:
        found.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key)))
    return found


def validate(source: str, frame: pd.DataFrame, stichtag: date) -> SuiteResult:
    """Validate a cleaned delivery frame (pseudonymised ids, parsed dates) against its suite.

    Frames above `SAMPLE_ROWS` rows are validated on a fixed-seed sample; uniqueness of the
    key over all rows is checked by the loader and in SQL by the asset check.
    """
    import great_expectations as gx

    contract = TABULAR_CONTRACTS[source]
    context = _context()
    suite_name = f"{source}_{stichtag.isoformat()}"
    asset = context.data_sources.add_pandas("spm_deliveries").add_dataframe_asset(source)
    batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for expectation in _expectations(contract, stichtag):
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite))

    evaluated = 0
    failures: list[dict] = []
    columns = [c for c in dict.fromkeys([*contract.names, *contract.key]) if c in frame.columns]
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(n=SAMPLE_ROWS, random_state=42)
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        chunk = frame.iloc[start:start + CHUNK_ROWS][columns]
        result = definition.run(batch_parameters={"dataframe": chunk})
        evaluated = max(evaluated, result.statistics["evaluated_expectations"])
        for item in result.results:
            if not item.success:
                failures.append({
                    "expectation": item.expectation_config.type,
                    "column": item.expectation_config.kwargs.get("column"),
                    "unexpected_count": item.result.get("unexpected_count"),
                    "examples": [str(v) for v in (item.result.get("partial_unexpected_list") or [])[:5]],
                })
    return SuiteResult(source, not failures, evaluated, len(failures), failures)
