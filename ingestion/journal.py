"""The delivery journal `archive/lieferungen.jsonl`: which archived file was which delivery.

The archive keeps every delivered file unchanged under its SHA-256 (`loader.archive_file`);
what it was (source, Stichtag, original file name, when it arrived, what loading made of it)
is recorded in `raw.delivery_log` inside the warehouse. The journal keeps the same facts
outside the warehouse, so that a lost or damaged warehouse can be rebuilt from the archive
(`spm rebuild`, `ingestion/wiederaufbau.py`) with the same delivery ids, statuses, arrival
times, rows and quarantine, and therefore the same published tables (`datenstand` publishes
arrival times and row counts).

One JSON object per line, appended in the order of the commits:

- `"art": "lieferung"`: one delivery, written and fsynced by the loader just before its row
  of `raw.delivery_log` is committed (`loader._log`): the row as it is inserted (status
  `loaded`, `rejected` or `duplicate`; `replaced` is set later by the delivery that replaces
  it, and the replay does the same), the archive file, the inbox folder it came from and the
  rules it was loaded with (`quarantaene_schwelle`, `hoechstalter`, the text of the mapping
  file `config/mappings/<source>.yaml`), so that a later change of the rules does not change
  the replay.
- `"art": "verworfen"`: the delivery with this id never reached the warehouse (the process
  ended between the journal line and the commit). Written by `abgleichen` at the start of
  the next ingestion, which compares the journal with `raw.delivery_log`.

A home whose warehouse predates the journal gets it written from `raw.delivery_log` once
(`nachtragen`, when a writer connects); such lines carry `"nachgetragen": true` and no rules
(the replay then uses the home's current ones and checks the outcome).
"""

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from ingestion.home import Home

VERSION = 1
LIEFERUNG, VERWORFEN = "lieferung", "verworfen"
# statuses as inserted into raw.delivery_log; `replaced` is only ever set by an update
STATUSES = ("loaded", "rejected", "duplicate")


class JournalFehler(RuntimeError):
    """The journal cannot be read (German message naming the file and line)."""


@dataclass(frozen=True)
class Eintrag:
    """One delivery of the journal: its row of `raw.delivery_log` and how to load it again."""

    delivery_id: int
    archivdatei: str             # <sha256><suffix> in archive/
    sha256: str
    datei: str                   # the file name as delivered
    eingang: str | None          # inbox folder it was taken from (None: `spm ingest`, unknown)
    quelle: str
    stichtag: date | None
    gliederung: str | None
    empfangen: datetime          # received_at, exactly as in raw.delivery_log
    status: str                  # loaded, rejected, duplicate
    zeilen_gesamt: int | None
    zeilen_geladen: int | None
    zeilen_quarantaene: int | None
    gemeinden: str | None
    kodierung: str | None
    meldung: str | None
    # quarantaene_schwelle, hoechstalter, zuordnung (mapping YAML text or None) the file was
    # loaded with; None for a line written from raw.delivery_log (`nachtragen`)
    regeln: dict | None = None
    nachgetragen: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    def log_row(self, archive: Path, status: str | None = None) -> list:
        """The row of `raw.delivery_log` (column order of ingestion/raw_schema.sql)."""
        return [self.delivery_id, self.quelle, self.stichtag, self.gliederung, self.datei,
                self.sha256, str(archive / self.archivdatei), self.empfangen,
                status or self.status, self.zeilen_gesamt, self.zeilen_geladen,
                self.zeilen_quarantaene, self.gemeinden, self.kodierung, self.meldung]

    def to_json(self) -> str:
        data = {"v": VERSION, "art": LIEFERUNG, **asdict(self)}
        data.pop("extra")
        if not self.nachgetragen:
            data.pop("nachgetragen")
        data["stichtag"] = self.stichtag.isoformat() if self.stichtag else None
        data["empfangen"] = self.empfangen.isoformat()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, data: dict) -> "Eintrag":
        names = set(cls.__dataclass_fields__) - {"extra"}
        values = {name: data.get(name) for name in names}
        values["stichtag"] = date.fromisoformat(data["stichtag"]) if data.get("stichtag") else None
        values["empfangen"] = datetime.fromisoformat(data["empfangen"])
        values["nachgetragen"] = bool(data.get("nachgetragen"))
        for required in ("delivery_id", "archivdatei", "sha256", "datei", "quelle", "status"):
            if values[required] in (None, ""):
                raise ValueError(f"Feld {required!r} fehlt")
        return cls(**values, extra={k: v for k, v in data.items() if k not in names})


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lines(path: Path, records: list[str]) -> None:
    """Append whole lines and make them durable before returning. A torn last line (the
    process ended while writing it, before its commit) is cut off first."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as out:
        end = out.seek(0, os.SEEK_END)
        if end:
            with open(path, "rb") as inp:
                inp.seek(end - 1)
                if inp.read(1) != b"\n":
                    data = path.read_bytes()
                    out.truncate(data.rfind(b"\n") + 1)
        out.write("".join(line + "\n" for line in records).encode("utf-8"))
        out.flush()
        os.fsync(out.fileno())
    if new:
        _fsync_dir(path.parent)


def anhaengen(path: Path, eintrag: Eintrag) -> None:
    """Record one delivery (the loader, before its commit)."""
    _lines(path, [eintrag.to_json()])


def verwerfen(path: Path, eintrag: Eintrag, grund: str) -> None:
    _lines(path, [json.dumps({"v": VERSION, "art": VERWORFEN, "delivery_id": eintrag.delivery_id,
                              "sha256": eintrag.sha256, "empfangen": eintrag.empfangen.isoformat(),
                              "grund": grund}, ensure_ascii=False, sort_keys=True)])


def lesen(path: Path) -> list[Eintrag]:
    """The deliveries of the journal in the order of their ids, without the revoked ones.
    Raises JournalFehler for a line that is not a journal line. A last line without its line
    end is ignored: the process ended while writing it, before its delivery's commit."""
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    # the part after the last line end: b"", or a line torn while the process ended
    # (written with its line end and made durable before its commit, so never committed)
    lines.pop()
    entries: dict[int, Eintrag] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            art = data.get("art")
            if art == LIEFERUNG:
                eintrag = Eintrag.from_json(data)
                entries[eintrag.delivery_id] = eintrag     # a later line for a reused id wins
            elif art == VERWORFEN:
                old = entries.get(int(data["delivery_id"]))
                if old is not None and old.sha256 == data.get("sha256"):
                    del entries[old.delivery_id]
            else:
                raise ValueError(f"unbekannte Art {art!r}")
        except (ValueError, TypeError, KeyError) as exc:
            raise JournalFehler(f"Das Lieferjournal {path} ist in Zeile {number} nicht lesbar "
                                f"({exc}).") from None
    return [entries[key] for key in sorted(entries)]


