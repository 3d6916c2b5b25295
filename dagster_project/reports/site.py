"""The static report site of one published version (docs/berichte.md):

    index.html                      county atlas: one map, indicator and year to choose
    <gemeinde>/index.html           overview: Sozialräume, key figures, Sozialindex, Datenstand
    <gemeinde>/<bereich>.html       one chapter per domain: map, bars, time series, table
    <gemeinde>/raum/<raum>.html     Steckbrief of each Sozialraum
    <gemeinde>/metadaten.html       the indicator catalogue
    assets/spm.css, assets/spm.js   once per site

Every number shown is a published value (or, in a Steckbrief, the difference and rank of
published values) and carries its key in `data-*` attributes, so a test can compare each
one with the published tables. A suppressed value shows "•", a missing one "–"; on a map
both are grey with their own legend entry.
"""

import json
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd
from shapely.ops import unary_union

from dagster_project.lib.karten import (
    GRAU_GESPERRT,
    GRAU_KEIN_WERT,
    METHODEN,
    ZEICHEN_GESPERRT,
    ZEICHEN_KEIN_WERT,
    BerichtConfig,
    farben_fuer,
    grenzen,
    klasse,
    legende,
    zahl,
)
from dagster_project.publishing.gebiete import Gebiet
from dagster_project.reports import png, svg
from dagster_project.reports.daten import Daten, wert_oder_none
from dagster_project.reports.png import karten_einer_gemeinde

ASSETS = Path(__file__).parent / "assets"
TEXT_GESPERRT = "gesperrt (Geheimhaltung)"
TEXT_KEIN_WERT = "kein Wert (kein Nenner oder keine Lieferung)"
FUSSNOTE = (f"{ZEICHEN_GESPERRT} = Wert aus Gründen der Geheimhaltung gesperrt. "
            f"{ZEICHEN_KEIN_WERT} = kein Wert: der Nenner fehlt oder ist 0, oder für den Raum "
            "liegt keine Lieferung der Quelle vor. Anzahlen ganzzahlig, alle anderen Werte "
            "mit einer Nachkommastelle gerundet; ungerundet in spm.duckdb, Parquet und Excel.")
# Sozialindex: colour by status class (rows) and Dynamik class (columns), Berlin-style
STATUS_KLASSEN = ["hoch", "mittel", "niedrig", "sehr niedrig"]
DYNAMIK_KLASSEN = ["positiv", "stabil", "negativ", None]
INDEX_FARBEN = {
    "hoch": ["#1a9850", "#66bd63", "#a6d96a", "#91cf60"],
    "mittel": ["#d9ef8b", "#ffffbf", "#fee08b", "#fff3b0"],
    "niedrig": ["#fdae61", "#f99150", "#f46d43", "#fdbf80"],
    "sehr niedrig": ["#e05a3a", "#d73027", "#a50026", "#e8826a"],
}
PFEILE = {1: ("↑", "gestiegen"), -1: ("↓", "gesunken"), 0: ("→", "unverändert")}


