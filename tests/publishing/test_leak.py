"""Leak test over every published output of the demo run (privacy-and-publishing.md).

Every published version of `demo_run` is read as a reader sees it – the DuckDB file, every
Parquet file, every Excel workbook (openpyxl) and every CSV file (`;`, decimal comma,
UTF-8 with BOM) – and must hold:
- no column or header naming microdata (`FORBIDDEN_COLUMNS`, any other `*_id` than
  `raum_id` / `lauf_id`);
- no pseudonym and no street of the delivered files (taken from the delivered CSV and XLSX
  files of `demo_run.delivered`), and nothing that looks like a pseudonym (16 or more hex
  characters);
- no sensitive count from 1 to min_count - 1 shown: `zaehler` of a sensitive indicator
  (the catalogue's `sensibel`: S, E, G, BI, H04 and H06, on every level; money excluded),
  the case counts of `hze_hilfearten`, the row counts of `datenstand` of a source of
  sensitive indicators;
- only the published statuses (`ok`, `gesperrt`, `kein_nenner`, `keine_daten`): one status
  `gesperrt` for primary and secondary suppression, so no `gesperrt_sekundaer` in any
  status and in no text anywhere;
- nothing suppressed shown: a `gesperrt` row has no `wert`, no `zaehler`, no `zeilen` (its
  `nenner` is published: denominators are never suppressed); a `gesperrt` row of
  `hze_hilfearten` has an empty figure; a suppressed value is "•" in Excel.

The rules are implemented here independently of `dagster_project/publishing/leaks.py`
(pandas on what the files hold). `leaks_in_frame` checks one table as a DataFrame, from
whatever source: tests/publishing/test_publish_postgres.py can apply it to the tables read from
PostgreSQL (`leaks_in_frame(table, frame, katalog, geheimnisse(delivered))`).
"""

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from dagster_project.publishing.database import FORBIDDEN_COLUMNS
from dagster_project.settings import geheimhaltung_config, load_settings

# the published schema (privacy-and-publishing.md)
EXPECTED_TABLES = {"indikatoren", "raeume", "indikatorwerte", "sozialindex", "hze_hilfearten",
                   "bevoelkerung", "datenstand", "qualitaet"}
GESPERRT = "gesperrt"
STATUS = {"ok", GESPERRT, "kein_nenner", "keine_daten"}
# the kind of suppression is private (suppression log only)
SPERRART = "gesperrt_sekundaer"
ALLOWED_IDS = {"raum_id", "lauf_id"}
# delivered columns holding pseudonyms of persons, cases and Bedarfsgemeinschaften
PSEUDONYM_COLUMNS = re.compile(r"^(person_id|ehegatte_id|elternteil\d_id|bg_id|fall_id|"
                               r"kind_id|schueler_id)$")
HEX_TOKEN = re.compile(r"(?<![0-9a-z])[0-9a-f]{16,}(?![0-9a-z])")
LOOKS_LIKE_PSEUDONYM = re.compile(r"(?<![0-9a-z])(?=[0-9a-f]*[a-f])[0-9a-f]{16,}(?![0-9a-z])")
EXCEL_GLIEDERUNG = {"Gemeinde": "kommune", "Kreis": "kreis"}
EXCEL_KOPF = ["Gliederung", "Raum-ID", "Raum", "Code", "Indikator", "Einheit"]


# ---------------------------------------------------------------------------------------
# what must not show up: the delivered pseudonyms and streets


@dataclass
class Geheimnisse:
    pseudonyme: set[str]            # lower case
    strassen: set[str]              # lower case
    dateien: int = 0
    _pattern: re.Pattern | None = None

    def strassen_pattern(self) -> re.Pattern:
        if self._pattern is None:
            ordered = sorted(self.strassen, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern

    def in_text(self, text: str) -> list[str]:
        """What of the secrets (or a pseudonym look-alike) `text` contains."""
        lower = text.lower()
        found = [f"Pseudonym {t}" for t in HEX_TOKEN.findall(lower) if t in self.pseudonyme]
        found += [f"pseudonymartig {t}" for t in LOOKS_LIKE_PSEUDONYM.findall(lower)
                  if t not in self.pseudonyme]
        if self.strassen:
            found += [f"Straße {m.group(0)}" for m in self.strassen_pattern().finditer(lower)]
        return found


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _delivered_rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(_decode(path.read_bytes())), delimiter=";"))


