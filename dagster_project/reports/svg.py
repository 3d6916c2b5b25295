"""Maps and charts as inline SVG, drawn here from the published geometries and values: no
chart library, no tiles, nothing fetched from a network; they print as vectors."""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from dagster_project.lib.karten import GRAU_KEIN_WERT, zahl

FARBE_RAUM = "#6b8fb5"
FARBE_KOMMUNE = "#1f4e79"
FARBE_KREIS = "#c05000"


def geometrie(text: str | None) -> BaseGeometry | None:
    if not text:
        return None
    return shape(json.loads(text))


@dataclass
class Projektion:
    """Longitude/latitude (EPSG:4326) to SVG coordinates: equirectangular with the
    longitudes shortened by cos(mean latitude), which keeps a county's shape true."""

    bounds: tuple[float, float, float, float]
    breite: float = 600.0
    rand: float = 6.0
    faktor: float = field(init=False)
    hoehe: float = field(init=False)

    def __post_init__(self):
        minx, miny, maxx, maxy = self.bounds
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        w = max((maxx - minx) * self.kx, 1e-9)
        h = max(maxy - miny, 1e-9)
        self.faktor = (self.breite - 2 * self.rand) / w
        self.hoehe = h * self.faktor + 2 * self.rand

    def punkt(self, x: float, y: float) -> str:
        minx, _, _, maxy = self.bounds
        px = (x - minx) * self.kx * self.faktor + self.rand
        py = (maxy - y) * self.faktor + self.rand
        return f"{px:.1f} {py:.1f}"


def _ring(coords, projektion: Projektion) -> str:
    points = [projektion.punkt(x, y) for x, y, *_ in coords]
    return "M" + "L".join(points) + "Z"


def pfad(geom: BaseGeometry, projektion: Projektion) -> str:
    parts = []
    polygons = getattr(geom, "geoms", [geom])
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        parts.append(_ring(polygon.exterior.coords, projektion))
        parts.extend(_ring(r.coords, projektion) for r in polygon.interiors)
    return "".join(parts)


@dataclass
class Flaeche:
    """How one area is drawn on one map."""

    farbe: str
    titel: str
    status: str = "ok"
    link: str | None = None
    attrs: dict = field(default_factory=dict)


class Kartenbasis:
    """The projected outlines of a set of areas, computed once and drawn with different
    colours for every indicator and year."""

    def __init__(self, raeume: dict[str, tuple[str, BaseGeometry]],
                 umrisse: Sequence[BaseGeometry] = (), breite: float = 600.0):
        geoms = [g for _, g in raeume.values()] + list(umrisse)
        minx = min(g.bounds[0] for g in geoms)
        miny = min(g.bounds[1] for g in geoms)
        maxx = max(g.bounds[2] for g in geoms)
        maxy = max(g.bounds[3] for g in geoms)
        self.projektion = Projektion((minx, miny, maxx, maxy), breite=breite)
        self.breite = breite
        self.namen = {raum_id: name for raum_id, (name, _) in raeume.items()}
        self.pfade = {raum_id: pfad(g, self.projektion) for raum_id, (_, g) in raeume.items()}
        self.umrisse = [pfad(g, self.projektion) for g in umrisse]
        self.mitten = {}
        for raum_id, (_, g) in raeume.items():
            point = g.representative_point()
            self.mitten[raum_id] = self.projektion.punkt(point.x, point.y).split()

    def svg(self, flaechen: dict[str, Flaeche], beschriftung: bool = False,
            css_klasse: str = "karte", label: str = "Karte", svg_id: str | None = None) -> str:
        """One path per area (every area of the base, also those without an entry in
        `flaechen`: grey, "kein Wert"), the outlines on top, names when `beschriftung`."""
        hoehe = self.projektion.hoehe
        id_attr = f' id="{escape(svg_id)}"' if svg_id else ""
        out = [f'<svg{id_attr} class="{css_klasse}" viewBox="0 0 {self.breite:.0f} '
               f'{hoehe:.0f}" role="img" aria-label="{escape(label)}" '
               'xmlns="http://www.w3.org/2000/svg">']
        for raum_id, d in self.pfade.items():
            f = flaechen.get(raum_id) or Flaeche(GRAU_KEIN_WERT, self.namen[raum_id],
                                                 "kein_wert")
            extra = "".join(f' {k}="{escape(str(v))}"' for k, v in f.attrs.items())
            path = (f'<path class="raum" d="{d}" fill="{f.farbe}" '
                    f'data-raum="{escape(raum_id)}" data-status="{f.status}"{extra}>'
                    f'<title>{escape(f.titel)}</title></path>')
            if f.link:
                path = f'<a href="{escape(f.link)}">{path}</a>'
            out.append(path)
        for d in self.umrisse:
            out.append(f'<path class="umriss" d="{d}"/>')
        if beschriftung:
            for raum_id, (x, y) in self.mitten.items():
                out.append(f'<text class="beschriftung" x="{x}" y="{y}">'
                           f'{escape(_kurz(self.namen[raum_id]))}</text>')
        out.append("</svg>")
        return "".join(out)


