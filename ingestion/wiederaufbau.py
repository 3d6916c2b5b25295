"""Rebuilding the raw zone of a lost or damaged warehouse from the archive and the delivery
journal (`spm rebuild`, dagster_project/cli/rebuild.py; docs/betrieb.md).

1. `pruefen`: the journal (`archive/lieferungen.jsonl`, journal.py) and every archived file
   a loaded delivery needs: present and with the SHA-256 the journal names. Anything
   missing stops the rebuild before it changes a file.
2. `wiedergeben`: the deliveries in the order of their ids into a new warehouse file:
   - a loaded delivery is loaded again by the loader (`loader.Wiedergabe`): under its
     original file name, from its inbox folder, with its arrival time and the rules it was
     loaded with (quarantine threshold, maximum age, the mapping file's text);
     consecutive ones together, as the nightly load batches them (the outcome does not
     depend on the batches, tests/ingestion/test_stapel.py); replacements of earlier
     deliveries of the same source, Stichtag and municipality happen as they did;
   - a rejected or duplicate delivery added nothing but its row of `raw.delivery_log`, which
     is inserted as recorded (a rule changed since must not turn it into a loaded one);
   - ids that were drawn but never committed (a rolled-back load) are skipped again, so
     every delivery keeps its id;
   - every outcome is compared with the journal: a difference (a rule or the loader's code
     changed since) stops the rebuild (`WiederaufbauFehler`), unless differences are
     allowed (`spm rebuild --abweichungen-erlauben`), then they are reported.
"""

import dataclasses
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion import journal, loader
from ingestion.home import Home
from ingestion.journal import Eintrag
from ingestion.mappings import MAPPING_DIR
from ingestion.settings import load_settings


class WiederaufbauFehler(RuntimeError):
    """The replay gave another outcome than the journal records (German message)."""


@dataclass
class Befund:
    """What the archive holds for a rebuild."""

    eintraege: list[Eintrag] = field(default_factory=list)
    fehlend: list[str] = field(default_factory=list)    # cannot be restored: stop
    hinweise: list[str] = field(default_factory=list)   # not needed for the values


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _label(e: Eintrag) -> str:
    return f"Lieferung {e.delivery_id} ({e.datei}, empfangen {e.empfangen:%d.%m.%Y %H:%M})"


def pruefen(home: Home) -> Befund:
    """The journal's deliveries and what of them cannot be restored (German lines)."""
    befund = Befund()
    if not home.journal.exists():
        files = journal.archivdateien_ohne_journal(home)
        befund.fehlend.append(
            f"Es gibt kein Lieferjournal ({home.journal}): für die {len(files)} Datei(en) im "
            "Archiv ist nicht bekannt, welche Lieferung (Quelle, Stichtag, Dateiname, "
            "Eingangszeit) sie waren.")
        befund.fehlend += [f"{home.archive.name}/{p.name}: Lieferung unbekannt" for p in files]
        return befund
    try:
        befund.eintraege = journal.lesen(home.journal)
    except journal.JournalFehler as exc:
        befund.fehlend.append(str(exc))
        return befund
    checked: dict[str, str | None] = {}
    for e in befund.eintraege:
        if e.archivdatei not in checked:
            path = home.archive / e.archivdatei
            checked[e.archivdatei] = _sha256(path) if path.is_file() else None
        actual = checked[e.archivdatei]
        if actual == e.sha256:
            continue
        problem = (f"die Archivdatei {home.archive.name}/{e.archivdatei} fehlt" if actual is None
                   else f"die Archivdatei {home.archive.name}/{e.archivdatei} ist verändert "
                        "(ihre Prüfsumme SHA-256 stimmt nicht mit dem Lieferjournal überein)")
        if e.status == "loaded":
            befund.fehlend.append(f"{_label(e)}: {problem}.")
        else:
            befund.hinweise.append(f"{_label(e)}, {_STATUS[e.status]}: {problem}; für den "
                                   "Neuaufbau nicht nötig (die Datei brachte keine Zeilen).")
    return befund


_STATUS = {"loaded": "geladen", "rejected": "abgewiesen", "duplicate": "doppelt"}


