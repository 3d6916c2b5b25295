"""The quality gate and the published table `qualitaet`.

Every published version carries the table `qualitaet`: every check the version rests on,
with its result, severity and figures. Grain: one row per check, subject and figure
(`pruefung`, `gegenstand`, `kennzahl`), all of one run (`lauf_id`). The rows come from:

1. **Dagster asset checks** upstream of `published/spm_duckdb`: the GX contract checks
   (`datenvertrag`), every dbt test (`dbt_test`) and any other `@asset_check`
   (`asset_check`), each with its latest evaluation (in a nightly run: the one of this
   run), with its metadata figures; read from the Dagster instance by
   `defs/publishing/checks.py`, which documents the mapping.
2. **Check contributions in the warehouse** (`art` `pruefbeitrag`): every dbt model named
   `mart_pruefbeitrag__<name>` with the columns `pruefung`, `gegenstand`, `schweregrad`
   (`error`/`warn`), `ergebnis` (`bestanden`/`fehlgeschlagen`), `kennzahl`, `wert`,
   `hinweis` contributes its rows as they are. A check computed inside dbt (such as the
   disclosure audit: cells checked, narrowest interval) adds its figures this way, e.g.
   `marts/<topic>/mart_pruefbeitrag__geheimhaltung.sql` aggregating its audit table.
3. **The leak check** of publishing itself (`publishing/leaks.py`, `art` `leckpruefung`),
   added by `publish_all` once it passed.

Quality gate: `publish_all` refuses to publish (PublishError) while any row has severity
`error` and a result other than `bestanden`, so a new check is blocking as soon as it
reports severity `error` through one of the three ways. (Blocking Dagster checks and
failing dbt tests already stop the run before the publishing step; the gate also covers a
publication started on its own after a failed run, and the contributions.)

Only figures of a whole run are published, never a value of a record: the metadata keys
taken are numbers and the two texts named above.
"""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

ART_DATENVERTRAG = "datenvertrag"
ART_DBT = "dbt_test"
ART_ASSET_CHECK = "asset_check"
ART_BEITRAG = "pruefbeitrag"
ART_LECK = "leckpruefung"
BESTANDEN, FEHLGESCHLAGEN, NICHT_AUSGEFUEHRT = "bestanden", "fehlgeschlagen", "nicht_ausgefuehrt"
ERROR, WARN = "error", "warn"
BEITRAG_PREFIX = "mart_pruefbeitrag__"
BEITRAG_SPALTEN = ("pruefung", "gegenstand", "schweregrad", "ergebnis", "kennzahl", "wert",
                   "hinweis")
_ORDER = {ART_DATENVERTRAG: 0, ART_DBT: 1, ART_ASSET_CHECK: 2, ART_BEITRAG: 3, ART_LECK: 4}

TABELLE = "qualitaet"
BESCHREIBUNG = (
    "Qualitätsprüfungen der veröffentlichten Fassung: je Prüfung, Prüfgegenstand und "
    "Kennzahl eine Zeile mit Ergebnis und Schweregrad, alle aus dem Lauf, der diese Fassung "
    "veröffentlicht hat (lauf_id). Enthalten sind die Datenverträge der Lieferungen (Great "
    "Expectations), alle dbt-Tests, weitere Prüfungen (z. B. Vollständigkeit der "
    "Lieferungen, Geheimhaltungsprüfung) und die Leckprüfung der Veröffentlichung. "
    "Veröffentlicht wird nur, wenn jede Prüfung mit Schweregrad error bestanden ist. Nur "
    "Kennzahlen des ganzen Laufs, keine Einzeldaten. Grain: eine Zeile je Prüfung, "
    "Gegenstand und Kennzahl (pruefung, gegenstand, kennzahl).")
