"""The settings of a home as the warehouse uses them: the file `config/settings.yaml` read by
`ingestion.settings`, with its engine sections read into the typed configurations of
`dagster_project.lib` (Sozialindex, Geheimhaltung) and of the reports, and checked.

Everything above `ingestion` and `lib` loads settings through `load_settings` here, so a
wrong engine section stops a run with a message that names the file and the key. The dbt
models get the settings as `--vars` (`dbt_vars`).
"""

import csv
from dataclasses import dataclass, fields
from pathlib import Path

from dagster_project.lib.geheimhaltung.config import (
    GeheimhaltungConfig,
    GeheimhaltungConfigError,
    config_from_mapping,
    config_to_vars,
)
from dagster_project.lib.karten import BerichtConfigError, bericht_config
from dagster_project.lib.sozialindex import SozialindexConfig, SozialindexConfigError
from ingestion import settings as _file
from ingestion.settings import DEFAULT_SETTINGS_TEXT, Settings, write_default_settings

__all__ = ["DEFAULT_SETTINGS_TEXT", "BetriebConfig", "Settings", "betrieb_config", "dbt_vars", "geheimhaltung_config",
           "indicator_catalogue", "load_settings", "sozialindex_config",
           "write_default_settings"]

# the indicator catalogue (dbt seed); the Sozialindex may only use computed indicators
KATALOG = Path(__file__).resolve().parent.parent / "dbt_spm" / "seeds" / "indikatoren_katalog.csv"


def load_settings(config_dir: Path) -> Settings:
    """The settings of `config_dir/settings.yaml` (defaults without the file); ValueError
    naming the file and the key when a value, also one of an engine section, is wrong."""
    settings = _file.load_settings(config_dir)
    try:
        sozialindex_config(settings)
        geheimhaltung_config(settings)
        bericht_config(settings.berichte)
        betrieb_config(settings)
    except (SozialindexConfigError, GeheimhaltungConfigError, BerichtConfigError,
            ValueError) as exc:
        raise ValueError(f"{config_dir / 'settings.yaml'}: {exc}") from exc
    return settings


@dataclass(frozen=True)
class BetriebConfig:
    """The section `betrieb:` (docs/betrieb.md)."""

    eingang_ruhezeit_sekunden: int = 120
    laufprotokolle_behalten_tage: int = 90


def betrieb_config(settings: Settings) -> BetriebConfig:
    """The section `betrieb:`, checked (ValueError naming the key)."""
    # a key without a value keeps its default
    section = {k: v for k, v in (settings.betrieb or {}).items() if v is not None}
    known = {f.name for f in fields(BetriebConfig)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ValueError(f"betrieb: unbekannte Einstellung(en): {', '.join(unknown)} "
                         f"(bekannt: {', '.join(sorted(known))})")
    minimum = {"eingang_ruhezeit_sekunden": 0, "laufprotokolle_behalten_tage": 1}
    for key, value in section.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum[key]:
            raise ValueError(f"betrieb.{key}: ganze Zahl ab {minimum[key]} erwartet, nicht "
                             f"{value!r}")
    return BetriebConfig(**section)


def sozialindex_config(settings: Settings) -> SozialindexConfig:
    return SozialindexConfig.from_mapping(settings.sozialindex, katalog=indicator_catalogue())


def geheimhaltung_config(settings: Settings) -> GeheimhaltungConfig:
    return config_from_mapping(dict(settings.geheimhaltung))


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
            "sozialindex": sozialindex_config(settings).to_vars(),
            "geheimhaltung": config_to_vars(geheimhaltung_config(settings))}