def _kurz(name: str) -> str:
    """"Sozialraum 3 – Nordstadt" → "Nordstadt" (the part after the dash, when there is one)."""
    for dash in (" – ", " - "):
        if dash in name:
            return name.split(dash, 1)[1]
    return name


@dataclass
class Balken:
    label: str
    wert: float | None
    text: str
    art: str = "raum"      # raum, kommune, kreis
    attrs: dict = field(default_factory=dict)


def balkendiagramm(balken: Sequence[Balken], breite: float = 600.0,
                   label: str = "Balkendiagramm") -> str:
    """Horizontal bars, one per area, then the municipality and the county; a suppressed
    or missing value gets no bar, only its sign."""
    zeile, links, rechts = 22, 210, 70
    werte = [b.wert for b in balken if b.wert is not None]
    lo = min([0.0, *werte])
    hi = max([0.0, *werte]) or 1.0
    span = hi - lo or 1.0
    plot = breite - links - rechts
    hoehe = zeile * len(balken) + 10
    x0 = links + (0 - lo) / span * plot
    farbe = {"raum": FARBE_RAUM, "kommune": FARBE_KOMMUNE, "kreis": FARBE_KREIS}
    out = [f'<svg class="diagramm balken" viewBox="0 0 {breite:.0f} {hoehe}" role="img" '
           f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">']
    for i, b in enumerate(balken):
        y = 5 + i * zeile
        out.append(f'<text class="achse" x="{links - 6}" y="{y + 15}" text-anchor="end">'
                   f'{escape(_kurz(b.label))}</text>')
        if b.wert is not None:
            x1 = links + (b.wert - lo) / span * plot
            x, w = min(x0, x1), abs(x1 - x0)
            out.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 0.5):.1f}" '
                       f'height="{zeile - 7}" fill="{farbe[b.art]}"/>')
            tx = max(x0, x1) + 4
        else:
            tx = x0 + 4
        extra = "".join(f' {k}="{escape(str(v))}"' for k, v in b.attrs.items())
        out.append(f'<text class="wert" x="{tx:.1f}" y="{y + 15}"{extra}>{escape(b.text)}'
                   "</text>")
    out.append(f'<line class="null" x1="{x0:.1f}" x2="{x0:.1f}" y1="2" y2="{hoehe - 3}"/>')
    out.append("</svg>")
    return "".join(out)


@dataclass
class Reihe:
    label: str
    punkte: list[tuple[int, float | None]]
    art: str = "raum"


def zeitreihe(reihen: Sequence[Reihe], jahre: Sequence[int], breite: float = 600.0,
              label: str = "Zeitreihe", ganzzahlig: bool = False) -> str:
    """Lines over the Berichtsjahre; a year without a value (suppressed, missing) breaks
    the line. Areas thin and grey, the municipality and the county bold."""
    hoehe, links, unten, oben, rechts = 220, 50, 28, 10, 20
    werte = [w for r in reihen for _, w in r.punkte if w is not None]
    if not werte or not jahre:
        return '<p class="hinweis">Keine Zeitreihe: keine veröffentlichten Werte.</p>'
    lo, hi = min(0.0, *werte), max(werte)
    hi = hi if hi > lo else lo + 1
    plot_w, plot_h = breite - links - rechts, hoehe - oben - unten

    def x(jahr):
        if len(jahre) == 1:
            return links + plot_w / 2
        return links + (jahr - jahre[0]) / (jahre[-1] - jahre[0]) * plot_w

    def y(wert):
        return oben + (hi - wert) / (hi - lo) * plot_h

    out = [f'<svg class="diagramm zeitreihe" viewBox="0 0 {breite:.0f} {hoehe}" role="img" '
           f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">']
    for k in range(5):
        wert = lo + (hi - lo) * k / 4
        out.append(f'<line class="gitter" x1="{links}" x2="{breite - rechts}" '
                   f'y1="{y(wert):.1f}" y2="{y(wert):.1f}"/>')
        text = zahl(wert, "Anzahl" if ganzzahlig else None)
        out.append(f'<text class="achse" x="{links - 4}" y="{y(wert) + 4:.1f}" '
                   f'text-anchor="end">{text}</text>')
    for jahr in jahre:
        out.append(f'<text class="achse" x="{x(jahr):.1f}" y="{hoehe - 8}" '
                   f'text-anchor="middle">{jahr}</text>')
    stil = {"raum": "linie-raum", "kommune": "linie-kommune", "kreis": "linie-kreis"}
    for reihe in sorted(reihen, key=lambda r: r.art != "raum", reverse=False):
        segment: list[str] = []
        segments = []
        for jahr, wert in reihe.punkte:
            if wert is None:
                if segment:
                    segments.append(segment)
                segment = []
            else:
                segment.append(f"{x(jahr):.1f},{y(wert):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) == 1:
                cx, cy = seg[0].split(",")
                out.append(f'<circle class="{stil[reihe.art]}" cx="{cx}" cy="{cy}" r="2.5">'
                           f'<title>{escape(reihe.label)}</title></circle>')
            else:
                out.append(f'<polyline class="{stil[reihe.art]}" points="{" ".join(seg)}">'
                           f'<title>{escape(reihe.label)}</title></polyline>')
    out.append("</svg>")
    return "".join(out)