SPALTEN = {
    "lauf_id": ("varchar", "Kennung des nächtlichen Laufs (Dagster-Run-ID), der diese Fassung "
                           "veröffentlicht hat; bei einer Veröffentlichung ohne Dagster "
                           "„fassung-<Fassung>“."),
    "zeitpunkt": ("timestamp", "Zeitpunkt der Prüfung (Ortszeit)."),
    "pruefung": ("varchar", "Name der Prüfung (z. B. einwohner_contract, "
                            "columns_valid_pub_indikatorwerte, leckpruefung)."),
    "art": ("varchar", "Art der Prüfung: datenvertrag (Great-Expectations-Suite und "
                       "SQL-Prüfungen einer Lieferquelle), dbt_test, asset_check (weitere "
                       "Prüfung im Ablauf), pruefbeitrag (im Warehouse berechnete Prüfung), "
                       "leckpruefung (Prüfung der neuen Fassung vor dem Austausch)."),
    "gegenstand": ("varchar", "Was geprüft wurde, als Schlüssel im Ablauf (z. B. "
                              "raw/einwohner, published/pub_indikatorwerte, "
                              "published/spm_duckdb)."),
    "schweregrad": ("varchar", "error (nicht bestanden: es wird nicht veröffentlicht) oder "
                               "warn (Hinweis, veröffentlicht wird trotzdem)."),
    "ergebnis": ("varchar", "bestanden, fehlgeschlagen oder nicht_ausgefuehrt."),
    "kennzahl": ("varchar", "Name der Kennzahl (z. B. fehlerhafte_zeilen, geprueft_zeilen, "
                            "zellen_geprueft); leer, wenn die Prüfung keine hat."),
    "wert": ("double", "Wert der Kennzahl (eine Zahl über den ganzen Lauf, nie ein Wert "
                       "eines Datensatzes)."),
    "hinweis": ("varchar", "Erläuterung, z. B. was nicht bestanden ist."),
}


@dataclass(frozen=True)
class Pruefergebnis:
    """One row of `qualitaet` (without the run)."""

    pruefung: str
    art: str
    gegenstand: str
    schweregrad: str                 # error, warn
    ergebnis: str                    # bestanden, fehlgeschlagen, nicht_ausgefuehrt
    kennzahl: str | None = None
    wert: float | None = None
    hinweis: str | None = None
    zeitpunkt: dt.datetime | None = None

    @property
    def blockiert(self) -> bool:
        """A check of severity error that did not pass stops publishing."""
        return self.schweregrad != WARN and self.ergebnis != BESTANDEN

    def beschreibung(self) -> str:
        """German, for messages: `dbt-Test x (published/y): fehlgeschlagen, 3 fehlerhafte_zeilen`."""
        art = {ART_DATENVERTRAG: "Datenvertrag", ART_DBT: "dbt-Test",
               ART_BEITRAG: "Prüfung", ART_LECK: "Leckprüfung"}.get(self.art, "Prüfung")
        ergebnis = {FEHLGESCHLAGEN: "nicht bestanden",
                    NICHT_AUSGEFUEHRT: "nicht ausgeführt"}.get(self.ergebnis, self.ergebnis)
        text = f"{art} {self.pruefung} ({self.gegenstand}): {ergebnis}"
        if self.kennzahl and self.wert is not None:
            text += f", {self.kennzahl} = {self.wert:g}"
        if self.hinweis:
            text += f" – {self.hinweis}"
        return text


@dataclass(frozen=True)
class Lauf:
    """The run that publishes: its id and start time (local time)."""

    lauf_id: str
    zeitpunkt: dt.datetime


def blocking(rows: Iterable[Pruefergebnis]) -> list[Pruefergebnis]:
    """The rows that stop publishing, one per check: failed ones first, then those that
    did not run."""
    seen, out = set(), []
    for row in rows:
        if row.blockiert and (row.pruefung, row.gegenstand) not in seen:
            seen.add((row.pruefung, row.gegenstand))
            out.append(row)
    return sorted(out, key=lambda r: r.ergebnis == NICHT_AUSGEFUEHRT)


def gate_message(failed: Sequence[Pruefergebnis], shown: int = 5) -> str:
    """German reason for refusing to publish, the failed checks before those not run."""
    done = [r for r in failed if r.ergebnis != NICHT_AUSGEFUEHRT]
    missing = [r for r in failed if r.ergebnis == NICHT_AUSGEFUEHRT]
    parts = [r.beschreibung() for r in done[:shown]]
    if len(done) > shown:
        parts.append(f"{len(done) - shown} weitere nicht bestanden")
    if missing:
        first = missing[0]
        parts.append(f"{len(missing)} Prüfung(en) nicht ausgeführt (z. B. {first.pruefung} "
                     f"auf {first.gegenstand}; der Lauf wurde vorher abgebrochen)")
    return ("Veröffentlichung verweigert: Prüfungen mit Schweregrad error nicht bestanden: "
            + "; ".join(parts) + ". Die bisher veröffentlichte Fassung bleibt unverändert.")


