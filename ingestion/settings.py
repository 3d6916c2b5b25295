"""Settings of a home (`<home>/config/settings.yaml`), with the defaults of the spec."""

from dataclasses import dataclass, fields
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
"""


@dataclass(frozen=True)
class Settings:
    quarantaene_schwelle: float = 0.05
    hoechstalter: int = 115
    min_zuordnungsquote: float = 95.0


def load_settings(config_dir: Path) -> Settings:
    path = config_dir / "settings.yaml"
    if not path.exists():
        return Settings()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unbekannte Einstellung(en): {', '.join(unknown)}")
    return Settings(**data)


def write_default_settings(config_dir: Path) -> None:
    path = config_dir / "settings.yaml"
    if not path.exists():
        config_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(DEFAULT_SETTINGS_TEXT, encoding="utf-8")
