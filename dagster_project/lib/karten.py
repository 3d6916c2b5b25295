"""Choropleth classes for the reports: the section `berichte:` of config/settings.yaml
(class method, number of classes, colours), class breaks, and the German number format.
Plain Python, no I/O (the layer `lib`)."""

import bisect
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

METHODEN = {
    "quantile": "Quantile (gleich viele Räume je Klasse)",
    "gleich": "gleiche Intervalle zwischen kleinstem und größtem Wert",
    "stdabw": "Standardabweichungen um den Mittelwert",
}
# sequential, light to dark (hues of ColorBrewer's "YlOrRd"), per number of classes
FARBEN = {
    3: ["#fee8a0", "#fd8d3c", "#bd0026"],
    4: ["#fee8a0", "#fdae61", "#f03b20", "#99000d"],
    5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    6: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
    7: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
}
GRAU_GESPERRT = "#9e9e9e"
GRAU_KEIN_WERT = "#dedede"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class BerichtConfigError(ValueError):
    pass


@dataclass(frozen=True)
class BerichtConfig:
    klassen: str = "quantile"
    anzahl_klassen: int = 5
    farben: tuple[str, ...] = field(default_factory=lambda: tuple(FARBEN[5]))
    gliederung: str = "sozialraum"


def bericht_config(data: Mapping | None, prefix: str = "berichte") -> BerichtConfig:
    """The typed section; a wrong value is an error naming the setting (German)."""
    data = dict(data or {})
    unknown = sorted(set(data) - {"klassen", "anzahl_klassen", "farben", "gliederung"})
    if unknown:
        raise BerichtConfigError(f"{prefix}: unbekannte Einstellung(en): {', '.join(unknown)}")
    klassen = data.get("klassen", "quantile")
    if klassen not in METHODEN:
        raise BerichtConfigError(
            f"{prefix}.klassen: eines von {', '.join(METHODEN)} erwartet, nicht {klassen!r}")
    anzahl = data.get("anzahl_klassen", 5)
    if not isinstance(anzahl, int) or isinstance(anzahl, bool) or anzahl not in FARBEN:
        raise BerichtConfigError(
            f"{prefix}.anzahl_klassen: ganze Zahl von 3 bis 7 erwartet, nicht {anzahl!r}")
    farben = data.get("farben") or FARBEN[anzahl]
    if (not isinstance(farben, list | tuple) or len(farben) != anzahl
            or not all(isinstance(f, str) and _HEX.match(f) for f in farben)):
        raise BerichtConfigError(
            f"{prefix}.farben: {anzahl} Farben als #rrggbb erwartet, nicht {farben!r}")
    gliederung = data.get("gliederung", "sozialraum")
    if not isinstance(gliederung, str) or not gliederung:
        raise BerichtConfigError(f"{prefix}.gliederung: Name einer Gliederung erwartet")
    return BerichtConfig(klassen=klassen, anzahl_klassen=anzahl,
                         farben=tuple(f.lower() for f in farben), gliederung=gliederung)


ZEICHEN_GESPERRT = "•"      # as in the Excel workbooks
ZEICHEN_KEIN_WERT = "–"


def zahl(wert: float | None, einheit: str | None, status: str = "ok") -> str:
    """A published value as the reports show it: counts whole, everything else with one
    decimal, German separators; "•" for a suppressed value, "–" for none."""
    if status == "gesperrt":
        return ZEICHEN_GESPERRT
    if wert is None or (isinstance(wert, float) and math.isnan(wert)):
        return ZEICHEN_KEIN_WERT
    if einheit == "Anzahl":
        text = f"{round(wert):,}"
    else:
        text = f"{wert:,.1f}"
    text = text.replace(",", "X").replace(".", ",").replace("X", ".")
    return "0" if text in ("-0", "-0,0") and einheit == "Anzahl" else text.replace("-0,0", "0,0")


def grenzen(werte: Sequence[float], methode: str, anzahl: int) -> list[float]:
    """The inner class breaks (ascending, without repeats) of `werte` for `anzahl` classes:
    quantiles, equal intervals or standard deviations around the mean. A value equal to a
    break belongs to the upper class."""
    werte = sorted(w for w in werte if w is not None and not math.isnan(w))
    if len(werte) < 2 or werte[0] == werte[-1]:
        return []
    if methode == "quantile":
        result = []
        for j in range(1, anzahl):
            position = j * (len(werte) - 1) / anzahl
            lower = math.floor(position)
            frac = position - lower
            upper = min(lower + 1, len(werte) - 1)
            result.append(werte[lower] + (werte[upper] - werte[lower]) * frac)
    elif methode == "gleich":
        step = (werte[-1] - werte[0]) / anzahl
        result = [werte[0] + step * j for j in range(1, anzahl)]
    elif methode == "stdabw":
        mean = sum(werte) / len(werte)
        sd = math.sqrt(sum((w - mean) ** 2 for w in werte) / len(werte))
        if sd == 0:
            return []
        half = (anzahl - 2) / 2
        result = [mean + sd * (k - half) for k in range(anzahl - 1)]
    else:
        raise ValueError(f"unknown method {methode!r}")
    unique = []
    for value in result:
        value = round(value, 10)
        if not unique or value > unique[-1]:
            unique.append(value)
    return unique


def klasse(wert: float, breaks: Sequence[float]) -> int:
    return bisect.bisect_right(breaks, wert)


def farben_fuer(breaks: Sequence[float], palette: Sequence[str]) -> list[str]:
    """One colour per class that `breaks` make, spread over the palette when there are
    fewer classes than colours (repeated breaks)."""
    n = len(breaks) + 1
    if n == 1:
        return [palette[len(palette) // 2]]
    return [palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n)]


def legende(breaks: Sequence[float], einheit: str | None) -> list[str]:
    """Labels of the classes: "unter a", "a bis unter b", …, "z und mehr"."""
    def f(value: float) -> str:
        return zahl(value, None if einheit == "Anzahl" and value != round(value) else einheit)
    if not breaks:
        return ["alle Werte"]
    labels = [f"unter {f(breaks[0])}"]
    for low, high in zip(breaks, breaks[1:], strict=False):
        labels.append(f"{f(low)} bis unter {f(high)}")
    labels.append(f"{f(breaks[-1])} und mehr")
    return labels