# ---------------------------------------------------------------------------------------
# 2. contributions of the warehouse


def contribution_relations(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, relation) of every dbt model `mart_pruefbeitrag__*` in the manifest."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    return sorted((node["schema"], node.get("alias") or node["name"])
                  for node in manifest["nodes"].values()
                  if node.get("resource_type") == "model"
                  and node["name"].startswith(BEITRAG_PREFIX))


def contributed_results(warehouse: Path, relations: Sequence[tuple[str, str]],
                        zeitpunkt: dt.datetime | None = None) -> list[Pruefergebnis]:
    """The rows of the contribution relations. A relation that is missing or malformed
    becomes a failed check of severity error (it must not pass unnoticed)."""
    if not relations:
        return []
    zeitpunkt = zeitpunkt or dt.datetime.now().replace(microsecond=0)
    rows: list[Pruefergebnis] = []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for schema, name in relations:
            gegenstand = f"{schema}/{name}"
            try:
                frame = con.execute(
                    f'select {", ".join(BEITRAG_SPALTEN)} from "{schema}"."{name}"').df()
            except duckdb.Error as exc:
                rows.append(Pruefergebnis(
                    name, ART_BEITRAG, gegenstand, ERROR, FEHLGESCHLAGEN, zeitpunkt=zeitpunkt,
                    hinweis=f"Prüfbeitrag nicht lesbar: {str(exc).splitlines()[0]}"))
                continue
            for r in frame.itertuples(index=False):
                valid = r.schweregrad in (ERROR, WARN) and r.ergebnis in (BESTANDEN,
                                                                         FEHLGESCHLAGEN)
                rows.append(Pruefergebnis(
                    str(r.pruefung), ART_BEITRAG, str(r.gegenstand),
                    r.schweregrad if valid else ERROR, r.ergebnis if valid else FEHLGESCHLAGEN,
                    kennzahl=None if _missing(r.kennzahl) else str(r.kennzahl),
                    wert=None if _missing(r.wert) else float(r.wert),
                    hinweis=(None if _missing(r.hinweis) else str(r.hinweis)) if valid else
                    f"ungültiger Schweregrad/Ergebnis in {name}: {r.schweregrad!r}/{r.ergebnis!r}",
                    zeitpunkt=zeitpunkt))
    finally:
        con.close()
    return rows


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


# ---------------------------------------------------------------------------------------
# the table


def write_table(con: duckdb.DuckDBPyConnection, lauf: Lauf,
                rows: Sequence[Pruefergebnis]) -> int:
    """(Re)write `main.qualitaet` in the published file open in `con`, with its German
    comments; failed checks first. Returns the number of rows."""
    duplicates = _duplicates(rows)
    if duplicates:
        raise ValueError(f"qualitaet: Prüfung/Gegenstand/Kennzahl mehrfach: {duplicates[:5]}")
    ordered = sorted(rows, key=lambda r: (r.ergebnis == BESTANDEN, _ORDER.get(r.art, 9),
                                          r.gegenstand, r.pruefung, r.kennzahl or ""))
    con.execute(f"drop table if exists main.{TABELLE}")
    con.execute(f"create table main.{TABELLE} ("
                + ", ".join(f"{name} {kind}" for name, (kind, _) in SPALTEN.items()) + ")")
    if ordered:
        con.executemany(
            f"insert into main.{TABELLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[lauf.lauf_id, r.zeitpunkt or lauf.zeitpunkt, r.pruefung, r.art, r.gegenstand,
              r.schweregrad, r.ergebnis, r.kennzahl, r.wert, r.hinweis] for r in ordered])
    con.execute(f"comment on table main.{TABELLE} is {_literal(BESCHREIBUNG)}")
    for name, (_, text) in SPALTEN.items():
        con.execute(f"comment on column main.{TABELLE}.{name} is {_literal(text)}")
    return len(ordered)


def _duplicates(rows: Sequence[Pruefergebnis]) -> list[tuple]:
    seen, duplicates = set(), []
    for r in rows:
        key = (r.pruefung, r.gegenstand, r.kennzahl)
        if key in seen:
            duplicates.append(key)
        seen.add(key)
    return duplicates


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
