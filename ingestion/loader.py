"""Loading delivered files into the raw zone: archive, checks, quarantine, replacement, log.

One file is one transaction: either it is loaded completely (replacing the earlier rows of
the same source, Stichtag and municipality) or nothing of it is.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingestion import geography
from ingestion.contracts import ID, TABULAR_CONTRACTS, Contract, raw_columns
from ingestion.errors import DeliveryRejected
from ingestion.home import SOURCES, Home
from ingestion.mappings import load_mapping
from ingestion.pseudonyms import Pseudonymiser, load_or_create_key
from ingestion.readers import Table, parse_file_name, read_table
from ingestion.rows import ERRORS, ROWS, check_rows
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


def _log(con, delivery_id: int, result: IngestResult, digest: str, archive_path: Path,
         received_at: datetime, encoding: str | None, gliederung: str | None = None) -> None:
    con.execute(
        "insert into raw.delivery_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [delivery_id, result.source or "unbekannt", result.stichtag, gliederung, result.file_name,
         digest, str(archive_path), received_at, result.status, result.rows_total,
         result.rows_loaded, result.rows_quarantined, ",".join(result.municipalities),
         encoding, "; ".join([result.message] + result.warnings)],
    )


def _write_error_report(archive_path: Path, text: str) -> None:
    archive_path.with_name(archive_path.name + ".fehler.txt").write_text(text, encoding="utf-8")


def ingest_file(con: duckdb.DuckDBPyConnection, home: Home, path: Path,
                settings: Settings | None = None, expected_source: str | None = None,
                pseudonymiser: Pseudonymiser | None = None) -> IngestResult:
    """Load one delivered file. Never raises for bad input: the result says what happened."""
    settings = settings or load_settings(home.config)
    data = path.read_bytes()
    digest = sha256_of(data)
    received_at = datetime.now()
    archive_path = archive_file(home, data, digest, path.suffix.lower())
    result = IngestResult(path.name, None, None, "rejected", "")

    duplicate = con.execute(
        "select delivery_id, status from raw.delivery_log where sha256 = ? "
        "and status in ('loaded', 'replaced') order by delivery_id limit 1", [digest]
    ).fetchone()
    encoding = None
    gliederung = None
    try:
        name = parse_file_name(path.name, SOURCES)
        result.source, result.stichtag = name.source, name.stichtag
        gliederung = name.gliederung
        if expected_source and expected_source != name.source:
            raise DeliveryRejected(
                path.name, f"Die Datei liegt im Eingangsordner {expected_source!r}, ihr Name "
                f"nennt aber die Quelle {name.source!r}.")
        if duplicate:
            result.status = "duplicate"
            result.message = (f"Diese Datei wurde bereits geladen (Lieferung {duplicate[0]}); "
                              "sie ändert nichts.")
            delivery_id = _next_delivery_id(con)
            result.delivery_id = delivery_id
            _log(con, delivery_id, result, digest, archive_path, received_at, None, gliederung)
            return result
        if name.stichtag > date.today():
            raise DeliveryRejected(
                path.name, f"Der Stichtag {name.stichtag:%d.%m.%Y} liegt in der Zukunft.")
        if name.source == "raumgliederung":
            areas = geography.read_raumgliederung(path.name, data)
            result.rows_total = len(areas)
            con.execute("begin transaction")
            try:
                delivery_id = _next_delivery_id(con)
                geography.store_raumgliederung(con, delivery_id, name.gliederung, name.stichtag, areas)
                result.status, result.delivery_id = "loaded", delivery_id
                result.rows_loaded = len(areas)
                result.municipalities = sorted({a.ags for a in areas if a.ags})
                result.message = (f"{len(areas)} Räume der Gliederung {name.gliederung!r}, "
                                  f"gültig ab {name.stichtag:%d.%m.%Y}, geladen.")
                _log(con, delivery_id, result, digest, archive_path, received_at, "utf-8", gliederung)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            return result
        contract = TABULAR_CONTRACTS[name.source]
        mapping = load_mapping(home.config, contract, path.name)
        table = read_table(con, path.name, name.extension, data, contract.names,
                           contract.required, mapping)
        encoding = table.encoding
        if table.extra_columns:
            result.warnings.append("Zusätzliche Spalten ignoriert: " + ", ".join(table.extra_columns))
        return _load_tabular(con, home, contract, table, result, settings, digest, archive_path,
                             received_at, pseudonymiser)
    except DeliveryRejected as rejected:
        result.status = "rejected"
        result.message = rejected.describe()
        _write_error_report(archive_path, result.message + "\n"
                            + (f"\n{rejected.details}\n" if rejected.details else ""))
        delivery_id = _next_delivery_id(con)
        result.delivery_id = delivery_id
        _log(con, delivery_id, result, digest, archive_path, received_at, encoding, gliederung)
        return result


def _load_tabular(con, home: Home, contract: Contract, table: Table, result: IngestResult,
                  settings: Settings, digest: str, archive_path: Path, received_at: datetime,
                  pseudonymiser: Pseudonymiser | None) -> IngestResult:
    """Check, quarantine, pseudonymise and store the rows of `delivery_cells`, set-wise."""
    stichtag = result.stichtag
    check_rows(con, contract, table.columns, stichtag, settings.hoechstalter)
    result.rows_total = table.rows
    bad = con.execute(f"select count(distinct line_no) from {ERRORS}").fetchone()[0]
    result.rows_quarantined = bad
    share = bad / table.rows
    if share > settings.quarantaene_schwelle:
        errors = con.execute(f"select line_no, column_name, value, reason from {ERRORS} "
                             "order by line_no, seq").fetchall()
        line_no, column, value, reason = errors[0]
        message = (f"{bad} von {table.rows} Zeilen ({_percent(share)}) sind "
                   f"fehlerhaft, mehr als erlaubt ({_percent(settings.quarantaene_schwelle)}); "
                   "die ganze Datei wurde "
                   f"abgewiesen. Erster Fehler: Zeile {line_no}, Spalte {column}, "
                   f"Wert {value!r}: {reason}")
        report = "\n".join(f"Zeile {n}, Spalte {c}, Wert {v!r}: {r}" for n, c, v, r in errors)
        raise DeliveryRejected(result.file_name, message, details=report)

    clean = f"from {ROWS} where line_no not in (select line_no from {ERRORS})"
    result.municipalities = [r[0] for r in con.execute(
        f"select distinct ags {clean} and ags is not null order by 1").fetchall()]
    columns = [name for name, _ in raw_columns(contract)]
    values = {"delivery_id": "$delivery_id", "stichtag": "$stichtag"}
    joins = ""
    ids = [c.name for c in contract.columns if c.kind == ID] if contract.person_level else []
    if ids:
        # each distinct identifier hashed once (parents and spouses repeat persons' ids)
        pseudonymiser = pseudonymiser or Pseudonymiser(load_or_create_key(home.secrets))
        expression, pads = pseudonymiser.sql("v")
        con.execute(f"""create or replace temp table delivery_pseudonyms as
            select v, {expression} as pseudonym
            from (select distinct unnest([{', '.join(f'"{n}"' for n in ids)}]) as v {clean})
            where v is not null""", pads)
        for number, name in enumerate(ids):
            values[name] = f"p{number}.pseudonym"
            joins += f' left join delivery_pseudonyms p{number} on p{number}.v = r."{name}"'
    select = ", ".join(values.get(name, f'r."{name}"') for name in columns)
    clean_rows = (f"from {ROWS} r{joins} "
                  f"where r.line_no not in (select line_no from {ERRORS})")

    con.execute("begin transaction")
    try:
        delivery_id = _next_delivery_id(con)
        replaced = _replace_rows(con, contract.source, stichtag, result.municipalities)
        con.execute(f"insert into raw.{contract.source} ({', '.join(columns)}) "
                    f"select {select} {clean_rows} order by r.line_no",
                    {"stichtag": stichtag, "delivery_id": delivery_id})
        _mark_replaced(con, contract.source, replaced)
        con.execute(
            f"""insert into raw.quarantine
                select $delivery_id, $source, $file_name, e.line_no, e.column_name, e.value,
                       e.reason, r.original_line,
                       case when regexp_full_match(r.ags, '\\d{{8}}') then r.ags end
                from {ERRORS} e join {ROWS} r using (line_no) order by e.line_no, e.seq""",
            {"delivery_id": delivery_id, "source": contract.source, "file_name": result.file_name})
        loaded = con.execute(f"select count(*) from raw.{contract.source} "
                             "where delivery_id = ?", [delivery_id]).fetchone()[0]
        result.status, result.delivery_id = "loaded", delivery_id
        result.rows_loaded = loaded
        result.message = (f"{loaded} Zeilen geladen, {result.rows_quarantined} in Quarantäne"
                          + (f"; ersetzt Lieferung(en) {', '.join(map(str, replaced))}" if replaced else "")
                          + ".")
        _log(con, delivery_id, result, digest, archive_path, received_at, table.encoding)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


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


def inbox_files(home: Home, source: str | None = None) -> list[tuple[str, Path]]:
    """(folder source, path) of every file waiting in the inbox, in a stable order."""
    found = []
    sources = [source] if source else list(SOURCES)
    for name in sources:
        folder = home.inbox / name
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    found.append((name, path))
    return found


# Geography before persons, so a run that brings both assigns with the new areas.
_ORDER = {name: i for i, name in enumerate(SOURCES)}


def ingest_inbox(con: duckdb.DuckDBPyConnection, home: Home, source: str | None = None,
                 progress=None) -> list[IngestResult]:
    """Load every inbox file (of one source or all); each file leaves the inbox afterwards
    (it is in the archive, named by its SHA-256)."""
    settings = load_settings(home.config)
    files = sorted(inbox_files(home, source), key=lambda item: (_ORDER[item[0]], item[1].name))
    pseudonymiser = None
    results = []
    for number, (folder_source, path) in enumerate(files, start=1):
        if progress:
            progress(f"[{number}/{len(files)}] {folder_source}/{path.name}")
        if pseudonymiser is None and folder_source != "raumgliederung":
            pseudonymiser = Pseudonymiser(load_or_create_key(home.secrets))
        result = ingest_file(con, home, path, settings, expected_source=folder_source,
                             pseudonymiser=pseudonymiser)
        results.append(result)
        path.unlink()
    return results
