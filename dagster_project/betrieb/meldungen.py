"""The failure message of a run of the nightly job, written once per run and sent to the
office (docs/betrieb.md, "Wenn ein Lauf fehlschlägt").

`melden(home, instance, run_id)` is called by `spm run` after a failed run and by the
run-failure sensor (`defs/fehlersensor.py`) for runs started by the schedule, the inbox
sensor or the web UI. It composes a German plain-text message (what failed, which
deliveries the run received, what to do, which published version stays valid), writes it
to `logs/fehlermeldungen/<JJJJ-MM-TTTHHMMSS>_<lauf8>.txt` and `letzte.json`, and – only the
caller that wrote the file – sends it by e-mail and/or webhook (settings section
`benachrichtigung:`). The file is created by a hard link from a complete temporary file,
so a second caller for the same run finds it and does nothing, and a crash never leaves a
half-written message. A failing notification is recorded in the message file and never
raises.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import smtplib
import ssl
import tempfile
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from dagster_project.betrieb.laufbericht import run_problems
from ingestion import warehouse
from ingestion.home import Home

ORDNER = "fehlermeldungen"
LETZTE = "letzte.json"
AUSLOESER_TAG = "spm/ausloeser"
PASSWORT_VARIABLE = "SPM_SMTP_PASSWORT"
BREITE = 96

AUSLOESER = {
    "spm run": "den Befehl „spm run“",
    "zeitplan": "den nächtlichen Zeitplan (02:00 Uhr)",
    "eingang": "neue Dateien im Eingang (Eingangssensor)",
}
STATUS_TEXT = {"loaded": "geladen", "rejected": "ABGEWIESEN", "duplicate": "bereits geladen",
               "replaced": "geladen, danach durch eine neuere Lieferung ersetzt"}
# steps after publishing: (step key fragment, what it is, what to do)
NACH_VEROEFFENTLICHUNG = {
    "published__postgres": (
        "die Veröffentlichung nach PostgreSQL",
        "Die Verbindung zu PostgreSQL prüfen (postgres_url in config/settings.yaml, läuft der "
        "Server?) und danach „spm publish“ ausführen; ein neuer Lauf ist nicht nötig."),
    "published__berichte": (
        "die Berichte und der Atlas (published/berichte)",
        "Nach der Behebung (siehe Grund oben) die Berichte mit „spm report“ neu erstellen; "
        "ein neuer Lauf ist nicht nötig."),
    "quality__bericht": (
        "der Qualitätsbericht (quality/bericht.html)",
        "Der Qualitätsbericht wird beim nächsten Lauf neu erstellt; die veröffentlichten "
        "Daten sind davon nicht betroffen."),
}
_VOLL = ("no space left on device", "enospc", "errno 28", "disk is full", "disk full",
         "speicherplatz")
# DuckDB's words for a data block it cannot read (the file header is intact: opening the
# file works, the query that reads the block fails)
_BESCHAEDIGT = ("corrupt database file", "does not match stored checksum")


# ---------------------------------------------------------------------------------------
# settings section `benachrichtigung:`


class BenachrichtigungConfigError(ValueError):
    pass


@dataclass(frozen=True)
class EmailConfig:
    an: tuple[str, ...]
    absender: str
    smtp_host: str
    smtp_port: int = 25
    starttls: bool = False
    benutzer: str = ""


@dataclass(frozen=True)
class BenachrichtigungConfig:
    email: EmailConfig | None = None
    webhook: str = ""
    zeitlimit_sekunden: float = 10.0
    kontakt: str = ""


_EMAIL_KEYS = {"an", "absender", "smtp_host", "smtp_port", "starttls", "benutzer"}


def _adresse(prefix: str, value) -> str:
    if not isinstance(value, str) or "@" not in value or any(c.isspace() for c in value.strip()):
        raise BenachrichtigungConfigError(f"{prefix}: E-Mail-Adresse erwartet, nicht {value!r}")
    return value.strip()


def _email_config(data, prefix: str) -> EmailConfig | None:
    if data is None or data == {}:
        return None
    if not isinstance(data, Mapping):
        raise BenachrichtigungConfigError(
            f"{prefix}: Abschnitt mit an, absender, smtp_host erwartet, nicht {data!r}")
    if "passwort" in data or "password" in data:
        raise BenachrichtigungConfigError(
            f"{prefix}.passwort: das Passwort gehört nicht in settings.yaml; es wird aus der "
            f"Umgebungsvariablen {PASSWORT_VARIABLE} gelesen")
    unknown = sorted(set(data) - _EMAIL_KEYS)
    if unknown:
        raise BenachrichtigungConfigError(
            f"{prefix}: unbekannte Einstellung(en): {', '.join(map(str, unknown))}")
    for key in ("an", "absender", "smtp_host"):
        if not data.get(key):
            raise BenachrichtigungConfigError(f"{prefix}.{key}: fehlt")
    an = data["an"]
    an = [an] if isinstance(an, str) else an
    if not isinstance(an, list | tuple):
        raise BenachrichtigungConfigError(
            f"{prefix}.an: Liste von E-Mail-Adressen erwartet, nicht {an!r}")
    empfaenger = tuple(_adresse(f"{prefix}.an", a) for a in an)
    absender = _adresse(f"{prefix}.absender", data["absender"])
    host = data["smtp_host"]
    if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host.strip()):
        raise BenachrichtigungConfigError(
            f"{prefix}.smtp_host: Name oder Adresse des SMTP-Servers erwartet, nicht {host!r}")
    port = data.get("smtp_port", 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise BenachrichtigungConfigError(
            f"{prefix}.smtp_port: ganze Zahl von 1 bis 65535 erwartet, nicht {port!r}")
    starttls = data.get("starttls", False)
    if not isinstance(starttls, bool):
        raise BenachrichtigungConfigError(
            f"{prefix}.starttls: true oder false erwartet, nicht {starttls!r}")
    benutzer = data.get("benutzer") or ""
    if not isinstance(benutzer, str):
        raise BenachrichtigungConfigError(
            f"{prefix}.benutzer: Benutzername erwartet, nicht {benutzer!r}")
    if benutzer and not starttls:
        raise BenachrichtigungConfigError(
            f"{prefix}.benutzer: Anmeldung nur mit starttls: true, damit das Passwort nicht "
            "unverschlüsselt übertragen wird")
    return EmailConfig(an=empfaenger, absender=absender, smtp_host=host.strip(),
                       smtp_port=port, starttls=starttls, benutzer=benutzer.strip())


def benachrichtigung_config(data: Mapping | None,
                            prefix: str = "benachrichtigung") -> BenachrichtigungConfig:
    """The typed section; a wrong value is an error naming the setting (German)."""
    data = dict(data or {})
    unknown = sorted(set(data) - {"email", "webhook", "zeitlimit_sekunden", "kontakt"})
    if unknown:
        raise BenachrichtigungConfigError(
            f"{prefix}: unbekannte Einstellung(en): {', '.join(map(str, unknown))}")
    email = _email_config(data.get("email"), f"{prefix}.email")
    webhook = data.get("webhook") or ""
    if not isinstance(webhook, str) or (webhook and urllib.parse.urlsplit(
            webhook.strip()).scheme not in ("http", "https")) or (
            webhook and not urllib.parse.urlsplit(webhook.strip()).hostname):
        raise BenachrichtigungConfigError(
            f"{prefix}.webhook: Adresse mit http:// oder https:// erwartet, nicht {webhook!r}")
    zeitlimit = data.get("zeitlimit_sekunden", 10)
    if (not isinstance(zeitlimit, int | float) or isinstance(zeitlimit, bool)
            or not 0 < zeitlimit <= 120):
        raise BenachrichtigungConfigError(
            f"{prefix}.zeitlimit_sekunden: Zahl über 0 bis 120 erwartet, nicht {zeitlimit!r}")
    kontakt = data.get("kontakt") or ""
    if not isinstance(kontakt, str):
        raise BenachrichtigungConfigError(f"{prefix}.kontakt: Text erwartet, nicht {kontakt!r}")
    return BenachrichtigungConfig(email=email, webhook=webhook.strip(),
                                  zeitlimit_sekunden=float(zeitlimit), kontakt=kontakt.strip())


def lade_benachrichtigung(home: Home) -> BenachrichtigungConfig:
    """The section of the home's settings; ValueError naming the file and the key."""
    from ingestion.settings import load_settings

    settings = load_settings(home.config)
    try:
        return benachrichtigung_config(settings.benachrichtigung)
    except BenachrichtigungConfigError as exc:
        raise ValueError(f"{home.config / 'settings.yaml'}: {exc}") from exc


