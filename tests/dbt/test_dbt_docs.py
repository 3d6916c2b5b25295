"""`dbt docs generate --static` works offline and documents the data model in one HTML file.

Run on a copy of the hand-made warehouse (``dbt_fixture_warehouse``) with its own target
path, as `make dbt-docs` runs it on a home's warehouse.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.home import Home
from ingestion.warehouse import dbt_environment

REPO = Path(__file__).resolve().parents[2]


def _embedded(text: str) -> str:
    """A text as it appears inside the JSON embedded in the HTML (umlauts escaped)."""
    return json.dumps(text)[1:-1]


@pytest.fixture(scope="module")
def static_html(dbt_fixture_warehouse, tmp_path_factory) -> str:
    home = Home(tmp_path_factory.mktemp("dbt_docs") / "home").create()
    shutil.copy(dbt_fixture_warehouse, home.warehouse)
    target = home.root / "dbt_docs"
    env = dict(os.environ, **dbt_environment(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "docs", "generate", "--static",
         "--project-dir", "dbt_spm", "--profiles-dir", "dbt_spm",
         "--target-path", str(target), "--log-path", str(home.logs)],
        cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "deprecat" not in result.stdout.lower(), result.stdout[-3000:]
    page = target / "static_index.html"
    assert page.is_file() and page.stat().st_size > 100_000
    return page.read_text(encoding="utf-8")


def test_static_page_documents_models_and_columns(static_html):
    for node in ("model.spm.mart_indikatorwerte", "model.spm.mart_bevoelkerung",
                 "model.spm.int_geo__gebiete", "model.spm.pub_bevoelkerung",
                 "seed.spm.indikatoren_katalog"):
        assert f'"{node}"' in static_html, node
    # the catalogue of the warehouse (relations and column types) is embedded too
    assert "catalog:{" in static_html
    assert '"schema": "published", "name": "bevoelkerung"' in static_html


def test_static_page_holds_german_descriptions_of_published_tables(static_html):
    assert "Altersgruppe in vollendeten Lebensjahren am Stichtag" in static_html
    assert _embedded("Veröffentlichte Bevölkerungstabelle") in static_html
    assert _embedded("Veröffentlichte Indikatorwerte") in static_html


def test_static_page_loads_nothing_from_the_network(static_html):
    # no external script, stylesheet or image; usage tracking (the only loader of an
    # external script in the page) stays off because the manifest says so
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", static_html)
    assert '"send_anonymous_usage_stats": false' in static_html
    assert '"send_anonymous_usage_stats": true' not in static_html