def _rules_key(e: Eintrag) -> tuple:
    regeln = e.regeln or {}
    return (e.regeln is None, regeln.get("quarantaene_schwelle"), regeln.get("hoechstalter"))


def _groups(eintraege: list[Eintrag]) -> list[list[Eintrag]]:
    """Runs of loaded deliveries with consecutive ids and the same rules (one mapping text per
    source), each to be loaded by one call of the loader; every other delivery alone."""
    groups: list[list[Eintrag]] = []
    mappings: dict[str, str | None] = {}
    for e in eintraege:
        last = groups[-1] if groups else None
        fits = (last is not None and e.status == "loaded" and last[-1].status == "loaded"
                and e.delivery_id == last[-1].delivery_id + 1
                and _rules_key(e) == _rules_key(last[0])
                and mappings.get(e.quelle, (e.regeln or {}).get("zuordnung"))
                == (e.regeln or {}).get("zuordnung"))
        if not fits:
            groups.append([])
            mappings = {}
        groups[-1].append(e)
        mappings[e.quelle] = (e.regeln or {}).get("zuordnung")
    return groups


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _differences(e: Eintrag, result: loader.IngestResult) -> list[str]:
    recorded = {"Status": e.status, "Lieferung": e.delivery_id, "Quelle": e.quelle,
                "Stichtag": e.stichtag, "Zeilen": e.zeilen_gesamt,
                "geladene Zeilen": e.zeilen_geladen, "Zeilen in Quarantäne": e.zeilen_quarantaene,
                "Gemeinden": e.gemeinden or "", "Meldung": e.meldung}
    now = {"Status": result.status, "Lieferung": result.delivery_id, "Quelle": result.source,
           "Stichtag": result.stichtag, "Zeilen": result.rows_total,
           "geladene Zeilen": result.rows_loaded, "Zeilen in Quarantäne": result.rows_quarantined,
           "Gemeinden": ",".join(result.municipalities),
           "Meldung": "; ".join([result.message] + result.warnings)}
    return [f"{name}: jetzt {now[name]!r}, ursprünglich {value!r}"
            for name, value in recorded.items() if now[name] != value]


def _cause(e: Eintrag) -> str:
    if e.regeln is None:
        return ("Die Regeln, mit denen sie damals geladen wurde, stehen nicht im Lieferjournal "
                "(es wurde aus dem alten Warehouse nachgetragen): wurden seither "
                "quarantaene_schwelle oder hoechstalter in config/settings.yaml oder eine "
                "Zuordnungsdatei in config/mappings/ geändert, bitte die damalige Fassung "
                "wiederherstellen; sonst hat sich das Programm geändert")
    return ("Die Regeln der Lieferung sind im Lieferjournal festgehalten; geändert hat sich "
            "also das Programm (die Prüfungen beim Laden)")


