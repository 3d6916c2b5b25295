"""Static PNG maps for Word and PDF reports: per municipality and indicator, the newest
Berichtsjahr, with title, legend (classes, suppressed, no value), source and Datenstand.

The same classes and colours as the HTML maps (`Site.flaechen`). Drawn with Pillow, with
the DejaVu fonts that matplotlib ships (anti-aliased text; area edges covered by drawn
borders). matplotlib's own renderer took 130 ms a map on the 2-core VM (most of it laying
out text glyph by glyph): 944 maps of `kreis` would have cost two minutes; this takes about
30 ms a map (docs/architecture.md, "Reports").
"""

import math
from pathlib import Path

import matplotlib
from PIL import Image, ImageDraw, ImageFont

from dagster_project.lib.karten import GRAU_GESPERRT, GRAU_KEIN_WERT, farben_fuer, legende
from dagster_project.publishing.gebiete import Gebiet

ORDNER = "karten"
BREITE, HOEHE = 1200, 900          # pixels of the PNG (8 x 6 inches at 150 dpi)
# drawn at this multiple of the size, then reduced: 2 gives smoother lines but costs 70 %
# more (about 50 instead of 30 ms a map); every polygon edge is covered by a drawn line
SS = 1
_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def png_name(code: str, jahr: int) -> str:
    return f"{code}_{jahr}.png"


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONTS / name), size * SS)


class _Rahmen:
    """Projection of a municipality into the map frame of the picture."""

    def __init__(self, geoms, box: tuple[int, int, int, int]):
        minx = min(g.bounds[0] for g in geoms)
        miny = min(g.bounds[1] for g in geoms)
        maxx = max(g.bounds[2] for g in geoms)
        maxy = max(g.bounds[3] for g in geoms)
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        left, top, right, bottom = box
        w, h = max((maxx - minx) * self.kx, 1e-9), max(maxy - miny, 1e-9)
        self.f = min((right - left) / w, (bottom - top) / h)
        self.x0 = left + ((right - left) - w * self.f) / 2 - minx * self.kx * self.f
        self.y0 = top + ((bottom - top) - h * self.f) / 2 + maxy * self.f

    def ringe(self, geom) -> list[list[tuple[float, float]]]:
        out = []
        for polygon in getattr(geom, "geoms", [geom]):
            if polygon.geom_type != "Polygon":
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                out.append([(SS * (self.x0 + x * self.kx * self.f), SS * (self.y0 - y * self.f))
                            for x, y, *_ in ring.coords])
        return out


def karten_einer_gemeinde(site, gebiet: Gebiet, ordner: Path) -> int:
    """Write the PNG maps of `gebiet` into `ordner`; returns how many."""
    raeume = [r for r in site.raeume_von.get(gebiet.ags, []) if r in site.geoms]
    if not raeume:
        return 0
    rahmen = _Rahmen([site.geoms[r][1] for r in raeume], (20, 110, 740, 830))
    flaechen_ringe = {r: rahmen.ringe(site.geoms[r][1]) for r in raeume}
    umriss = rahmen.ringe(site.umrisse[gebiet.ags])
    titel, text, klein = _font(22, bold=True), _font(14), _font(11)
    legende_titel = _font(15, bold=True)
    quelle = (f"Quelle: Sozialräumliches Präventionsmonitoring, {site.kreis.name}; "
              f"abgestimmtes Datenset, {site.stand_text()}.")
    ordner.mkdir(parents=True, exist_ok=True)
    count = 0
    for code in site.kat["code"]:
        jahre = site.jahre_von.get(code) or []
        if not jahre:
            continue
        jahr = jahre[-1]
        flaechen = site.flaechen(code, jahr)
        image = Image.new("RGB", (BREITE * SS, HOEHE * SS), "white")
        draw = ImageDraw.Draw(image)
        for raum_id in raeume:
            for i, ring in enumerate(flaechen_ringe[raum_id]):
                # holes (rings after the first of a polygon) are rare; drawn white
                draw.polygon(ring, fill=flaechen[raum_id].farbe if i == 0 else "white")
        for raum_id in raeume:
            for ring in flaechen_ringe[raum_id]:
                draw.line(ring, fill="white", width=2 * SS)
        for ring in umriss:
            draw.line(ring, fill="#222222", width=3 * SS, joint="curve")
        draw.text((20 * SS, 18 * SS), f"{code} {site.name[code]}, {jahr}", font=titel,
                  fill="#111111")
        draw.text((20 * SS, 56 * SS), f"{gebiet.name}: Sozialräume; Einheit "
                  f"{site.einheit[code]}; Klassen über alle Sozialräume des Kreises",
                  font=text, fill="#444444")
        breaks = site.breaks(code, jahr)
        eintraege = list(zip(farben_fuer(breaks, site.c.farben),
                             legende(breaks, site.einheit[code]), strict=True))
        eintraege += [(GRAU_GESPERRT, "• gesperrt (Geheimhaltung)"),
                      (GRAU_KEIN_WERT, "– kein Wert")]
        y = 300
        draw.text((770 * SS, (y - 34) * SS), "Legende", font=legende_titel, fill="#111111")
        for farbe, label in eintraege:
            draw.rectangle((770 * SS, y * SS, 798 * SS, (y + 18) * SS), fill=farbe,
                           outline="#999999", width=SS)
            draw.text((808 * SS, (y + 1) * SS), label, font=text, fill="#222222")
            y += 28
        draw.text((20 * SS, (HOEHE - 30) * SS), quelle, font=klein, fill="#555555")
        # 128 colours are plenty for a map with anti-aliased edges, and a palette PNG is
        # written in half the time of an RGB one (and a third of its size)
        if SS > 1:
            image = image.reduce(SS)
        image = image.quantize(128, method=Image.Quantize.FASTOCTREE)
        image.save(ordner / png_name(code, jahr), format="PNG", compress_level=3,
                   dpi=(150, 150))
        count += 1
    return count
