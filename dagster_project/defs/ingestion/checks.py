"""Data-contract checks on the raw tables, as Dagster asset checks.

The loader checks every row of every delivery with the contract's rules, set-wise in SQL
(ingestion.rows). This check validates what is in the warehouse afterwards: a fixed-seed sample of at most
`SAMPLE_ROWS` rows over every Stichtag through the source's GX suite, in one validation (a
GX validation costs about 0.6 s whatever its size; the newest result per source is kept in
`raw.gx_results`), plus SQL checks over all rows (required values, code lists, key
uniqueness per Stichtag), so that it stays cheap for 18 million residents.
"""

import dagster as dg

from dagster_project.defs.resources import SpmHomeResource
from expectations.suites import derived_columns
from ingestion import warehouse
from ingestion.contracts import CODE, TABULAR_CONTRACTS

SAMPLE_ROWS = 20_000


def sql_contract_failures(con, source: str) -> list[str]:
    """Required values and code lists of the contract, checked in SQL over every row."""
    contract = TABULAR_CONTRACTS[source]
    parts, labels = [], []
    for column in contract.columns:
        if column.required and column.name != "hausnummer":
            parts.append(f"count(*) filter (where {column.name} is null)")
            labels.append(f"{column.name} fehlt")
        if column.kind == CODE and column.codes:
            codes = ", ".join(f"'{c}'" for c in column.codes)
            parts.append(f"count(*) filter (where {column.name} not in ({codes}))")
            labels.append(f"{column.name} mit unbekanntem Code")
    counts = con.execute(f"select {', '.join(parts)} from raw.{source}").fetchone()
    return [f"{label}: {n}" for label, n in zip(labels, counts, strict=True) if n]


def record_gx_result(con, result) -> None:
    """Keep the newest result of a source's suite in `raw.gx_results`."""
    con.execute("begin transaction")
    try:
        # (rows with a delivery are per-delivery results of releases before issue 12)
        con.execute("delete from raw.gx_results where suite = ? or delivery_id is not null",
                    [result.suite])
        con.execute("insert into raw.gx_results values (null, ?, ?, ?, ?, ?, ?, now())",
                    [result.source, result.suite, result.success, result.evaluated,
                     result.failed, result.to_json()])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def run_contract_check(home, source: str) -> dg.AssetCheckResult:
    """GX suite on a sample over every Stichtag plus SQL checks over all rows of `raw.<source>`."""
    from expectations.suites import validate

    contract = TABULAR_CONTRACTS[source]
    key = list(contract.key)  # every key column exists in the raw table (also the match keys)
    con = warehouse.connect(home)
    failures: list[str] = []
    checked = 0
    try:
        stichtage = con.execute(f"select count(distinct stichtag) from raw.{source}").fetchone()[0]
        derived = "".join(f", {sql} as {name}" for name, sql in derived_columns(source).items())
        frame = con.execute(
            f"select *{derived} from raw.{source} "
            f"using sample reservoir({SAMPLE_ROWS} rows) repeatable (42)").df()
        checked = len(frame)
        if checked:
            result = validate(source, frame)
            record_gx_result(con, result)
            failures += [f"{f['expectation']} {f['column']} ({f['unexpected_count']})"
                         for f in result.failures]
        failures += [f"alle Stichtage: {f}" for f in sql_contract_failures(con, source)]
        if key:
            columns = ", ".join(dict.fromkeys(["ags", *key]))
            duplicates = con.execute(
                f"select stichtag, count(*) from (select stichtag, {columns} from raw.{source} "
                f"group by stichtag, {columns} having count(*) > 1) group by stichtag").fetchall()
            failures += [f"{s}: {n} {columns} mehrfach je Gemeinde" for s, n in duplicates]
    finally:
        con.close()
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"stichtage": stichtage, "geprueft_zeilen": checked,
                  "fehler": "; ".join(failures) or "keine"},
    )


def _make_contract_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", source]), name=f"{source}_contract", blocking=True,
        description=f"GX-Suite '{source}' (Stichprobe über alle Stichtage); Pflichtwerte, Codelisten "
                    "und Eindeutigkeit des Schlüssels je Stichtag und Gemeinde in SQL über alle Zeilen.")
    def _check(spm: SpmHomeResource) -> dg.AssetCheckResult:
        return run_contract_check(spm.home(), source)

    return _check


contract_checks = [_make_contract_check(source) for source in TABULAR_CONTRACTS]
einwohner_contract = contract_checks[list(TABULAR_CONTRACTS).index("einwohner")]
