"""Settings of a home (`<home>/config/settings.yaml`), with the defaults of the spec.

This module reads the file and checks the plain settings that loading uses. The sections
`sozialindex` and `geheimhaltung` configure engines of `dagster_project.lib`; they stay
mappings here (ingestion does not import the orchestrator package) and are read into their
typed configurations, with their checks, by `dagster_project.settings`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

DEFAULT_SETTINGS_TEXT = """\
# Einstellungen des SPM-Data-Warehouse (Statistikstelle).
# Nicht gesetzte Werte gelten mit ihrer Voreinstellung.

# Anteil fehlerhafter Zeilen, ab dem eine ganze Datei abgewiesen wird (0.05 = 5 %).
quarantaene_schwelle: 0.05

# Höchstalter; ältere Personen sind Zeilenfehler.
hoechstalter: 115

# Mindestanteil (in %) der Datensätze einer Lieferung (je Quelle, Stichtag und Gemeinde),
# deren Adresse im Adressregister gefunden wird; darunter wird die Lieferung markiert.
min_zuordnungsquote: 95

# Anzahl der veröffentlichten Fassungen, die in published/versions/ aufbewahrt werden
# (die neueste ist die aktuelle); ältere werden nach einer Veröffentlichung gelöscht.
versionen_behalten: 10

# Veröffentlichung zusätzlich nach PostgreSQL (leer: keine Veröffentlichung dorthin).
# Verbindung der Statistikstelle, z. B. postgresql://spm_publisher@db.kreis.local/spm;
# das Passwort besser in ~/.pgpass oder PGPASSWORD als hier. Das Passwort der Leserolle
# spm_leser setzt die Umgebungsvariable SPM_POSTGRES_LESER_PASSWORT (siehe docs/sql-zugang.md).
postgres_url: ""
# Schema der veröffentlichten Tabellen in PostgreSQL (wird bei jeder Veröffentlichung ersetzt).
postgres_schema: spm_public

# Schuleingangsuntersuchung: Zahl der Einschulungsjahrgänge, die für die Indikatoren G01–G11
# zusammengefasst werden (das Berichtsjahr und die vorangehenden).
seu_pool_jahre: 3

# Sozialindex (Berliner Verfahren des Monitorings Soziale Stadtentwicklung): je Gliederung
# und Berichtsjahr werden die Indikatoren über alle Räume z-standardisiert, gewichtet
# summiert und die Summe erneut z-standardisiert. Räume „ohne Zuordnung“ zählen nie mit.
sozialindex:
  # Statusindikatoren (Code aus dem Indikatorenkatalog: Gewicht). Nur berechnete Anteile.
  indikatoren:
    S07: 1.0   # Arbeitslose im SGB II (%)
    S03: 1.0   # SGB II-Quote (%)
    S04: 1.0   # Kinder unter 15 im SGB II-Bezug (%)
  # Räume mit weniger Einwohnerinnen und Einwohnern (B01) bekommen keinen Index.
  min_einwohner: 300
  # Räume, die ausdrücklich nicht mitzählen (Raum-IDs in Anführungszeichen), z. B.
  # ["05999004-SR03"] für einen Raum mit einer großen Gemeinschaftsunterkunft.
  ausreisser: []
  # Klassen des Status-Index: hoch unter -1; mittel von -1 bis +1; niedrig über +1 bis
  # +1,5; sehr niedrig über +1,5.
  status_schwellen: [-1.0, 1.0, 1.5]
  # Klassen des Dynamik-Index: positiv unter -1; stabil von -1 bis unter +1; negativ ab +1.
  dynamik_schwellen: [-1.0, 1.0]
  # Dynamik: Veränderung jedes Indikators in Prozentpunkten über so viele Berichtsjahre.
  dynamik_jahre: 2

# Geheimhaltung (siehe docs/datenschutz.md): Regeln für die Veröffentlichung sensibler Werte.
geheimhaltung:
  # Fallzahlen von 1 bis unter min_count werden gesperrt (0 wird veröffentlicht).
  min_count: 3
  # Quoten mit einem Nenner unter min_nenner werden gesperrt (außer 0; Nenner werden nie
  # gesperrt).
  min_nenner: 10
  # Geldsummen, bei denen der größte Einzelfall mehr als diesen Anteil ausmacht, werden
  # gesperrt (Dominanzregel).
  dominanz_anteil: 0.85
  # Schutzbereich: kein primär gesperrter Wert darf aus den veröffentlichten Tabellen
  # genauer als auf plus/minus so viele Fälle eingegrenzt werden können.
  schutzbereich: 2

# Berichte und Atlas (published/berichte/, siehe docs/berichte.md): Klassen der Karten.
berichte:
  # quantile (gleich viele Räume je Klasse), gleich (gleiche Intervalle) oder stdabw
  # (Standardabweichungen um den Mittelwert); berechnet über alle Räume des Kreises.
  klassen: quantile
  # Zahl der Klassen (3 bis 7).
  anzahl_klassen: 5
  # Eigene Farben, hell bis dunkel, so viele wie Klassen (leer: Voreinstellung), z. B.
  # farben: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
  farben: []
  # Gliederung der Karten.
  gliederung: sozialraum

