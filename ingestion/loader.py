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
from ingestion.readers import parse_file_name, read_table
from ingestion.rows import RowError, check_rows
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
                pseudonymiser: Pseudonymiser | None = None,
                validate_with_gx: bool = True) -> IngestResult:
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
        table = read_table(path.name, name.extension, data, contract.names, contract.required,
                           mapping)
        encoding = table.encoding
        if table.extra_columns:
            result.warnings.append("Zusätzliche Spalten ignoriert: " + ", ".join(table.extra_columns))
        return _load_tabular(con, home, contract, table, result, settings, digest, archive_path,
                             received_at, pseudonymiser, validate_with_gx)
    except DeliveryRejected as rejected:
        result.status = "rejected"
        result.message = rejected.describe()
        _write_error_report(archive_path, result.message + "\n"
                            + (f"\n{rejected.details}\n" if rejected.details else ""))
        delivery_id = _next_delivery_id(con)
        result.delivery_id = delivery_id
        _log(con, delivery_id, result, digest, archive_path, received_at, encoding, gliederung)
        return result


def _load_tabular(con, home: Home, contract: Contract, table, result: IngestResult,
                  settings: Settings, digest: str, archive_path: Path, received_at: datetime,
                  pseudonymiser: Pseudonymiser | None, validate_with_gx: bool) -> IngestResult:
    frame = table.frame
    stichtag = result.stichtag
    typed, errors = check_rows(contract, frame, stichtag, settings.hoechstalter)
    for line_no in table.ragged_rows:
        position = table.line_numbers.index(line_no)
        errors.append(RowError(position, None, None,
                              "Zeile hat nicht so viele Felder wie die Kopfzeile (abgeschnitten?)"))
    bad_positions = sorted({e.index for e in errors})
    result.rows_total = len(frame)
    result.rows_quarantined = len(bad_positions)
    row_ags = (typed["ags"].where(typed["ags"].str.fullmatch(r"\d{8}", na=False), None).tolist()
               if "ags" in typed.columns else [None] * len(frame))
    share = len(bad_positions) / len(frame)
    quarantine = pd.DataFrame(
        [{
            "line_no": table.line_numbers[e.index], "column_name": e.column,
            "value": None if e.value is None else str(e.value), "reason": e.reason,
            "original_line": table.lines.get(table.line_numbers[e.index], ""),
            "ags": row_ags[e.index],
        } for e in errors],
        columns=["line_no", "column_name", "value", "reason", "original_line", "ags"],
    )
    if share > settings.quarantaene_schwelle:
        first = quarantine.sort_values("line_no").iloc[0]
        message = (f"{len(bad_positions)} von {len(frame)} Zeilen ({_percent(share)}) sind "
                   f"fehlerhaft, mehr als erlaubt ({_percent(settings.quarantaene_schwelle)}); "
                   "die ganze Datei wurde "
                   f"abgewiesen. Erster Fehler: Zeile {first.line_no}, Spalte {first.column_name}, "
                   f"Wert {first.value!r}: {first.reason}")
        report = "\n".join(
            f"Zeile {r.line_no}, Spalte {r.column_name}, Wert {r.value!r}: {r.reason}"
            for r in quarantine.sort_values("line_no").itertuples())
        raise DeliveryRejected(result.file_name, message, details=report)

    clean = typed.drop(index=[frame.index[p] for p in bad_positions])
    bad = set(bad_positions)
    clean["line_no"] = [table.line_numbers[p] for p in range(len(frame)) if p not in bad]
    if contract.person_level:
        pseudonymiser = pseudonymiser or Pseudonymiser(load_or_create_key(home.secrets))
        for column in contract.columns:
            if column.kind == ID:
                clean[column.name] = pseudonymiser.series(clean[column.name].fillna(""))
    gx_result = None
    if validate_with_gx and len(clean):
        from expectations.suites import validate

        gx_result = validate(contract.source, clean, stichtag)
        if not gx_result.success:
            raise DeliveryRejected(
                result.file_name,
                "Die Datenprüfung (Great Expectations) ist fehlgeschlagen: "
                + "; ".join(f"{f['expectation']} auf Spalte {f['column']} "
                            f"({f['unexpected_count']} Werte, z. B. {', '.join(f['examples'])})"
                            for f in gx_result.failures))
    municipalities = sorted(clean["ags"].dropna().unique().tolist())
    result.municipalities = municipalities

    con.execute("begin transaction")
    try:
        delivery_id = _next_delivery_id(con)
        replaced = _replace_rows(con, contract.source, stichtag, municipalities, clean, delivery_id)
        if len(quarantine):
            quarantine.insert(0, "delivery_id", delivery_id)
            quarantine.insert(1, "source", contract.source)
            quarantine.insert(2, "file_name", result.file_name)
            con.register("quarantine_frame", quarantine)
            con.execute("insert into raw.quarantine select delivery_id, source, file_name, line_no, "
                        "column_name, value, reason, original_line, ags from quarantine_frame")
            con.unregister("quarantine_frame")
        if gx_result is not None:
            con.execute("insert into raw.gx_results values (?, ?, ?, ?, ?, ?, ?, ?)",
                        [delivery_id, contract.source, gx_result.suite, gx_result.success,
                         gx_result.evaluated, gx_result.failed, gx_result.to_json(), datetime.now()])
        result.status, result.delivery_id = "loaded", delivery_id
        result.rows_loaded = len(clean)
        result.message = (f"{len(clean)} Zeilen geladen, {result.rows_quarantined} in Quarantäne"
                          + (f"; ersetzt Lieferung(en) {', '.join(map(str, replaced))}" if replaced else "")
                          + ".")
        _log(con, delivery_id, result, digest, archive_path, received_at, table.encoding)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _replace_rows(con, source: str, stichtag: date, municipalities: list[str],
                  clean: pd.DataFrame, delivery_id: int) -> list[int]:
    """Delete the rows of (source, Stichtag, municipality) and insert the new ones."""
    previous = [row[0] for row in con.execute(
        f"select distinct delivery_id from raw.{source} where stichtag = ? and ags in "
        f"(select unnest(?::varchar[]))", [stichtag, municipalities]).fetchall()]
    con.execute(f"delete from raw.{source} where stichtag = ? and ags in (select unnest(?::varchar[]))",
                [stichtag, municipalities])
    frame = clean.copy()
    frame["delivery_id"] = delivery_id
    frame["stichtag"] = pd.Timestamp(stichtag)
    columns = [name for name, _ in raw_columns(TABULAR_CONTRACTS[source])]
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    con.register("delivery_frame", frame[columns])
    con.execute(f"insert into raw.{source} ({', '.join(columns)}) "
                f"select {', '.join(columns)} from delivery_frame")
    con.unregister("delivery_frame")
    for old in previous:
        remaining = con.execute(f"select count(*) from raw.{source} where delivery_id = ?", [old]).fetchone()[0]
        if remaining == 0:
            con.execute("update raw.delivery_log set status = 'replaced' where delivery_id = ?", [old])
    return previous


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