def geheimnisse(delivered: Path) -> Geheimnisse:
    """The pseudonyms and street names of every delivered tabular file under `delivered`."""
    secrets = Geheimnisse(set(), set())
    for path in sorted(delivered.rglob("*")):
        if path.suffix.lower() not in (".csv", ".xlsx"):
            continue
        rows = _delivered_rows(path)
        header = [h.strip().lower() for h in rows[0]]
        columns = {i: name for i, name in enumerate(header)
                   if PSEUDONYM_COLUMNS.match(name) or name == "strasse"}
        if not columns:
            continue
        secrets.dateien += 1
        for row in rows[1:]:
            for i, name in columns.items():
                value = row[i].strip().lower() if i < len(row) else ""
                if value:
                    (secrets.strassen if name == "strasse" else secrets.pseudonyme).add(value)
    return secrets


# ---------------------------------------------------------------------------------------
# the rules on one table


@dataclass
class Befund:
    """What was checked and what leaked."""

    leaks: list[str] = field(default_factory=list)
    tabellen: int = 0
    zellen: int = 0                 # text cells searched for secrets
    sensible_werte: int = 0         # shown sensitive counts compared with min_count
    gesperrte_zeilen: int = 0       # suppressed rows checked for shown values

    def add(self, other: "Befund") -> None:
        self.leaks += other.leaks
        for name in ("tabellen", "zellen", "sensible_werte", "gesperrte_zeilen"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def zusammenfassung(self, was: str) -> str:
        return (f"{was}: {self.tabellen} Tabellen, {self.zellen} Textzellen durchsucht, "
                f"{self.sensible_werte} sensible Fallzahlen geprüft, {self.gesperrte_zeilen} "
                f"gesperrte Zeilen geprüft, {len(self.leaks)} Befunde")


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _number(series: pd.Series) -> pd.Series:
    """Numbers from a numeric column or from German CSV text (decimal comma)."""
    if not pd.api.types.is_numeric_dtype(series.dtype):
        series = series.astype("string").str.replace(",", ".", regex=False)
    return pd.to_numeric(series, errors="coerce")


def _flag(series: pd.Series) -> pd.Series:
    return series.map(lambda v: str(v).strip().lower() in ("true", "ja", "1", "t"))


def _shown(series: pd.Series) -> pd.Series:
    return series.notna() & (series.astype("string").str.strip() != "")


def sensitive_sources(katalog: pd.DataFrame) -> set[str]:
    """Sources of indicators sensitive at municipality level: the first source named in
    `quelle` of every `sensibel` indicator but the household figures H."""
    rows = katalog[_flag(katalog["sensibel"]) & ~katalog["code"].astype(str).str.startswith("H")]
    first = rows["quelle"].astype(str).str.split(";").str[0]
    return set(first.str.extract(r"\(([a-z0-9_]+)\)")[0].dropna())


def _small(values: pd.Series, min_count: int) -> pd.Series:
    return (values >= 1) & (values <= min_count - 1)


def leaks_in_frame(table: str, frame: pd.DataFrame, katalog: pd.DataFrame,
                   secrets: Geheimnisse | None = None, min_count: int = 3) -> Befund:
    """Every rule on one published table (`frame` from DuckDB, Parquet, CSV or PostgreSQL;
    `katalog`: the published `indikatoren`)."""
    befund = Befund(tabellen=1)
    where = f"{table}"
    for column in frame.columns:
        name = str(column).strip().lower()
        if FORBIDDEN_COLUMNS.match(name) or (name.endswith("_id") and name not in ALLOWED_IDS):
            befund.leaks.append(f"{where}: Spalte {column} nennt Einzeldaten")
    secrets = secrets or Geheimnisse(set(), set())
    for column in frame.columns:
        if not _is_text(frame[column]):
            continue
        for value in frame[column].dropna().astype(str).unique():
            befund.zellen += 1
            befund.leaks += [f"{where}.{column}: {hit}" for hit in secrets.in_text(value)]
            if SPERRART in value.lower():
                befund.leaks.append(f"{where}.{column}: nennt {SPERRART}")

    cols = set(frame.columns)
    if table == "indikatorwerte":
        kat = pd.DataFrame({"code": katalog["code"], "_sensibel": _flag(katalog["sensibel"]),
                            "_einheit": katalog["einheit"]})
        rows = frame.merge(kat, on="code", how="left")
        if rows["_sensibel"].isna().any():
            befund.leaks.append(f"{where}: Codes ohne Katalogeintrag")
        money = rows["_einheit"].astype(str).str.startswith("EUR")
        zaehler = _number(rows["zaehler"])
        sensitive = rows["_sensibel"].fillna(True).astype(bool) & ~money & zaehler.notna()
        befund.sensible_werte += int(sensitive.sum())
        n = int((sensitive & _small(zaehler, min_count)).sum())
        if n:
            befund.leaks.append(f"{where}: {n} sensible Zähler von 1 bis {min_count - 1}")
    if table == "hze_hilfearten":
        for column in (c for c in frame.columns if str(c).startswith("anzahl")):
            values = _number(frame[column])
            befund.sensible_werte += int(values.notna().sum())
            n = int(_small(values, min_count).sum())
            if n:
                befund.leaks.append(f"{where}: {n} Werte {column} von 1 bis {min_count - 1}")
    if table == "datenstand" and "zeilen" in cols:
        values = _number(frame["zeilen"]).where(frame["quelle"].isin(sensitive_sources(katalog)))
        befund.sensible_werte += int(values.notna().sum())
        n = int(_small(values, min_count).sum())
        if n:
            befund.leaks.append(f"{where}: {n} Zeilenzahlen sensibler Quellen unter {min_count}")

    if "status" in cols:
        status = frame["status"].astype("string").str.strip()
        unknown = ~status.isin(STATUS).fillna(False).astype(bool)
        if unknown.any():
            names = sorted(status[unknown].fillna("(leer)").unique())
            befund.leaks.append(f"{where}: {int(unknown.sum())} Zeilen mit unbekanntem "
                                f"Status {', '.join(names)}")
        suppressed = (status == GESPERRT).fillna(False).astype(bool)
        befund.gesperrte_zeilen += int(suppressed.sum())
        checks = []
        for column in ("wert", "zaehler", "zeilen"):
            if column in cols:
                checks.append((column, suppressed & _shown(frame[column])))
        figures = [c for c in frame.columns if str(c).startswith(("anzahl_", "ausgaben"))]
        if table == "hze_hilfearten" and figures:
            all_shown = pd.concat([_shown(frame[c]) for c in figures], axis=1).all(axis=1)
            checks.append(("allen Kennzahlen", suppressed & all_shown))
        for what, hit in checks:
            if hit.any():
                befund.leaks.append(f"{where}: {int(hit.sum())} gesperrte Zeilen mit {what}")
    return befund


# ---------------------------------------------------------------------------------------
# the outputs


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame (through DuckDB; pyarrow is not installed)."""
    con = duckdb.connect()
    try:
        return con.execute("select * from read_parquet(?)", [str(path)]).df()
    finally:
        con.close()


def _duckdb_tables(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "order by 1").fetchall()]
        return {name: con.execute(f'select * from main."{name}"').df() for name in names}
    finally:
        con.close()


def check_tables(tables: dict[str, pd.DataFrame], secrets: Geheimnisse,
                 min_count: int, where: str) -> Befund:
    assert "indikatoren" in tables, f"{where}: keine Tabelle indikatoren"
    befund = Befund()
    for name, frame in tables.items():
        one = leaks_in_frame(name, frame, tables["indikatoren"], secrets, min_count)
        one.leaks = [f"{where}: {leak}" for leak in one.leaks]
        befund.add(one)
    return befund


def check_csv_folder(folder: Path, secrets: Geheimnisse, min_count: int) -> Befund:
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{path}: ohne BOM"
        tables[path.stem] = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig",
                                        keep_default_na=False, na_values=[""])
    befund = check_tables(tables, secrets, min_count, f"csv/{folder.name}")
    readme = (folder / "LIESMICH.txt").read_text(encoding="utf-8")
    befund.leaks += [f"csv/{folder.name}/LIESMICH.txt: {hit}" for hit in secrets.in_text(readme)]
    if SPERRART in readme.lower():
        befund.leaks.append(f"csv/{folder.name}/LIESMICH.txt: nennt {SPERRART}")
    return befund


# the further sheets of a workbook: table and the published column of each German header
EXCEL_TABELLEN = {
    "Sozialindex": ("sozialindex", {
        "Gliederung": "gliederung", "Raum-ID": "raum_id", "Raum": "raum_name",
        "Berichtsjahr": "berichtsjahr", "Status-Index": "status_index",
        "Statusklasse": "status_klasse", "Dynamik-Index": "dynamik_index",
        "Dynamikklasse": "dynamik_klasse", "Hinweis": "hinweis"}),
    "Hilfearten": ("hze_hilfearten", {
        "Gliederung": "gliederung", "Raum-ID": "raum_id", "Raum": "raum_name",
        "Berichtsjahr": "berichtsjahr", "Hilfeart": "hilfeart",
        "Fälle im Jahr": "anzahl_faelle", "laufend am Stichtag": "anzahl_laufend",
        "neu im Jahr": "anzahl_neu", "Ausgaben (EUR)": "ausgaben_euro", "Status": "status"}),
    "Datenstand": ("datenstand", None),
    "Qualität": ("qualitaet", None),
}


def _table_sheet(path: Path, title: str, rows: list[list], katalog: pd.DataFrame,
                 secrets: Geheimnisse, min_count: int) -> Befund:
    """A sheet holding a published table: the table's rules on what it shows ("•" is a
    blank figure, the sign of a suppressed one)."""
    table, names = EXCEL_TABELLEN[title]
    header = [str(c) for c in rows[0]]
    columns = [names.get(h, h) for h in header] if names else header
    frame = pd.DataFrame([[None if v == "•" else v for v in row] for row in rows[1:]],
                         columns=columns)
    if "gliederung" in frame.columns:
        frame["gliederung"] = frame["gliederung"].map(
            lambda g: EXCEL_GLIEDERUNG.get(g, str(g).lower()) if g is not None else g)
    befund = leaks_in_frame(table, frame, katalog, secrets, min_count)
    befund.leaks = [f"{path.name}/{title}: {leak}" for leak in befund.leaks]
    return befund


def _chart_data(path: Path, rows: list[list], werte: pd.DataFrame) -> Befund:
    """The numbers behind the charts: a suppressed value must be blank."""
    status = {(r.code, r.raum_id, int(r.berichtsjahr)): r.status for r in werte.itertuples()
              if r.gliederung in ("sozialraum", "kommune", "kreis")}
    befund = Befund(tabellen=1)
    for code, jahr, raum_id, _, value in rows[1:]:
        if status.get((code, raum_id, int(jahr))) == GESPERRT:
            befund.gesperrte_zeilen += 1
            if value is not None:
                befund.leaks.append(f"{path.name}/Diagrammdaten: {code} {raum_id} {jahr} "
                                    f"gesperrt, aber {value!r}")
    return befund


def check_workbook(path: Path, reference: dict[str, pd.DataFrame], secrets: Geheimnisse,
                   min_count: int) -> Befund:
    """Headers, every cell, and the value cells of the Bereich sheets against the statuses
    of the published file: suppressed = "•", no sensitive count from 1 to min_count - 1."""
    katalog = reference["indikatoren"].assign(
        sensibel=lambda k: _flag(k["sensibel"])).set_index("code")
    werte = reference["indikatorwerte"]
    status = {(r.code, r.gliederung, r.raum_id, int(r.berichtsjahr)): r.status
              for r in werte.itertuples()}
    befund = Befund()
    wb = openpyxl.load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        befund.tabellen += 1
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        for row in rows:
            for value in row:
                if isinstance(value, str):
                    befund.zellen += 1
                    if FORBIDDEN_COLUMNS.match(value.strip().lower()):
                        befund.leaks.append(f"{path.name}/{ws.title}: Kopf {value}")
                    befund.leaks += [f"{path.name}/{ws.title}: {hit}"
                                     for hit in secrets.in_text(value)]
                    if SPERRART in value.lower():
                        befund.leaks.append(f"{path.name}/{ws.title}: nennt {SPERRART}")
        if ws.title in ("Hinweise", "Räume", "Bevölkerung") or not rows:
            continue        # no figure of these is ever suppressed (populations are base)
        if ws.title in EXCEL_TABELLEN:
            befund.add(_table_sheet(path, ws.title, rows, katalog.reset_index(), secrets,
                                    min_count))
            continue
        if ws.title == "Diagrammdaten":
            befund.add(_chart_data(path, rows, werte))
            continue
        header = [str(c) if c is not None else "" for c in rows[0]]
        assert header[:len(EXCEL_KOPF)] == EXCEL_KOPF, f"{path.name}/{ws.title}: {header}"
        years = [int(y) for y in header[len(EXCEL_KOPF):] if y]
        for row in rows[1:]:
            if row[0] is None:
                break                                   # footnotes below the table
            gliederung = EXCEL_GLIEDERUNG.get(row[0], str(row[0]).lower())
            code, raum_id = row[3], row[1]
            sensibel = bool(katalog.loc[code, "sensibel"])
            count = katalog.loc[code, "einheit"] == "Anzahl"
            for year, cell in zip(years, row[len(EXCEL_KOPF):], strict=False):
                state = status.get((code, gliederung, raum_id, year))
                if state == GESPERRT:
                    befund.gesperrte_zeilen += 1
                    if cell != "•":
                        befund.leaks.append(f"{path.name}/{ws.title}: {code} {raum_id} {year} "
                                            f"gesperrt, aber {cell!r}")
                elif sensibel and count and isinstance(cell, int | float):
                    befund.sensible_werte += 1
                    if 1 <= cell <= min_count - 1:
                        befund.leaks.append(f"{path.name}/{ws.title}: {code} {raum_id} {year} "
                                            f"sensible Anzahl {cell}")
    wb.close()
    return befund


# ---------------------------------------------------------------------------------------
# the tests


@pytest.fixture(scope="module")
def secrets(demo_run) -> Geheimnisse:
    found = geheimnisse(demo_run.delivered)
    assert found.dateien >= 10 and len(found.pseudonyme) > 1000 and len(found.strassen) > 50
    return found


@pytest.fixture(scope="module")
def min_count(demo_run) -> int:
    return int(geheimhaltung_config(load_settings(demo_run.home.config)).min_count)


def versions(demo_run) -> list[Path]:
    folders = sorted(p for p in demo_run.home.published_versions.iterdir()
                     if (p / "version.json").is_file())
    assert folders, "the demo run published no version"
    return folders


def test_the_secrets_are_found_where_they_are(secrets, demo_run):
    """The search itself works: a delivered pseudonym and street are found in text, and the
    private warehouse (which holds the streets) is caught by the same rules."""
    pseudonym, strasse = sorted(secrets.pseudonyme)[0], sorted(secrets.strassen)[-1]
    assert secrets.in_text(f"x;{pseudonym.upper()};y")
    assert secrets.in_text(f"Wohnt in der {strasse.title()} 3")
    assert not secrets.in_text("Sozialraum 3 – Kernstadt Süd; 11,428571428571429; 05999004-OZ")
    con = duckdb.connect(str(demo_run.home.warehouse), read_only=True)
    try:
        private = con.execute("select * from raw.adressen limit 50").df()
    finally:
        con.close()
    befund = leaks_in_frame("adressen", private, pd.DataFrame(
        columns=["code", "sensibel", "einheit", "quelle"]), secrets)
    assert any("Spalte strasse" in leak for leak in befund.leaks)
    assert any("Straße" in leak for leak in befund.leaks)


def test_the_rules_catch_every_kind_of_leak():
    """Each rule fails on a frame that breaks it (so a clean result means something)."""
    katalog = pd.DataFrame({"code": ["S01", "H01", "H04", "K01", "B01", "E08"],
                            "sensibel": ["ja", "nein", "ja", "nein", "nein", "ja"],
                            "einheit": ["Anzahl", "Anzahl", "%", "%", "Anzahl",
                                        "EUR je Einwohner"],
                            "quelle": ["Jobcenter (sgb2)", "Einwohnermeldeamt (einwohner)",
                                       "Einwohnermeldeamt (einwohner)",
                                       "Jugendamt, Kita-Bedarfsplanung (kita); Bevölkerung: "
                                       "Einwohnermeldeamt (einwohner)",
                                       "Einwohnermeldeamt (einwohner)",
                                       "Jugendamt (hze); Bevölkerung: Einwohnermeldeamt (einwohner)"]})
    # sensitive: S01 on every level and H04 also for the municipality; not H01, K01, B01 (not
    # sensitive) nor E08 (money); a suppressed row shows its nenner
    werte = pd.DataFrame({
        "code": ["S01", "S01", "H01", "H01", "H04", "K01", "B01", "E08", "S01", "H04"],
        "gliederung": ["sozialraum", "kommune", "kommune", "sozialraum", "kommune",
                       "sozialraum", "sozialraum", "sozialraum", "sozialraum", "sozialraum"],
        "zaehler": ["2", "1", "2", "1", "2", "1", "1", "2,5", None, None],
        "nenner": [None, None, None, None, "30", "12", None, "100", None, "40"],
        "wert": ["2", "1", "2", None, "6,7", "8,3", "1", "2,5", None, None],
        "status": ["ok", "ok", "ok", "kein_nenner", "ok", "ok", "ok", "ok", "gesperrt",
                   "gesperrt"]})
    befund = leaks_in_frame("indikatorwerte", werte, katalog)
    assert befund.leaks == ["indikatorwerte: 3 sensible Zähler von 1 bis 2"]
    assert befund.sensible_werte == 3 and befund.gesperrte_zeilen == 2
    # a suppressed row showing its zaehler or its wert, a mark of the kind of suppression,
    # a status nobody knows
    shown = pd.DataFrame({
        "code": ["H04", "S01", "H04", "B01"],
        "gliederung": ["sozialraum", "sozialraum", "kommune", "kreis"],
        "zaehler": ["7", None, None, "9"], "nenner": ["40", None, "40", None],
        "wert": [None, "3", None, "9"],
        "status": ["gesperrt", "gesperrt", "gesperrt_sekundaer", "vorlaeufig"]})
    assert sorted(leaks_in_frame("indikatorwerte", shown, katalog).leaks) == [
        "indikatorwerte.status: nennt gesperrt_sekundaer",
        "indikatorwerte: 1 gesperrte Zeilen mit wert",
        "indikatorwerte: 1 gesperrte Zeilen mit zaehler",
        "indikatorwerte: 2 Zeilen mit unbekanntem Status gesperrt_sekundaer, vorlaeufig"]
    # gesperrt_sekundaer anywhere else, e.g. in the name of a check in `qualitaet`
    pruefungen = pd.DataFrame({"pruefung": ["accepted_values_x_status__gesperrt_sekundaer"],
                               "wert": [1.0]})
    assert leaks_in_frame("qualitaet", pruefungen, katalog).leaks == [
        "qualitaet.pruefung: nennt gesperrt_sekundaer"]
    hze = pd.DataFrame({"hilfeart": ["29", "30"], "anzahl_faelle": [2, 4],
                        "anzahl_neu": [0, 3], "ausgaben_euro": [1.0, 2.0],
                        "status": ["ok", "gesperrt"]})
    assert leaks_in_frame("hze_hilfearten", hze, katalog).leaks == [
        "hze_hilfearten: 1 Werte anzahl_faelle von 1 bis 2",
        "hze_hilfearten: 1 gesperrte Zeilen mit allen Kennzahlen"]
    hze_sekundaer = hze.assign(status=["ok", "gesperrt_sekundaer"],
                               anzahl_faelle=[4, None])
    assert sorted(leaks_in_frame("hze_hilfearten", hze_sekundaer, katalog).leaks) == [
        "hze_hilfearten.status: nennt gesperrt_sekundaer",
        "hze_hilfearten: 1 Zeilen mit unbekanntem Status gesperrt_sekundaer"]
    # kita is no source of sensitive indicators any more (K is not sensitive)
    stand = pd.DataFrame({"quelle": ["sgb2", "einwohner", "sgb2", "kita"],
                          "zeilen": [2, 2, None, 2], "status": ["ok", "ok", "gesperrt", "ok"]})
    assert leaks_in_frame("datenstand", stand, katalog).leaks == [
        "datenstand: 1 Zeilenzahlen sensibler Quellen unter 3"]
    assert leaks_in_frame("datenstand", stand.assign(zeilen=[3, 2, 5, 2]), katalog).leaks == [
        "datenstand: 1 gesperrte Zeilen mit zeilen"]
    columns = pd.DataFrame({"Person_ID": ["a"], "einrichtung_id": ["b"], "raum_id": ["c"],
                            "hinweis": ["0041142902b14b04"]})
    assert leaks_in_frame("x", columns, katalog).leaks == [
        "x: Spalte Person_ID nennt Einzeldaten", "x: Spalte einrichtung_id nennt Einzeldaten",
        "x.hinweis: pseudonymartig 0041142902b14b04"]


def test_the_file_checks_find_a_leak_in_every_format(tmp_path):
    """A small published file with a sensitive count of 2 and a street as area name, written
    as Parquet, CSV and Excel: every reader finds both."""
    from dagster_project.publishing.files import write_outputs
    from tests.publishing.test_published_outputs import make_published_db

    db = make_published_db(tmp_path / "spm.duckdb")
    con = duckdb.connect(str(db))
    con.execute("""insert into indikatorwerte values ('S01', 'sozialraum', '05999004-SR01',
        'Mitte', '05999004', 2024, date '2024-12-31', '2024', 2, null, 2, 'Anzahl', 'ok')""")
    con.execute("update raeume set raum_name = 'Haselring' where raum_id = '05999004-SR02'")
    con.close()
    out = tmp_path / "version"
    out.mkdir()
    write_outputs(db, out, version="2025-02-01T010000Z",
                  zeitpunkt=dt.datetime(2025, 2, 1, 1, tzinfo=dt.UTC), log=lambda m: None)
    secrets = Geheimnisse({"0041142902b14b04"}, {"haselring"})
    tables = _duckdb_tables(db)
    found = {
        "duckdb": check_tables(tables, secrets, 3, "spm.duckdb").leaks,
        "parquet": check_tables({p.stem: read_parquet(p) for p in (out / "parquet").iterdir()},
                                secrets, 3, "parquet").leaks,
        "csv": check_csv_folder(out / "csv" / "05999004", secrets, 3).leaks,
        "excel": check_workbook(out / "excel" / "05999004_Musterstadt.xlsx", tables, secrets,
                                3).leaks,
    }
    for kind, leaks in found.items():
        text = "\n".join(leaks)
        assert "haselring" in text, (kind, leaks)
        assert ("sensible Zähler von 1 bis 2" in text or "sensible Anzahl 2" in text), (kind, leaks)


def test_published_duckdb_files_leak_nothing(demo_run, secrets, min_count):
    total = Befund()
    for folder in versions(demo_run):
        tables = _duckdb_tables(folder / "spm.duckdb")
        assert EXPECTED_TABLES <= set(tables), sorted(EXPECTED_TABLES - set(tables))
        total.add(check_tables(tables, secrets, min_count, f"{folder.name}/spm.duckdb"))
    current = _duckdb_tables(demo_run.home.published_db)
    total.add(check_tables(current, secrets, min_count, "published/spm.duckdb"))
    print(total.zusammenfassung("DuckDB"))
    assert total.leaks == []
    assert total.zellen > 100
    if (current["indikatoren"]["sensibel"].astype(bool)
            & current["indikatoren"]["code"].isin(current["indikatorwerte"]["code"])).any():
        assert total.sensible_werte > 0 and total.gesperrte_zeilen > 0


def test_published_parquet_files_leak_nothing(demo_run, secrets, min_count):
    total = Befund()
    for folder in versions(demo_run):
        files = sorted((folder / "parquet").glob("*.parquet"))
        assert EXPECTED_TABLES <= {p.stem for p in files}
        tables = {p.stem: read_parquet(p) for p in files}
        total.add(check_tables(tables, secrets, min_count, f"{folder.name}/parquet"))
    print(total.zusammenfassung("Parquet"))
    assert total.leaks == []
    assert total.tabellen >= len(EXPECTED_TABLES)


def test_published_csv_files_leak_nothing(demo_run, secrets, min_count):
    total = Befund()
    folders = 0
    for folder in versions(demo_run):
        for ags in sorted(p for p in (folder / "csv").iterdir() if p.is_dir()):
            assert EXPECTED_TABLES <= {p.stem for p in ags.glob("*.csv")}, ags
            total.add(check_csv_folder(ags, secrets, min_count))
            folders += 1
        meta = (folder / "version.json").read_text(encoding="utf-8")
        total.leaks += [f"{folder.name}/version.json: {hit}" for hit in secrets.in_text(meta)]
        assert json.loads(meta)["tabellen"].keys() >= EXPECTED_TABLES
    print(total.zusammenfassung(f"CSV ({folders} Ordner)"))
    assert folders >= 4
    assert total.leaks == []


def test_published_excel_workbooks_leak_nothing(demo_run, secrets, min_count):
    total = Befund()
    books = 0
    for folder in versions(demo_run):
        reference = _duckdb_tables(folder / "spm.duckdb")
        for path in sorted((folder / "excel").glob("*.xlsx")):
            total.add(check_workbook(path, reference, secrets, min_count))
            books += 1
    print(total.zusammenfassung(f"Excel ({books} Arbeitsmappen)"))
    assert books >= 4
    assert total.leaks == []
    assert total.zellen > 100
