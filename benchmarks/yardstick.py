"""The yardstick: the core of the nightly run as one plain DuckDB script.

    python -m benchmarks.yardstick --inbox HOME/inbox

Reads every residents' (`einwohner`) and SGB II (`sgb2`) CSV file of an inbox, places the
register's addresses in the Sozialräume of the newest `sozialraum` boundaries (point in
polygon), joins persons to addresses and counts per Sozialraum and Berichtsjahr: residents,
residents under 18 and SGB II recipients under 18 (the core of B02 and S05). No checks, no
pseudonyms, no history, no disclosure control: what the hardware needs for the set work
alone. `benchmarks/run.py` reports the whole nightly run as a multiple of this.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from ingestion.home import Home
from ingestion.warehouse import ensure_extension_repo


def _encoding(path: Path) -> str:
    head = path.read_bytes()[:1 << 16]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _files(folder: Path) -> dict[str, list[str]]:
    """The CSV files of a source folder by encoding (XLSX files are left out)."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.csv")):
        found.setdefault(_encoding(path), []).append(str(path))
    return found


def _read(source: str, folder: Path, columns: str) -> str:
    """A select over every CSV file of a source, with the Stichtag from the file name."""
    parts = []
    for encoding, files in _files(folder).items():
        parts.append(
            f"select {columns}, cast(regexp_extract(filename, '(\\d{{4}}-\\d{{2}}-\\d{{2}})', 1) "
            f"as date) as stichtag from read_csv({files!r}, delim=';', header=true, "
            f"all_varchar=true, encoding='{encoding}', filename=true, union_by_name=true)")
    if not parts:
        raise SystemExit(f"keine CSV-Dateien in {folder}")
    return " union all ".join(parts)


def run(inbox: Path) -> dict[str, float]:
    timings = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        home = Home(Path(scratch))
        repo = ensure_extension_repo(home)
        con = duckdb.connect(config={"extension_directory": str(home.ext_dir)})
        con.execute(f"install spatial from '{repo}'")
        con.execute("load spatial")
        key = ("lower(trim(strasse)) || '|' || trim(hausnummer) || '|' || "
               "lower(coalesce(trim(hausnummer_zusatz), ''))")
        con.execute(f"""
            create table adressen as
            select ags, {key} as schluessel,
                   st_point(cast(replace(ostwert, ',', '.') as double),
                            cast(replace(nordwert, ',', '.') as double)) as punkt
            from read_csv('{inbox}/adressen/*.csv', delim=';', header=true, all_varchar=true)
        """)
        newest = sorted((inbox / "raumgliederung").glob("raumgliederung_sozialraum_*.geojson"))[-1]
        con.execute(f"create table raeume as select raum_id, geom from st_read('{newest}')")
        con.execute("""
            create table adressen_raeume as
            select adressen.ags, adressen.schluessel, raeume.raum_id
            from adressen join raeume on st_within(adressen.punkt, raeume.geom)
        """)
        timings["adressen"] = time.perf_counter() - start
        geburt = ("coalesce(try_strptime(geburtsdatum, '%d.%m.%Y'), "
                  "try_strptime(geburtsdatum, '%Y-%m-%d'))")
        con.execute(f"""
            create table einwohner as
            select ags, {key} as schluessel, stichtag, {geburt} as geburt
            from ({_read('einwohner', inbox / 'einwohner',
                         'ags, strasse, hausnummer, hausnummer_zusatz, geburtsdatum, '
                         'wohnungsstatus')})
            where wohnungsstatus = 'H'
        """)
        con.execute(f"""
            create table sgb2 as
            select ags, {key} as schluessel, stichtag, {geburt} as geburt
            from ({_read('sgb2', inbox / 'sgb2',
                         'ags, strasse, hausnummer, hausnummer_zusatz, geburtsdatum')})
        """)
        timings["lesen"] = time.perf_counter() - start - timings["adressen"]
        rows = con.execute("""
            with personen as (
                select 'einwohner' as quelle, * from einwohner
                union all
                select 'sgb2', * from sgb2
            )
            select count(*), sum(einwohner) from (
                select raum_id, year(stichtag) as berichtsjahr,
                       count(*) filter (where quelle = 'einwohner') as einwohner,
                       count(*) filter (where quelle = 'einwohner'
                                        and date_diff('year', geburt, stichtag) < 18) as unter_18,
                       count(*) filter (where quelle = 'sgb2'
                                        and date_diff('year', geburt, stichtag) < 18)
                           as sgb2_unter_18
                from personen
                join adressen_raeume using (ags, schluessel)
                group by all
            )
        """).fetchone()
        counted = con.execute("select (select count(*) from einwohner), "
                              "(select count(*) from sgb2)").fetchone()
        con.close()
    timings["zusammen"] = time.perf_counter() - start
    timings["zeilen_einwohner"], timings["zeilen_sgb2"] = counted
    timings["ergebniszeilen"], timings["zugeordnet"] = rows
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inbox", required=True, type=Path)
    args = parser.parse_args(argv)
    result = run(args.inbox.resolve())
    print(f"yardstick: {result['zusammen']:.1f} s (addresses in areas "
          f"{result['adressen']:.1f} s, reading {result['lesen']:.1f} s), "
          f"{result['zeilen_einwohner']:,} residents' rows, {result['zeilen_sgb2']:,} SGB II "
          f"rows ({result['zugeordnet']:,} residents placed in a Sozialraum), "
          f"{result['ergebniszeilen']:,} result rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
