"""Synthetic county generator ("Kreis Musterland", AGS 05999) producing agency deliveries.

`generate_county(inbox)` writes all nine sources of shared/spec/contracts.md for every
Berichtsjahr -- `adressen`, `raumgliederung` (Gliederungen `sozialraum` and
`planungsraum`), `einwohner`, `sgb2`, `hze`, `seu`, `kita`, `schule`, `schulabgang` --
plus `<inbox>/../config/gemeinden.csv`. Municipalities are generated one at a time (persons
are dropped after writing; the county-wide agency files stay open and get one chunk per
municipality), so memory stays bounded by the largest municipality. `messiness` controls
the share of valid-but-messy input, `invalid_rows` the share of deliberately invalid rows
(listed per file in the summary). Same arguments -> byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from .addresses import build_addresses
from .agencies import AgencyModel
from .deliveries import (
    AGENCY_SOURCES,
    COLUMNS,
    SPECS,
    Delivery,
    ExportStyle,
    InvalidRow,
    agency_style,
)
from .geography import (
    COUNTY_AGS,
    COUNTY_NAME,
    CountyModel,
    build_county_model,
    build_planungsraeume,
    write_geojson,
    write_planungsraeume,
)
from .population import MunicipalityPopulation
from .writer import ADRESSEN_COLUMNS, EINWOHNER_COLUMNS, style_for, write_adressen

__all__ = [
    "ADRESSEN_COLUMNS", "AGENCY_SOURCES", "COLUMNS", "EINWOHNER_COLUMNS", "SCALES", "STICHTAGE",
    "GenerationSummary", "InvalidRow", "Scale", "county_model", "generate_county",
]

RAUMGLIEDERUNG_GUELTIG_AB = "2020-01-01"
PLANUNGSRAUM_GUELTIG_AB = "2022-01-01"
# (month, day) of each source's Stichtag in its Berichtsjahr (see docs/decisions.md)
STICHTAGE: dict[str, tuple[int, int]] = {
    "einwohner": (12, 31), "sgb2": (12, 31), "hze": (12, 31), "seu": (7, 31),
    "kita": (3, 1), "schule": (10, 15), "schulabgang": (7, 31),
}


@dataclass(frozen=True)
class Scale:
    municipalities: int
    residents: int
    areas: int
    years: int


SCALES: dict[str, Scale] = {
    "small": Scale(municipalities=3, residents=30_000, areas=15, years=3),
    "kreis": Scale(municipalities=16, residents=350_000, areas=100, years=5),
    "nrw": Scale(municipalities=396, residents=18_000_000, areas=6_000, years=1),
}


@dataclass
class GenerationSummary:
    scale: str
    seed: int
    stichtage: list[str]
    municipalities: int
    areas: int
    addresses: int  # registered addresses in the register extract
    residents: dict[int, int]  # Berichtsjahr -> persons with wohnungsstatus H
    records: dict[int, int]  # Berichtsjahr -> einwohner rows (H and N)
    unregistered: dict[int, int]  # Berichtsjahr -> rows at an address not in the register
    files: list[Path] = field(default_factory=list)
    belastung: dict[str, float] = field(default_factory=dict)  # raum_id -> latent score
    # file name -> number of deliberately invalid rows in it (every tabular delivery, 0 incl.)
    invalid_rows: dict[str, int] = field(default_factory=dict)
    # file name -> the invalid rows: line (CSV line / XLSX row, header = 1), column, reason
    invalid_details: dict[str, list[InvalidRow]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # file name -> data rows (invalid incl.)
    deliveries: dict[str, list[str]] = field(default_factory=dict)  # source -> file names
    planungsraeume: int = 0
    messiness: float = 0.05
    invalid_share: float = 0.002


def county_model(scale: str = "small", seed: int = 20261122) -> CountyModel:
    """The geography and area model (incl. `belastung`) that `generate_county` uses."""
    s = SCALES[scale]
    return build_county_model(s.municipalities, s.areas, s.residents, seed)


class _Deliveries:
    """The open delivery files of one generation run, keyed by (source, Stichtag)."""

    def __init__(self, inbox: Path, seed: int, messiness: float, invalid_share: float):
        self.inbox = inbox
        self.seed = seed
        self.messiness = messiness
        self.invalid_share = invalid_share
        self.open: dict[tuple[str, date], Delivery] = {}
        self.done: list[Delivery] = []
        self.counters: dict[str, list[int]] = {s: [0] for s in SPECS}

    def _new(self, path: Path, source: str, stichtag: date, style: ExportStyle) -> Delivery:
        return Delivery(path, source, stichtag, style, self.seed, self.messiness,
                        self.invalid_share, self.counters[source])

    def agency(self, source: str, stichtag: date) -> Delivery:
        d = self.open.get((source, stichtag))
        if d is None:
            style = agency_style(source, stichtag.year, self.messiness)
            path = self.inbox / source / f"{source}_{stichtag.isoformat()}{style.suffix}"
            d = self.open[(source, stichtag)] = self._new(path, source, stichtag, style)
        return d

    def einwohner(self, path: Path, stichtag: date, style: ExportStyle, cols: dict) -> None:
        d = self._new(path, "einwohner", stichtag, style)
        d.write(cols)
        d.close()
        self.done.append(d)

    def close(self) -> list[Delivery]:
        for key in sorted(self.open, key=lambda k: (AGENCY_SOURCES.index(k[0]), k[1])):
            self.open[key].close()
            self.done.append(self.open[key])
        self.open = {}
        return self.done


def _einwohner_columns(cols: dict[str, list], ags: str) -> dict[str, list]:
    """Snapshot columns sorted by person_id, with `ags` (the einwohner file's row order)."""
    order = sorted(range(len(cols["person_id"])), key=cols["person_id"].__getitem__)
    out = {c: [cols[c][i] for i in order] for c in COLUMNS["einwohner"] if c != "ags"}
    out["ags"] = [ags] * len(order)
    return out


def generate_county(inbox: Path, scale: str = "small", seed: int = 20261122,
                    end_year: int = 2025, years: int | None = None,
                    progress: Callable[[str], None] | None = None, *,
                    messiness: float = 0.05, invalid_rows: float = 0.002,
                    only_municipalities: int | None = None) -> GenerationSummary:
    """Write a synthetic county's deliveries into `inbox/<source>/` and config/gemeinden.csv.

    `messiness`: share of valid-but-messy values (street spellings, yes/no and decimal
    variants); above 0 the files also rotate through encodings, ISO dates, upper-case
    headers, extra columns and one XLSX agency delivery per year; 0 gives canonical files.
    `invalid_rows`: share of deliberately invalid rows per file (row errors the loader
    must quarantine), reported in `summary.invalid_rows` / `summary.invalid_details`.
    `only_municipalities`: generate only the first n municipalities (for measurements).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    if not 0.0 <= messiness <= 1.0 or not 0.0 <= invalid_rows < 0.05:
        raise ValueError("messiness must be in [0, 1] and invalid_rows in [0, 0.05)")
    inbox = Path(inbox)
    s = SCALES[scale]
    n_years = s.years if years is None else int(years)
    if n_years < 1:
        raise ValueError("years must be at least 1")
    year_list = list(range(end_year - n_years + 1, end_year + 1))

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    say(f"Geografie: {s.municipalities} Gemeinden, ~{s.areas} Sozialräume")
    model = county_model(scale, seed)
    files: list[Path] = []

    config = inbox.parent / "config"
    config.mkdir(parents=True, exist_ok=True)
    gemeinden = config / "gemeinden.csv"
    lines = ["ags;name", f"{COUNTY_AGS};{COUNTY_NAME}"]
    lines += [f"{m.ags};{m.name}" for m in model.municipalities]
    gemeinden.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files.append(gemeinden)

    geo = inbox / "raumgliederung" / f"raumgliederung_sozialraum_{RAUMGLIEDERUNG_GUELTIG_AB}.geojson"
    write_geojson(model, geo)
    files.append(geo)
    planung = build_planungsraeume(model)
    geo2 = (inbox / "raumgliederung"
            / f"raumgliederung_planungsraum_{PLANUNGSRAUM_GUELTIG_AB}.geojson")
    write_planungsraeume(planung, geo2)
    files.append(geo2)

    adr_path = inbox / "adressen" / f"adressen_{end_year}-12-31.csv"
    residents = dict.fromkeys(year_list, 0)
    records = dict.fromkeys(year_list, 0)
    unregistered = dict.fromkeys(year_list, 0)
    n_addresses = 0
    sinks = _Deliveries(inbox, seed, messiness, invalid_rows)
    munis = model.municipalities
    if only_municipalities is not None:
        munis = munis[:only_municipalities]
    for k, m in enumerate(munis):
        say(f"Gemeinde {m.ags} {m.name} ({k + 1}/{len(munis)})")
        rng = np.random.default_rng([seed, int(m.ags)])
        addr = build_addresses(m, rng)
        n_addresses += write_adressen(adr_path, addr, m.ags, append=k > 0)
        style = ExportStyle.of(style_for(m.index)) if messiness > 0 else ExportStyle()
        pop = MunicipalityPopulation(m, addr, year_list[0], rng, messiness)
        agencies = AgencyModel(pop, np.random.default_rng([seed, int(m.ags), 2]), m.ags,
                               messiness)
        for y in year_list:
            if y != year_list[0]:
                pop.evolve_to(y)
            cols = pop.snapshot()
            a_idx = np.asarray(cols["_addr"])
            status = np.asarray(cols["wohnungsstatus"])
            residents[y] += int((status == "H").sum())
            records[y] += len(status)
            unregistered[y] += int((~addr.registered[a_idx]).sum())
            path = inbox / "einwohner" / f"einwohner_{y}-12-31_{m.ags}.csv"
            sinks.einwohner(path, date(y, 12, 31), style, _einwohner_columns(cols, m.ags))
            del cols, a_idx, status
            persons, recs = agencies.year()
            for source, columns in recs.items():
                sinks.agency(source, date(y, *STICHTAGE[source])).write(columns)
            if y + 1 in year_list:  # Kita 01.03. of the next year from this population
                kita_day = date(y + 1, *STICHTAGE["kita"])
                sinks.agency("kita", kita_day).write(agencies.kita(persons, kita_day))
            del persons, recs
        del pop, addr, agencies
    done = sinks.close()
    files.append(adr_path)
    files += [d.path for d in done]
    deliveries: dict[str, list[str]] = {}
    for d in done:
        deliveries.setdefault(d.source, []).append(d.path.name)
    say("fertig")
    return GenerationSummary(
        scale=scale, seed=seed, stichtage=[f"{y}-12-31" for y in year_list],
        municipalities=len(munis), areas=len(model.areas),
        addresses=n_addresses, residents=residents, records=records,
        unregistered=unregistered, files=files,
        belastung={a.raum_id: a.belastung for a in model.areas},
        invalid_rows={d.path.name: len(d.invalid) for d in done},
        invalid_details={d.path.name: list(d.invalid) for d in done},
        rows={d.path.name: d.rows for d in done},
        deliveries={k: sorted(v) for k, v in deliveries.items()},
        planungsraeume=len(planung), messiness=messiness, invalid_share=invalid_rows)
