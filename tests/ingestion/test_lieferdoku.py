"""The agency documentation is generated from the contracts and committed up to date."""

import csv
import io
import re
from pathlib import Path

from ingestion.contracts import TABULAR_CONTRACTS
from ingestion.lieferdoku import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "lieferungen.md"


def test_committed_doc_matches_the_contracts():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/lieferungen.md is out of date: python -m ingestion.lieferdoku > docs/lieferungen.md")


def test_every_source_and_column_is_documented():
    text = render()
    for source, contract in TABULAR_CONTRACTS.items():
        assert f"## `{source}`" in text
        for column in contract.columns:
            assert f"| `{column.name}` |" in text


def test_examples_are_loadable_deliveries(tmp_path):
    """Every example in the doc passes the loader's checks as a one-row delivery."""
    from ingestion import loader, warehouse
    from ingestion.home import Home

    home = Home(tmp_path / "home").create()
    con = warehouse.connect(home)
    text = render()
    blocks = re.findall(r"## `(\w+)` .*?```text\n(.*?)```", text, flags=re.S)
    assert len(blocks) == len(TABULAR_CONTRACTS)
    for source, block in blocks:
        header, row = block.strip().splitlines()
        assert list(csv.reader(io.StringIO(header), delimiter=";"))[0] == TABULAR_CONTRACTS[source].names
        stichtag = re.search(rf"`{source}_(\d{{4}}-\d{{2}}-\d{{2}})\.csv`", text).group(1)
        path = tmp_path / f"{source}_{stichtag}.csv"
        path.write_text(block, encoding="utf-8")
        result = loader.ingest_file(con, home, path)
        assert result.status == "loaded" and result.rows_quarantined == 0, (source, result.message)
    con.close()
