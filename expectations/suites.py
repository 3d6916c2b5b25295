"""Build and run a GX suite per delivery source.

The suites are derived from `ingestion.contracts`, so the contract documentation, the
loader's row checks and these suites state the same rules. They run in the blocking
contract check of every raw table (dagster_project/defs/ingestion/checks.py), on a sample
per Stichtag of what the loader stored: a second, independent line of defence behind the
loader's row checks, which cannot let a wrong row through to publishing.
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
SAMPLE_ROWS = 20_000
# names of the derived columns (see `derived_columns`)
EARLIEST_BIRTH = "geburtsdatum_frueheste"
YEAR_OFFSET = "_minus_stichtagsjahr"


@dataclass
class SuiteResult:
    source: str
    suite: str                       # <source>_<Stichtag>
    success: bool
    evaluated: int
    failed: int
    failures: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {"source": self.source, "suite": self.suite, "success": self.success, "evaluated": self.evaluated,
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


def _expectations(contract: Contract) -> list:
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
            # no date after the row's Stichtag; a birth date at most 115 completed years back
            found.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="stichtag", column_B=name, or_equal=True,
                ignore_row_if="either_value_is_missing"))
            if name == "geburtsdatum":
                found.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=name, column_B=EARLIEST_BIRTH, or_equal=True,
                    ignore_row_if="either_value_is_missing"))
        elif column.kind == YESNO:
            found.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=[True, False]))
        elif column.kind == YEAR:
            low, high = year_range(date(2000, 1, 1))   # as offsets from the Stichtag's year
            found.append(gxe.ExpectColumnValuesToBeBetween(
                column=f"{name}{YEAR_OFFSET}", min_value=low - 2000, max_value=high - 2000))
        elif column.kind == SCHULJAHR:
            found.append(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=r"^\d{4}/\d{2}$"))
        elif column.kind == DECIMAL and column.minimum is not None:
            found.append(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=column.minimum))
    if "ende_nach_beginn" in contract.extra_checks:
        found.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ende", column_B="beginn", or_equal=True,
            ignore_row_if="either_value_is_missing"))
    if contract.key:
        # a key is unique within a delivery, i.e. per Stichtag and municipality
        found.append(gxe.ExpectCompoundColumnsToBeUnique(
            column_list=list(dict.fromkeys(["stichtag", "ags", *contract.key]))))
    return found


def _columns(kwargs: dict) -> str | None:
    """The column(s) an expectation is about: `a`, `a/b` for a pair, `a, b` for a list."""
    if kwargs.get("column"):
        return kwargs["column"]
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']}/{kwargs['column_B']}"
    return ", ".join(kwargs.get("column_list") or []) or None


def derived_columns(source: str) -> dict[str, str]:
    """Columns the suite needs beside the raw table's, as SQL over it: the rules that
    depend on a row's Stichtag compare with these, so that one validation covers every
    Stichtag of a source."""
    contract = TABULAR_CONTRACTS[source]
    derived = {}
    if "geburtsdatum" in contract.names:
        derived[EARLIEST_BIRTH] = "make_date(year(stichtag) - 116, 1, 1)"
    for column in contract.columns:
        if column.kind == YEAR:
            derived[f"{column.name}{YEAR_OFFSET}"] = f"{column.name} - year(stichtag)"
    return derived


def validate(source: str, frame: pd.DataFrame) -> SuiteResult:
    """Validate rows of a raw table (pseudonymised ids, typed values, `stichtag` and the
    `derived_columns`) against the source's suite.

    Frames above `SAMPLE_ROWS` rows are validated on a fixed-seed sample; uniqueness of the
    key over all rows is checked in SQL by the asset check.
    """
    import great_expectations as gx

    contract = TABULAR_CONTRACTS[source]
    context = _context()
    suite_name = source
    asset = context.data_sources.add_pandas("spm_deliveries").add_dataframe_asset(source)
    batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    # the expectations go in with the suite: added one by one to a saved suite, each is
    # stored again (about 18 ms apiece)
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name,
                                                   expectations=_expectations(contract)))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite))

    evaluated = 0
    failures: list[dict] = []
    columns = [c for c in dict.fromkeys([*contract.names, *contract.key, "stichtag",
                                         *derived_columns(source)]) if c in frame.columns]
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
                    "column": _columns(item.expectation_config.kwargs),
                    "unexpected_count": item.result.get("unexpected_count"),
                    "examples": [str(v) for v in (item.result.get("partial_unexpected_list") or [])[:5]],
                })
    return SuiteResult(source, suite_name, not failures, evaluated, len(failures), failures)