# ---------------------------------------------------------------------------------------
# the published version


@dataclass(frozen=True)
class Fassung:
    version: str | None         # None: a published file without version folder (old homes)
    zeitpunkt: dt.datetime      # local time
    lauf_id: str | None

    def text(self) -> str:
        if self.version is None:
            return f"Stand {self.zeitpunkt:%d.%m.%Y %H:%M}"
        return f"Fassung {self.version} vom {self.zeitpunkt:%d.%m.%Y %H:%M}"


def veroeffentlichte_fassung(home: Home) -> Fassung | None:
    """The current published version, or None when nothing is published."""
    if not home.published_db.exists():
        return None
    from dagster_project.publishing.versions import VERSION_FILE, aktuelle_version

    folder = aktuelle_version(home)
    if folder is not None and (folder / VERSION_FILE).is_file():
        meta = json.loads((folder / VERSION_FILE).read_text(encoding="utf-8"))
        when = dt.datetime.fromisoformat(meta["veroeffentlicht_utc"]).astimezone()
        return Fassung(meta["version"], when.replace(tzinfo=None), meta.get("lauf_id"))
    return Fassung(None, dt.datetime.fromtimestamp(home.published_db.stat().st_mtime), None)


def published_version(home: Home) -> str | None:
    """`Fassung <version> vom TT.MM.JJJJ HH:MM` of the current published version, or None."""
    fassung = veroeffentlichte_fassung(home)
    if fassung is None:
        return None
    run = f", Lauf {fassung.lauf_id[:8]}" if fassung.lauf_id else ""
    return fassung.text() + run


