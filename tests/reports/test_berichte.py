"""The report site of the demo run: every page there, every number shown equal to the
published tables, suppressed and missing areas grey, class breaks as configured, and a
rebuild that fails leaves the site as it was."""

import re
import shutil

import pytest

from dagster_project.cli.main import main
from dagster_project.lib.karten import (
    FARBEN,
    GRAU_GESPERRT,
    GRAU_KEIN_WERT,
    BerichtConfigError,
    bericht_config,
    grenzen,
    klasse,
    zahl,
)
from dagster_project.publishing.versions import aktuelle_version
from ingestion.home import Home
from tests.reports.seiten import Veroeffentlicht, atlasdaten, deutsch, erwartet, lies

KAPITEL = 7     # Bereiche of the catalogue


@pytest.fixture(scope="module")
def site(demo_run):
    home = demo_run.home
    root = (home.published / "berichte").resolve()
    return home, root, Veroeffentlicht(aktuelle_version(home) / "spm.duckdb")


def test_the_site_belongs_to_the_current_version_and_has_every_page(site):
    home, root, pub = site
    assert (home.published / "berichte").is_symlink()
    assert root == (aktuelle_version(home) / "berichte").resolve()
    assert (root / "index.html").is_file() and (root / "assets" / "spm.css").is_file()
    kommunen = [(r[1], r[2]) for r in pub.raeume if r[0] == "kommune"]
    assert kommunen
    for ags, _ in kommunen:
        folders = [p for p in root.iterdir() if p.name.startswith(ags + "_")]
        assert len(folders) == 1, f"no report folder for {ags}"
        folder = folders[0]
        assert (folder / "index.html").is_file() and (folder / "metadaten.html").is_file()
        chapters = [p for p in folder.glob("*.html") if p.name not in ("index.html",
                                                                        "metadaten.html")]
        assert len(chapters) == KAPITEL
        raeume = {r[1] for r in pub.raeume if r[0] == "sozialraum" and r[3] == ags}
        steckbriefe = {p.stem for p in (folder / "raum").glob("*.html")}
        assert steckbriefe == raeume


def test_every_number_shown_is_the_published_one(site):
    _, root, pub = site
    checked = {"wert": 0, "abweichung": 0, "rang": 0, "karte": 0}
    for page in root.rglob("*.html"):
        parsed = lies(page)
        for tag, attrs, text in parsed.gefunden:
            if tag == "path":
                # the tooltip of a map area: "<name>: <value>"
                expected = pub.text(attrs["data-code"], "sozialraum", attrs["data-raum"],
                                    int(attrs["data-jahr"]))
                assert text.rsplit(": ", 1)[1] == expected, (page.relative_to(root), attrs)
                checked["karte"] += 1
                continue
            expected = erwartet(pub, attrs, "sozialraum")
            if expected is None:
                continue
            assert text == expected, (page.relative_to(root), attrs, text, expected)
            checked[attrs["data-feld"]] += 1
    assert all(n > 0 for n in checked.values()), checked


def test_the_atlas_data_are_the_published_values(site):
    _, root, pub = site
    daten = atlasdaten(root / "index.html")
    names = {r[1]: r[2] for r in pub.raeume if r[0] == "sozialraum"}
    n = 0
    for code, jahre in daten["werte"].items():
        for jahr, areas in jahre.items():
            for raum_id, (farbe, titel, status) in areas.items():
                value = pub.text(code, "sozialraum", raum_id, int(jahr))
                assert titel == f"{names[raum_id]}: {value}"
                shown = pub.gezeigt(code, "sozialraum", raum_id, int(jahr))
                if shown is None:
                    assert farbe in (GRAU_GESPERRT, GRAU_KEIN_WERT) and status != "ok"
                else:
                    assert farbe not in (GRAU_GESPERRT, GRAU_KEIN_WERT) and status == "ok"
                n += 1
    assert n > 1000


def test_suppressed_and_missing_areas_are_grey_never_a_class_colour(site):
    _, root, pub = site
    palette = set(FARBEN[5])
    seen = set()
    for page in root.rglob("*.html"):
        for attrs in lies(page).pfade:
            if "data-code" not in attrs:
                continue
            status, fill = attrs["data-status"], attrs["fill"]
            seen.add(status)
            if status == "gesperrt":
                assert fill == GRAU_GESPERRT
            elif status == "kein_wert":
                assert fill == GRAU_KEIN_WERT
            else:
                assert fill in palette
                assert pub.gezeigt(attrs["data-code"], "sozialraum", attrs["data-raum"],
                                   int(attrs["data-jahr"])) is not None
    assert "gesperrt" in seen and "ok" in seen


def test_the_sozialindex_shown_is_the_published_class(site):
    _, root, pub = site
    n = 0
    for page in root.rglob("*.html"):
        parsed = lies(page)
        for attrs in parsed.pfade:
            if "data-status-klasse" in attrs:
                jahr = max(j for (g, r, j) in pub.index if g == "sozialraum")
                status, dynamik = pub.index.get(("sozialraum", attrs["data-raum"], jahr),
                                                (None, None))
                assert attrs["data-status-klasse"] == (status or "")
                assert attrs["data-dynamik-klasse"] == (dynamik or "")
                n += 1
        for _tag, attrs, text in parsed.gefunden:
            if attrs.get("data-feld") == "sozialindex":
                status, dynamik = pub.index[("sozialraum", attrs["data-raum"],
                                             int(attrs["data-jahr"]))]
                assert (f"Status {status}" in text) if status else ("kein Index" in text)
                n += 1
    assert n > 10


def test_the_pages_show_no_private_identifiers(site):
    """Pseudonyms are 32 hex characters or longer; no page of the site holds such a string."""
    _, root, _ = site
    for page in list(root.rglob("*.html")) + list(root.rglob("*.js")):
        assert not re.search(r"\b[0-9a-f]{32,}\b", page.read_text(encoding="utf-8")), page


