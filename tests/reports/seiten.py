"""Reading the report site back as a reader sees it, and what the published tables say each
shown number must be (formatted here independently of dagster_project.reports)."""

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb

MARKEN = ("data-feld", "data-code")


def deutsch(wert: float, ganz: bool) -> str:
    """German format as the reports promise it: counts whole, else one decimal."""
    text = f"{round(wert):,}" if ganz else f"{wert:,.1f}"
    text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return "0,0" if text == "-0,0" else text


class Elemente(HTMLParser):
    """Every element with a `data-feld` (values in tables, bars, Steckbriefe) or a map path
    with `data-code`: its attributes and its text (for a path: its <title>)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.gefunden: list[tuple[str, dict, str]] = []
        self._offen: list[tuple[str, dict, list[str]]] = []
        self.pfade: list[dict] = []
        self.texte: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "path" and "data-raum" in a:
            self.pfade.append(a)
        if any(m in a for m in MARKEN):
            self._offen.append((tag, a, []))

    def handle_endtag(self, tag):
        if self._offen and self._offen[-1][0] == tag:
            t, a, text = self._offen.pop()
            self.gefunden.append((t, a, "".join(text).strip()))

    def handle_data(self, data):
        for _, _, text in self._offen:
            text.append(data)
        self.texte.append(data)


def lies(path: Path) -> Elemente:
    parser = Elemente()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


class Veroeffentlicht:
    """The published tables of one version, as the check needs them."""

    def __init__(self, db: Path):
        con = duckdb.connect(str(db), read_only=True)
        try:
            self.einheit = dict(con.execute("select code, einheit from indikatoren").fetchall())
            self.werte = {(c, g, r, int(j)): (w, s) for c, g, r, j, w, s in con.execute(
                "select code, gliederung, raum_id, berichtsjahr, wert, status "
                "from indikatorwerte").fetchall()}
            self.index = {(g, r, int(j)): (s, d) for g, r, j, s, d in con.execute(
                "select gliederung, raum_id, berichtsjahr, status_klasse, dynamik_klasse "
                "from sozialindex").fetchall()}
            self.raeume = con.execute(
                "select gliederung, raum_id, raum_name, ags, geometrie is not null "
                "from raeume").fetchall()
        finally:
            con.close()

    def gezeigt(self, code, gliederung, raum_id, jahr) -> float | None:
        wert, status = self.werte.get((code, gliederung, raum_id, jahr), (None, "keine_daten"))
        if status != "ok" or wert is None or (isinstance(wert, float) and math.isnan(wert)):
            return None
        return wert

    def text(self, code, gliederung, raum_id, jahr) -> str:
        wert, status = self.werte.get((code, gliederung, raum_id, jahr), (None, "keine_daten"))
        if status == "gesperrt":
            return "•"
        shown = self.gezeigt(code, gliederung, raum_id, jahr)
        return "–" if shown is None else deutsch(shown, self.einheit[code] == "Anzahl")


def erwartet(pub: Veroeffentlicht, a: dict, gliederung_karte: str) -> str | None:
    """The text an element with the attributes `a` must show (None: not a number)."""
    feld = a.get("data-feld")
    code = a.get("data-code")
    jahr = int(a["data-jahr"]) if "data-jahr" in a else None
    raum = a.get("data-raum")
    if feld == "wert":
        return pub.text(code, a["data-gliederung"], raum, jahr)
    if feld == "abweichung":
        mine = pub.gezeigt(code, gliederung_karte, raum, jahr)
        kreis_ags = next(r[1] for r in pub.raeume if r[0] == "kreis")
        kreis = pub.gezeigt(code, "kreis", kreis_ags, jahr)
        if mine is None or kreis is None or pub.einheit[code] == "Anzahl":
            return "–"
        diff = mine - kreis
        text = deutsch(diff, pub.einheit[code] == "Anzahl")
        return "+" + text if diff > 0 and text not in ("0", "0,0") else text
    if feld == "rang":
        mine = pub.gezeigt(code, gliederung_karte, raum, jahr)
        if mine is None:
            return "–"
        values = [v for g, r, *_ in pub.raeume if g == gliederung_karte
                  if (v := pub.gezeigt(code, g, r, jahr)) is not None]
        return f"{1 + sum(v > mine for v in values)} von {len(values)}"
    return None


def atlasdaten(index_html: Path) -> dict:
    text = index_html.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="atlas-daten">(.*?)</script>', text,
                      re.S)
    assert match, "the atlas page holds no data"
    return json.loads(match.group(1).replace("<\\/", "</"))
