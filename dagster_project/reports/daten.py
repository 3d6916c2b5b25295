"""What the reports read: the tables of one published version (its `spm.duckdb`, opened
read-only), never the warehouse. Every number a page shows comes from here."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.publishing.gebiete import Gebiet, gebiete


@dataclass
class Daten:
    version: dict
    gebiete: list[Gebiet]
    raeume: pd.DataFrame
    indikatoren: pd.DataFrame
    werte: pd.DataFrame
    sozialindex: pd.DataFrame
    datenstand: pd.DataFrame
    qualitaet: pd.DataFrame

    @property
    def kreis(self) -> Gebiet:
        return next(g for g in self.gebiete if g.ist_kreis)

    @property
    def kommunen(self) -> list[Gebiet]:
        return [g for g in self.gebiete if not g.ist_kreis]

    @property
    def jahre(self) -> list[int]:
        return sorted(int(j) for j in self.werte["berichtsjahr"].unique())


def wert_oder_none(value) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def lade(version_dir: Path) -> Daten:
    """The tables of the published version in `version_dir`."""
    info_path = version_dir / "version.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    con = duckdb.connect(str(version_dir / "spm.duckdb"), read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'main'").fetchall()}

        def table(name: str, order: str) -> pd.DataFrame:
            if name not in present:
                return pd.DataFrame()
            return con.execute(f"select * from {name} order by {order}").df()

        return Daten(
            version=info,
            gebiete=gebiete(con),
            raeume=table("raeume", "gliederung, raum_id"),
            indikatoren=table("indikatoren", "rowid"),
            werte=table("indikatorwerte", "code, gliederung, raum_id, berichtsjahr"),
            sozialindex=table("sozialindex", "gliederung, raum_id, berichtsjahr"),
            datenstand=table("datenstand", "quelle, ags, stichtag"),
            qualitaet=table("qualitaet", "zeitpunkt, pruefung"),
        )
    finally:
        con.close()
