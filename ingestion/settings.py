"""Settings of a home (`<home>/config/settings.yaml`), with the defaults of the spec."""

import csv
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from dagster_project.lib.geheimhaltung.config import (
    GeheimhaltungConfig,
    GeheimhaltungConfigError,
    config_from_mapping,
    config_to_vars,
)
from dagster_project.sozialindex import SozialindexConfig, SozialindexConfigError

# the indicator catalogue (dbt seed); the Sozialindex may only use computed indicators
KATALOG = Path(__file__).resolve().parent.parent / "dbt_spm" / "seeds" / "indikatoren_katalog.csv"

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
    sozialindex: SozialindexConfig = field(default_factory=SozialindexConfig)
    geheimhaltung: GeheimhaltungConfig = field(default_factory=GeheimhaltungConfig)


def load_settings(config_dir: Path) -> Settings:
    path = config_dir / "settings.yaml"
    if not path.exists():
        return Settings()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unbekannte Einstellung(en): {', '.join(unknown)}")
    try:
        if "seu_pool_jahre" in data:
            data["seu_pool_jahre"] = _check_pool_jahre(data["seu_pool_jahre"])
        if "sozialindex" in data:
            data["sozialindex"] = SozialindexConfig.from_mapping(data["sozialindex"],
                                                                 katalog=indicator_catalogue())
        if "geheimhaltung" in data:
            data["geheimhaltung"] = config_from_mapping(data["geheimhaltung"])
    except (SozialindexConfigError, GeheimhaltungConfigError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    return Settings(**data)


def _check_pool_jahre(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SozialindexConfigError(f"seu_pool_jahre: ganze Zahl ab 1 erwartet, nicht {value!r}")
    return value


def indicator_catalogue() -> dict[str, tuple[str, bool]] | None:
    """code -> (einheit, berechnet) of the indicator catalogue (None without the file)."""
    if not KATALOG.exists():
        return None
    with KATALOG.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: (row["einheit"], row["berechnet"].strip().lower() == "true")
                for row in csv.DictReader(handle)}


def dbt_vars(settings: Settings) -> dict:
    """The settings dbt reads as `--vars` (defaults in dbt_spm/dbt_project.yml `vars:`)."""
    return {"seu_pool_jahre": settings.seu_pool_jahre,
            "sozialindex": settings.sozialindex.to_vars(),
            "geheimhaltung": config_to_vars(settings.geheimhaltung)}


def write_default_settings(config_dir: Path) -> None:
    path = config_dir / "settings.yaml"
    if not path.exists():
        config_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(DEFAULT_SETTINGS_TEXT, encoding="utf-8")
