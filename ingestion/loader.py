"""Loading delivered files into the raw zone: archive, checks, quarantine, replacement, log.

One file is one transaction: either it is loaded completely (replacing the earlier rows of
the same source, Stichtag and municipality) or nothing of it is.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingestion import geography, journal
from ingestion.contracts import TABULAR_CONTRACTS, Contract, raw_columns
from ingestion.errors import DeliveryRejected
from ingestion.home import SOURCES, Home, inbox_files
from ingestion.mappings import load_mapping, mapping_path
from ingestion.pseudonyms import Pseudonymiser, load_or_create_key
from ingestion.readers import CELLS, Table, parse_file_name, read_table
from ingestion.rows import ERRORS, PSEUDONYM_CACHE, ROWS, check_rows
from ingestion.settings import Settings, load_settings


@dataclass
class IngestResult:
    file_name: str
    source: str | None
    stichtag: date | None
    status: str                      # loaded, rejected, duplicate
    message: str
    delivery_id: int | None = None
    rows_total: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    municipalities: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "duplicate")


def _percent(share: float) -> str:
    """German percentage: 0.1 -> '10,0 %'."""
    return f"{share * 100:.1f}".replace(".", ",") + " %"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_file(home: Home, data: bytes, digest: str, suffix: str) -> Path:
    """Keep the delivered bytes unchanged, named by their SHA-256."""
    home.archive.mkdir(parents=True, exist_ok=True)
    target = home.archive / f"{digest}{suffix}"
    if not target.exists():
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


def _next_delivery_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("select nextval('raw.delivery_seq')").fetchone()[0])


def _log(con, datei: "_Datei") -> None:
    """The file's row of raw.delivery_log; recorded in the delivery journal first (fsynced),
    so that every committed delivery can be loaded again from the archive (journal.py)."""
    result = datei.result
    eintrag = journal.Eintrag(
        delivery_id=result.delivery_id, archivdatei=datei.archive_path.name, sha256=datei.digest,
        datei=result.file_name, eingang=datei.eingang, quelle=result.source or "unbekannt",
        stichtag=result.stichtag, gliederung=datei.gliederung, empfangen=datei.received_at,
        status=result.status, zeilen_gesamt=result.rows_total, zeilen_geladen=result.rows_loaded,
        zeilen_quarantaene=result.rows_quarantined, gemeinden=",".join(result.municipalities),
        kodierung=datei.encoding, meldung="; ".join([result.message] + result.warnings),
        regeln=datei.regeln)
    if datei.journal is not None:
        journal.anhaengen(datei.journal, eintrag)
    con.execute("insert into raw.delivery_log values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                eintrag.log_row(datei.archive_path.parent))


def _write_error_report(archive_path: Path, text: str) -> None:
    archive_path.with_name(archive_path.name + ".fehler.txt").write_text(text, encoding="utf-8")


# Files of one source, Stichtag and set of columns are checked together, up to this many
# rows: DuckDB then works on several row groups at once (both cores) and each statement runs
# once per batch instead of once per file; each file is still committed on its own.
BATCH_ROWS = 500_000
BATCH_CELLS = "batch_cells"
BATCH_SPLIT = "batch_split"


@dataclass(frozen=True)
class Wiedergabe:
    """Loading archived deliveries again into a new warehouse (`ingestion/wiederaufbau.py`,
    `spm rebuild`): each file keeps the arrival time of its journal line, the mapping files
    are read from `zuordnungen/mappings/` (as they were when the file was loaded), and
    nothing is written to the archive or the journal."""

    empfangen: Mapping[Path, datetime]
    zuordnungen: Path


@dataclass
class _Datei:
    """One delivered file on its way in."""

    path: Path
    digest: str
    archive_path: Path
    received_at: datetime
    result: IngestResult
    encoding: str | None = None
    gliederung: str | None = None
    file_no: int = 0
    rows: int = 0
    eingang: str | None = None       # the inbox folder it came from
    regeln: dict | None = None       # the rules it is loaded with (journal.Eintrag.regeln)
    journal: Path | None = None      # where its delivery is recorded (None: a replay)


@dataclass
class _Stapel:
    """Files waiting in `batch_cells` to be checked and loaded together."""

    contract: Contract | None = None
    stichtag: date | None = None
    table: Table | None = None      # of the first file: columns and cells_sql
    files: list[_Datei] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def fits(self, contract: Contract, stichtag: date, table: Table) -> bool:
        return (not self.files or (contract.source == self.contract.source
                                   and stichtag == self.stichtag
                                   and table.columns == self.table.columns
                                   and table.cells_sql == self.table.cells_sql
                                   and self.rows + table.rows <= BATCH_ROWS))


def ingest_file(con: duckdb.DuckDBPyConnection, home: Home, path: Path,
                settings: Settings | None = None, expected_source: str | None = None,
                pseudonymiser: Pseudonymiser | None = None) -> IngestResult:
    """Load one delivered file. Never raises for bad input: the result says what happened."""
    return ingest_files(con, home, [(expected_source, path)], settings, pseudonymiser)[0]


def ingest_files(con: duckdb.DuckDBPyConnection, home: Home,
                 files: list[tuple[str | None, Path]], settings: Settings | None = None,
                 pseudonymiser: Pseudonymiser | None = None, progress=None,
                 finished=None, wiedergabe: Wiedergabe | None = None) -> list[IngestResult]:
    """Load delivered files in the given order ((expected source or None, path) each).

    Never raises for bad input: each result says what happened to its file. Each file is one
    transaction, committed in the given order (delivery ids, replacement and duplicates as if
    loaded one by one); consecutive files of the same source, Stichtag and columns are read
    one by one but checked, pseudonymised and prepared together (`BATCH_ROWS`).
    `finished(path, result)` is called once a file's outcome is committed. Every delivery is
    recorded in the delivery journal before its commit (`journal.py`); `wiedergabe` loads
    archived files again instead (`spm rebuild`).
    """
    settings = settings or load_settings(home.config)
    stapel = _Stapel()
    results: list[IngestResult] = []
    if not files:
        return results
    if wiedergabe is None:
        # lines of deliveries whose commit never happened are revoked (an older home's
        # journal is written from raw.delivery_log)
        journal.abgleichen(con, home)
    regeln = {"quarantaene_schwelle": settings.quarantaene_schwelle,
              "hoechstalter": settings.hoechstalter}
    con.execute(f"drop table if exists {PSEUDONYM_CACHE}")

    def flush() -> None:
        nonlocal stapel, pseudonymiser
        if stapel.files:
            if pseudonymiser is None and stapel.contract.person_level:
                pseudonymiser = Pseudonymiser(load_or_create_key(home.secrets))
            _load_batch(con, stapel, settings, pseudonymiser, finished)
        stapel = _Stapel()

    for number, (expected_source, path) in enumerate(files, start=1):
        if progress:
            progress(f"[{number}/{len(files)}] {expected_source or ''}{'/' if expected_source else ''}"
                     f"{path.name}")
        data = path.read_bytes()
        digest = sha256_of(data)
        if any(f.digest == digest for f in stapel.files):
            flush()   # the same bytes again: a duplicate once the first one is committed
        if wiedergabe is None:
            datei = _Datei(path, digest, archive_file(home, data, digest, path.suffix.lower()),
                           datetime.now(), IngestResult(path.name, None, None, "rejected", ""),
                           journal=home.journal)
        else:
            datei = _Datei(path, digest, home.archive / f"{digest}{path.suffix.lower()}",
                           wiedergabe.empfangen[path],
                           IngestResult(path.name, None, None, "rejected", ""))
        datei.eingang, datei.regeln = expected_source, dict(regeln, zuordnung=None)
        results.append(datei.result)
        try:
            table, contract = _read(con, home, datei, data, expected_source, flush,
                                    wiedergabe.zuordnungen if wiedergabe else home.config)
            if table is None:   # a duplicate or a Raumgliederung: committed already
                if finished:
                    finished(path, datei.result)
                continue
            if not stapel.fits(contract, datei.result.stichtag, table):
                flush()
            if not stapel.files:
                stapel = _Stapel(contract, datei.result.stichtag, table)
                con.execute(f"create or replace temp table {BATCH_CELLS} as "
                            f"select 0 as file_no, * from {CELLS} limit 0")
            datei.file_no, datei.rows = len(stapel.files), table.rows
            con.execute(f"insert into {BATCH_CELLS} select $file_no, * from {CELLS}",
                        {"file_no": datei.file_no})
            stapel.files.append(datei)
        except DeliveryRejected as rejected:
            flush()
            _reject(con, datei, rejected)
            if finished:
                finished(path, datei.result)
    flush()
    for table in (PSEUDONYM_CACHE, BATCH_CELLS, BATCH_SPLIT, ROWS, ERRORS):
        con.execute(f"drop table if exists {table}")
    return results


def _read(con, home: Home, datei: _Datei, data: bytes, expected_source: str | None,
          flush, config: Path) -> tuple[Table | None, Contract | None]:
    """Name, duplicate and structure checks of one file; a tabular file's cells end up in
    `delivery_cells`. A duplicate and a Raumgliederung are committed here, after the files
    waiting before them (`flush`), and give (None, None). The mapping file is read from
    `config` (the home's, or in a replay the one recorded with the delivery)."""
    result = datei.result
    duplicate = con.execute(
        "select delivery_id, status from raw.delivery_log where sha256 = ? "
        "and status in ('loaded', 'replaced') order by delivery_id limit 1", [datei.digest]
    ).fetchone()
    name = parse_file_name(datei.path.name, SOURCES)
    result.source, result.stichtag = name.source, name.stichtag
    datei.gliederung = name.gliederung
    if expected_source and expected_source != name.source:
        raise DeliveryRejected(
            datei.path.name, f"Die Datei liegt im Eingangsordner {expected_source!r}, ihr Name "
            f"nennt aber die Quelle {name.source!r}.")
    if duplicate:
        flush()
        result.status = "duplicate"
        result.message = (f"Diese Datei wurde bereits geladen (Lieferung {duplicate[0]}); "
                          "sie ändert nichts.")
        result.delivery_id = _next_delivery_id(con)
        _log(con, datei)
        return None, None
    if name.stichtag > date.today():
        raise DeliveryRejected(
            datei.path.name, f"Der Stichtag {name.stichtag:%d.%m.%Y} liegt in der Zukunft.")
    if name.source == "raumgliederung":
        areas = geography.read_raumgliederung(datei.path.name, data)
        result.rows_total = len(areas)
        flush()
        con.execute("begin transaction")
        try:
            delivery_id = _next_delivery_id(con)
            geography.store_raumgliederung(con, delivery_id, name.gliederung, name.stichtag, areas)
            result.status, result.delivery_id = "loaded", delivery_id
            result.rows_loaded = len(areas)
            result.municipalities = sorted({a.ags for a in areas if a.ags})
            result.message = (f"{len(areas)} Räume der Gliederung {name.gliederung!r}, "
                              f"gültig ab {name.stichtag:%d.%m.%Y}, geladen.")
            datei.encoding = "utf-8"
            _log(con, datei)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return None, None
    contract = TABULAR_CONTRACTS[name.source]
    mapping_file = mapping_path(config, contract.source)
    if mapping_file.exists():
        datei.regeln["zuordnung"] = mapping_file.read_text(encoding="utf-8")
    mapping = load_mapping(config, contract, datei.path.name)
    table = read_table(con, datei.path.name, name.extension, data, contract.names,
                       contract.required, mapping)
    datei.encoding = table.encoding
    if table.extra_columns:
        result.warnings.append("Zusätzliche Spalten ignoriert: " + ", ".join(table.extra_columns))
    return table, contract


def _reject(con, datei: _Datei, rejected: DeliveryRejected) -> None:
    result = datei.result
    result.status = "rejected"
    result.message = rejected.describe()
    if datei.journal is not None:    # a replay keeps the archive as it is
        _write_error_report(datei.archive_path, result.message + "\n"
                            + (f"\n{rejected.details}\n" if rejected.details else ""))
    result.delivery_id = _next_delivery_id(con)
    _log(con, datei)


def _load_batch(con, stapel: _Stapel, settings: Settings, pseudonymiser: Pseudonymiser | None,
                finished) -> None:
    """Check, quarantine and pseudonymise the files of a batch set-wise; then commit each
    file on its own, in order."""
    contract, stichtag = stapel.contract, stapel.stichtag
    # the cells split once for the whole batch (lines are cheaper to collect file by file,
    # cells cheaper to read in the several passes of the checks)
    con.execute(f"create or replace temp table {BATCH_SPLIT} as "
                + stapel.table.cells_sql.format(table=BATCH_CELLS))
    check_rows(con, contract, stapel.table.columns, stichtag, settings.hoechstalter,
               table=BATCH_SPLIT, pseudonymiser=pseudonymiser)
    bad = dict(con.execute(f"select file_no, count(*) from {ROWS} where fehlerhaft "
                           "group by file_no").fetchall())
    rejected: dict[int, DeliveryRejected] = {}
    for datei in stapel.files:
        result = datei.result
        result.rows_total = datei.rows
        result.rows_quarantined = bad.get(datei.file_no, 0)
        share = result.rows_quarantined / datei.rows
        if share > settings.quarantaene_schwelle:
            errors = con.execute(f"select line_no, column_name, value, reason from {ERRORS} "
                                 "where file_no = ? order by line_no, seq",
                                 [datei.file_no]).fetchall()
            line_no, column, value, reason = errors[0]
            message = (f"{result.rows_quarantined} von {datei.rows} Zeilen ({_percent(share)}) "
                       f"sind fehlerhaft, mehr als erlaubt "
                       f"({_percent(settings.quarantaene_schwelle)}); die ganze Datei wurde "
                       f"abgewiesen. Erster Fehler: Zeile {line_no}, Spalte {column}, "
                       f"Wert {value!r}: {reason}")
            report = "\n".join(f"Zeile {n}, Spalte {c}, Wert {v!r}: {r}" for n, c, v, r in errors)
            rejected[datei.file_no] = DeliveryRejected(result.file_name, message, details=report)
    municipalities = dict(con.execute(
        f"select file_no, list(distinct ags order by ags) from {ROWS} "
        "where not fehlerhaft and ags is not null group by file_no").fetchall())
    columns = [name for name, _ in raw_columns(contract)]
    values = ", ".join("$delivery_id" if name == "delivery_id" else
                       "$stichtag" if name == "stichtag" else f'"{name}"' for name in columns)
    for datei in stapel.files:
        if datei.file_no in rejected:
            _reject(con, datei, rejected[datei.file_no])
        else:
            datei.result.municipalities = municipalities.get(datei.file_no, [])
            _commit_file(con, contract, stichtag, datei, columns, values)
        if finished:
            finished(datei.path, datei.result)


def _commit_file(con, contract: Contract, stichtag: date, datei: _Datei, columns: list[str],
                 values: str) -> None:
    """One file's checked rows and quarantine into the raw zone, in one transaction."""
    result = datei.result
    con.execute("begin transaction")
    try:
        delivery_id = _next_delivery_id(con)
        replaced = _replace_rows(con, contract.source, stichtag, result.municipalities)
        con.execute(f"insert into raw.{contract.source} ({', '.join(columns)}) "
                    f"select {values} from {ROWS} where file_no = $file_no and not fehlerhaft "
                    "order by line_no",
                    {"stichtag": stichtag, "delivery_id": delivery_id, "file_no": datei.file_no})
        _mark_replaced(con, contract.source, replaced)
        con.execute(
            f"""insert into raw.quarantine
                select $delivery_id, $source, $file_name, line_no, column_name, value, reason,
                       original_line, case when regexp_full_match(ags, '\\d{{8}}') then ags end
                from {ERRORS} where file_no = $file_no order by line_no, seq""",
            {"delivery_id": delivery_id, "source": contract.source,
             "file_name": result.file_name, "file_no": datei.file_no})
        loaded = con.execute(f"select count(*) from raw.{contract.source} "
                             "where delivery_id = ?", [delivery_id]).fetchone()[0]
        result.status, result.delivery_id = "loaded", delivery_id
        result.rows_loaded = loaded
        result.message = (f"{loaded} Zeilen geladen, {result.rows_quarantined} in Quarantäne"
                          + (f"; ersetzt Lieferung(en) {', '.join(map(str, replaced))}"
                             if replaced else "")
                          + ".")
        _log(con, datei)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _replace_rows(con, source: str, stichtag: date, municipalities: list[str]) -> list[int]:
    """Delete the rows of (source, Stichtag, municipality); the deliveries they came from."""
    previous = [row[0] for row in con.execute(
        f"select distinct delivery_id from raw.{source} where stichtag = ? and ags in "
        f"(select unnest(?::varchar[])) order by 1", [stichtag, municipalities]).fetchall()]
    con.execute(f"delete from raw.{source} where stichtag = ? and ags in (select unnest(?::varchar[]))",
                [stichtag, municipalities])
    return previous


def _mark_replaced(con, source: str, previous: list[int]) -> None:
    """A delivery none of whose rows is left is `replaced` in the log."""
    for old in previous:
        remaining = con.execute(f"select count(*) from raw.{source} where delivery_id = ?", [old]).fetchone()[0]
        if remaining == 0:
            con.execute("update raw.delivery_log set status = 'replaced' where delivery_id = ?", [old])


def load_gemeinden(con: duckdb.DuckDBPyConnection, home: Home) -> int:
    """Replace `raw.gemeinden` by `<home>/config/gemeinden.csv` (`ags;name`), if present."""
    path = home.config / "gemeinden.csv"
    if not path.exists():
        return 0
    frame = pd.read_csv(path, sep=";", dtype="str", encoding="utf-8-sig", keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    if not {"ags", "name"} <= set(frame.columns):
        raise DeliveryRejected(path.name, "gemeinden.csv braucht die Spalten ags und name.")
    frame = frame[["ags", "name"]].drop_duplicates("ags")
    con.execute("begin transaction")
    con.execute("delete from raw.gemeinden")
    con.register("gemeinden_frame", frame)
    con.execute("insert into raw.gemeinden select ags, name from gemeinden_frame")
    con.unregister("gemeinden_frame")
    con.execute("commit")
    return len(frame)


# Geography before persons, so a run that brings both assigns with the new areas.
_ORDER = {name: i for i, name in enumerate(SOURCES)}


def ingest_inbox(con: duckdb.DuckDBPyConnection, home: Home, source: str | None = None,
                 progress=None) -> list[IngestResult]:
    """Load every inbox file (of one source or all); each file leaves the inbox once its
    outcome is committed (it is in the archive, named by its SHA-256)."""
    files = sorted(inbox_files(home, source), key=lambda item: (_ORDER[item[0]], item[1].name))
    return ingest_files(con, home, files, progress=progress,
                        finished=lambda path, result: path.unlink())
