"""Which rows of a published table belong to a municipality's files (Excel, CSV).

A municipality's files hold every area of every Gliederung with its `ags` (incl. `ohne
Zuordnung`), the municipality itself and the county (for comparison). The county's files
hold everything, also the areas that cross municipal borders (`ags` empty). Tables without
an area (`indikatoren`, `qualitaet`) are complete in every municipality's files.

Everything here reads only the published DuckDB file (schema `main`), never the warehouse.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import duckdb

# the one published status of a suppressed value, primary and secondary alike (which one
# is recorded in the private suppression log only); shown as "•"
GESPERRT = "gesperrt"
KEIN_WERT = ("kein_nenner", "keine_daten")
# every status a published table may show
STATUS = ("ok", GESPERRT, *KEIN_WERT)


@dataclass(frozen=True)
class Gebiet:
    """A municipality (8-digit AGS) or the county (5-digit AGS) that gets its own files."""

    ags: str
    name: str
    kreis_ags: str
    kreis_name: str

    @property
    def ist_kreis(self) -> bool:
        return self.ags == self.kreis_ags

    @property
    def dateiname(self) -> str:
        """`<ags>_<name>`, the name with blanks as `_` and without characters that are not
        allowed in file names (Windows shares included)."""
        name = unicodedata.normalize("NFC", self.name).strip()
        name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "", name)
        name = re.sub(r"\s+", "_", name)
        return f"{self.ags}_{name}" if name else self.ags

    @property
    def bezeichnung(self) -> str:
        if self.ist_kreis:
            return f"{self.name} (Kreis, {self.ags})"
        return f"{self.name} (Gemeinde, AGS {self.ags})"


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select table_name from information_schema.tables "
                       "where table_schema = 'main' order by table_name").fetchall()
    return [r[0] for r in rows]


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute("select column_name from information_schema.columns where "
                       "table_schema = 'main' and table_name = ? order by ordinal_position",
                       [table]).fetchall()
    return [r[0] for r in rows]


def gebiete(con: duckdb.DuckDBPyConnection) -> list[Gebiet]:
    """The municipalities (`raeume` rows with `gliederung = 'kommune'`) and the county."""
    kommunen = con.execute(
        "select raum_id, coalesce(raum_name, raum_id) from raeume "
        "where gliederung = 'kommune' order by raum_id").fetchall()
    kreis = con.execute(
        "select raum_id, coalesce(raum_name, raum_id) from raeume "
        "where gliederung = 'kreis' order by raum_id").fetchall()
    if kreis:
        kreis_ags, kreis_name = kreis[0]
    elif kommunen:
        kreis_ags = kreis_name = kommunen[0][0][:5]
    else:
        return []
    result = [Gebiet(ags, name, kreis_ags, kreis_name) for ags, name in kommunen]
    return [*result, Gebiet(kreis_ags, kreis_name, kreis_ags, kreis_name)]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def area_filter(con: duckdb.DuckDBPyConnection, table: str, gebiet: Gebiet,
                alias: str = "t") -> str | None:
    """SQL condition (on `alias`) for the rows of `table` in the files of `gebiet`;
    None: all rows (the county, or a table without areas)."""
    if gebiet.ist_kreis:
        return None
    cols = set(columns(con, table))
    ags, kreis = _quote(gebiet.ags), _quote(gebiet.kreis_ags)
    if "ags" in cols:
        kreis_row = f" or {alias}.gliederung = 'kreis'" if "gliederung" in cols else ""
        return f"({alias}.ags = {ags} or {alias}.ags = {kreis}{kreis_row})"
    if {"gliederung", "raum_id"} <= cols and "raeume" in tables(con):
        return (f"exists (select 1 from raeume r where r.gliederung = {alias}.gliederung "
                f"and r.raum_id = {alias}.raum_id "
                f"and (r.ags = {ags} or r.ags = {kreis} or r.gliederung = 'kreis'))")
    return None


def select_rows(con: duckdb.DuckDBPyConnection, table: str, gebiet: Gebiet,
                order: tuple[str, ...] = ()) -> str:
    """`select` of the rows of `table` for `gebiet`, sorted by the columns of `order` that
    the table has, then in the table's stored order."""
    condition = area_filter(con, table, gebiet)
    where = f" where {condition}" if condition else ""
    present = set(columns(con, table)) if order else set()
    keys = "".join(f't."{c}", ' for c in order if c in present)
    return f'select t.* from main."{table}" t{where} order by {keys}t.rowid'


def datum(value: dt.date | None) -> str:
    """TT.MM.JJJJ."""
    return value.strftime("%d.%m.%Y") if value else ""


def stichtage(con: duckdb.DuckDBPyConnection, gebiet: Gebiet) -> list[tuple[str, int, str]]:
    """Datenstand from the values themselves: per source (`indikatoren.quelle`) and
    Berichtsjahr the Stichtag(e) of the Gebiet's own row (municipality or county)."""
    if not {"indikatorwerte", "indikatoren"} <= set(tables(con)):
        return []
    gliederung = "kreis" if gebiet.ist_kreis else "kommune"
    rows = con.execute(
        "select coalesce(i.quelle, '–'), w.berichtsjahr, list(distinct w.stichtag "
        "order by w.stichtag) from indikatorwerte w join indikatoren i using (code) "
        "where w.gliederung = ? and w.raum_id = ? and w.stichtag is not null "
        "group by all order by 1, 2", [gliederung, gebiet.ags]).fetchall()
    return [(quelle, jahr, ", ".join(datum(d) for d in tage)) for quelle, jahr, tage in rows]
