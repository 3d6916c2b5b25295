"""Rules, statuses and errors of disclosure control (no dependency on the other modules)."""

import json
from dataclasses import asdict, dataclass

OK = "ok"
GESPERRT = "gesperrt"          # the one published status of every suppressed cell
VERBORGEN = "verborgen"        # an auxiliary unknown, never published, never checked
PRIMAER = "primaer"            # kind of suppression: private (suppression log) only
SEKUNDAER = "sekundaer"
WERT_ARTEN = ("anzahl", "anteil", "geld")
# levels of an area, for the cost of secondary suppression (`ebene` of a cell)
EBENEN = ("oz", "raum", "kommune", "kreis")

# Bump when a change of the engine can change a suppression pattern: cached patterns of
# an older engine are then computed anew.
ENGINE_VERSION = "4"


class GeheimhaltungError(ValueError):
    """Inputs that violate the engine's contract, or protection that cannot be reached."""


class GeheimhaltungConfigError(ValueError):
    """A configuration that cannot be used (German message naming the key)."""


@dataclass(frozen=True)
class GeheimhaltungConfig:
    """The rules' parameters (the defaults are the spec's); logged with every suppression."""

    min_count: int = 3
    min_nenner: int = 10
    dominanz_anteil: float = 0.85
    # protection range of primary counts and numerators: ± around the true value
    schutzbereich: float = 2
    # protection range of primary money cells: ± this share of the true value, at least
    # schutzbereich_geld_min EUR
    schutzbereich_geld_anteil: float = 0.1
    schutzbereich_geld_min: float = 1.0
    max_runden: int = 100
    regelwerk_version: str = "2"

    def __post_init__(self):
        # one spelling per value (2 and 2.0 are the same rules, and hash alike)
        for name in ("dominanz_anteil", "schutzbereich", "schutzbereich_geld_anteil",
                     "schutzbereich_geld_min"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.min_count < 1 or self.min_nenner < 0 or not 0 < self.dominanz_anteil <= 1:
            raise ValueError("invalid thresholds")
        if self.schutzbereich <= 0 or self.schutzbereich_geld_anteil < 0 \
                or self.schutzbereich_geld_min <= 0 or self.max_runden < 1:
            raise ValueError("schutzbereich and schutzbereich_geld_min must be positive")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


# settings.yaml section `geheimhaltung:` (dbt var `geheimhaltung`): key -> (type, min, max)
EINSTELLUNGEN = {
    "min_count": (int, 1, None),
    "min_nenner": (int, 0, None),
    "dominanz_anteil": (float, 0.0, 1.0),
    "schutzbereich": (float, 0.5, None),
}


def config_from_mapping(data, prefix: str = "geheimhaltung") -> GeheimhaltungConfig:
    """Read and check the rules; missing keys keep their defaults."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise GeheimhaltungConfigError(
            f"{prefix}: Abschnitt mit Einstellungen erwartet, nicht {data!r}")
    unknown = sorted(str(key) for key in data if key not in EINSTELLUNGEN)
    if unknown:
        raise GeheimhaltungConfigError(
            f"{prefix}: unbekannte Einstellung(en): {', '.join(unknown)} "
            f"(erlaubt: {', '.join(EINSTELLUNGEN)})")
    values = {}
    for key, value in data.items():
        kind, low, high = EINSTELLUNGEN[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind is int and number and float(value).is_integer():
            value = int(value)
        if not number or (kind is int and not isinstance(value, int)) \
                or value < low or (high is not None and value > high):
            span = f"ab {low}" if high is None else f"von {low} bis {high}"
            what = "ganze Zahl" if kind is int else "Zahl"
            raise GeheimhaltungConfigError(f"{prefix}.{key}: {what} {span} erwartet, "
                                           f"nicht {value!r}")
        values[key] = kind(value)
    if values.get("dominanz_anteil", 1.0) == 0:
        raise GeheimhaltungConfigError(f"{prefix}.dominanz_anteil: muss größer als 0 sein")
    return GeheimhaltungConfig(**values)


def config_to_vars(config: GeheimhaltungConfig) -> dict:
    return {key: getattr(config, key) for key in EINSTELLUNGEN}
