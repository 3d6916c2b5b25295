"""The report site of the demo run in a real browser (Debian chromium, headless): the atlas,
a municipality's overview, one chapter and one Steckbrief load without console errors and
without a request outside the site, each map has one coloured or grey shape per Sozialraum,
the atlas selector changes the map, and the print stylesheet hides the navigation.
Screenshots go to `test-output/berichte/` (or `$SPM_TEST_OUTPUT/berichte/`)."""

import json
import os
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.karten import FARBEN, GRAU_GESPERRT, GRAU_KEIN_WERT
from dagster_project.publishing.versions import aktuelle_version
from tests.browser.cdp import Browser, ensure_chromium

ROOT = Path(__file__).resolve().parents[2]
ERLAUBT = {*FARBEN[5], GRAU_GESPERRT, GRAU_KEIN_WERT}


@pytest.fixture(scope="module")
def ausgabe() -> Path:
    folder = Path(os.environ.get("SPM_TEST_OUTPUT", ROOT / "test-output")) / "berichte"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    with Browser(ensure_chromium()) as b:
        yield b


@pytest.fixture(scope="module")
def site(demo_run):
    home = demo_run.home
    root = (home.published / "berichte").resolve()
    con = duckdb.connect(str(aktuelle_version(home) / "spm.duckdb"), read_only=True)
    try:
        raeume = con.execute("select raum_id, ags from raeume where gliederung = 'sozialraum' "
                             "and geometrie is not null").fetchall()
        kommune = con.execute("select raum_id from raeume where gliederung = 'kommune' "
                              "order by raum_id limit 1").fetchone()[0]
    finally:
        con.close()
    folder = next(p for p in root.iterdir() if p.name.startswith(kommune + "_"))
    return root, folder, raeume, kommune


def _open_clean(browser, path: Path, root: Path, ausgabe: Path, name: str):
    page = browser.open(path.as_uri())
    page.wait_for("document.readyState === 'complete'")
    assert page.errors() == [], page.errors()
    outside = [u for u in page.requests() if not u.startswith(root.as_uri() + "/")]
    assert outside == [], f"requests outside the site: {outside}"
    page.screenshot(ausgabe / f"{name}.png")
    assert (ausgabe / f"{name}.png").stat().st_size > 5000
    return page


def _fills(page, selector: str) -> list[dict]:
    return page.evaluate(
        "Array.from(document.querySelectorAll(" + json.dumps(selector) + ")).map(p => ("
        "{raum: p.getAttribute('data-raum'), fill: p.getAttribute('fill'), "
        "status: p.getAttribute('data-status')}))")


def test_atlas_shows_every_sozialraum_and_the_selector_changes_the_map(browser, site, ausgabe):
    root, _, raeume, _ = site
    page = _open_clean(browser, root / "index.html", root, ausgabe, "atlas")
    before = _fills(page, "#atlas-karte path.raum")
    assert sorted(f["raum"] for f in before) == sorted(r for r, _ in raeume)
    assert {f["fill"] for f in before} <= ERLAUBT
    legend_before = page.evaluate("document.getElementById('atlas-legende').textContent")
    options = page.evaluate("Array.from(document.querySelectorAll('#atlas-indikator option'))"
                            ".map(o => o.value)")
    current = page.evaluate("document.getElementById('atlas-indikator').value")
    changed = False
    for code in options:
        if code == current:
            continue
        page.evaluate("(() => { const s = document.getElementById('atlas-indikator'); "
                      f"s.value = {json.dumps(code)}; "
                      "s.dispatchEvent(new Event('change')); })()")
        after = _fills(page, "#atlas-karte path.raum")
        assert len(after) == len(before)
        assert {f["fill"] for f in after} <= ERLAUBT
        if [f["fill"] for f in after] != [f["fill"] for f in before]:
            changed = True
            title = page.evaluate("document.getElementById('atlas-titel').textContent")
            assert title.startswith(code)
            legend = page.evaluate("document.getElementById('atlas-legende').textContent")
            assert legend != legend_before
            break
    assert changed, "no other indicator changed the map"
    # the year: the first year of this indicator differs from the newest somewhere
    years = page.evaluate("Array.from(document.querySelectorAll('#atlas-jahr option'))"
                          ".map(o => o.value)")
    assert len(years) >= 2
    page.evaluate("(() => { const s = document.getElementById('atlas-jahr'); "
                  f"s.value = {json.dumps(years[0])}; s.dispatchEvent(new Event('change')); }})()")
    assert page.evaluate("document.getElementById('atlas-titel').textContent").endswith(years[0])
    assert page.errors() == []
    page.screenshot(ausgabe / "atlas_gewechselt.png")
    page.close()


def test_overview_chapter_and_steckbrief_load_clean_with_one_shape_per_sozialraum(
        browser, site, ausgabe):
    root, folder, raeume, kommune = site
    mine = sorted(r for r, ags in raeume if ags == kommune)
    chapter = next(p for p in sorted(folder.glob("*.html"))
                   if p.name not in ("index.html", "metadaten.html"))
    steckbrief = sorted((folder / "raum").glob("*SR*.html"))[0]
    for path, name in ((folder / "index.html", "uebersicht"), (chapter, "kapitel"),
                       (steckbrief, "steckbrief")):
        page = _open_clean(browser, path, root, ausgabe, name)
        maps = page.evaluate("Array.from(document.querySelectorAll('svg.karte'))"
                             ".map(s => Array.from(s.querySelectorAll('path.raum'))"
                             ".map(p => p.getAttribute('data-raum')))")
        assert maps, f"{name}: no map"
        for shapes in maps:
            assert sorted(shapes) == mine, name
        if name == "kapitel":
            fills = _fills(page, "svg.karte path.raum[data-code]")
            assert fills and {f["fill"] for f in fills} <= ERLAUBT
            for f in fills:
                assert (f["fill"] in (GRAU_GESPERRT, GRAU_KEIN_WERT)) == (f["status"] != "ok")
            assert page.evaluate("document.querySelectorAll('svg.diagramm').length") >= 2
            assert page.evaluate("document.querySelectorAll('table.werte td.zahl').length") > 0
        page.close()


def test_the_print_stylesheet_hides_navigation(browser, site):
    root, folder, _, _ = site
    page = browser.open((folder / "index.html").as_uri())
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") != "none"
    page.send("Emulation.setEmulatedMedia", {"media": "print"})
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "none"
    page.close()
