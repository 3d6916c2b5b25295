"""Why a run did not publish, in German lines: the failed checks of severity error and the
failed steps of a run of the nightly job, read from the Dagster instance (`spm status`,
`spm run`, the failure messages)."""

import re

PUBLISH_ASSET = ("published", "spm_duckdb")
MAX_GRUENDE = 10


def _first_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[0] if lines else "unbekannter Fehler"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_NODE = re.compile(r"\d+ of \d+ (ERROR creating [\w ]*?model \S+|FAIL \d+ \S+)")


def _reason(text: str) -> str:
    """One line: for a failed dbt build the failed nodes and the last error line (dagster-dbt
    puts the errors parsed from the dbt log into its message), else the first line."""
    text = _ANSI.sub("", text or "")
    if "dbt CLI process" not in text:
        return _first_line(text)
    nodes = [m.group(1) for m in _DBT_NODE.finditer(text)]
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    parts = [*nodes[:5], *([f"… und {len(nodes) - 5} weitere"] if len(nodes) > 5 else [])]
    if last and not _DBT_NODE.search(last):
        parts.append(last)
    return "dbt build: " + ("; ".join(parts) if parts else _first_line(text))


def _error_text(error) -> str:
    """The innermost cause of a step error (Dagster wraps the op's own exception)."""
    while error is not None and error.cause is not None:
        error = error.cause
    return "" if error is None else error.message


def run_problems(instance, run_id: str) -> tuple[bool, list[str]]:
    """Whether the run published, and why not (German lines): the failed checks of
    severity error, the failed steps (their first line), else the missing step."""
    import dagster as dg

    events = instance.all_logs(run_id, of_type={
        dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION})
    published, checks, steps = False, [], []
    for entry in events:
        event = entry.dagster_event
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            published |= event.asset_key == dg.AssetKey(list(PUBLISH_ASSET))
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.asset_check_evaluation_data
            if not check.passed and check.severity == dg.AssetCheckSeverity.ERROR:
                failed = getattr(check.metadata.get("dagster_dbt/failed_row_count"), "value",
                                 None)
                fehler = getattr(check.metadata.get("fehler"), "value", None)
                detail = (f": {failed} fehlerhafte Zeile(n)" if failed is not None
                          else f": {fehler}" if fehler else "")
                checks.append(f"Prüfung {check.check_name} "
                              f"({check.asset_key.to_user_string()}) nicht bestanden{detail}")
        else:
            data = event.step_failure_data
            text = (data.user_failure_data.description if data.user_failure_data
                    and data.user_failure_data.description else _error_text(data.error))
            steps.append(f"Schritt {event.step_key} fehlgeschlagen: {_reason(text)}")
    reasons = checks[:MAX_GRUENDE]
    if len(checks) > MAX_GRUENDE:
        reasons.append(f"… und {len(checks) - MAX_GRUENDE} weitere nicht bestandene Prüfungen")
    reasons += steps
    if not published and not reasons:
        reasons.append("Die Veröffentlichung (published/spm_duckdb) war nicht Teil des Laufs "
                       "oder wurde ausgelassen.")
    return published, reasons