def slug(text: str) -> str:
    for umlaut, ersatz in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"),
                           ("Ü", "Ue"), ("ß", "ss")):
        text = text.replace(umlaut, ersatz)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def raum_datei(raum_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", raum_id) + ".html"


@dataclass
class Wert:
    wert: float | None
    status: str

    @property
    def gezeigt(self) -> float | None:
        return self.wert if self.status == "ok" else None


def _schluessel(code: str, gliederung: str, raum_id: str, jahr: int) -> dict:
    """The key of a shown value in `indikatorwerte` (for readers' tools and the tests)."""
    return {"data-feld": "wert", "data-code": code, "data-gliederung": gliederung,
            "data-raum": raum_id, "data-jahr": jahr}


def _zahl_html(w: Wert | None, einheit: str, code: str, gliederung: str, raum_id: str,
               jahr: int, tag: str = "td") -> str:
    status = w.status if w else "keine_daten"
    text = zahl(w.gezeigt if w else None, einheit, status)
    css = "zahl" + (" gesperrt" if status == "gesperrt" else "")
    attrs = "".join(f' {k}="{escape(str(v))}"'
                    for k, v in _schluessel(code, gliederung, raum_id, jahr).items())
    return f'<{tag} class="{css}"{attrs}>{text}</{tag}>'



class Site:
    def __init__(self, daten: Daten, config: BerichtConfig):
        self.d = daten
        self.c = config
        werte = daten.werte
        self.werte: dict[tuple[str, str, str, int], Wert] = {
            (code, gl, raum, int(jahr)): Wert(wert_oder_none(w), status)
            for code, gl, raum, jahr, w, status in zip(
                werte["code"], werte["gliederung"], werte["raum_id"], werte["berichtsjahr"],
                werte["wert"], werte["status"], strict=True)}
        self.jahre = daten.jahre
        self.kat = daten.indikatoren
        self.einheit = dict(zip(self.kat["code"], self.kat["einheit"], strict=True))
        self.name = dict(zip(self.kat["code"], self.kat["name"], strict=True))
        self.bereiche: dict[str, list[str]] = {}
        for code, bereich in zip(self.kat["code"], self.kat["bereich"], strict=True):
            self.bereiche.setdefault(bereich, []).append(code)
        r = daten.raeume
        self.raeume = r[r["gliederung"] == config.gliederung].copy()
        self.geoms = {row.raum_id: (row.raum_name, svg.geometrie(row.geometrie))
                      for row in self.raeume.itertuples()
                      if isinstance(row.geometrie, str) and row.geometrie}
        self.raum_name = dict(zip(r["raum_id"], r["raum_name"], strict=True))
        # areas of the Gliederung per municipality (with and without a geometry)
        self.raeume_von: dict[str, list[str]] = {}
        for row in self.raeume.itertuples():
            self.raeume_von.setdefault(row.ags, []).append(row.raum_id)
        self.jahre_von = {code: sorted({k[3] for k in self.werte if k[0] == code})
                          for code in self.kat["code"]}
        self.kreis = daten.kreis
        self._breaks: dict[tuple[str, int], list[float]] = {}
        si = daten.sozialindex
        self.index = {}
        if not si.empty:
            si = si[si["gliederung"] == config.gliederung]
            self.index = {(row.raum_id, int(row.berichtsjahr)): row for row in si.itertuples()}

    # --- values and classes ----------------------------------------------------------
    def wert(self, code: str, gliederung: str, raum_id: str, jahr: int) -> Wert | None:
        return self.werte.get((code, gliederung, raum_id, jahr))

    def kommune_wert(self, code: str, gebiet: Gebiet, jahr: int) -> Wert | None:
        gliederung = "kreis" if gebiet.ist_kreis else "kommune"
        return self.wert(code, gliederung, gebiet.ags, jahr)

    def breaks(self, code: str, jahr: int) -> list[float]:
        """Class breaks over every area of the Gliederung in the county (so that the maps of
        all municipalities share one scale); published values only."""
        key = (code, jahr)
        if key not in self._breaks:
            values = [w.gezeigt for raum_id in self.geoms
                      if (w := self.wert(code, self.c.gliederung, raum_id, jahr))
                      and w.gezeigt is not None]
            self._breaks[key] = grenzen(values, self.c.klassen, self.c.anzahl_klassen)
        return self._breaks[key]

    def flaechen(self, code: str, jahr: int, link_von=None) -> dict[str, svg.Flaeche]:
        breaks = self.breaks(code, jahr)
        farben = farben_fuer(breaks, self.c.farben)
        einheit = self.einheit[code]
        out = {}
        for raum_id, (name, _) in self.geoms.items():
            w = self.wert(code, self.c.gliederung, raum_id, jahr)
            status = w.status if w else "keine_daten"
            text = zahl(w.gezeigt if w else None, einheit, status)
            if w and w.gezeigt is not None:
                farbe, s = farben[klasse(w.gezeigt, breaks)], "ok"
            elif status == "gesperrt":
                farbe, s = GRAU_GESPERRT, "gesperrt"
            else:
                farbe, s = GRAU_KEIN_WERT, "kein_wert"
            out[raum_id] = svg.Flaeche(farbe, f"{name}: {text}", s,
                                       link=link_von(raum_id) if link_von else None,
                                       attrs={"data-code": code, "data-jahr": jahr})
        return out

    def legende_html(self, code: str, jahr: int) -> str:
        breaks = self.breaks(code, jahr)
        items = [(f, t) for f, t in zip(farben_fuer(breaks, self.c.farben),
                                        legende(breaks, self.einheit[code]), strict=True)]
        items += [(GRAU_GESPERRT, f"{ZEICHEN_GESPERRT} {TEXT_GESPERRT}"),
                  (GRAU_KEIN_WERT, f"{ZEICHEN_KEIN_WERT} {TEXT_KEIN_WERT}")]
        rows = "".join(f'<li><span class="feld" style="background:{f}"></span>'
                       f'{escape(t)}</li>' for f, t in items)
        einheit = escape(self.einheit[code])
        return (f'<div class="legendenfeld"><ul class="legende" aria-label="Legende">{rows}</ul>'
                f'<p class="klein">Einheit: {einheit}. Klassen: {escape(METHODEN[self.c.klassen])}'
                f", über alle Räume des Kreises im Jahr {jahr}.</p></div>")

    # --- pages -----------------------------------------------------------------------
    def seite(self, titel: str, inhalt: str, tiefe: int, gebiet: Gebiet | None = None,
              skripte: str = "") -> str:
        wurzel = "../" * tiefe
        nav = [f'<a href="{wurzel}index.html">Atlas {escape(self.kreis.name)}</a>']
        if gebiet:
            basis = f"{wurzel}{gebiet.dateiname}/"
            nav.append(f'<a href="{basis}index.html">{escape(gebiet.name)}: Übersicht</a>')
            for bereich in self.bereiche:
                nav.append(f'<a href="{basis}{slug(bereich)}.html">{escape(bereich)}</a>')
            nav.append(f'<a href="{basis}metadaten.html">Indikatoren</a>')
        stand = self.stand_text()
        return (
            '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(titel)}</title>"
            f'<link rel="stylesheet" href="{wurzel}assets/spm.css"></head><body>'
            f'<header><nav>{" ".join(nav)}</nav></header><main>'
            f"<h1>{escape(titel)}</h1>{inhalt}</main>"
            f'<footer>Quelle: Sozialräumliches Präventionsmonitoring, {escape(self.kreis.name)}; '
            f"abgestimmtes Datenset, {escape(stand)}. Nur veröffentlichte (geschützte) Werte."
            f"</footer>{skripte}</body></html>\n")

    def stand_text(self) -> str:
        v = self.d.version
        wann = v.get("veroeffentlicht", "")[:16].replace("T", " ")
        if re.match(r"\d{4}-\d{2}-\d{2}", wann):
            wann = f"{wann[8:10]}.{wann[5:7]}.{wann[0:4]}{wann[10:]}"
        return f"Fassung {v.get('version', '?')}, veröffentlicht {wann} (UTC)"

    def tabelle(self, code: str, zeilen: list[tuple[str, str, str]], jahre: list[int],
                css: str = "werte") -> str:
        """Rows (label, Gliederung, raum_id) by Berichtsjahr."""
        einheit = self.einheit[code]
        kopf = "".join(f"<th>{j}</th>" for j in jahre)
        body = []
        for label, gliederung, raum_id in zeilen:
            cells = "".join(_zahl_html(self.wert(code, gliederung, raum_id, j), einheit, code,
                                       gliederung, raum_id, j) for j in jahre)
            body.append(f"<tr><th>{escape(label)}</th>{cells}</tr>")
        return (f'<table class="{css}"><thead><tr><th>Raum</th>{kopf}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table>')

    def kapitel(self, gebiet: Gebiet, bereich: str, basis: svg.Kartenbasis) -> str:
        raeume = self.raeume_von.get(gebiet.ags, [])
        teile = [f'<p class="einleitung">{escape(bereich)} in {escape(gebiet.name)}: '
                 f"{len(self.bereiche[bereich])} Indikatoren, je Sozialraum, Gemeinde und Kreis."
                 "</p>"]
        inhalt = "".join(f'<li><a href="#{c}">{escape(c)} {escape(self.name[c])}</a></li>'
                         for c in self.bereiche[bereich])
        teile.append(f'<ul class="inhalt">{inhalt}</ul>')
        for code in self.bereiche[bereich]:
            jahre = self.jahre_von.get(code) or []
            teile.append(f'<section class="indikator" id="{code}">'
                         f"<h2>{escape(code)} {escape(self.name[code])}</h2>")
            if not jahre:
                teile.append('<p class="hinweis">Für diesen Indikator wurden keine Werte '
                             "veröffentlicht.</p></section>")
                continue
            jahr = jahre[-1]
            teile.append(self.indikator_meta(code))
            if basis is not None:
                flaechen = self.flaechen(code, jahr, lambda r: f"raum/{raum_datei(r)}")
                karte = basis.svg(flaechen, label=f"Karte {code} {jahr}")
                bild = f"{png.ORDNER}/{png.png_name(code, jahr)}"
                teile.append(f'<div class="zeile"><figure class="kartenfeld">{karte}'
                             f"<figcaption>{escape(self.name[code])}, {jahr} "
                             f'(<a class="png" href="{bild}">Karte als PNG für Word/PDF</a>)'
                             f"</figcaption></figure>{self.legende_html(code, jahr)}</div>")
            teile.append(self.balken(code, gebiet, raeume, jahr))
            teile.append(self.zeitreihe(code, gebiet, raeume, jahre))
            zeilen = [(self.raum_name.get(r, r), self.c.gliederung, r) for r in raeume]
            zeilen.append((f"{gebiet.name} (Gemeinde)", "kommune", gebiet.ags))
            zeilen.append((f"{self.kreis.name} (Kreis)", "kreis", self.kreis.ags))
            teile.append(self.tabelle(code, zeilen, jahre))
            teile.append(f'<p class="fussnote">{escape(FUSSNOTE)}</p></section>')
        return self.seite(f"{bereich} – {gebiet.name}", "".join(teile), 1, gebiet)

    def indikator_meta(self, code: str) -> str:
        row = self.kat[self.kat["code"] == code].iloc[0]
        nenner = row["nenner"] if isinstance(row["nenner"], str) and row["nenner"] else "–"
        return (f'<p class="meta">{escape(str(row["definition"]))} Zähler: '
                f'{escape(str(row["zaehler"]))}; Nenner: {escape(nenner)}; '
                f'Quelle: {escape(str(row["quelle"]))}.</p>')

    def balken(self, code: str, gebiet: Gebiet, raeume: list[str], jahr: int) -> str:
        einheit = self.einheit[code]
        items = []
        def balken(label, gliederung, raum_id, art):
            w = self.wert(code, gliederung, raum_id, jahr)
            return svg.Balken(label, w.gezeigt if w else None,
                              zahl(w.gezeigt if w else None, einheit,
                                   w.status if w else "keine_daten"), art,
                              attrs=_schluessel(code, gliederung, raum_id, jahr))

        items = [balken(self.raum_name.get(r, r), self.c.gliederung, r, "raum") for r in raeume]
        if einheit != "Anzahl":     # a count: the totals would dwarf the areas
            items.append(balken(gebiet.name, "kommune", gebiet.ags, "kommune"))
            items.append(balken(self.kreis.name, "kreis", self.kreis.ags, "kreis"))
        summen = einheit == "Anzahl"
        chart = svg.balkendiagramm(items, label=f"Balkendiagramm {code} {jahr}")
        text = ("Sozialräume (Gemeinde und Kreis: Tabelle)" if summen else
                "Sozialräume, Gemeinde (dunkelblau) und Kreis (orange)")
        return f'<figure class="diagrammfeld">{chart}<figcaption>{jahr}: {text}</figcaption></figure>'


    def zeitreihe(self, code: str, gebiet: Gebiet, raeume: list[str], jahre: list[int]) -> str:
        reihen = []
        for raum_id in raeume:
            punkte = []
            for j in jahre:
                w = self.wert(code, self.c.gliederung, raum_id, j)
                punkte.append((j, w.gezeigt if w else None))
            reihen.append(svg.Reihe(self.raum_name.get(raum_id, raum_id), punkte))
        summen = self.einheit[code] == "Anzahl"
        for g, art in (() if summen else ((gebiet, "kommune"), (self.kreis, "kreis"))):
            punkte = []
            for j in jahre:
                w = self.kommune_wert(code, g, j)
                punkte.append((j, w.gezeigt if w else None))
            reihen.append(svg.Reihe(g.name, punkte, art))
        chart = svg.zeitreihe(reihen, jahre, label=f"Zeitreihe {code}",
                              ganzzahlig=summen)
        text = ("Sozialräume" if summen else
                "Sozialräume (grau), Gemeinde (dunkelblau), Kreis (orange, gestrichelt)")
        return (f'<figure class="diagrammfeld">{chart}<figcaption>Zeitreihe: {text}'
                "</figcaption></figure>")

    def index_flaechen(self, jahr: int, raeume, link_von=None) -> dict[str, svg.Flaeche]:
        out = {}
        for raum_id in raeume:
            if raum_id not in self.geoms:
                continue
            row = self.index.get((raum_id, jahr))
            status = getattr(row, "status_klasse", None) if row is not None else None
            dynamik = getattr(row, "dynamik_klasse", None) if row is not None else None
            status = status if isinstance(status, str) else None
            dynamik = dynamik if isinstance(dynamik, str) else None
            name = self.geoms[raum_id][0]
            if status in INDEX_FARBEN:
                farbe = INDEX_FARBEN[status][DYNAMIK_KLASSEN.index(dynamik)
                                             if dynamik in DYNAMIK_KLASSEN else 3]
                titel = f"{name}: Status {status}, Dynamik {dynamik or 'nicht berechnet'}"
                s = "ok"
            else:
                hinweis = getattr(row, "hinweis", None) if row is not None else None
                farbe, s = GRAU_KEIN_WERT, "kein_wert"
                titel = f"{name}: kein Index" + (f" ({hinweis})" if isinstance(hinweis, str)
                                                 else "")
            out[raum_id] = svg.Flaeche(farbe, titel, s,
                                       link=link_von(raum_id) if link_von else None,
                                       attrs={"data-status-klasse": status or "",
                                              "data-dynamik-klasse": dynamik or ""})
        return out

    def index_legende(self) -> str:
        kopf = "".join(f"<th>{escape(d or 'nicht berechnet')}</th>" for d in DYNAMIK_KLASSEN)
        rows = []
        for status in STATUS_KLASSEN:
            cells = "".join(f'<td><span class="feld" style="background:{f}"></span></td>'
                            for f in INDEX_FARBEN[status])
            rows.append(f"<tr><th>{escape(status)}</th>{cells}</tr>")
        return ('<table class="matrix" aria-label="Legende Sozialindex"><thead><tr>'
                f'<th>Status \\ Dynamik</th>{kopf}</tr></thead><tbody>{"".join(rows)}</tbody>'
                f'</table><p class="klein"><span class="feld" style="background:'
                f'{GRAU_KEIN_WERT}"></span> kein Index (zu wenige Einwohner oder Wert fehlt)'
                "</p>")

    def uebersicht(self, gebiet: Gebiet, basis: svg.Kartenbasis | None) -> str:
        raeume = self.raeume_von.get(gebiet.ags, [])
        jahr = self.jahre[-1] if self.jahre else None
        teile = []
        if basis is not None:
            flaechen = {r: svg.Flaeche("#cfe0f1", self.geoms[r][0],
                                       link=f"raum/{raum_datei(r)}") for r in raeume
                        if r in self.geoms}
            teile.append('<div class="zeile"><figure class="kartenfeld">'
                         + basis.svg(flaechen, beschriftung=True,
                                     label=f"Sozialräume {gebiet.name}")
                         + "<figcaption>Die Sozialräume (anklicken für den Steckbrief)"
                         "</figcaption></figure>" + self.raumliste(raeume) + "</div>")
        else:
            teile.append(self.raumliste(raeume))
        if jahr is not None:
            teile.append(f"<h2>Kennzahlen {jahr}</h2>" + self.kennzahlen(gebiet, jahr))
        index_jahre = sorted({j for (_, j) in self.index})
        if index_jahre and basis is not None:
            ij = index_jahre[-1]
            teile.append(f"<h2>Sozialindex {ij}</h2><div class=\"zeile\">"
                         '<figure class="kartenfeld">'
                         + basis.svg(self.index_flaechen(ij, raeume,
                                                         lambda r: f"raum/{raum_datei(r)}"),
                                     label=f"Sozialindex {gebiet.name} {ij}")
                         + "<figcaption>Status- und Dynamik-Index (Berliner Verfahren)"
                         "</figcaption></figure>" + self.index_legende() + "</div>")
        kapitel = "".join(f'<li><a href="{slug(b)}.html">{escape(b)}</a> '
                          f"({len(c)} Indikatoren)</li>" for b, c in self.bereiche.items())
        teile.append(f'<h2>Kapitel</h2><ul class="inhalt">{kapitel}'
                     '<li><a href="metadaten.html">Indikatoren: Definitionen und Quellen</a>'
                     "</li></ul>")
        teile.append("<h2>Datenstand</h2>" + self.datenstand(gebiet))
        teile.append("<h2>Qualität</h2>" + self.qualitaet())
        return self.seite(f"Sozialbericht {gebiet.name}", "".join(teile), 1, gebiet)

    def raumliste(self, raeume: list[str]) -> str:
        items = "".join(f'<li><a href="raum/{raum_datei(r)}">{escape(self.raum_name.get(r, r))}'
                        "</a></li>" for r in raeume)
        return f'<ul class="raumliste">{items}</ul>'

    def kennzahlen(self, gebiet: Gebiet, jahr: int) -> str:
        codes = []
        for bereich_codes in self.bereiche.values():
            codes.extend(bereich_codes[:2])
        rows = []
        for code in codes:
            einheit = self.einheit[code]
            g = _zahl_html(self.kommune_wert(code, gebiet, jahr), einheit, code, "kommune",
                           gebiet.ags, jahr)
            k = _zahl_html(self.kommune_wert(code, self.kreis, jahr), einheit, code, "kreis",
                           self.kreis.ags, jahr)
            rows.append(f"<tr><th>{escape(code)} {escape(self.name[code])}</th>{g}{k}</tr>")
        return ('<table class="werte"><thead><tr><th>Indikator</th>'
                f"<th>{escape(gebiet.name)}</th><th>Kreis</th></tr></thead>"
                f'<tbody>{"".join(rows)}</tbody></table>')

    def datenstand(self, gebiet: Gebiet) -> str:
        ds = self.d.datenstand
        if ds.empty:
            return '<p class="hinweis">Kein Datenstand veröffentlicht.</p>'
        ds = ds[(ds["ags"] == gebiet.ags) | ds["ags"].isna()]
        rows = []
        for row in ds.sort_values(["quelle", "stichtag"]).groupby("quelle").tail(1).itertuples():
            stichtag = pd.Timestamp(row.stichtag).strftime("%d.%m.%Y") \
                if pd.notna(row.stichtag) else "–"
            rows.append(f"<tr><th>{escape(str(row.quelle))}</th><td>{stichtag}</td>"
                        f"<td>{escape(str(row.status))}</td>"
                        f"<td>{escape(str(row.hinweis)) if isinstance(row.hinweis, str) else ''}"
                        "</td></tr>")
        return ('<table class="liste"><thead><tr><th>Quelle</th><th>neuester Stichtag</th>'
                f'<th>Status</th><th>Hinweis</th></tr></thead><tbody>{"".join(rows)}</tbody>'
                "</table>")

    def qualitaet(self) -> str:
        q = self.d.qualitaet
        if q.empty:
            return '<p class="hinweis">Keine Qualitätsprüfungen veröffentlicht.</p>'
        counts = q.groupby("ergebnis").size().to_dict()
        summary = ", ".join(f"{n} {escape(str(e))}" for e, n in sorted(counts.items()))
        auffaellig = q[q["ergebnis"] != "bestanden"]
        rows = "".join(f"<tr><td>{escape(str(r.pruefung))}</td><td>{escape(str(r.gegenstand))}"
                       f"</td><td>{escape(str(r.ergebnis))}</td><td>"
                       f"{escape(str(r.hinweis)) if isinstance(r.hinweis, str) else ''}</td></tr>"
                       for r in auffaellig.itertuples())
        table = ('<table class="liste"><thead><tr><th>Prüfung</th><th>Gegenstand</th>'
                 f"<th>Ergebnis</th><th>Hinweis</th></tr></thead><tbody>{rows}</tbody></table>"
                 if rows else "<p>Alle Prüfungen bestanden.</p>")
        return f"<p>Prüfungen des Laufs: {summary}.</p>{table}"

    def steckbrief(self, gebiet: Gebiet, raum_id: str, basis: svg.Kartenbasis | None) -> str:
        name = self.raum_name.get(raum_id, raum_id)
        teile = [f'<p class="einleitung">{escape(name)} in {escape(gebiet.name)} '
                 f"({escape(raum_id)}).</p>"]
        if basis is not None and raum_id in self.geoms:
            flaechen = {r: svg.Flaeche("#1f4e79" if r == raum_id else "#e8eef5",
                                       self.geoms[r][0]) for r in self.raeume_von[gebiet.ags]
                        if r in self.geoms}
            teile.append('<figure class="lagekarte">'
                         + basis.svg(flaechen, label=f"Lage von {name}") + "</figure>")
        index_jahre = sorted(j for (r, j) in self.index if r == raum_id)
        if index_jahre:
            row = self.index[(raum_id, index_jahre[-1])]
            status = row.status_klasse if isinstance(row.status_klasse, str) else None
            dynamik = row.dynamik_klasse if isinstance(row.dynamik_klasse, str) else None
            text = (f"Status <strong>{escape(status)}</strong>, Dynamik "
                    f"<strong>{escape(dynamik or 'nicht berechnet')}</strong>"
                    if status else "kein Index"
                    + (f" ({escape(row.hinweis)})" if isinstance(row.hinweis, str) else ""))
            teile.append(f'<p class="index" data-feld="sozialindex" data-raum="{escape(raum_id)}"'
                         f' data-jahr="{index_jahre[-1]}">Sozialindex {index_jahre[-1]}: {text}'
                         "</p>")
        for bereich, codes in self.bereiche.items():
            rows = []
            for code in codes:
                jahre = self.jahre_von.get(code) or []
                if not jahre:
                    continue
                rows.append(self.steckbrief_zeile(code, raum_id, jahre))
            if rows:
                teile.append(f"<h2>{escape(bereich)}</h2><table class=\"werte steckbrief\">"
                             "<thead><tr><th>Indikator</th><th>Jahr</th><th>Wert</th>"
                             "<th>Kreis</th><th>Abweichung zum Kreis</th><th>Rang im Kreis</th>"
                             f'<th>Trend</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
        teile.append(f'<p class="fussnote">{escape(FUSSNOTE)} Rang: 1 = höchster Wert unter '
                     "den Sozialräumen des Kreises mit veröffentlichtem Wert. Trend: Vergleich "
                     "mit dem Vorjahr (nur wenn beide Werte veröffentlicht sind). Für Anzahlen keine "
                     "Abweichung zum Kreis (die Summe des Kreises ist kein Vergleichswert).</p>")
        return self.seite(f"Steckbrief {name}", "".join(teile), 2, gebiet)

    def rang(self, code: str, jahr: int, raum_id: str) -> tuple[int, int] | None:
        mine = self.wert(code, self.c.gliederung, raum_id, jahr)
        if not mine or mine.gezeigt is None:
            return None
        values = [w.gezeigt for r in self.raeume["raum_id"]
                  if (w := self.wert(code, self.c.gliederung, r, jahr)) and w.gezeigt is not None]
        return 1 + sum(v > mine.gezeigt for v in values), len(values)

    def steckbrief_zeile(self, code: str, raum_id: str, jahre: list[int]) -> str:
        jahr = jahre[-1]
        einheit = self.einheit[code]
        gl = self.c.gliederung
        w = self.wert(code, gl, raum_id, jahr)
        k = self.kommune_wert(code, self.kreis, jahr)
        wert = _zahl_html(w, einheit, code, gl, raum_id, jahr)
        kreis = _zahl_html(k, einheit, code, "kreis", self.kreis.ags, jahr)
        attrs = (f'data-code="{escape(code)}" data-raum="{escape(raum_id)}" '
                 f'data-jahr="{jahr}"')
        if (einheit != "Anzahl" and w and w.gezeigt is not None and k
                and k.gezeigt is not None):     # a count and the county's total: no pair
            diff = w.gezeigt - k.gezeigt
            text = zahl(diff, einheit)
            text = ("+" + text) if diff > 0 and text not in ("0", "0,0") else text
            abw = f'<td class="zahl" data-feld="abweichung" {attrs}>{text}</td>'
        else:
            abw = f'<td class="zahl" data-feld="abweichung" {attrs}>{ZEICHEN_KEIN_WERT}</td>'
        r = self.rang(code, jahr, raum_id)
        rang = (f'<td class="zahl" data-feld="rang" {attrs}>{r[0]} von {r[1]}</td>' if r
                else f'<td class="zahl" data-feld="rang" {attrs}>{ZEICHEN_KEIN_WERT}</td>')
        trend = f'<td class="trend" data-feld="trend" {attrs}></td>'
        if len(jahre) > 1:
            vor = self.wert(code, gl, raum_id, jahre[-2])
            if w and w.gezeigt is not None and vor and vor.gezeigt is not None:
                richtung = (w.gezeigt > vor.gezeigt) - (w.gezeigt < vor.gezeigt)
                pfeil, text = PFEILE[richtung]
                trend = (f'<td class="trend" data-feld="trend" data-richtung="{richtung}" '
                         f'{attrs} title="seit {jahre[-2]} {text}">{pfeil}</td>')
        return (f"<tr><th>{escape(code)} {escape(self.name[code])}</th><td>{jahr}</td>{wert}"
                f"{kreis}{abw}{rang}{trend}</tr>")

    def metadaten(self, gebiet: Gebiet) -> str:
        rows = []
        for row in self.kat.itertuples():
            nenner = row.nenner if isinstance(row.nenner, str) and row.nenner else "–"
            jahre = self.jahre_von.get(row.code) or []
            spanne = f"{jahre[0]}–{jahre[-1]}" if len(jahre) > 1 else (
                str(jahre[0]) if jahre else "–")
            rows.append(f"<tr><th>{escape(row.code)}</th><td>{escape(row.name)}</td>"
                        f"<td>{escape(row.bereich)}</td><td>{escape(str(row.definition))}</td>"
                        f"<td>{escape(str(row.zaehler))}</td><td>{escape(nenner)}</td>"
                        f"<td>{escape(str(row.einheit))}</td><td>{escape(str(row.quelle))}</td>"
                        f"<td>{spanne}</td></tr>")
        stichtage = self.stichtage()
        return self.seite(
            "Indikatoren: Definitionen und Quellen",
            '<table class="liste meta"><thead><tr><th>Code</th><th>Name</th><th>Bereich</th>'
            "<th>Definition</th><th>Zähler</th><th>Nenner</th><th>Einheit</th><th>Quelle</th>"
            f'<th>Berichtsjahre</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f"<h2>Stichtage je Berichtsjahr</h2>{stichtage}", 1, gebiet)

    def stichtage(self) -> str:
        w = self.d.werte
        if w.empty:
            return ""
        kat = self.kat[["code", "quelle"]]
        rows = (w[["code", "berichtsjahr", "stichtag"]].drop_duplicates()
                .merge(kat, on="code").groupby(["quelle", "berichtsjahr"])["stichtag"]
                .max().reset_index())
        body = "".join(
            f"<tr><th>{escape(str(r.quelle))}</th><td>{int(r.berichtsjahr)}</td>"
            f"<td>{pd.Timestamp(r.stichtag).strftime('%d.%m.%Y') if pd.notna(r.stichtag) else '–'}"
            "</td></tr>" for r in rows.itertuples())
        return ('<table class="liste"><thead><tr><th>Quelle</th><th>Berichtsjahr</th>'
                f"<th>Stichtag</th></tr></thead><tbody>{body}</tbody></table>")

    # --- the county atlas --------------------------------------------------------------
    def start_indikator(self, codes: list[str]) -> str:
        """The atlas opens with the first status indicator of the Sozialindex (the
        configured set, in catalogue order), else the first rate of the catalogue."""
        si = self.d.sozialindex
        if not si.empty and "methode" in si.columns:
            try:
                gewichte = json.loads(si["methode"].dropna().iloc[0]).get("indikatoren", {})
            except (IndexError, ValueError, AttributeError):
                gewichte = {}
            for code in codes:
                if code in gewichte:
                    return code
        return next((c for c in codes if self.einheit[c] != "Anzahl"), codes[0])

    def atlas(self, basis: svg.Kartenbasis | None) -> str:
        codes = [c for c in self.kat["code"] if self.jahre_von.get(c)]
        berichte = "".join(f'<li><a href="{g.dateiname}/index.html">{escape(g.name)}</a></li>'
                           for g in self.d.kommunen)
        if basis is None or not codes:
            inhalt = ('<p class="hinweis">Keine Karte: es sind keine Flächen oder Werte '
                      f'veröffentlicht.</p><h2>Sozialberichte</h2><ul>{berichte}</ul>')
            return self.seite(f"Sozialatlas {self.kreis.name}", inhalt, 0)
        code = self.start_indikator(codes)
        jahr = self.jahre_von[code][-1]
        daten = {"werte": {}, "legenden": {}, "namen": {}, "jahre": {}}
        for c in codes:
            daten["namen"][c] = f"{c} {self.name[c]}"
            daten["jahre"][c] = self.jahre_von[c]
            daten["werte"][c], daten["legenden"][c] = {}, {}
            for j in self.jahre_von[c]:
                flaechen = self.flaechen(c, j)
                daten["werte"][c][j] = {r: [f.farbe, f.titel, f.status]
                                        for r, f in flaechen.items()}
                daten["legenden"][c][j] = self.legende_html(c, j)
        optionen = []
        for bereich, bcodes in self.bereiche.items():
            opts = "".join(f'<option value="{c}"{" selected" if c == code else ""}>'
                           f"{escape(c)} {escape(self.name[c])}</option>"
                           for c in bcodes if c in daten["namen"])
            if opts:
                optionen.append(f'<optgroup label="{escape(bereich)}">{opts}</optgroup>')
        jahr_opts = "".join(f'<option value="{j}"{" selected" if j == jahr else ""}>{j}</option>'
                            for j in self.jahre_von[code])
        karte = basis.svg(self.flaechen(code, jahr), label="Atlas", svg_id="atlas-karte")
        payload = json.dumps(daten, ensure_ascii=False, separators=(",", ":"))
        payload = payload.replace("</", "<\\/")
        inhalt = (
            '<form class="auswahl" onsubmit="return false">'
            f'<label>Indikator <select id="atlas-indikator">{"".join(optionen)}</select></label>'
            f'<label>Jahr <select id="atlas-jahr">{jahr_opts}</select></label></form>'
            f'<div class="zeile"><figure class="kartenfeld gross">{karte}'
            f'<figcaption id="atlas-titel">{escape(self.name[code])}, {jahr}</figcaption>'
            f'</figure><div id="atlas-legende">{self.legende_html(code, jahr)}</div></div>'
            '<p class="klein">Alle Sozialräume des Kreises; dicke Linien: Gemeindegrenzen. '
            "Graue Flächen: gesperrt oder kein Wert, nie als 0 dargestellt.</p>"
            f'<h2>Sozialberichte der Gemeinden</h2><ul class="raumliste">{berichte}</ul>'
            f'<script type="application/json" id="atlas-daten">{payload}</script>')
        return self.seite(f"Sozialatlas {self.kreis.name}", inhalt, 0,
                          skripte='<script src="assets/spm.js"></script>')


def kommune_umrisse(site: Site) -> dict[str, object]:
    """Each municipality's outline: the union of its areas' geometries."""
    out = {}
    for ags, raeume in site.raeume_von.items():
        geoms = [site.geoms[r][1] for r in raeume if r in site.geoms]
        if geoms:
            out[ags] = unary_union(geoms).buffer(0)
    return out


def baue_site(daten: Daten, config: BerichtConfig, ziel: Path) -> dict[str, int]:
    """Write the site into the (new, empty) folder `ziel`; returns counts of pages."""
    site = Site(daten, config)
    ziel.mkdir(parents=True, exist_ok=False)
    (ziel / "assets").mkdir()
    for name in ("spm.css", "spm.js"):
        (ziel / "assets" / name).write_bytes((ASSETS / name).read_bytes())
    umrisse = kommune_umrisse(site)
    site.umrisse = umrisse
    alle = {r: v for r, v in site.geoms.items()}
    atlas_basis = svg.Kartenbasis(alle, list(umrisse.values()), breite=760) if alle else None
    (ziel / "index.html").write_text(site.atlas(atlas_basis), encoding="utf-8")
    zahlen = {"gemeinden": 0, "kapitel": 0, "steckbriefe": 0, "seiten": 1, "png": 0}
    # the PNG maps are drawn by Pillow, which leaves the GIL in its drawing and encoding:
    # threads draw them while this one writes the pages
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        bilder = [pool.submit(karten_einer_gemeinde, site, gebiet,
                              ziel / gebiet.dateiname / png.ORDNER)
                  for gebiet in daten.kommunen]
        _seiten(site, daten, ziel, umrisse, zahlen)
        zahlen["png"] = sum(b.result() for b in bilder)
    zahlen["seiten"] = sum(1 for _ in ziel.rglob("*.html"))
    return zahlen


def _seiten(site: Site, daten: Daten, ziel: Path, umrisse: dict, zahlen: dict) -> None:
    for gebiet in daten.kommunen:
        ordner = ziel / gebiet.dateiname
        (ordner / "raum").mkdir(parents=True)
        raeume = {r: site.geoms[r] for r in site.raeume_von.get(gebiet.ags, [])
                  if r in site.geoms}
        basis = (svg.Kartenbasis(raeume, [umrisse[gebiet.ags]] if gebiet.ags in umrisse
                                 else []) if raeume else None)
        (ordner / "index.html").write_text(site.uebersicht(gebiet, basis), encoding="utf-8")
        for bereich in site.bereiche:
            (ordner / f"{slug(bereich)}.html").write_text(site.kapitel(gebiet, bereich, basis),
                                                          encoding="utf-8")
            zahlen["kapitel"] += 1
        (ordner / "metadaten.html").write_text(site.metadaten(gebiet), encoding="utf-8")
        for raum_id in site.raeume_von.get(gebiet.ags, []):
            (ordner / "raum" / raum_datei(raum_id)).write_text(
                site.steckbrief(gebiet, raum_id, basis), encoding="utf-8")
            zahlen["steckbriefe"] += 1
        zahlen["gemeinden"] += 1