# Lieferfristen (siehe docs/betrieb.md): je Quelle, wie oft geliefert wird
# (intervall_monate, ganze Zahl ab 1) und wie viele Tage nach dem nächsten Stichtag die
# Lieferung spätestens da sein soll (frist_tage, ganze Zahl ab 0). Nächster Stichtag =
# neuester geladener Stichtag + intervall_monate, je Gemeinde, die die Quelle liefert. Ist
# die Lieferung nach der Frist nicht da, meldet spm status sie als überfällig (Exit-Code 1);
# eine eingetragene Quelle ohne jede Lieferung ebenso. Quellen ohne Eintrag werden nicht
# überwacht; raumgliederung ist nicht möglich (kein Stichtag). Beispiel:
#   einwohner: {intervall_monate: 12, frist_tage: 90}
#   sgb2: {intervall_monate: 12, frist_tage: 120}
lieferfristen: {}

# Benachrichtigung, wenn ein Lauf fehlschlägt. Die Meldung steht immer in
# logs/fehlermeldungen/ und in spm status; hier zusätzlich per E-Mail und/oder Webhook.
benachrichtigung:
  # E-Mail über einen SMTP-Server der Verwaltung (leer: keine E-Mail), z. B.
  #   email:
  #     an: [statistik@kreis.example]
  #     absender: spm@kreis.example
  #     smtp_host: mail.kreis.example
  #     smtp_port: 25            # 587 mit starttls: true
  #     starttls: false          # verschlüsselte Verbindung (STARTTLS)
  #     benutzer: ""             # Anmeldung (nur mit starttls); das Passwort steht nie
  #                              # hier, sondern in der Umgebungsvariablen SPM_SMTP_PASSWORT
  email: {}
  # Webhook: Adresse, an die die Meldung als JSON gesendet wird (HTTP POST, Feld "text"),
  # z. B. für einen Chat-Kanal der Statistikstelle (leer: keiner).
  webhook: ""
  # Höchstens so viele Sekunden Warten auf den Mailserver bzw. den Webhook.
  zeitlimit_sekunden: 10
  # Wer bei unbekannten Fehlern hilft; steht in der Meldung, z. B. "IT-Service, Tel. 1234".
  kontakt: ""

# Betrieb des nächtlichen Laufs.
betrieb:
  # Der Eingangssensor startet einen Lauf erst, wenn sich im Eingang so viele Sekunden lang
  # nichts mehr geändert hat (ein Lauf für mehrere Dateien einer Lieferung).
  eingang_ruhezeit_sekunden: 120
  # Laufprotokolle des Orchestrators (Dagster) und Fehlermeldungen in logs/ werden nach so
  # vielen Tagen gelöscht.
  laufprotokolle_behalten_tage: 90
"""


@dataclass(frozen=True)
class Settings:
    quarantaene_schwelle: float = 0.05
    hoechstalter: int = 115
    min_zuordnungsquote: float = 95.0
    versionen_behalten: int = 10
    postgres_url: str = ""
    postgres_schema: str = "spm_public"
    seu_pool_jahre: int = 3
    # engine sections as written in the file (empty: the engine's defaults); typed and
    # checked by dagster_project.settings
    sozialindex: Mapping = field(default_factory=dict)
    geheimhaltung: Mapping = field(default_factory=dict)
    berichte: Mapping = field(default_factory=dict)
    # operations sections (dagster_project/betrieb/): overdue sources, failure notification,
    # sensor and retention
    lieferfristen: Mapping = field(default_factory=dict)
    benachrichtigung: Mapping = field(default_factory=dict)
    betrieb: Mapping = field(default_factory=dict)


def load_settings(config_dir: Path) -> Settings:
    path = config_dir / "settings.yaml"
    if not path.exists():
        return Settings()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: Einstellungen (Schlüssel: Wert) erwartet, nicht {data!r}")
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unbekannte Einstellung(en): {', '.join(unknown)}")
    if "seu_pool_jahre" in data:
        data["seu_pool_jahre"] = _check_pool_jahre(path, data["seu_pool_jahre"])
    for section in ("sozialindex", "geheimhaltung", "berichte", "lieferfristen",
                    "benachrichtigung", "betrieb"):
        if section in data:
            data[section] = _section(path, section, data[section])
    return Settings(**data)


def _check_pool_jahre(path: Path, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{path}: seu_pool_jahre: ganze Zahl ab 1 erwartet, nicht {value!r}")
    return value


def _section(path: Path, name: str, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{path}: {name}: Abschnitt mit Einstellungen erwartet, nicht "
                         f"{value!r}")
    return value


def write_default_settings(config_dir: Path) -> None:
    path = config_dir / "settings.yaml"
    if not path.exists():
        config_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(DEFAULT_SETTINGS_TEXT, encoding="utf-8")
