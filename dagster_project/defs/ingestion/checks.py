"""Data-contract checks on the raw tables, as Dagster asset checks.

Every delivery was validated by its GX suite at load time (results in `raw.gx_results`).
This check validates what is in the warehouse now: per Stichtag a fixed-seed sample of at
most `SAMPLE_ROWS` rows through the same GX suite, plus SQL checks over all rows (required
values, code lists, key uniqueness), so that it stays cheap for 18 million residents.
"""

import dagster as dg

from dagster_project.defs.resources import SpmHomeResource
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


def run_contract_check(home, source: str) -> dg.AssetCheckResult:
    """GX suite on a sample per Stichtag plus SQL checks over all rows of `raw.<source>`."""
    from expectations.suites import validate

    contract = TABULAR_CONTRACTS[source]
    key = list(contract.key)  # every key column exists in the raw table (also the match keys)
    con = warehouse.connect(home)
    failures: list[str] = []
    checked = 0
    try:
        stichtage = [r[0] for r in con.execute(
            f"select distinct stichtag from raw.{source} order by 1").fetchall()]
        for stichtag in stichtage:
            frame = con.execute(
                f"select * from raw.{source} where stichtag = ? "
                f"using sample reservoir({SAMPLE_ROWS} rows) repeatable (42)", [stichtag]).df()
            checked += len(frame)
            result = validate(source, frame, stichtag)
            failures += [f"{stichtag}: {f['expectation']} {f['column']} ({f['unexpected_count']})"
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
        metadata={"stichtage": len(stichtage), "geprueft_zeilen": checked,
                  "fehler": "; ".join(failures) or "keine"},
    )


def _make_contract_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", source]), name=f"{source}_contract", blocking=True,
        description=f"GX-Suite '{source}' (Stichprobe je Stichtag); Pflichtwerte, Codelisten "
                    "und Eindeutigkeit des Schlüssels je Stichtag und Gemeinde in SQL über alle Zeilen.")
    def _check(spm: SpmHomeResource) -> dg.AssetCheckResult:
        return run_contract_check(spm.home(), source)

    return _check


contract_checks = [_make_contract_check(source) for source in TABULAR_CONTRACTS]
einwohner_contract = contract_checks[list(TABULAR_CONTRACTS).index("einwohner")]