def wiedergeben(con: duckdb.DuckDBPyConnection, home: Home, eintraege: list[Eintrag],
                progress: Callable[[str], None] | None = None,
                abweichungen_erlauben: bool = False) -> list[str]:
    """Load the journal's deliveries into the new warehouse open in `con` (raw schema
    created, nothing loaded). Returns the differences allowed (German lines); raises
    WiederaufbauFehler on the first difference otherwise."""
    settings = load_settings(home.config)
    say = progress or (lambda message: None)
    allowed: list[str] = []
    naechste = 1          # the id the sequence gives next
    total = len(eintraege)
    done = 0
    with tempfile.TemporaryDirectory(dir=home.warehouse_dir, prefix=".neuaufbau-") as tmp:
        tmp = Path(tmp)
        for group in _groups(eintraege):
            first = group[0].delivery_id
            if first < naechste:
                raise WiederaufbauFehler(
                    f"Das Lieferjournal {home.journal} nennt die Lieferung {first} zweimal.")
            if first > naechste:    # ids drawn by loads that were rolled back
                con.execute("select max(nextval('raw.delivery_seq')) from range(?)",
                            [first - naechste])
            if group[0].status != "loaded":
                e = group[0]
                drawn = int(con.execute("select nextval('raw.delivery_seq')").fetchone()[0])
                assert drawn == e.delivery_id, (drawn, e.delivery_id)
                con.execute("insert into raw.delivery_log values "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            e.log_row(home.archive))
                results = [None]
            else:
                if len(group) > 1:
                    say(f"Lade die Lieferungen {first} bis {group[-1].delivery_id} …")
                results = _load(con, home, group, settings, tmp)
            for e, result in zip(group, results, strict=True):
                done += 1
                problems = _differences(e, result) if result is not None else []
                if problems:
                    text = (f"{_label(e)} ergibt beim Neuaufbau ein anderes Ergebnis als "
                            f"ursprünglich: {'; '.join(problems)}. {_cause(e)}.")
                    if not abweichungen_erlauben:
                        raise WiederaufbauFehler(text)
                    allowed.append(text)
                shown = _STATUS.get(result.status if result else e.status, e.status)
                rows = f", {e.zeilen_geladen} Zeilen" if e.status == "loaded" else ""
                say(f"[{done}/{total}] Lieferung {e.delivery_id}: "
                    f"{(e.eingang or e.quelle)}/{e.datei} (empfangen "
                    f"{e.empfangen:%d.%m.%Y %H:%M}): {shown}{rows}")
            naechste = group[-1].delivery_id + 1
    allowed += _compare_log(con, home, eintraege, abweichungen_erlauben)
    return allowed


def _load(con, home: Home, group: list[Eintrag], settings, tmp: Path) -> list:
    """One call of the loader for a group of loaded deliveries (see `_groups`)."""
    files, empfangen = [], {}
    for e in group:
        folder = tmp / str(e.delivery_id)
        folder.mkdir()
        path = folder / Path(e.datei).name
        _link(home.archive / e.archivdatei, path)
        files.append((e.eingang, path))
        empfangen[path] = e.empfangen
    regeln = group[0].regeln
    config = home.config
    if regeln is not None:
        settings = dataclasses.replace(settings,
                                       quarantaene_schwelle=regeln["quarantaene_schwelle"],
                                       hoechstalter=regeln["hoechstalter"])
        config = tmp / f"config-{group[0].delivery_id}"
        (config / MAPPING_DIR).mkdir(parents=True)
        for e in group:
            text = (e.regeln or {}).get("zuordnung")
            if text is not None:
                (config / MAPPING_DIR / f"{e.quelle}.yaml").write_text(text, encoding="utf-8")
    try:
        return loader.ingest_files(con, home, files, settings,
                                   wiedergabe=loader.Wiedergabe(empfangen, config))
    finally:
        for path in empfangen:
            path.unlink(missing_ok=True)


def _compare_log(con, home: Home, eintraege: list[Eintrag], erlauben: bool) -> list[str]:
    """The whole `raw.delivery_log` against the journal (a delivery replaced later is
    `replaced` now, as it was in the lost warehouse)."""
    cursor = con.execute("select * from raw.delivery_log order by delivery_id")
    columns = [d[0] for d in cursor.description]
    rows = {int(r[0]): list(r) for r in cursor.fetchall()}
    problems = []
    extra = sorted(set(rows) - {e.delivery_id for e in eintraege})
    if extra:
        problems.append(f"Das Lieferprotokoll des neuen Warehouse hat Lieferungen, die das "
                        f"Lieferjournal nicht nennt: {', '.join(map(str, extra))}.")
    for e in eintraege:
        row = rows.get(e.delivery_id)
        if row is None:
            problems.append(f"{_label(e)} fehlt im Lieferprotokoll des neuen Warehouse.")
            continue
        expected = e.log_row(home.archive)
        if e.status == "loaded" and row[8] == "replaced":
            expected[8] = "replaced"
        differing = [f"{name} jetzt {now!r}, ursprünglich {then!r}"
                     for name, now, then in zip(columns, row, expected, strict=True)
                     if now != then]
        if differing:
            problems.append(f"{_label(e)}: im Lieferprotokoll {'; '.join(differing)}.")
    if problems and not erlauben:
        raise WiederaufbauFehler(" ".join(problems[:5]))
    return problems
