"""Patterns and audit verdicts kept across nightly runs, in the private warehouse.

`protect` and `audit` take a mapping block key -> result; these helpers keep that mapping
in two tables of the DuckDB warehouse (schema `geheimhaltung_cache`), so that a
Berichtsjahr whose inputs did not change keeps its pattern (and is not attacked again).
Only the entries used by the current run are kept: the tables never grow beyond one
entry per Berichtsjahr and kind.
"""

from collections.abc import Iterator, MutableMapping

import pandas as pd

SCHEMA = "geheimhaltung_cache"
AUDIT_COLUMNS = ["cell_id", "sperrart", "wahr", "unten", "oben", "bedarf_unten",
                 "bedarf_oben", "exakt", "geschuetzt"]


class Merker(MutableMapping):
    """A dict that remembers which keys the run read or wrote."""

    def __init__(self, data: dict | None = None):
        self.data = dict(data or {})
        self.used: set = set()
        self.new: set = set()

    def __getitem__(self, key):
        value = self.data[key]
        self.used.add(key)
        return value

    def __setitem__(self, key, value):
        self.data[key] = value
        self.used.add(key)
        self.new.add(key)

    def __delitem__(self, key):
        del self.data[key]

    def __iter__(self) -> Iterator:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, key) -> bool:
        return key in self.data


def _ensure(con) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"create table if not exists {SCHEMA}.muster (schluessel varchar,"
                " cell_id varchar, sperrart varchar, grund varchar)")
    con.execute(f"create table if not exists {SCHEMA}.audit (schluessel varchar,"
                " cell_id varchar, sperrart varchar, wahr double, unten double, oben double,"
                " bedarf_unten double, bedarf_oben double, exakt boolean, geschuetzt boolean)")


def lade_muster(con) -> Merker:
    _ensure(con)
    frame = con.execute(f"select * from {SCHEMA}.muster order by schluessel, cell_id").df()
    data = {}
    for key, part in frame.groupby("schluessel", sort=False):
        part = part[part["cell_id"].notna()]
        data[key] = {"cell_id": part["cell_id"].tolist(), "sperrart": part["sperrart"].tolist(),
                     "grund": part["grund"].tolist()}
    return Merker(data)


def speichere_muster(con, cache: Merker) -> None:
    rows = []
    for key in cache.new:
        entry = cache.data[key]
        rows.append(pd.DataFrame({"schluessel": key, "cell_id": entry["cell_id"] or [None],
                                  "sperrart": entry["sperrart"] or [None],
                                  "grund": entry["grund"] or [None]}))
    _replace(con, "muster", cache, rows)


def lade_audit(con) -> Merker:
    _ensure(con)
    frame = con.execute(f"select * from {SCHEMA}.audit").df()
    data = {}
    for key, part in frame.groupby("schluessel", sort=False):
        table = part[part["cell_id"].notna()][AUDIT_COLUMNS].reset_index(drop=True)
        table["exakt"] = table["exakt"].astype(bool)
        table["geschuetzt"] = table["geschuetzt"].astype(bool)
        data[key] = table
    return Merker(data)


def speichere_audit(con, cache: Merker) -> None:
    rows = []
    for key in cache.new:
        table = cache.data[key]
        if len(table) == 0:
            table = pd.DataFrame([dict.fromkeys(AUDIT_COLUMNS)])
        rows.append(table[AUDIT_COLUMNS].assign(schluessel=key))
    _replace(con, "audit", cache, rows)


def _replace(con, table: str, cache: Merker, rows: list[pd.DataFrame]) -> None:
    """Keep the entries this run used, add the new ones."""
    keep = sorted(cache.used - cache.new)
    con.register("_keep", pd.DataFrame({"schluessel": pd.Series(keep, dtype=object)}))
    con.execute(f"delete from {SCHEMA}.{table} where schluessel not in"
                " (select schluessel from _keep)")
    con.unregister("_keep")
    if rows:
        frame = pd.concat(rows, ignore_index=True)
        columns = ", ".join(frame.columns)
        con.register("_neu", frame)
        con.execute(f"insert into {SCHEMA}.{table} ({columns}) select {columns} from _neu")
        con.unregister("_neu")
