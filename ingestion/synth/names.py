"""Invented German names: municipalities, Sozialräume, streets, and street spelling variants."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

_TOWN_FIRST = [
    "Alten", "Linden", "Eichen", "Hohen", "Nieder", "Ober", "Birken", "Buchen", "Wester",
    "Oster", "Sonnen", "Mühl", "Stein", "Rosen", "Tannen", "Wiesen", "Brunnen", "Kirch",
    "Roth", "Schön", "Lauter", "Hasel", "Erlen", "Falken", "Raben", "Hirsch", "Fuchs",
    "Brück", "Kalten", "Warm", "Grün", "Weiß", "Schwarz", "Breit", "Lang", "Hagen",
    "Elm", "Ahl", "Bever", "Emmer", "Diemel", "Lippen", "Werre", "Sieg", "Ruhr", "Wupper",
]
_TOWN_SECOND = [
    "berg", "dorf", "feld", "hagen", "hausen", "heim", "horst", "stedt", "brück", "bach",
    "born", "kamp", "loh", "rode", "winkel", "wald", "beck", "burg", "au", "furt",
    "hövel", "ingen", "siek", "holz",
]
_AREA_DIRECTIONS = {
    "N": "Nord", "NE": "Nordost", "E": "Ost", "SE": "Südost",
    "S": "Süd", "SW": "Südwest", "W": "West", "NW": "Nordwest",
}
_FAMOUS = [
    "Goethe", "Schiller", "Lessing", "Heine", "Beethoven", "Mozart", "Bach", "Händel",
    "Kant", "Luther", "Dürer", "Röntgen", "Kolping", "Eichendorff", "Fontane", "Hölderlin",
    "Uhland", "Körner", "Brahms", "Stifter", "Droste", "Freiligrath", "Bonhoeffer",
    "Stresemann", "Ebert", "Humboldt", "Liebig", "Diesel", "Benz", "Gutenberg",
]
_NOUNS = [
    "Mühlen", "Bahnhof", "Linden", "Schützen", "Kirch", "Schul", "Garten", "Berg", "Birken",
    "Eichen", "Buchen", "Tannen", "Ahorn", "Rosen", "Tulpen", "Nelken", "Wiesen", "Feld",
    "Wald", "Bach", "Teich", "Brunnen", "Markt", "Post", "Rathaus", "Friedhof", "Kloster",
    "Burg", "Schloss", "Hof", "Dorf", "Sonnen", "Stern", "Ulmen", "Eschen", "Erlen",
    "Holunder", "Flieder", "Kastanien", "Weiden", "Pappel", "Kiefern", "Fichten", "Hasel",
    "Lerchen", "Finken", "Amsel", "Drossel", "Meisen", "Schwalben", "Falken", "Heide",
    "Moor", "Bruch", "Anger", "Gänse", "Hirten", "Jäger", "Fischer", "Weber", "Schmiede",
    "Töpfer", "Brauerei", "Ziegelei", "Kapellen", "Turm", "Tor", "Brücken", "Hafen",
    "Kanal", "Quellen", "Bleich", "Sand", "Stein", "Kreuz", "Grenz", "Wind", "Glück",
    "Rüben", "Korn", "Hopfen", "Apfel", "Kirschen", "Pflaumen", "Trift", "Kamp", "Esch",
]
_NOUN_SUFFIXES = ["straße", "straße", "straße", "weg", "weg", "allee", "ring", "gasse", "pfad"]
_PHRASES = [
    "Am Markt", "Am Anger", "Am Bahnhof", "Am Sportplatz", "Am Hang", "Am Mühlenbach",
    "Am Kirchberg", "Am Wasserturm", "Am Stadtpark", "Am Sonnenhang", "Am Eichenhain",
    "Am Schlosspark", "Am Friedhof", "Am Steinbruch", "Am Lindenplatz", "Am Hohen Ufer",
    "An der Kirche", "An der Mühle", "An der Schule", "An der Bleiche", "An der Linde",
    "An der Post", "An der Ziegelei", "An der Schmiede", "An den Gärten", "An den Teichen",
    "Im Winkel", "Im Grund", "Im Wiesengrund", "Im Kamp", "Im Bruch", "Im Siek",
    "Im Lohfeld", "Zum Sportplatz", "Zur Mühle", "Zum Steinbruch", "Zur Heide",
    "Hauptstraße", "Lange Straße", "Breite Straße", "Neue Straße", "Alte Straße",
    "Kurze Straße", "Hohe Straße", "Obere Straße", "Untere Straße", "Dorfstraße",
    "Marktplatz", "Kirchplatz", "Rathausplatz", "Alter Markt", "Neuer Weg",
    "Grüner Weg", "Schöne Aussicht", "Hinter den Höfen", "Auf dem Kamp", "Auf der Heide",
    "Auf dem Berge", "Vor dem Tore", "Unter den Linden", "Große Gasse", "Kleine Gasse",
]
# Names for deliberately unknown addresses: new-development streets not yet in the register.
_NEW_STREET_PARTS = [
    "Am Neubaugebiet", "Auf der Höhe", "Am Grünen Winkel", "Sonnenwinkel", "Zum Auenpark",
    "Quartier am Bach", "Lerchenfeld", "Am Wiesenrain", "Finkenhof", "Am Kirschgarten",
]

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
                          "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_STR_RE = re.compile(r"str\.?(?=[ \-]|$)")
_NON_ALNUM = re.compile(r"[^a-z0-9]")


def normalise_street(name: str) -> str:
    """Street match key as in docs/decisions.md (`Mühlenstr.` -> `muehlenstrasse`)."""
    s = unicodedata.normalize("NFC", name).lower().strip()
    s = s.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    s = _STR_RE.sub("strasse", s)
    return _NON_ALNUM.sub("", s)


def _town_combos() -> list[str]:
    return [a + b for a in _TOWN_FIRST for b in _TOWN_SECOND if b not in a.lower()]


def municipality_names(n: int, rng: np.random.Generator) -> list[str]:
    """`n` unique invented municipality names; the first is the Kreisstadt."""
    combos = _town_combos()
    order = rng.permutation(len(combos))
    names = ["Musterstadt"]
    seen = {"musterstadt"}
    for i in order:
        if len(names) >= n:
            break
        name = combos[int(i)]
        name = name[0] + name[1:].lower()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        names.append(name)
    if len(names) < n:
        raise ValueError(f"cannot invent {n} municipality names")
    return names[:n]


def ortsteil_names(n: int, rng: np.random.Generator, exclude: set[str]) -> list[str]:
    """`n` unique invented village (Ortsteil) names not in `exclude`."""
    combos = _town_combos()
    out: list[str] = []
    for i in rng.permutation(len(combos)):
        name = combos[int(i)]
        name = name[0] + name[1:].lower()
        if name in exclude or name in out:
            continue
        out.append(name)
        if len(out) == n:
            break
    return out


def direction_name(dx: float, dy: float) -> str:
    """Compass word for a vector in projected coordinates (y = north)."""
    angle = float(np.degrees(np.arctan2(dy, dx)))
    keys = ["E", "NE", "N", "NW", "W", "SW", "S", "SE"]
    return _AREA_DIRECTIONS[keys[int(round(angle / 45.0)) % 8]]


def street_pool() -> list[str]:
    """All candidate street names, unique by normalised key, in a fixed order."""
    names: list[str] = []
    names += _PHRASES
    names += [f"{f}straße" for f in _FAMOUS]
    names += [f"{n}{s}" for n in _NOUNS for s in dict.fromkeys(_NOUN_SUFFIXES)]
    out: list[str] = []
    keys: set[str] = set()
    for name in names:
        key = normalise_street(name)
        if key in keys:
            continue
        keys.add(key)
        out.append(name)
    return out


def new_street_names() -> list[str]:
    """Candidate names for streets that are deliberately missing from the register."""
    return list(_NEW_STREET_PARTS)


def street_variants(name: str) -> list[str]:
    """Other spellings of `name` that normalise to the same key (for messy agency data)."""
    out: list[str] = []
    if name.endswith(("straße", "Straße")):
        stem, word = name[:-6], name[-6:]
        cap = word[0]
        out.append(f"{stem}{cap}tr.")
        out.append(f"{stem}{cap}trasse")
        out.append(f"{stem}{cap}tr")
        if cap == "s" and stem:
            out.append(f"{stem}-Straße")
    translit = name.translate(_UMLAUTS)
    if translit != name:
        out.append(translit)
        if name.endswith("straße"):
            out.append(translit[:-6] + "str.")
    out.append(name.upper())
    if " " in name:
        out.append(name.replace(" ", "  "))
    out.append(f" {name}")
    key = normalise_street(name)
    result = []
    for v in out:
        if v != name and normalise_street(v) == key and v not in result:
            result.append(v)
    return result
