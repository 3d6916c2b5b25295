"""Sozialindex engine, Berlin MSS method by default (shared/spec/indicators.md).

Per Gliederung and Berichtsjahr: the universe is every area with at least `min_einwohner`
residents, every input known and not on the outlier list. Each input is z-standardised over
the universe (unweighted, population standard deviation), the weighted sum of the z-values
is z-standardised again, and classes are assigned on the unrounded index. The dynamics use
the same computation on each indicator's change in percentage points.

The engine works on one row per area, never on persons, so pandas is the right tool; the
same function is fed the Berlin MSS 2021 reference table in the tests.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

METHOD = "Berlin MSS (z-Standardisierung, Summe, erneute z-Standardisierung)"


@dataclass(frozen=True)
class SozialindexConfig:
    # indicator code -> weight (defaults: the Berlin S1, S3, S4 analogues)
    indikatoren: dict[str, float] = field(
        default_factory=lambda: {"S07": 1.0, "S03": 1.0, "S04": 1.0})
    min_einwohner: int = 300
    ausreisser: tuple[str, ...] = ()
    # status classes: hoch < a; mittel a..b; niedrig (b, c]; sehr niedrig > c
    status_schwellen: tuple[float, float, float] = (-1.0, 1.0, 1.5)
    # dynamics: positiv < a; stabil a..< b; negativ >= b
    dynamik_schwellen: tuple[float, float] = (-1.0, 1.0)
    dynamik_jahre: int = 2

    def to_json(self) -> str:
        return json.dumps({"methode": METHOD, **asdict(self)}, ensure_ascii=False, sort_keys=True)

    def to_vars(self) -> dict:
        """The configuration as plain data (dbt `--vars`, JSON); `from_mapping` reads it back."""
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in data.items()}

    @classmethod
    def from_mapping(cls, data: Mapping | None,
                     katalog: Mapping[str, tuple[str, bool]] | None = None,
                     prefix: str = "sozialindex") -> "SozialindexConfig":
        """Read and check a configuration (settings.yaml section or dbt var); missing keys
        keep their defaults. `katalog` (code -> (einheit, berechnet) of the indicator
        catalogue), when given, checks the indicator codes. Errors are German and name the
        key."""
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise SozialindexConfigError(f"{prefix}: Abschnitt mit Einstellungen erwartet, "
                                         f"nicht {data!r}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise SozialindexConfigError(
                f"{prefix}: unbekannte Einstellung(en): {', '.join(unknown)} "
                f"(erlaubt: {', '.join(known)})")
        values = {}
        if "indikatoren" in data:
            values["indikatoren"] = _check_indikatoren(data["indikatoren"], katalog,
                                                       f"{prefix}.indikatoren")
        if "min_einwohner" in data:
            values["min_einwohner"] = _check_int(data["min_einwohner"], 0,
                                                 f"{prefix}.min_einwohner")
        if "dynamik_jahre" in data:
            values["dynamik_jahre"] = _check_int(data["dynamik_jahre"], 1,
                                                 f"{prefix}.dynamik_jahre")
        if "ausreisser" in data:
            values["ausreisser"] = _check_raum_ids(data["ausreisser"], f"{prefix}.ausreisser")
        if "status_schwellen" in data:
            values["status_schwellen"] = _check_schwellen(
                data["status_schwellen"], 3, f"{prefix}.status_schwellen",
                "hoch unter der 1., mittel bis zur 2., niedrig bis zur 3., darüber sehr niedrig")
        if "dynamik_schwellen" in data:
            values["dynamik_schwellen"] = _check_schwellen(
                data["dynamik_schwellen"], 2, f"{prefix}.dynamik_schwellen",
                "positiv unter der 1., stabil bis unter der 2., ab der 2. negativ")
        return cls(**values)


class SozialindexConfigError(ValueError):
    """A Sozialindex configuration that cannot be used (message in German, names the key)."""


def _is_number(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_indikatoren(value, katalog: Mapping[str, tuple[str, bool]] | None,
                       key: str) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise SozialindexConfigError(
            f"{key}: mindestens ein Indikator mit Gewicht erwartet (Code: Gewicht, z. B. "
            f"S07: 1.0), nicht {value!r}")
    weights = {}
    for code, weight in value.items():
        code_key = f"{key}.{code}"
        if not isinstance(code, str):
            raise SozialindexConfigError(f"{code_key}: Indikator-Code als Text erwartet")
        if katalog is not None:
            if code not in katalog:
                raise SozialindexConfigError(
                    f"{code_key}: unbekannter Indikator-Code (nicht im Indikatorenkatalog)")
            einheit, berechnet = katalog[code]
            if not berechnet:
                raise SozialindexConfigError(
                    f"{code_key}: der Indikator {code} wird noch nicht berechnet")
            if einheit == "Anzahl":
                raise SozialindexConfigError(
                    f"{code_key}: {code} ist eine Anzahl; der Sozialindex braucht Anteile "
                    "oder Quoten")
        if not _is_number(weight):
            raise SozialindexConfigError(
                f"{code_key}: das Gewicht muss eine Zahl sein, nicht {weight!r}")
        weights[code] = float(weight)
    if not any(weights.values()):
        raise SozialindexConfigError(f"{key}: mindestens ein Gewicht darf nicht 0 sein")
    return weights


def _check_int(value, minimum: int, key: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SozialindexConfigError(
            f"{key}: ganze Zahl ab {minimum} erwartet, nicht {value!r}")
    return value


def _check_raum_ids(value, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise SozialindexConfigError(
            f"{key}: Liste von Raum-IDs erwartet (z. B. [\"05999004-SR03\"]), nicht {value!r}")
    for position, raum_id in enumerate(value):
        if not isinstance(raum_id, str) or not raum_id.strip():
            raise SozialindexConfigError(
                f"{key}[{position}]: Raum-ID als Text in Anführungszeichen erwartet, "
                f"nicht {raum_id!r}")
    return tuple(raum_id.strip() for raum_id in value)


def _check_schwellen(value, count: int, key: str, meaning: str) -> tuple[float, ...]:
    numbers = isinstance(value, list | tuple) and all(_is_number(v) for v in value)
    if not numbers or len(value) != count:
        raise SozialindexConfigError(
            f"{key}: {count} Zahlen erwartet ({meaning}), nicht {value!r}")
    if any(a >= b for a, b in zip(value, value[1:], strict=False)):
        raise SozialindexConfigError(
            f"{key}: die Schwellen müssen aufsteigen ({meaning}), nicht {list(value)!r}")
    return tuple(float(v) for v in value)


def _zscore(values: pd.Series) -> pd.Series:
    return (values - values.mean()) / values.std(ddof=0)


def standardised_sum(inputs: pd.DataFrame, weights: dict[str, float], einwohner: pd.Series,
                     config: SozialindexConfig) -> pd.DataFrame:
    """`summe`, `index`, `hinweis` and `universum` (bool) per area (index = area id) for one
    set of inputs."""
    codes = list(weights)
    hinweis = pd.Series(None, index=inputs.index, dtype="object")
    small = einwohner.reindex(inputs.index) < config.min_einwohner
    # residents unknown: the area cannot be checked against min_einwohner, an input is missing
    missing = inputs[codes].isna().any(axis=1) | einwohner.reindex(inputs.index).isna()
    outlier = inputs.index.isin(config.ausreisser)
    hinweis[missing] = "Wert fehlt"
    hinweis[outlier] = "Ausreißer"
    hinweis[small] = f"EW unter {config.min_einwohner}"
    universe = hinweis.isna()
    z = inputs.loc[universe, codes].apply(_zscore)
    total = sum(z[code] * weight for code, weight in weights.items())
    result = pd.DataFrame(index=inputs.index)
    result["summe"] = total
    result["index"] = _zscore(total)
    result["hinweis"] = hinweis
    result["universum"] = universe
    return result


def status_class(index: float, thresholds=(-1.0, 1.0, 1.5)) -> str | None:
    low, high, very_high = thresholds
    if index is None or np.isnan(index):
        return None
    if index < low:
        return "hoch"
    if index <= high:
        return "mittel"
    if index <= very_high:
        return "niedrig"
    return "sehr niedrig"


def dynamic_class(index: float, thresholds=(-1.0, 1.0)) -> str | None:
    low, high = thresholds
    if index is None or np.isnan(index):
        return None
    if index < low:
        return "positiv"
    if index < high:
        return "stabil"
    return "negativ"


def compute_sozialindex(status_inputs: pd.DataFrame, dynamik_inputs: pd.DataFrame,
                        einwohner: pd.Series, config: SozialindexConfig) -> pd.DataFrame:
    """One row per area: status and dynamics index, classes, hinweis and the method.

    `status_inputs`: area id index, one column per indicator code (its value);
    `dynamik_inputs`: the same columns holding each indicator's change in percentage points
    over `config.dynamik_jahre` years; `einwohner`: residents per area.
    """
    status = standardised_sum(status_inputs, config.indikatoren, einwohner, config)
    dynamik = standardised_sum(dynamik_inputs.reindex(status_inputs.index), config.indikatoren,
                               einwohner, config)
    out = pd.DataFrame(index=status_inputs.index)
    out["status_summe"] = status["summe"]
    out["status_index"] = status["index"]
    out["status_klasse"] = [status_class(v, config.status_schwellen) for v in status["index"]]
    out["dynamik_summe"] = dynamik["summe"]
    out["dynamik_index"] = dynamik["index"]
    out["dynamik_klasse"] = [dynamic_class(v, config.dynamik_schwellen) for v in dynamik["index"]]
    out["hinweis"] = status["hinweis"].fillna(dynamik["hinweis"])
    out["status_universum"] = status["universum"]
    out["dynamik_universum"] = dynamik["universum"]
    out["methode"] = config.to_json()
    return out


# ---------------------------------------------------------------------------------------
# the table of the warehouse (mart_sozialindex, pub_sozialindex)

GESAMT_GLIEDERUNGEN = ("kommune", "kreis")
OHNE_ZUORDNUNG = "-OZ"

COLUMNS = {
    "gliederung": "str",
    "raum_id": "str",
    "raum_name": "str",
    "ags": "str",
    "berichtsjahr": "int32",
    "einwohner": "float64",
    "status_summe": "float64",
    "status_index": "float64",
    "status_klasse": "str",
    "dynamik_vergleichsjahr": "int32",
    "dynamik_summe": "float64",
    "dynamik_index": "float64",
    "dynamik_klasse": "str",
    "hinweis": "str",
    "anzahl_raeume_universum": "int32",
    "anzahl_raeume_universum_dynamik": "int32",
    "methode": "str",
}


def one_year(werte: pd.DataFrame, jahr: int, vergleich: pd.DataFrame | None,
             config: SozialindexConfig) -> pd.DataFrame:
    """The index of one Gliederung and Berichtsjahr (`werte`: that year's rows)."""
    codes = list(config.indikatoren)
    raeume = (werte[["raum_id", "raum_name", "ags"]].drop_duplicates("raum_id")
              .set_index("raum_id").sort_index())
    is_oz = raeume.index.str.endswith(OHNE_ZUORDNUNG)
    flaechen = raeume.index[~is_oz]
    status = (werte[werte.code.isin(codes)].pivot(index="raum_id", columns="code", values="wert")
              .reindex(index=flaechen, columns=codes).astype("float64"))
    einwohner = (werte[werte.code == "B01"].set_index("raum_id")["zaehler"]
                 .reindex(raeume.index).astype("float64"))
    if vergleich is not None:
        vorher = (vergleich[vergleich.code.isin(codes)]
                  .pivot(index="raum_id", columns="code", values="wert")
                  .reindex(index=flaechen, columns=codes).astype("float64"))
        dynamik = status - vorher
    else:
        dynamik = pd.DataFrame(float("nan"), index=flaechen, columns=codes)
    result = compute_sozialindex(status, dynamik, einwohner.reindex(flaechen), config)

    # hinweis: the engine's reason for leaving an area out of the status universe, else why
    # the area has no dynamics (its dynamics universe is a subset of the status universe)
    hinweis = result["hinweis"].astype("object")
    im_status = result["status_universum"]
    im_dynamik = result["dynamik_universum"]
    ohne_dynamik = im_status & ~im_dynamik
    if vergleich is None:
        hinweis[ohne_dynamik] = "Dynamik: Vergleichsjahr fehlt"
    else:
        hinweis[ohne_dynamik] = "Dynamik: " + hinweis[ohne_dynamik]
    # in the universe, but the index is undefined (fewer than two areas, or no spread)
    hinweis[im_status & result["status_index"].isna()] = "nicht berechenbar"
    hinweis[im_dynamik & result["status_index"].notna() & result["dynamik_index"].isna()] = (
        "Dynamik: nicht berechenbar")
    result["hinweis"] = hinweis

    result = result.reindex(raeume.index)
    result.loc[is_oz, "hinweis"] = "ohne Zuordnung"
    result["methode"] = config.to_json()
    result["anzahl_raeume_universum"] = int(im_status.sum())
    result["anzahl_raeume_universum_dynamik"] = int(im_dynamik.sum())
    result["raum_name"] = raeume["raum_name"]
    result["ags"] = raeume["ags"]
    result["einwohner"] = einwohner
    result["berichtsjahr"] = jahr
    result["dynamik_vergleichsjahr"] = jahr - config.dynamik_jahre
    return result.rename_axis("raum_id").reset_index()


def index_table(werte: pd.DataFrame, config: SozialindexConfig) -> pd.DataFrame:
    """The Sozialindex of every area of every Gliederung (not `kommune`, `kreis`) and
    Berichtsjahr from the long indicator table `werte` (columns code, gliederung, raum_id,
    raum_name, ags, berichtsjahr, zaehler, wert; the status indicators and B01).
    Berichtsjahre: those in which every status indicator has rows."""
    werte = werte[~werte.gliederung.isin(GESAMT_GLIEDERUNGEN)]
    # Berichtsjahre in which every status indicator has rows
    jahre_je_code = [set(werte.loc[werte.code == code, "berichtsjahr"])
                     for code in config.indikatoren]
    jahre = sorted(set.intersection(*jahre_je_code))

    teile = []
    for gliederung, rows in werte.groupby("gliederung"):
        for jahr in jahre:
            vergleichsjahr = jahr - config.dynamik_jahre
            vergleich = (rows[rows.berichtsjahr == vergleichsjahr]
                         if vergleichsjahr in jahre else None)
            teil = one_year(rows[rows.berichtsjahr == jahr], jahr, vergleich, config)
            teil["gliederung"] = gliederung
            teile.append(teil)
    final = pd.concat(teile, ignore_index=True) if teile else pd.DataFrame(columns=list(COLUMNS))
    return final[list(COLUMNS)].astype(COLUMNS)
