"""The set-wise loader (issue 12): reading, row checks and pseudonyms in DuckDB SQL.

The same records must give the same raw rows and quarantine whichever reader path a file
takes (lines split in DuckDB, or the csv module where quotes force it), whatever whitespace
pads the cells, and the keyed hash computed in DuckDB must be the HMAC of the Python
standard library.
"""

import hashlib
import hmac

import duckdb
import pytest

from ingestion import loader, warehouse
from ingestion.home import Home
from ingestion.pseudonyms import HASH_LENGTH, Pseudonymiser
from ingestion.readers import WHITESPACE
from ingestion.settings import Settings
from tests.fixtures.einwohner_csv import HEADER, person


def test_whitespace_set_is_that_of_str_strip():
    assert set(WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


@pytest.mark.parametrize("key", [bytes(range(32)), b"k", bytes(range(100))])
def test_hmac_in_duckdb_equals_the_standard_library(key):
    values = ["P-1", "Müller-Lüdenscheidt", "ø" * 300, "0", "a b", "🙂", "x'y"]
    expression, parameters = Pseudonymiser(key).sql("v")
    con = duckdb.connect()
    got = con.execute(f"select v, {expression} from unnest($values) t(v) union all "
                      f"select null, {expression.replace('encode(v)', 'encode(null)')}",
                      {**parameters, "values": values}).fetchall()
    expected = {v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:HASH_LENGTH]
                for v in values}
    assert dict(got[:-1]) == expected
    assert got[-1] == (None, None)
    assert Pseudonymiser(key).one("P-1") == expected["P-1"]


def _load(tmp_path, name: str, data: bytes):
    home = Home(tmp_path / name).create()
    home.secrets.mkdir(parents=True, exist_ok=True)
    key = home.secrets / "pseudonym.key"
    key.write_text("ab" * 32)
    key.chmod(0o600)
    (tmp_path / "files" / name).mkdir(parents=True)
    path = tmp_path / "files" / name / "einwohner_2024-12-31.csv"
    path.write_bytes(data)
    con = warehouse.connect(home)
    try:
        result = loader.ingest_file(con, home, path, Settings(quarantaene_schwelle=0.5))
        rows = con.execute("select * exclude (delivery_id) from raw.einwohner "
                           "order by line_no").fetchall()
        quarantine = con.execute("select line_no, column_name, value, reason, ags "
                                 "from raw.quarantine order by all").fetchall()
    finally:
        con.close()
    return result, rows, quarantine


def _records():
    rows = [person(f"P{i}", eltern1="P0" if i % 3 else "", nr=f"{i % 9 + 1}") for i in range(40)]
    rows[3] = person("BAD1", born="31.02.2010")
    rows[7] = person("BAD2", nr="ohne")
    rows[11] = person("P1", born="01.01.1990")            # a second P1: key twice
    rows[15] = person("BAD3", geschlecht="q")
    rows[19] = rows[19] + ";zu viel"                        # ragged
    rows[23] = person("P23", born="1.2.2000", nr="12 b")
    rows[27] = person("P27", nr="99999999999")              # no integer house number
    return rows


