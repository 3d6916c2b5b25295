"""The results of the Dagster asset checks upstream of the published zone, as rows of the
quality gate (`dagster_project.quality.gate.Pruefergebnis`).

Every asset check upstream of the target contributes its latest evaluation: the GX contract
checks (`art` `datenvertrag`), every dbt test (`dbt_test`) and any other `@asset_check`
(`asset_check`). Severity and result come from the AssetCheckResult; the figures from its
metadata: every int/float entry with a snake_case key is a row with `kennzahl` = key (dbt's
failed row count is `fehlerhafte_zeilen`); a text entry `hinweis` (the contract checks:
`fehler`) becomes the `hinweis`. A check without a finished evaluation is
`nicht_ausgefuehrt`.
"""

import datetime as dt
import re
from dataclasses import replace

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from dagster_project.quality.gate import (
    ART_ASSET_CHECK,
    ART_DATENVERTRAG,
    ART_DBT,
    BESTANDEN,
    ERROR,
    FEHLGESCHLAGEN,
    NICHT_AUSGEFUEHRT,
    WARN,
    Pruefergebnis,
)

_KENNZAHL = re.compile(r"^[a-z][a-z0-9_]*$")
_DBT_FEHLERZEILEN = "dagster_dbt/failed_row_count"


def _local(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp).replace(microsecond=0)


def _art(spec: dg.AssetCheckSpec, asset_key: dg.AssetKey) -> str:
    if "dagster_dbt/unique_id" in (spec.metadata or {}):
        return ART_DBT
    if asset_key.path[0] == "raw" and spec.name.endswith("_contract"):
        return ART_DATENVERTRAG
    return ART_ASSET_CHECK


def _figures(metadata: dict) -> tuple[list[tuple[str, float]], str | None]:
    """(kennzahl, wert) pairs and the hinweis from an evaluation's metadata."""
    figures, hinweis = [], None
    for key, entry in metadata.items():
        value = getattr(entry, "value", entry)
        if key == _DBT_FEHLERZEILEN and value is not None:
            figures.append(("fehlerhafte_zeilen", float(value)))
        elif _KENNZAHL.match(key) and isinstance(value, int | float) \
                and not isinstance(value, bool):
            figures.append((key, float(value)))
        elif key == "hinweis" and isinstance(value, str):
            hinweis = value
        elif key == "fehler" and isinstance(value, str) and value != "keine":
            hinweis = hinweis or value
    return figures, hinweis


def asset_check_results(instance: dg.DagsterInstance, asset_graph, target: dg.AssetKey,
                        lauf_id: str | None = None) -> list[Pruefergebnis]:
    """The latest evaluation of every asset check on an asset upstream of `target`."""
    upstream = asset_graph.get_ancestor_asset_keys(target)
    keys = sorted((k for k in asset_graph.asset_check_keys if k.asset_key in upstream),
                  key=lambda k: (k.asset_key.to_user_string(), k.name))
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    rows = []
    for key in keys:
        spec = asset_graph.get_check_spec(key)
        art, gegenstand = _art(spec, key.asset_key), key.asset_key.to_user_string()
        record = latest.get(key)
        done = record is not None and record.status in (
            AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED)
        if not done:
            rows.append(Pruefergebnis(
                key.name, art, gegenstand, ERROR if spec.blocking else WARN, NICHT_AUSGEFUEHRT,
                hinweis="Die Prüfung lief nicht (Lauf abgebrochen oder Schritt ausgelassen)."))
            continue
        evaluation = record.event.dagster_event.asset_check_evaluation_data
        severity = WARN if evaluation.severity == dg.AssetCheckSeverity.WARN else ERROR
        figures, hinweis = _figures(dict(evaluation.metadata))
        if art == ART_DBT and not evaluation.passed:
            status = getattr(evaluation.metadata.get("status"), "value", None)
            hinweis = hinweis or (f"dbt-Status {status}" if status else None)
        if lauf_id is not None and record.run_id != lauf_id:
            earlier = (f"Ergebnis des Laufs {record.run_id[:8]} vom "
                       f"{_local(record.event.timestamp):%d.%m.%Y %H:%M}")
            hinweis = f"{hinweis}; {earlier}" if hinweis else earlier
        base = Pruefergebnis(key.name, art, gegenstand, severity,
                             BESTANDEN if evaluation.passed else FEHLGESCHLAGEN,
                             hinweis=hinweis, zeitpunkt=_local(record.event.timestamp))
        rows += [replace(base, kennzahl=k, wert=v) for k, v in figures] or [base]
    return rows
