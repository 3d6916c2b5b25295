"""A quiet console logger for runs: one line per step and every message of our own code."""

import logging
import sys
import time

import dagster as dg

_STEP_EVENTS = {
    "STEP_START": "Schritt gestartet",
    "STEP_SUCCESS": "Schritt fertig",
    "STEP_FAILURE": "Schritt FEHLGESCHLAGEN",
}


class _SpmConsoleHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        text = None
        if event is None:
            if record.levelno >= logging.INFO:
                text = meta.get("orig_message") or record.getMessage()
        else:
            kind = getattr(event, "event_type_value", "")
            if kind in _STEP_EVENTS:
                text = f"{_STEP_EVENTS[kind]}: {step}"
            elif kind == "ASSET_CHECK_EVALUATION":
                data = event.event_specific_data
                if data is not None and not data.passed:
                    text = f"Prüfung NICHT bestanden: {data.check_name} ({data.asset_key.to_user_string()})"
        if text:
            print(f"{time.strftime('%H:%M:%S')}  {text}", file=sys.stdout, flush=True)


@dg.logger(description="Kurze Fortschrittsmeldungen für die Konsole (spm run).")
def spm_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("spm_console")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(_SpmConsoleHandler())
    return log