# ---------------------------------------------------------------------------------------
# the message


@dataclass(frozen=True)
class Lieferung:
    datei: str
    quelle: str
    stichtag: dt.date | None
    status: str
    zeilen_geladen: int
    zeilen_quarantaene: int
    grund: str
    archiv: str

    def zeile(self) -> str:
        tag = f", Stichtag {self.stichtag:%d.%m.%Y}" if self.stichtag else ""
        if self.quelle == "raumgliederung" and self.stichtag:
            tag = f", gültig ab {self.stichtag:%d.%m.%Y}"
        status = STATUS_TEXT.get(self.status, self.status)
        if self.status in ("loaded", "replaced"):
            status += f", {_de(self.zeilen_geladen)} Zeilen"
            if self.zeilen_quarantaene:
                status += f", {_de(self.zeilen_quarantaene)} in Quarantäne"
        return f"{self.datei} (Quelle {self.quelle}{tag}): {status}"

    def as_json(self) -> dict:
        return {"datei": self.datei, "quelle": self.quelle,
                "stichtag": self.stichtag.isoformat() if self.stichtag else None,
                "status": self.status, "grund": self.grund if self.status == "rejected" else ""}


@dataclass(frozen=True)
class Meldung:
    lauf_id: str
    zeitpunkt: dt.datetime          # start of the run, local time
    ergebnis: str                   # "fehlgeschlagen" | "abgebrochen"
    ausloeser: str                  # the tag value ("spm run", "zeitplan", "eingang", "")
    veroeffentlicht: bool
    gruende: tuple[str, ...]
    lieferungen: tuple[Lieferung, ...] | None   # None: the warehouse could not be read
    hinweise: tuple[str, ...]
    text: str

    @property
    def titel(self) -> str:
        return f"Lauf vom {self.zeitpunkt:%d.%m.%Y %H:%M} {self.ergebnis}"

    @property
    def betreff(self) -> str:
        if self.ergebnis == TEST:
            return "SPM-Data-Warehouse: Testmeldung (kein Fehler)"
        if self.veroeffentlicht:
            return f"SPM-Data-Warehouse: {self.titel} (Daten veröffentlicht)"
        return f"SPM-Data-Warehouse: {self.titel}"

    @property
    def dateiname(self) -> str:
        return f"{self.zeitpunkt:%Y-%m-%dT%H%M%S}_{self.lauf_id[:8]}.txt"


TEST = "test"


def testmeldung(home: Home, kontakt: str = "") -> Meldung:
    """The message `spm testmeldung` sends: it says that it is a test and of which home."""
    jetzt = dt.datetime.now().replace(microsecond=0)
    text = (
        "Testmeldung des SPM-Data-Warehouse (kein Fehler)\n"
        "================================================\n"
        f"Home-Ordner: {home.root}\n"
        f"Gesendet am {jetzt:%d.%m.%Y um %H:%M:%S} mit „spm testmeldung“.\n\n"
        "Diese Nachricht prüft nur die Einstellungen im Abschnitt „benachrichtigung:“ von "
        "config/settings.yaml. Schlägt ein Lauf fehl, kommt die Fehlermeldung auf demselben "
        "Weg.\n"
        + (f"Ansprechpartner bei Fehlern: {kontakt}\n" if kontakt else ""))
    return Meldung(lauf_id="", zeitpunkt=jetzt, ergebnis=TEST, ausloeser="spm testmeldung",
                   veroeffentlicht=False, gruende=(), lieferungen=(), hinweise=(), text=text)


def _de(number: int | float | None) -> str:
    return f"{number or 0:,}".replace(",", ".")


def _local(timestamp: float | None) -> dt.datetime | None:
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp)