def test_german_number_format_and_signs():
    assert zahl(1234567.0, "Anzahl") == "1.234.567" == deutsch(1234567.0, True)
    assert zahl(12.345, "%") == "12,3" == deutsch(12.345, False)
    assert zahl(None, "%", "gesperrt") == "•"
    assert zahl(5.0, "%", "gesperrt") == "•"
    assert zahl(None, "%", "kein_nenner") == "–"
    assert zahl(float("nan"), "%") == "–"


def test_class_breaks_for_each_method():
    werte = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    assert grenzen(werte, "gleich", 5) == [3.0, 5.0, 7.0, 9.0]
    assert grenzen(werte, "quantile", 5) == [3.0, 5.0, 7.0, 9.0]
    skewed = [1.0] * 8 + [2.0, 50.0, 100.0]
    q = grenzen(skewed, "quantile", 5)
    assert q == sorted(set(q)) and len(q) < 4          # repeated quantiles are merged
    sd = grenzen([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], "stdabw", 5)   # mean 5, sd 2
    assert sd == [2.0, 4.0, 6.0, 8.0]
    assert grenzen([3.0, 3.0], "quantile", 5) == []
    assert klasse(5.0, [3.0, 5.0, 7.0]) == 2 and klasse(4.99, [3.0, 5.0, 7.0]) == 1


def test_report_settings_are_checked_with_a_message_naming_the_key():
    assert bericht_config({"klassen": "stdabw", "anzahl_klassen": 3}).farben == tuple(FARBEN[3])
    with pytest.raises(BerichtConfigError, match="berichte.klassen"):
        bericht_config({"klassen": "jenks"})
    with pytest.raises(BerichtConfigError, match="berichte.farben"):
        bericht_config({"anzahl_klassen": 3, "farben": ["#ffffff"]})
    with pytest.raises(BerichtConfigError, match="unbekannte"):
        bericht_config({"farbe": "rot"})


def test_spm_report_rebuilds_with_new_breaks_and_a_bad_setting_keeps_the_site(demo_run,
                                                                             tmp_path, capsys):
    home = Home(tmp_path / "home")
    shutil.copytree(demo_run.home.root, home.root, symlinks=True)
    settings = home.config / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("klassen: quantile", "klassen: gleich")
                        .replace("anzahl_klassen: 5", "anzahl_klassen: 3"), encoding="utf-8")
    assert main(["report", "--home", str(home.root)]) == 0
    index = home.published / "berichte" / "index.html"
    assert "gleiche Intervalle" in index.read_text(encoding="utf-8")
    fills = {a["fill"] for a in lies(index).pfade if a.get("data-status") == "ok"}
    assert fills <= set(FARBEN[3]) and fills
    before = index.read_bytes()
    settings.write_text(text.replace("klassen: quantile", "klassen: jenks"), encoding="utf-8")
    assert main(["report", "--home", str(home.root)]) == 1
    out = capsys.readouterr().out
    assert "FEHLER" in out and "klassen" in out
    assert index.read_bytes() == before
    version = aktuelle_version(home)
    assert not list(version.glob(".berichte*"))


def test_png_maps_for_every_municipality_and_indicator_with_the_map_colours(site):
    from PIL import Image

    from dagster_project.reports.png import BREITE, HOEHE, SS, _Rahmen
    from dagster_project.reports.svg import geometrie

    home, root, pub = site
    kommunen = [r[1] for r in pub.raeume if r[0] == "kommune"]
    codes = sorted({k[0] for k in pub.werte})
    sampled = 0
    for ags in kommunen:
        folder = next(p for p in root.iterdir() if p.name.startswith(ags + "_"))
        pngs = sorted((folder / "karten").glob("*.png"))
        assert {p.name.split("_")[0] for p in pngs} == set(codes)
        # every chapter links its maps' PNGs, and they exist
        for chapter in folder.glob("*.html"):
            for href in re.findall(r'href="(karten/[^"]+\.png)"', chapter.read_text("utf-8")):
                assert (folder / href).is_file(), href
        # the colour inside each area is the colour of the HTML map
        chapter = folder / "soziale-lage-sgb-ii.html"
        fills = {(a["data-code"], a["data-raum"]): (a["fill"], int(a["data-jahr"]))
                 for a in lies(chapter).pfade if "data-code" in a}
        geoms = {raum_id: geometrie(text) for raum_id, text in _geometries(home, ags)}
        rahmen = _Rahmen(list(geoms.values()), (20, 110, 740, 830))
        code = "S03"
        fill, jahr = next(v for (c, _), v in fills.items() if c == code)
        image = Image.open(folder / "karten" / f"{code}_{jahr}.png").convert("RGB")
        assert image.size == (BREITE, HOEHE)
        for raum_id, geom in geoms.items():
            point = geom.representative_point()
            x, y = rahmen.ringe(point.buffer(1e-9))[0][0]
            pixel = image.getpixel((int(x / SS), int(y / SS)))
            want = fills[(code, raum_id)][0]
            rgb = tuple(int(want[i:i + 2], 16) for i in (1, 3, 5))
            assert all(abs(a - b) <= 8 for a, b in zip(pixel, rgb, strict=True)), \
                (ags, raum_id, pixel, want)
            sampled += 1
    assert sampled > 5


def _geometries(home, ags):
    import duckdb

    con = duckdb.connect(str(aktuelle_version(home) / "spm.duckdb"), read_only=True)
    try:
        return con.execute("select raum_id, geometrie from raeume where gliederung = "
                           "'sozialraum' and ags = ? and geometrie is not null", [ags]).fetchall()
    finally:
        con.close()
