"""Data-contract checks on the raw tables, as Dagster asset checks.

Every delivery was validated by its GX suite at load time (results in `raw.gx_results`).
This check validates what is in the warehouse now: per Stichtag a fixed-seed sample of at
most `SAMPLE_ROWS` rows through the same GX suite, plus SQL checks over all rows (key
uniqueness), so that it stays cheap for 18 million residents.
"""

import dagster as dg

from dagster_project.resources import SpmHomeResource
from ingestion import warehouse

SAMPLE_ROWS = 100_000


@dg.asset_check(asset=dg.AssetKey(["raw", "einwohner"]), blocking=True,
                description="GX-Suite 'einwohner' (Stichprobe je Stichtag) und Eindeutigkeit "
                            "von person_id je Stichtag (alle Zeilen).")
def einwohner_contract(spm: SpmHomeResource) -> dg.AssetCheckResult:
    from expectations.suites import validate

    home = spm.home()
    con = warehouse.connect(home)
    failures: list[str] = []
    checked = 0
    try:
        stichtage = [r[0] for r in con.execute(
            "select distinct stichtag from raw.einwohner order by 1").fetchall()]
        for stichtag in stichtage:
            frame = con.execute(
                "select * from raw.einwohner where stichtag = ? "
                f"using sample reservoir({SAMPLE_ROWS} rows) repeatable (42)", [stichtag]).df()
            checked += len(frame)
            result = validate("einwohner", frame, stichtag)
            failures += [f"{stichtag}: {f['expectation']} {f['column']} ({f['unexpected_count']})"
                         for f in result.failures]
        duplicates = con.execute(
            "select stichtag, count(*) from (select stichtag, person_id from raw.einwohner "
            "group by stichtag, person_id having count(*) > 1) group by stichtag").fetchall()
        failures += [f"{s}: {n} person_id mehrfach" for s, n in duplicates]
    finally:
        con.close()
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"stichtage": len(stichtage), "geprueft_zeilen": checked,
                  "fehler": "; ".join(failures) or "keine"},
    )
