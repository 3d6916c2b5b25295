"""The leak check: the last look at a new published version before it is swapped in.

`publish_all` runs it on the newly built DuckDB file (schema `main`), after the warehouse's
`published` schema and the table `qualitaet` were copied in and before Parquet, Excel and
CSV are written from it. It is independent of how the tables were protected (dbt models,
disclosure control) and looks only at what a reader would see:

1. no column of any table is named like microdata (`FORBIDDEN_COLUMNS`: pseudonyms,
   identifiers, birth date, address parts, coordinates, line numbers);
2. no sensitive count with value 1 to `min_count - 1` is shown, whatever its status:
   - `indikatorwerte`: `zaehler` of every indicator the catalogue (`indikatoren.sensibel`)
     marks sensitive (indicators.md: the numerators of S, E, G, BI, H04 and H06), on every
     level, except sums of money (unit in EUR: the dominance rule protects them);
     denominators are never sensitive;
   - `hze_hilfearten`: every case count (`anzahl_*`);
   - `datenstand`: `zeilen` of a source of sensitive indicators (the catalogue's first
     source of a sensitive indicator other than H: the household figures come from the
     residents register, whose row count is the population);
3. every `status` is one of the published statuses (`STATUS`: `ok`, `gesperrt`,
   `kein_nenner`, `keine_daten`); anything else is a finding, above all a mark of the kind
   of suppression such as `gesperrt_sekundaer` (one status `gesperrt` covers primary and
   secondary suppression; which one is recorded in the private log only);
4. nothing suppressed is shown: a row with status `gesperrt` shows no `wert`, no `zaehler`
   and no `zeilen` (its `nenner` is published: denominators are never suppressed), and a
   `gesperrt` row of `hze_hilfearten` has at least one empty figure.

A finding raises PublishError (German, naming table, rule and the number of rows, never a
value); `publish_all` then removes the new version and the previous one stays untouched.
The figures of a passed check go to the table `qualitaet`.
"""

import re
from dataclasses import dataclass, field

import duckdb

from dagster_project.publishing.database import FORBIDDEN_COLUMNS, PublishError
from dagster_project.publishing.gebiete import GESPERRT, STATUS

# the columns blank in every `gesperrt` row (with `wert`): the protected count
_GESPERRTE_SPALTEN = ("zaehler", "zeilen")
_STATUS_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass
class Leckbericht:
    """What the leak check looked at (figures for `qualitaet`)."""

    tabellen: int = 0
    zeilen: int = 0
    sensible_werte: int = 0          # shown sensitive counts compared with min_count
    gesperrte_zeilen: int = 0        # rows with status `gesperrt` checked for blanks
    befunde: list[str] = field(default_factory=list)

    def kennzahlen(self) -> dict[str, int]:
        return {"tabellen_geprueft": self.tabellen, "zeilen_geprueft": self.zeilen,
                "sensible_werte_geprueft": self.sensible_werte,
                "gesperrte_zeilen_geprueft": self.gesperrte_zeilen}


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute("select table_name, column_name from information_schema.columns "
                       "where table_schema = 'main' order by table_name, ordinal_position"
                       ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _count(con, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])


def _finding(bericht: Leckbericht, con, table: str, rule: str, sql: str) -> None:
    n = _count(con, sql)
    if n:
        bericht.befunde.append(f"{table}: {n} Zeile(n) {rule}")


