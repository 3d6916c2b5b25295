"""Synthetic county generator ("Kreis Musterland", AGS 05999) producing agency deliveries.

`generate_county(inbox)` writes `adressen`, `raumgliederung` and `einwohner` files in the
delivery format of shared/spec/contracts.md plus `<inbox>/../config/gemeinden.csv`.
Municipalities are generated one at a time (persons are dropped after writing), so memory
stays bounded by the largest municipality. Same arguments -> byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .addresses import build_addresses
from .geography import COUNTY_AGS, COUNTY_NAME, CountyModel, build_county_model, write_geojson
from .population import MunicipalityPopulation
from .writer import ADRESSEN_COLUMNS, EINWOHNER_COLUMNS, style_for, write_adressen, write_einwohner

__all__ = [
    "ADRESSEN_COLUMNS", "EINWOHNER_COLUMNS", "SCALES", "Scale", "GenerationSummary",
    "county_model", "generate_county",
]

RAUMGLIEDERUNG_GUELTIG_AB = "2020-01-01"


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


def county_model(scale: str = "small", seed: int = 20261122) -> CountyModel:
    """The geography and area model (incl. `belastung`) that `generate_county` uses."""
    s = SCALES[scale]
    return build_county_model(s.municipalities, s.areas, s.residents, seed)


def generate_county(inbox: Path, scale: str = "small", seed: int = 20261122,
                    end_year: int = 2025, years: int | None = None,
                    progress: Callable[[str], None] | None = None) -> GenerationSummary:
    """Write a synthetic county's deliveries into `inbox/<source>/` and config/gemeinden.csv."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
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

    adr_path = inbox / "adressen" / f"adressen_{end_year}-12-31.csv"
    residents = dict.fromkeys(year_list, 0)
    records = dict.fromkeys(year_list, 0)
    unregistered = dict.fromkeys(year_list, 0)
    n_addresses = 0
    ew_files: list[Path] = []
    for k, m in enumerate(model.municipalities):
        say(f"Gemeinde {m.ags} {m.name} ({k + 1}/{len(model.municipalities)})")
        rng = np.random.default_rng([seed, int(m.ags)])
        addr = build_addresses(m, rng)
        n_addresses += write_adressen(adr_path, addr, m.ags, append=k > 0)
        style = style_for(m.index)
        pop = MunicipalityPopulation(m, addr, year_list[0], rng)
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
            write_einwohner(path, cols, m.ags, style)
            ew_files.append(path)
        del pop, addr
    files.append(adr_path)
    files += ew_files
    say("fertig")
    return GenerationSummary(
        scale=scale, seed=seed, stichtage=[f"{y}-12-31" for y in year_list],
        municipalities=len(model.municipalities), areas=len(model.areas),
        addresses=n_addresses, residents=residents, records=records,
        unregistered=unregistered, files=files,
        belastung={a.raum_id: a.belastung for a in model.areas})
