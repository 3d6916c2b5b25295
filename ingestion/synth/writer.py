"""Delivery files in the format of shared/spec/contracts.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from .addresses import Addresses

EINWOHNER_COLUMNS = [
    "person_id", "geburtsdatum", "geschlecht", "staatsangehoerigkeit",
    "weitere_staatsangehoerigkeit", "familienstand", "ehegatte_id", "elternteil1_id",
    "elternteil2_id", "wohnungsstatus", "zuzug_datum",
    "ags", "strasse", "hausnummer", "hausnummer_zusatz", "plz",
]
ADRESSEN_COLUMNS = ["ags", "strasse", "hausnummer", "hausnummer_zusatz", "plz", "ostwert",
                    "nordwert"]
GERMAN_DATE = "%d.%m.%Y"
ISO_DATE = "%Y-%m-%d"


@dataclass(frozen=True)
class FileStyle:
    """How one municipality's agency exports its files."""

    encoding: str  # 'utf-8', 'utf-8-sig' (BOM) or 'cp1252'
    date_format: str
    line_end: str


def style_for(municipality_index: int) -> FileStyle:
    """Second municipality: Windows export; third: UTF-8 with BOM and ISO dates."""
    if municipality_index == 1:
        return FileStyle("cp1252", GERMAN_DATE, "\r\n")
    if municipality_index == 2:
        return FileStyle("utf-8-sig", ISO_DATE, "\n")
    return FileStyle("utf-8", GERMAN_DATE, "\n")


_DATE_TEXT: dict[tuple[str, int], str] = {}


def format_dates(ordinals: list[int] | np.ndarray, fmt: str) -> list[str]:
    """Proleptic ordinals to strings; negative = missing (empty string)."""
    out = []
    cache = _DATE_TEXT
    for o in ordinals:
        o = int(o)
        text = cache.get((fmt, o))
        if text is None:
            text = date.fromordinal(o).strftime(fmt) if o > 0 else ""
            if len(cache) < 500_000:
                cache[(fmt, o)] = text
        out.append(text)
    return out


def _quote(value: str) -> str:
    if ";" in value or '"' in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def write_columns(path: Path, header: list[str], columns: list[list[str]], style: FileStyle,
                  mode: str = "w", write_header: bool = True) -> None:
    """Write equally long string columns as a `;`-separated file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = style.encoding if mode == "w" else style.encoding.replace("-sig", "")
    end = style.line_end
    with open(path, mode, encoding=encoding, newline="") as fh:
        if write_header:
            fh.write(";".join(header) + end)
        fh.writelines(";".join(row) + end for row in zip(*columns, strict=True))


def write_einwohner(path: Path, cols: dict[str, list], ags: str, style: FileStyle) -> None:
    """One municipality's einwohner delivery for one Stichtag, rows ordered by person_id."""
    order = sorted(range(len(cols["person_id"])), key=cols["person_id"].__getitem__)
    data = dict(cols)
    data["geburtsdatum"] = format_dates(cols["geburtsdatum"], style.date_format)
    data["zuzug_datum"] = format_dates(cols["zuzug_datum"], style.date_format)
    data["ags"] = [ags] * len(order)
    data["strasse"] = [_quote(v) for v in cols["strasse"]]
    columns = [[data[c][i] for i in order] for c in EINWOHNER_COLUMNS]
    write_columns(path, EINWOHNER_COLUMNS, columns, style)


def write_adressen(path: Path, addr: Addresses, ags: str, append: bool) -> int:
    """Append one municipality's registered addresses to the county-wide register extract."""
    keep = [int(i) for i in np.flatnonzero(addr.registered)]
    keep.sort(key=lambda i: (addr.street[i], int(addr.number[i]), addr.suffix[i]))
    xs = [f"{addr.x[i]:.2f}".replace(".", ",") for i in keep]
    ys = [f"{addr.y[i]:.2f}".replace(".", ",") for i in keep]
    columns = [[ags] * len(keep), [_quote(addr.street[i]) for i in keep],
               [str(int(addr.number[i])) for i in keep], [addr.suffix[i] for i in keep],
               [addr.plz[i] for i in keep], xs, ys]
    write_columns(path, ADRESSEN_COLUMNS, columns, FileStyle("utf-8", "", "\n"),
                  mode="a" if append else "w", write_header=not append)
    return len(keep)
