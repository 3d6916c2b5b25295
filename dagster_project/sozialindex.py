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
from dataclasses import asdict, dataclass, field

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


def _zscore(values: pd.Series) -> pd.Series:
    return (values - values.mean()) / values.std(ddof=0)


def standardised_sum(inputs: pd.DataFrame, weights: dict[str, float], einwohner: pd.Series,
                     config: SozialindexConfig) -> pd.DataFrame:
    """`summe`, `index` and `hinweis` per area (index = area id) for one set of inputs."""
    codes = list(weights)
    hinweis = pd.Series(None, index=inputs.index, dtype="object")
    small = einwohner.reindex(inputs.index) < config.min_einwohner
    missing = inputs[codes].isna().any(axis=1)
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
    out["methode"] = config.to_json()
    return out