def lieferungen_des_laufs(home: Home, von: dt.datetime, bis: dt.datetime
                          ) -> tuple[tuple[Lieferung, ...] | None, str]:
    """The deliveries received between `von` and `bis` (local time) from the warehouse,
    opened read-only; (None, why) when it cannot be read (missing, locked, damaged)."""
    import duckdb

    if not home.warehouse.exists():
        return None, "das Warehouse (warehouse/spm.duckdb) fehlt"
    try:
        con = duckdb.connect(str(home.warehouse), read_only=True)
    except duckdb.Error as exc:
        text = str(exc).lower()
        if "lock" in text:
            return None, "das Warehouse ist gerade von einem anderen Vorgang gesperrt"
        return None, f"das Warehouse ist nicht lesbar ({_erste_zeile(str(exc))})"
    except OSError as exc:
        return None, f"das Warehouse ist nicht lesbar ({exc})"
    try:
        rows = con.execute("""
            select file_name, source, stichtag, status, coalesce(rows_loaded, 0),
                   coalesce(rows_quarantined, 0), coalesce(message, ''), archive_path
            from raw.delivery_log
            where received_at between ? and ?
            order by delivery_id""", [von - dt.timedelta(seconds=1),
                                      bis + dt.timedelta(seconds=1)]).fetchall()
    except duckdb.Error as exc:
        return None, f"das Lieferprotokoll ist nicht lesbar ({_erste_zeile(str(exc))})"
    finally:
        con.close()
    return tuple(Lieferung(*row) for row in rows), ""