def _sensitive_counts(con, tables: dict[str, list[str]], bericht: Leckbericht,
                      min_count: int) -> None:
    small = f"between 0.5 and {min_count - 0.5}"       # counts 1 .. min_count - 1
    if {"indikatorwerte", "indikatoren"} <= set(tables):
        sensitive = """
            from main.indikatorwerte w join main.indikatoren i using (code)
            where i.sensibel and coalesce(i.einheit, '') not like 'EUR%'
              and w.zaehler is not null"""
        bericht.sensible_werte += _count(con, f"select count(*) {sensitive}")
        _finding(bericht, con, "indikatorwerte",
                 f"mit sensiblem Zähler von 1 bis {min_count - 1} (Primärsperrung fehlt)",
                 f"select count(*) {sensitive} and w.zaehler {small}")
    if "hze_hilfearten" in tables:
        for column in (c for c in tables["hze_hilfearten"] if c.startswith("anzahl")):
            shown = f'from main.hze_hilfearten where "{column}" is not null'
            bericht.sensible_werte += _count(con, f"select count(*) {shown}")
            _finding(bericht, con, "hze_hilfearten",
                     f"mit {column} von 1 bis {min_count - 1} (Primärsperrung fehlt)",
                     f'select count(*) {shown} and "{column}" {small}')
    if {"datenstand", "indikatoren"} <= set(tables) and "zeilen" in tables["datenstand"]:
        shown = """
            from main.datenstand d
            where d.zeilen is not null and exists (
                select 1 from main.indikatoren i
                where i.sensibel and i.code not like 'H%'
                  and split_part(i.quelle, ';', 1) like '%(' || d.quelle || ')%')"""
        bericht.sensible_werte += _count(con, f"select count(*) {shown}")
        _finding(bericht, con, "datenstand",
                 f"mit einer Zeilenzahl von 1 bis {min_count - 1} einer Quelle sensibler "
                 "Indikatoren", f"select count(*) {shown} and d.zeilen {small}")


def _unknown_status(con, tables: dict[str, list[str]], bericht: Leckbericht) -> None:
    """A status other than the published ones (or none). The finding names it when it looks
    like a status code (`gesperrt_sekundaer`), never other text."""
    known = ", ".join(f"'{s}'" for s in STATUS)
    for table, cols in tables.items():
        if "status" not in cols:
            continue
        rows = con.execute(
            f'select status, count(*) from main."{table}" '
            f"where status is null or status not in ({known}) group by 1 order by 1 nulls first"
        ).fetchall()
        for status, n in rows:
            if status is None:
                name = "ohne Status"
            elif _STATUS_CODE.match(status):
                name = f"mit unbekanntem Status „{status}“"
            else:
                name = "mit unbekanntem Status"
            if status is not None and status.startswith(GESPERRT):
                name += (f" (veröffentlicht wird nur „{GESPERRT}“, nie die Art der Sperrung: "
                         "primär oder sekundär steht nur im privaten Sperrprotokoll)")
            bericht.befunde.append(f"{table}: {n} Zeile(n) {name}")


def _suppressed_shown(con, tables: dict[str, list[str]], bericht: Leckbericht) -> None:
    for table, cols in tables.items():
        if "status" not in cols:
            continue
        where = f'from main."{table}" where status = \'{GESPERRT}\''
        bericht.gesperrte_zeilen += _count(con, f"select count(*) {where}")
        for column in (c for c in ("wert", *_GESPERRTE_SPALTEN) if c in cols):
            _finding(bericht, con, table, f"mit Status gesperrt, aber mit {column}",
                     f'select count(*) {where} and "{column}" is not null')
        figures = [c for c in cols if c.startswith(("anzahl_", "ausgaben"))]
        if table == "hze_hilfearten" and figures:
            all_shown = " and ".join(f'"{c}" is not null' for c in figures)
            _finding(bericht, con, table, "gesperrt, aber ohne gesperrte Kennzahl",
                     f"select count(*) {where} and {all_shown}")


def check_leaks(con: duckdb.DuckDBPyConnection, min_count: int = 3) -> Leckbericht:
    """Check every table of the published file open in `con` (schema `main`); raises
    PublishError listing every finding, else returns what was checked."""
    if min_count < 1:
        raise PublishError(f"min_count muss mindestens 1 sein (ist {min_count}).")
    tables = _tables(con)
    bericht = Leckbericht(tabellen=len(tables))
    for table, cols in tables.items():
        bericht.zeilen += _count(con, f'select count(*) from main."{table}"')
        private = [c for c in cols if FORBIDDEN_COLUMNS.match(c)]
        if private:
            bericht.befunde.append(f"{table}: Spalte(n) mit Einzeldaten: {', '.join(private)}")
    _sensitive_counts(con, tables, bericht, min_count)
    _unknown_status(con, tables, bericht)
    _suppressed_shown(con, tables, bericht)
    if bericht.befunde:
        raise PublishError("Leckprüfung der neuen Fassung nicht bestanden: "
                           + "; ".join(bericht.befunde))
    return bericht