@pytest.mark.parametrize("padding", ["\u00a0", "\t", " ", "\u3000"])
def test_padding_blank_lines_and_quotes_give_the_same_rows(tmp_path, padding):
    rows = _records()
    plain = "\n".join([HEADER, *rows]) + "\n"
    # the same records: cells padded, a blank and a delimiters-only line, CRLF
    padded_rows = [";".join(f"{padding}{f}{padding}" if i % 2 else f
                            for i, f in enumerate(r.split(";"))) for r in rows]
    padded_rows.insert(10, "")
    padded_rows.insert(20, f";;{padding};")
    padded_rows.insert(30, f"{padding};{padding}")
    padded = "\r\n".join([HEADER, *padded_rows]) + "\r\n"
    # a quoted cell sends the file through the csv module
    quoted = padded.replace("Mühlenstraße", '"Mühlenstraße"', 1)
    results = [_load(tmp_path, name, text.encode("utf-8"))
               for name, text in (("plain", plain), ("padded", padded), ("quoted", quoted))]
    base_result, base_rows, base_quarantine = results[0]
    assert base_result.status == "loaded", base_result.message
    assert len(base_quarantine) >= 6
    reasons = {(q[1], q[3]) for q in base_quarantine}
    assert ("hausnummer", "Hausnummer ist zu groß") in reasons
    assert ("person_id", "Schlüssel (person_id) mehrfach in der Lieferung") in reasons
    assert (None, "Zeile hat nicht so viele Felder wie die Kopfzeile (abgeschnitten?)") in reasons

    def shifted(rows, quarantine):
        # the inserted blank lines move the later records down: compare by record order
        order = {n: i for i, n in enumerate(sorted({r[0] for r in rows} | {q[0] for q in quarantine}))}
        return ([(order[r[0]], *r[1:]) for r in rows],
                sorted((order[q[0]], *q[1:]) for q in quarantine))

    expected = shifted(base_rows, base_quarantine)
    for result, rows_, quarantine in results[1:]:
        assert result.status == "loaded", result.message
        assert (result.rows_loaded, result.rows_quarantined) == (base_result.rows_loaded,
                                                                 base_result.rows_quarantined)
        assert shifted(rows_, quarantine) == expected


def test_the_contract_check_catches_a_row_the_loader_would_have_refused(tmp_path):
    """GX is the second line of defence: rows written past the loader must fail it."""
    from dagster_project.defs.ingestion.checks import run_contract_check

    rows = [person(f"P{i}") for i in range(30)]
    result, _, _ = _load(tmp_path, "gx", ("\n".join([HEADER, *rows]) + "\n").encode())
    assert result.status == "loaded", result.message
    home = Home(tmp_path / "gx")
    check = run_contract_check(home, "einwohner")
    assert check.passed, check.metadata
    con = warehouse.connect(home)
    try:
        # a birth after the Stichtag and one 130 years back, as a broken loader might write
        con.execute("update raw.einwohner set geburtsdatum = date '2025-06-01' where line_no = 2")
        con.execute("update raw.einwohner set geburtsdatum = date '1890-01-01' where line_no = 3")
        stored = con.execute("select source, suite, success from raw.gx_results").fetchall()
    finally:
        con.close()
    assert stored == [("einwohner", "einwohner", True)]
    check = run_contract_check(home, "einwohner")
    assert not check.passed
    failures = check.metadata["fehler"].text
    assert "expect_column_pair_values_a_to_be_greater_than_b" in failures
    con = warehouse.connect(home)
    try:
        stored = con.execute("select suite, success, failed, result_json from raw.gx_results").fetchall()
    finally:
        con.close()
    assert [(s, ok, n) for s, ok, n, _ in stored] == [("einwohner", False, 2)]
    assert "geburtsdatum/geburtsdatum_frueheste" in failures
    assert "stichtag/geburtsdatum" in failures
    assert "geburtsdatum_frueheste" in stored[0][3]


def test_the_contract_check_passes_over_several_stichtage_and_catches_a_doubled_key(tmp_path):
    from dagster_project.defs.ingestion.checks import run_contract_check

    home = Home(tmp_path / "years").create()
    con = warehouse.connect(home)
    try:
        for year in (2022, 2023, 2024):
            path = tmp_path / f"einwohner_{year}-12-31.csv"
            people = [person(f"P{i}", born=f"01.01.{year - 40}") for i in range(20)]
            path.write_text("\n".join([HEADER, *people]) + "\n")
            assert loader.ingest_file(con, home, path).status == "loaded"
    finally:
        con.close()
    # the same persons every year: a key is unique per Stichtag, not over all of them
    check = run_contract_check(home, "einwohner")
    assert check.passed, check.metadata
    assert check.metadata["stichtage"].value == 3
    con = warehouse.connect(home)
    try:
        con.execute("insert into raw.einwohner select * from raw.einwohner "
                    "where stichtag = date '2023-12-31' and line_no = 2")
    finally:
        con.close()
    check = run_contract_check(home, "einwohner")
    assert not check.passed
    assert "expect_compound_columns_to_be_unique" in check.metadata["fehler"].text