def _erste_zeile(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else "unbekannter Fehler"


def _lauf_fehler_text(instance, run_id: str) -> str:
    """The message of the run's failure or cancellation event (e.g. a killed worker)."""
    import dagster as dg

    events = instance.all_logs(run_id, of_type={
        dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_CANCELED})
    for entry in reversed(events):
        message = entry.dagster_event.message if entry.dagster_event else entry.user_message
        if message:
            return _erste_zeile(message)
    return ""


def _quelle_der_pruefung(grund: str) -> str | None:
    """`raw/<source>` of a failed check line of run_problems, else None."""
    start = grund.find("(raw/")
    if not grund.startswith("Prüfung ") or start < 0:
        return None
    return grund[start + len("(raw/"):grund.find(")", start)]


def _hinweise(home: Home, *, gruende: list[str], lieferungen: tuple[Lieferung, ...] | None,
              ergebnis: str, veroeffentlicht: bool, lauf_text: str, kontakt: str,
              lauf_id: str) -> list[str]:
    """What to do, one German paragraph per kind of failure, most specific first."""
    hinweise: list[str] = []
    lieferungen = lieferungen or ()
    alles = " ".join([*gruende, lauf_text]).lower()
    echte = [g for g in gruende if g.startswith(("Prüfung ", "Schritt ", "… und"))]

    voll = any(marke in alles for marke in _VOLL)
    if voll:
        # the fullest of the drives a run writes to (the published zone may be a share of
        # its own)
        frei, ordner = "", home.root
        try:
            platz = {path: shutil.disk_usage(path).free
                     for path in (home.root, home.published, home.warehouse_dir, home.logs)
                     if path.exists()}
            ordner = min(platz, key=platz.get)
            menge = platz[ordner]
            frei = (f" (frei sind noch {menge / 1e9:.1f} GB)" if menge >= 1e9
                    else f" (frei sind noch {menge / 1e6:.1f} MB)").replace(".", ",")
        except (OSError, ValueError):
            pass
        hinweise.append(
            f"Der Speicherplatz des Laufwerks mit {ordner} ist voll{frei}. "
            "Bitte Platz schaffen (z. B. nicht mehr benötigte Dateien; alte Fassungen unter "
            "published/versions/ löscht das Warehouse selbst, siehe versionen_behalten) und "
            "danach „spm run“ erneut starten.")

    beschaedigt = any(marke in alles for marke in _BESCHAEDIGT)
    if beschaedigt:
        hinweise.append(
            f"Ein Datenblock des Warehouse {home.warehouse} ist beschädigt (die Prüfsumme "
            "stimmt nicht; z. B. nach einem Fehler des Speichers oder Dateisystems). Die "
            "Lieferungen sind im Archiv erhalten: bitte das Warehouse mit "
            f"„spm --home {home.root} rebuild --erzwingen“ aus dem Archiv neu aufbauen "
            f"({warehouse.REBUILD_DOC}); das beschädigte wird dabei beiseitegelegt, nicht "
            "gelöscht. Ein neuer Lauf ohne Neuaufbau scheitert wieder.")

    for lieferung in lieferungen:
        if lieferung.status == "rejected":
            hinweise.append(
                f"Die Lieferung {lieferung.datei} wurde abgewiesen; von ihr wurde nichts "
                f"geladen. Bitte bei der liefernden Stelle (Quelle {lieferung.quelle}) eine "
                f"berichtigte Lieferung anfordern und in inbox/{lieferung.quelle}/ legen; der "
                "nächste Lauf lädt sie. Einzelheiten: der Grund oben, die Fehlerdatei "
                f"{Path(lieferung.archiv).name}.fehler.txt in archive/, quality/bericht.html "
                "und docs/betrieb.md (Abschnitt „Lieferungen annehmen“).")

    quellen = sorted({q for q in map(_quelle_der_pruefung, gruende) if q})
    for quelle in quellen:
        neue = [lf.datei for lf in lieferungen if lf.quelle == quelle and lf.status != "rejected"]
        welche = (f" Wahrscheinliche Ursache: die Lieferung {', '.join(neue)} dieses Laufs."
                  if neue else "")
        hinweise.append(
            f"Die Daten der Quelle {quelle} verletzen ihren Datenvertrag.{welche} Bitte bei der "
            f"liefernden Stelle eine berichtigte Lieferung anfordern und in inbox/{quelle}/ "
            "legen (sie ersetzt die frühere Lieferung derselben Gemeinde und desselben "
            "Stichtags). Einzelheiten: quality/bericht.html und docs/betrieb.md.")

    dbt = [g for g in echte if (g.startswith("Prüfung ") and not _quelle_der_pruefung(g))
           or g.startswith("Schritt spm_dbt_assets")]
    if dbt and not voll and not beschaedigt:
        neue = [lf for lf in lieferungen if lf.status in ("loaded", "replaced")]
        ursache = (" Wahrscheinliche Ursache sind die neuen Lieferungen dieses Laufs ("
                   + ", ".join(lf.datei for lf in neue) + "): bitte mit der liefernden Stelle "
                   "klären und eine berichtigte Lieferung in inbox/<quelle>/ legen."
                   if neue else "")
        hinweise.append(
            "Die Berechnung (dbt) hat ein Modell nicht erstellen können oder eine Prüfung ist "
            f"nicht bestanden.{ursache} Einzelheiten: logs/dbt/dbt.log, quality/bericht.html "
            f"und in der Dagster-Oberfläche der Lauf {lauf_id[:8]}. Nach der Behebung "
            "„spm run“ erneut starten.")

    if veroeffentlicht:
        for schritt, (was, tun) in NACH_VEROEFFENTLICHUNG.items():
            if any(g.startswith(f"Schritt {schritt} ") for g in echte):
                hinweise.append(f"Fehlgeschlagen ist nur {was}. {tun}")

    if any("Leckprüfung" in g for g in echte):
        hinweise.append(
            "Die Leckprüfung hat die neue Fassung verworfen (siehe Grund oben): das ist ein "
            "Fehler des Programms oder der Einstellungen, keiner der Lieferung. Bitte "
            + (kontakt or "die technische Betreuung des SPM-Data-Warehouse")
            + " mit dieser Meldung verständigen.")

    if (ergebnis == "abgebrochen" or not echte) and not voll:
        hinweise.append(
            "Der Lauf wurde abgebrochen, bevor ein Schritt fehlschlug (z. B. von Hand in der "
            "Oberfläche, der Prozess wurde beendet oder der Rechner neu gestartet). Es wurde "
            "nichts halb veröffentlicht. Bitte „spm run“ erneut starten.")

    if not hinweise:
        hinweise.append(
            "Die Ursache ist keine der bekannten (Lieferung, Datenvertrag, Berechnung, "
            "Speicherplatz). Bitte diese Meldung an "
            + (kontakt or "die technische Betreuung des SPM-Data-Warehouse")
            + f" weitergeben; Einzelheiten zeigt die Dagster-Oberfläche (Lauf {lauf_id[:8]}).")
    hinweise.append("Den Stand der Lieferungen und Läufe zeigt jederzeit „spm status“.")
    return hinweise


def _absatz(text: str, anfang: str, einzug: str) -> list[str]:
    return textwrap.wrap(text, BREITE, initial_indent=anfang, subsequent_indent=einzug,
                         break_long_words=False, break_on_hyphens=False) or [anfang.rstrip()]


def fehlermeldung(home: Home, instance, run_id: str, kontakt: str = "") -> Meldung:
    """The German message on a failed (or canceled) run, for the office."""
    import dagster as dg

    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise ValueError(f"Lauf {run_id} ist in der Dagster-Instanz {home.dagster_home} "
                         "nicht bekannt")
    run = record.dagster_run
    start = (_local(record.start_time)
             or record.create_timestamp.astimezone().replace(tzinfo=None))
    ende = _local(record.end_time) or dt.datetime.now()
    ergebnis = ("abgebrochen" if run.status in (dg.DagsterRunStatus.CANCELED,
                                                 dg.DagsterRunStatus.CANCELING)
                else "fehlgeschlagen")
    ausloeser = run.tags.get(AUSLOESER_TAG, "")
    veroeffentlicht, gruende = run_problems(instance, run_id)
    lauf_text = _lauf_fehler_text(instance, run_id)
    echte = [g for g in gruende if g.startswith(("Prüfung ", "Schritt ", "… und"))]
    if not echte:
        gruende = ["Der Lauf brach ab, bevor ein Schritt fehlschlug"
                   + (f" ({lauf_text})" if lauf_text else "") + "."]
    lieferungen, lieferfehler = lieferungen_des_laufs(home, start, ende)
    hinweise = _hinweise(home, gruende=gruende, lieferungen=lieferungen, ergebnis=ergebnis,
                         veroeffentlicht=veroeffentlicht, lauf_text=lauf_text, kontakt=kontakt,
                         lauf_id=run_id)
    fassung = veroeffentlichte_fassung(home)

    titel = f"Lauf vom {start:%d.%m.%Y %H:%M} {ergebnis}"
    zeilen = [titel, "=" * len(titel), "",
              f"SPM-Data-Warehouse, Home-Ordner {home.root}",
              f"Gestartet durch: {AUSLOESER.get(ausloeser, ausloeser or 'unbekannt (z. B. die Dagster-Oberfläche)')}",
              f"Lauf-Nr.: {run_id[:8]} ({run_id})",
              f"Beginn: {start:%d.%m.%Y %H:%M:%S}, Ende: {ende:%d.%m.%Y %H:%M:%S}", "",
              "Was ist fehlgeschlagen:"]
    for grund in gruende:
        zeilen += _absatz(grund, "  - ", "    ")
    zeilen += ["", "Lieferungen dieses Laufs:"]
    if lieferungen is None:
        zeilen += _absatz(f"Die Lieferungen dieses Laufs konnten nicht gelesen werden: "
                          f"{lieferfehler}. „spm status“ zeigt sie, sobald das Warehouse "
                          "wieder lesbar ist.", "  ", "  ")
    elif not lieferungen:
        zeilen.append("  In diesem Lauf ist keine neue Lieferung eingegangen.")
    for lieferung in lieferungen or ():
        zeilen += _absatz(lieferung.zeile(), "  - ", "    ")
        if lieferung.status == "rejected":
            zeilen += _absatz(f"Grund: {lieferung.grund}", "    ", "      ")
    zeilen += ["", "Was ist zu tun:"]
    for number, hinweis in enumerate(hinweise, start=1):
        zeilen += _absatz(hinweis, f"  {number}. ", "     ")
    zeilen.append("")
    if veroeffentlicht:
        nach = [g.split(" ")[1] for g in echte if g.startswith("Schritt ")]
        schluss = ("Die Daten dieses Laufs SIND veröffentlicht"
                   + (f" ({fassung.text()})" if fassung else "")
                   + "; die Planungsstellen sehen die neuen Daten. Fehlgeschlagen ist nur ein "
                   "späterer Schritt" + (f" ({', '.join(nach)})" if nach else "") + ".")
    elif fassung is not None:
        schluss = (f"Die zuletzt veröffentlichte Fassung {fassung.text().removeprefix('Fassung ')}"
                   " bleibt gültig; die Planungsstellen lesen weiter diese Fassung.")
    else:
        schluss = ("Es gibt noch keine veröffentlichte Fassung; veröffentlicht wird erst nach "
                   "einem erfolgreichen Lauf.")
    zeilen += _absatz(schluss, "", "")
    return Meldung(lauf_id=run_id, zeitpunkt=start, ergebnis=ergebnis, ausloeser=ausloeser,
                   veroeffentlicht=veroeffentlicht, gruende=tuple(gruende),
                   lieferungen=lieferungen, hinweise=tuple(hinweise),
                   text="\n".join(zeilen) + "\n")


def _notfall_meldung(home: Home, run_id: str, exc: BaseException) -> Meldung:
    """When composing the message itself failed: still a message, never a new exception."""
    jetzt = dt.datetime.now()
    text = (f"Lauf {run_id[:8]} fehlgeschlagen\n\nSPM-Data-Warehouse, Home-Ordner {home.root}\n"
            f"Lauf-Nr.: {run_id}\n\nDie ausführliche Meldung konnte nicht erstellt werden "
            f"({type(exc).__name__}: {_erste_zeile(str(exc))}).\nWas fehlschlug, zeigt "
            "„spm status“ und die Dagster-Oberfläche.\n")
    return Meldung(lauf_id=run_id, zeitpunkt=jetzt, ergebnis="fehlgeschlagen", ausloeser="",
                   veroeffentlicht=False, gruende=(), lieferungen=None, hinweise=(), text=text)


# ---------------------------------------------------------------------------------------
# writing, once per run


def meldungsordner(home: Home) -> Path:
    return home.logs / ORDNER


def meldung_des_laufs(home: Home, run_id: str) -> Path | None:
    """The message file written for this run, or None."""
    folder = meldungsordner(home)
    if not folder.is_dir():
        return None
    found = sorted(folder.glob(f"*_{run_id[:8]}.txt"))
    return found[0] if found else None


def schreiben(home: Home, meldung: Meldung) -> Path | None:
    """Write the message file; None when it exists already (another caller wrote it).

    The complete text goes to a temporary file first, then a hard link gives it its name:
    the link fails when the name exists, so exactly one caller wins and no reader ever sees
    a half-written message."""
    folder = meldungsordner(home)
    folder.mkdir(parents=True, exist_ok=True)
    ziel = folder / meldung.dateiname
    # one temporary name per caller: threads of one process (the sensor and `spm run` in
    # `dagster dev`) must not share it, or one caller's clean-up removes another's file
    fd, name = tempfile.mkstemp(prefix=f".{ziel.name}.", suffix=".tmp", dir=folder)
    tmp = Path(name)
    os.chmod(fd, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(meldung.text)
    try:
        try:
            os.link(tmp, ziel)
        except FileExistsError:
            return None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP):
                raise
            try:    # a file system without hard links: exclusive create
                fd = os.open(ziel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            except FileExistsError:
                return None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(meldung.text)
    finally:
        tmp.unlink(missing_ok=True)
    _letzte_schreiben(home, meldung, ziel)
    return ziel


def _letzte_schreiben(home: Home, meldung: Meldung, datei: Path,
                      benachrichtigung: list[str] | None = None) -> None:
    """`letzte.json`: the newest message (an older run's message written later, e.g. by the
    sensor catching up, does not replace it)."""
    path = meldungsordner(home) / LETZTE
    try:
        alt = json.loads(path.read_text(encoding="utf-8"))
        if alt.get("lauf_id") != meldung.lauf_id and alt.get("zeitpunkt", "") > \
                meldung.zeitpunkt.isoformat(timespec="seconds"):
            return
    except (OSError, ValueError, AttributeError):
        pass
    data = {"lauf_id": meldung.lauf_id,
            "zeitpunkt": meldung.zeitpunkt.isoformat(timespec="seconds"),
            "text": meldung.text, "datei": str(datei),
            "betreff": meldung.betreff, "veroeffentlicht": meldung.veroeffentlicht,
            "hinweise": list(meldung.hinweise),
            "benachrichtigung": benachrichtigung or []}
    tmp = path.with_name(f".{LETZTE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------
# notification


def _ziel(url: str) -> str:
    """scheme://host[:port] of a webhook (its path may hold a token: never logged)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def email_senden(config: EmailConfig, meldung: Meldung, zeitlimit: float) -> str:
    """Send the message; returns the German log line. Raises on failure."""
    mail = EmailMessage()
    mail["Subject"] = meldung.betreff
    mail["From"] = config.absender
    mail["To"] = ", ".join(config.an)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=config.absender.rsplit("@", 1)[-1])
    mail.set_content(meldung.text, cte="quoted-printable")
    passwort = os.environ.get(PASSWORT_VARIABLE, "")
    if config.benutzer and not passwort:
        raise RuntimeError(f"Benutzer {config.benutzer} ist eingestellt, aber die "
                           f"Umgebungsvariable {PASSWORT_VARIABLE} ist nicht gesetzt")
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=zeitlimit) as smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.benutzer:
            smtp.login(config.benutzer, passwort)
        smtp.send_message(mail)
    return (f"E-Mail an {', '.join(config.an)} gesendet (SMTP-Server "
            f"{config.smtp_host}:{config.smtp_port}).")


def webhook_senden(url: str, meldung: Meldung, datei: Path | None, zeitlimit: float) -> str:
    """POST the message as JSON; returns the German log line. Raises on failure."""
    body = json.dumps({
        "text": meldung.text, "betreff": meldung.betreff, "lauf_id": meldung.lauf_id,
        "zeitpunkt": meldung.zeitpunkt.isoformat(timespec="seconds"),
        "ergebnis": meldung.ergebnis, "ausloeser": meldung.ausloeser,
        "veroeffentlicht": meldung.veroeffentlicht, "datei": str(datei) if datei else None,
        "lieferungen": [lf.as_json() for lf in meldung.lieferungen or ()],
    }, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "spm-warehouse"})
    with urllib.request.urlopen(request, timeout=zeitlimit) as response:  # noqa: S310 - http(s) only, checked in the settings
        status = response.status
    if not 200 <= status < 300:
        raise RuntimeError(f"Antwort {status}")
    return f"Webhook {_ziel(url)} benachrichtigt (Antwort {status})."


def _fehlertext(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"Antwort {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError | ConnectionError | OSError) and not str(exc):
        return type(exc).__name__
    return f"{_erste_zeile(str(exc))} ({type(exc).__name__})"


def benachrichtigen(config: BenachrichtigungConfig, meldung: Meldung,
                    datei: Path | None) -> list[str]:
    """Send by e-mail and webhook as set; German lines of what happened. Never raises."""
    protokoll = []
    if config.email is not None:
        try:
            protokoll.append(email_senden(config.email, meldung, config.zeitlimit_sekunden))
        except Exception as exc:  # noqa: BLE001 - the run's failure is what matters
            protokoll.append(f"E-Mail an {', '.join(config.email.an)} NICHT gesendet (SMTP-Server "
                             f"{config.email.smtp_host}:{config.email.smtp_port}): "
                             f"{_fehlertext(exc)}.")
    if config.webhook:
        try:
            protokoll.append(webhook_senden(config.webhook, meldung, datei,
                                            config.zeitlimit_sekunden))
        except Exception as exc:  # noqa: BLE001
            protokoll.append(f"Webhook {_ziel(config.webhook)} NICHT benachrichtigt: "
                             f"{_fehlertext(exc)}.")
    return protokoll


# ---------------------------------------------------------------------------------------
# the one entry point of `spm run` and the sensor


@dataclass
class Gemeldet:
    meldung: Meldung
    datei: Path | None              # the message file (also when another caller wrote it)
    neu: bool                       # this caller wrote it (and notified)
    protokoll: list[str] = field(default_factory=list)   # notification and writing lines

    @property
    def ausgabe(self) -> str:
        """The message and what happened to it, for the console."""
        lines = [self.meldung.text.rstrip("\n"), ""]
        if self.datei is not None:
            lines.append(f"Meldung gespeichert: {self.datei}" if self.neu else
                         f"Meldung bereits gespeichert: {self.datei}")
        lines += self.protokoll
        return "\n".join(lines)


def melden(home: Home, instance, run_id: str) -> Gemeldet:
    """Compose, write (once per run) and send the message on a failed run. Never raises:
    whatever goes wrong here is recorded in the result (and the file) instead."""
    protokoll: list[str] = []
    try:
        config = lade_benachrichtigung(home)
    except Exception as exc:  # noqa: BLE001 - settings broken: still write the message
        config = None
        protokoll.append(f"Benachrichtigung nicht möglich: {_erste_zeile(str(exc))}")
    vorhanden = meldung_des_laufs(home, run_id)
    try:
        meldung = fehlermeldung(home, instance, run_id, kontakt=config.kontakt if config else "")
    except Exception as exc:  # noqa: BLE001
        meldung = _notfall_meldung(home, run_id, exc)
    if vorhanden is not None:
        return Gemeldet(meldung, vorhanden, neu=False)
    try:
        datei = schreiben(home, meldung)
    except OSError as exc:
        protokoll.append(f"Die Meldung konnte nicht in {meldungsordner(home)} gespeichert "
                         f"werden: {exc}")
        datei, neu = None, True     # nobody has it: notify anyway
    else:
        if datei is None:
            return Gemeldet(meldung, meldung_des_laufs(home, run_id), neu=False)
        neu = True
    if config is not None:
        protokoll += benachrichtigen(config, meldung, datei)
    if datei is not None and protokoll:
        try:
            with datei.open("a", encoding="utf-8") as handle:
                handle.write("\nBenachrichtigung:\n"
                             + "".join(f"  {line}\n" for line in protokoll))
            _letzte_schreiben(home, meldung, datei, protokoll)
        except OSError:
            pass
    return Gemeldet(meldung, datei, neu=neu, protokoll=protokoll)


def status_zeilen(home: Home, instance, run_id: str) -> list[str]:
    """For `spm status` on a failed newest run: what to do and where the message is."""
    import dagster as dg

    record = instance.get_run_record_by_id(run_id)
    if record is None or record.dagster_run.status not in (dg.DagsterRunStatus.FAILURE,
                                                           dg.DagsterRunStatus.CANCELED):
        return []
    try:
        config = lade_benachrichtigung(home)
        kontakt = config.kontakt
    except Exception:  # noqa: BLE001
        kontakt = ""
    try:
        meldung = fehlermeldung(home, instance, run_id, kontakt=kontakt)
    except Exception:  # noqa: BLE001
        return []
    lines = ["  Was ist zu tun:"]
    # (without the last hint: "spm status" shows the state)
    for number, hinweis in enumerate(meldung.hinweise[:-1], start=1):
        lines += _absatz(hinweis, f"    {number}. ", "       ")
    return lines