def _archive_files(home: Home) -> list[Path]:
    """Delivered files in the archive (not the journal, error reports or temporary files)."""
    if not home.archive.is_dir():
        return []
    return sorted(p for p in home.archive.iterdir()
                  if p.is_file() and p != home.journal and not p.name.endswith(".fehler.txt")
                  and not p.name.endswith(".tmp") and not p.name.startswith("."))


def lieferungen_vorhanden(home: Home) -> bool:
    """Whether the home has received deliveries (journal or archive not empty): then a
    missing warehouse is a lost one, not a new one."""
    if home.journal.exists() and home.journal.stat().st_size > 0:
        return True
    return bool(_archive_files(home))


def archivdateien_ohne_journal(home: Home) -> list[Path]:
    """The archived files no journal line names (all of them when there is no journal)."""
    named = set()
    if home.journal.exists():
        named = {e.archivdatei for e in lesen(home.journal)}
    return [p for p in _archive_files(home) if p.name not in named]


def _from_log(rows) -> list[Eintrag]:
    return [Eintrag(delivery_id=int(r[0]), quelle=r[1], stichtag=r[2], gliederung=r[3],
                    datei=r[4], sha256=r[5], archivdatei=Path(r[6]).name, empfangen=r[7],
                    # `replaced` was `loaded` when it was inserted
                    status="loaded" if r[8] == "replaced" else r[8], zeilen_gesamt=r[9],
                    zeilen_geladen=r[10], zeilen_quarantaene=r[11], gemeinden=r[12],
                    kodierung=r[13], meldung=r[14], eingang=None, regeln=None,
                    nachgetragen=True) for r in rows]


_LOG_COLUMNS = ("delivery_id, source, stichtag, gliederung, file_name, sha256, archive_path, "
                "received_at, status, rows_total, rows_loaded, rows_quarantined, municipalities, "
                "encoding, message")


def nachtragen(con, home: Home) -> int:
    """Write the journal of a warehouse that predates it (an older home), once: every row of
    `raw.delivery_log`. Written to a temporary file and renamed, so a journal is either whole
    or absent. Returns the number of lines written (0: a journal exists or nothing was
    delivered)."""
    if home.journal.exists():
        return 0
    rows = con.execute(f"select {_LOG_COLUMNS} from raw.delivery_log "
                       "order by delivery_id").fetchall()
    if not rows:
        return 0
    tmp = home.journal.with_name(home.journal.name + ".tmp")
    tmp.unlink(missing_ok=True)
    _lines(tmp, [e.to_json() for e in _from_log(rows)])
    tmp.replace(home.journal)
    _fsync_dir(home.journal.parent)
    return len(rows)


def abgleichen(con, home: Home) -> tuple[int, int]:
    """Bring the journal in line with `raw.delivery_log` before new deliveries are loaded:
    a journal line whose delivery is not in the log (its commit never happened) is revoked;
    a row of the log missing from the journal is added. Returns (revoked, added)."""
    if nachtragen(con, home) or not home.journal.exists():
        return 0, 0
    entries = {e.delivery_id: e for e in lesen(home.journal)}
    rows = con.execute(f"select {_LOG_COLUMNS} from raw.delivery_log "
                       "order by delivery_id").fetchall()
    logged = {int(r[0]): r for r in rows}
    revoked = 0
    for delivery_id, eintrag in entries.items():
        row = logged.get(delivery_id)
        if row is None or row[5] != eintrag.sha256 or row[7] != eintrag.empfangen:
            verwerfen(home.journal, eintrag, "nicht im Lieferprotokoll des Warehouse "
                                             "(die Übernahme wurde nicht abgeschlossen)")
            revoked += 1
    missing = _from_log([r for r in rows if int(r[0]) not in entries
                         or entries[int(r[0])].sha256 != r[5]
                         or entries[int(r[0])].empfangen != r[7]])
    if missing:
        _lines(home.journal, [e.to_json() for e in missing])
    return revoked, len(missing)
