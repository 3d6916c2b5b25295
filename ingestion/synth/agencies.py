"""The agencies' view of one municipality: SGB II, HzE, SEU, Kita, Schule, Schulabgang.

`AgencyModel` follows a `MunicipalityPopulation` from Stichtag to Stichtag and derives,
for each year, the records every agency would deliver about the residents. It draws
from its own random stream, so the residents register does not change when the agency
sources are added. Everything is driven by the Sozialraum's latent `belastung` and the
household's SGB II status (decided first each year), so the sources correlate the way
real ones do: more SGB II means more HzE cases, more SEU findings and fewer Gymnasium
transitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import names
from .population import GERMAN, Household, MunicipalityPopulation, Person, Rand

Columns = dict[str, list]

# --- HzE: hilfeart weights per age group, mean duration (days), cost per full year (EUR) --
HZE_WEIGHTS = {
    "0-5": {"28": 30, "27_2": 8, "31": 30, "33": 13, "34": 2, "42": 9, "35a": 3},
    "6-11": {"28": 40, "27_2": 6, "31": 18, "32": 7, "29": 3, "30": 4, "33": 5, "34": 5,
             "35a": 10, "42": 3},
    "12-17": {"28": 36, "27_2": 5, "31": 10, "29": 2, "30": 12, "33": 4, "34": 12, "35": 2,
              "35a": 8, "42": 9},
    "18-20": {"41": 72, "28": 28},
}
HZE_DAYS = {"28": 200, "27_2": 300, "29": 320, "30": 450, "31": 520, "32": 600, "33": 1400,
            "34": 850, "35": 450, "35a": 700, "41": 480, "42": 45}
HZE_COST = {"28": 1_600, "27_2": 9_000, "29": 5_000, "30": 11_000, "31": 19_500, "32": 32_000,
            "33": 18_000, "34": 70_000, "35": 55_000, "35a": 26_000, "41": 48_000,
            "42": 65_000}
HZE_RATE = {"0-5": 0.013, "6-11": 0.022, "12-17": 0.025, "18-20": 0.008}
HZE_WARMUP_YEARS = 6


def _cum(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    keys = list(weights)
    total = float(sum(weights.values()))
    acc, cum = 0.0, []
    for k in keys:
        acc += weights[k] / total
        cum.append(acc)
    return keys, cum


_HZE_CUM = {g: _cum(w) for g, w in HZE_WEIGHTS.items()}


def _age_group(age: int) -> str:
    return "0-5" if age < 6 else "6-11" if age < 12 else "12-17" if age < 18 else "18-20"


def age_at(birth: int, st: date) -> int:
    """Completed years at Stichtag `st` of a person born on ordinal `birth`."""
    b = date.fromordinal(birth)
    return st.year - b.year - ((st.month, st.day) < (b.month, b.day))


@dataclass
class Case:
    fall_id: str
    person: Person
    art: str
    beginn: int
    ende: int  # planned end (ordinal); written empty while after the Stichtag
    rate: float  # cost per full year
    cost_known: bool


@dataclass
class HouseholdState:
    sgb2: bool
    ae: bool
    belastung: float


class AgencyModel:
    """Agency records of one municipality; call `year(y)` after each `pop.snapshot()`."""

    def __init__(self, pop: MunicipalityPopulation, rng: np.random.Generator, ags: str,
                 messiness: float):
        self.pop = pop
        self.r = Rand(rng)
        self.ags = ags
        self.messiness = messiness
        areas = pop.m.areas
        self.addr_bel = [areas[int(k)].belastung for k in pop.addr.area]
        self.addr_urb = [areas[int(k)].urbanity for k in pop.addr.area]
        self.hh_z: dict[Household, float] = {}
        self.bg_ids: dict[Household, str] = {}
        self.lb_u: dict[str, float] = {}  # person_id -> latent draw of the benefit category
        self.hh_state: dict[Household, HouseholdState] = {}
        self.cases: list[Case] = []
        self.case_end: dict[str, int] = {}  # person_id -> end of the person's latest case
        self.kita_id: dict[str, str] = {}
        self.kita_u: dict[str, float] = {}
        self.seu_id: dict[str, str] = {}
        self.schueler_id: dict[str, str] = {}
        self.leaving: dict[str, tuple[str, int]] = {}  # person_id -> (abschluss, age)
        self.ids: set[str] = set()
        self.variants: dict[str, list[str]] = {}
        self._warm = False

    # ---------------------------------------------------------------- helpers
    def _id(self, upper: bool = False) -> str:
        while True:
            v = self.r.hex16()
            if v not in self.ids:
                self.ids.add(v)
                return v.upper() if upper else v

    def _address(self, p: Person) -> tuple[str, str, str, str]:
        """How this agency's clerk typed the person's address (own spelling)."""
        addr = self.pop.addr
        a = p.addr
        name = addr.street[a]
        r = self.r
        if addr.registered[a] and r.u() < self.messiness:
            var = self.variants.get(name)
            if var is None:
                var = self.variants[name] = names.street_variants(name)
            if var:
                name = r.pick(var)
        num = int(addr.number[a])
        suf = addr.suffix[a]
        if suf:
            v = r.u()
            if v < 0.5:
                return name, str(num), suf, addr.plz[a]
            if v < 0.75:
                return name, f"{num}{suf}", "", addr.plz[a]
            if v < 0.85:
                return name, f"{num}{suf.upper()}", "", addr.plz[a]
            return name, f"{num} {suf}", "", addr.plz[a]
        return name, str(num), "", addr.plz[a]

    def _rows(self, columns: list[str]) -> Columns:
        return {c: [] for c in columns}

    def _person_cols(self, cols: Columns, p: Person) -> None:
        street, hn, hz, plz = self._address(p)
        cols["geburtsdatum"].append(p.birth)
        cols["geschlecht"].append(p.sex)
        cols["ags"].append(self.ags)
        cols["strasse"].append(street)
        cols["hausnummer"].append(hn)
        cols["hausnummer_zusatz"].append(hz)
        cols["plz"].append(plz)

    def _yn(self, p_yes: float, p_missing: float = 0.015) -> bool | None:
        if self.r.u() < p_missing:
            return None
        return self.r.u() < p_yes

    def _residents(self) -> list[Person]:
        return [p for p in self.pop.persons
                if p.present and p.status == "H" and p.hh is not None]

    # ---------------------------------------------------------------- SGB II status
    def _households(self) -> None:
        """Decide each household's SGB II status at the current 31.12. (persistent latent)."""
        pop = self.pop
        year = pop.year
        r = self.r
        state: dict[Household, HouseholdState] = {}
        z_new: dict[Household, float] = {}
        for hh in pop.households:
            if not hh.members or hh.dwelling < 0:
                continue
            b = self.addr_bel[int(pop.dw_addr[hh.dwelling])]
            minors = adults = 0
            lo, hi = 999, -1
            couple = working_age = False
            for p in hh.members:
                a = year - p.by
                if a < 18:
                    minors += 1
                else:
                    adults += 1
                lo = min(lo, a)
                hi = max(hi, a)
                if 15 <= a < 65:
                    working_age = True
                if not couple and p.partner is not None and p.partner.hh is hh:
                    couple = True
            ae = minors > 0 and not couple and adults >= 1
            sgb2 = False
            if working_age:
                z = self.hh_z.get(hh)
                if z is None:
                    z = r.normal()
                z_new[hh] = z
                q = (-2.9 + 2.5 * b + 0.95 * ae + 0.3 * (minors > 0) + 0.3 * (minors >= 3)
                     + 0.55 * (hh.origin != GERMAN) + 0.25 * (adults == 1 and hi < 30)
                     - 0.45 * (lo >= 50) - 0.3 * (adults >= 2 and not couple))
                sgb2 = 0.9 * z + 0.4359 * r.normal() < q
            state[hh] = HouseholdState(sgb2, ae, b)
        self.hh_z = z_new
        self.hh_state = state

    def _sgb2(self) -> Columns:
        pop = self.pop
        year = pop.year
        r = self.r
        cols = self._rows(["person_id", "bg_id", "geburtsdatum", "geschlecht",
                           "staatsangehoerigkeit", "leistungsberechtigung", "arbeitslos",
                           "bg_typ", "ags", "strasse", "hausnummer", "hausnummer_zusatz", "plz"])
        bg_ids: dict[Household, str] = {}
        for hh, st in self.hh_state.items():
            if not st.sgb2:
                continue
            bg = [p for p in hh.members if year - p.by < 65
                  and not (year - p.by >= 25 and (p.p1 is not None or p.p2 is not None)
                           and p.partner is None)]
            if not any(15 <= year - p.by < 65 for p in bg):
                continue
            bg_id = self.bg_ids.get(hh) or self._id()
            bg_ids[hh] = bg_id
            kinds = []
            for p in bg:
                age = year - p.by
                u = self.lb_u.get(p.pid)
                if u is None:
                    u = self.lb_u[p.pid] = r.u()
                if age < 15:
                    kinds.append("KOL" if u < 0.07 else "NEF")
                else:
                    kinds.append("NEF" if u < 0.025 else "SLB" if u < 0.045
                                 else "AUS" if u < 0.07 else "ELB")
            if "ELB" not in kinds:
                k = max(range(len(bg)), key=lambda i: (15 <= year - bg[i].by < 65,
                                                       year - bg[i].by))
                kinds[k] = "ELB"
            members = set(map(id, bg))
            couple = any(p.partner is not None and id(p.partner) in members for p in bg)
            kids = sum(year - p.by < 18 for p in bg)
            adults = len(bg) - kids
            if len(bg) == 1:
                typ = "SINGLE"
            elif couple and kids:
                typ = "PAAR_MK"
            elif couple and len(bg) == 2:
                typ = "PAAR_OK"
            elif kids and adults == 1:
                typ = "AE"
            else:
                typ = "SONST"
            if r.u() < 0.01:
                typ = ""
            for p, kind in zip(bg, kinds, strict=True):
                age = year - p.by
                cols["person_id"].append(p.pid)
                cols["bg_id"].append(bg_id)
                self._person_cols(cols, p)
                cols["staatsangehoerigkeit"].append(p.nat if r.u() >= 0.02 else "")
                cols["leistungsberechtigung"].append(kind)
                if kind == "ELB":
                    cols["arbeitslos"].append(
                        None if r.u() < 0.03 else (age >= 18 and r.u() < 0.36 + 0.2 * st.belastung))
                else:
                    cols["arbeitslos"].append(None)
                cols["bg_typ"].append(typ)
        self.bg_ids = bg_ids
        return cols

    def _state(self, p: Person) -> HouseholdState:
        st = self.hh_state.get(p.hh)  # type: ignore[arg-type]
        if st is None:
            return HouseholdState(False, False, self.addr_bel[p.addr])
        return st

    # ---------------------------------------------------------------- HzE
    def _new_cases(self, persons: list[Person], year: int) -> None:
        r = self.r
        start = date(year, 1, 1).toordinal()
        end = date(year, 12, 31).toordinal()
        for p in persons:
            age_end = year - p.by
            if age_end > 21 or p.birth > end:
                continue
            if self.case_end.get(p.pid, -1) >= start:
                continue
            st = self._state(p)
            grp = _age_group(max(age_end - 1, 0))
            f = math.exp(2.2 * (st.belastung - 0.3)) * (2.2 if st.sgb2 else 1.0) * (
                1.5 if st.ae else 1.0)
            if r.u() >= HZE_RATE[grp] * f:
                continue
            beginn = max(start, p.birth + 1) + int(r.u() * (end - max(start, p.birth + 1) + 1))
            age = age_at(p.birth, date.fromordinal(beginn))
            if age >= 21:
                continue
            keys, cum = _HZE_CUM[_age_group(age)]
            art = keys[r.cum(cum)]
            days = max(1, int(r.expo(HZE_DAYS[art])))
            b = date.fromordinal(p.birth)
            try:
                limit = date(b.year + 21, b.month, b.day).toordinal() - 1
            except ValueError:  # 29 February
                limit = date(b.year + 21, 3, 1).toordinal() - 1
            ende = min(beginn + days, limit)
            if ende < beginn:
                continue
            rate = HZE_COST[art] * math.exp(r.normal(0.0, 0.12))
            known = r.u() >= (0.5 if art == "28" else 0.03)
            self.cases.append(Case(self._id(upper=True), p, art, beginn, ende, rate, known))
            self.case_end[p.pid] = ende

    def _hze(self, persons: list[Person]) -> Columns:
        year = self.pop.year
        r = self.r
        young = [p for p in persons if p.by >= year - 22 - HZE_WARMUP_YEARS]
        if not self._warm:
            for y in range(year - HZE_WARMUP_YEARS, year):
                self._new_cases(young, y)
            self._warm = True
        self._new_cases(young, year)
        start = date(year, 1, 1).toordinal()
        end = date(year, 12, 31).toordinal()
        self.cases = [c for c in self.cases if c.person.present and c.ende >= start]
        cols = self._rows(["fall_id", "person_id", "geburtsdatum", "geschlecht", "hilfeart",
                           "beginn", "ende", "kosten_euro", "ags", "strasse", "hausnummer",
                           "hausnummer_zusatz", "plz"])
        for c in sorted(self.cases, key=lambda c: c.fall_id):
            p = c.person
            if p.status != "H" or p.hh is None:
                continue
            cols["fall_id"].append(c.fall_id)
            cols["person_id"].append(p.pid)
            self._person_cols(cols, p)
            cols["hilfeart"].append(c.art)
            cols["beginn"].append(c.beginn)
            cols["ende"].append(c.ende if c.ende <= end else -1)
            if c.cost_known:
                days = min(c.ende, end) - max(c.beginn, start) + 1
                cost = c.rate * days / 365.0 * math.exp(r.normal(0.0, 0.05))
                cols["kosten_euro"].append(round(cost, 2))
            else:
                cols["kosten_euro"].append(None)
        self.case_end = {k: v for k, v in self.case_end.items() if v >= start}
        return cols

    # ---------------------------------------------------------------- SEU
    def _seu(self, persons: list[Person]) -> Columns:
        year = self.pop.year
        r = self.r
        lo = date(year - 7, 10, 1).toordinal()
        hi = date(year - 6, 9, 30).toordinal()
        exam_lo = date(year - 1, 10, 1).toordinal()
        exam_hi = date(year, 6, 30).toordinal()
        cols = self._rows(["kind_id", "geburtsdatum", "geschlecht", "untersuchungsdatum",
                           "einschulungsjahr", "gewichtsklasse", "erstsprache_deutsch",
                           "deutschkenntnisse", "sprachscreening_auffaellig",
                           "koerperkoordination_auffaellig", "visuomotorik_auffaellig",
                           "impfdokument_vorgelegt", "masern_vollstaendig", "u9_dokumentiert",
                           "kita_dauer", "ags", "strasse", "hausnummer", "hausnummer_zusatz",
                           "plz"])
        for p in persons:
            if not lo <= p.birth <= hi or r.u() >= 0.985:
                continue
            st = self._state(p)
            b, s = st.belastung, float(st.sgb2)
            origin_ng = p.hh is not None and p.hh.origin != GERMAN
            kid = self.seu_id.get(p.pid)
            if kid is None:
                kid = self.seu_id[p.pid] = self._id()
            cols["kind_id"].append(kid)
            self._person_cols(cols, p)
            cols["untersuchungsdatum"].append(exam_lo + int(r.u() * (exam_hi - exam_lo + 1)))
            cols["einschulungsjahr"].append(str(year))
            # weight class (Kromeyer-Hauschild)
            u = r.u()
            p5 = 0.02 + 0.035 * b + 0.015 * s
            p4 = 0.05 + 0.035 * b + 0.012 * s
            if r.u() < 0.02:
                cols["gewichtsklasse"].append("")
            else:
                cols["gewichtsklasse"].append(
                    "5" if u < p5 else "4" if u < p5 + p4 else "1" if u < p5 + p4 + 0.015
                    else "2" if u < p5 + p4 + 0.07 else "3")
            # language
            if origin_ng:
                p_n = 0.8
            elif p.nat2 not in ("", GERMAN) or p.nat != GERMAN:
                p_n = 0.35
            else:
                p_n = 0.035
            erst = self._yn(1.0 - p_n, 0.01)
            cols["erstsprache_deutsch"].append(erst)
            kita_short = r.u() < 0.06 + 0.2 * b + (0.15 if erst is False else 0.0)
            if erst is False and r.u() >= 0.02:
                shift = 0.35 * b + 0.1 * s + (0.2 if kita_short else 0.0)
                v = r.u()
                cols["deutschkenntnisse"].append(
                    "1" if v < 0.33 - shift / 2 else "2" if v < 0.68 - shift / 2
                    else "3" if v < 0.9 - shift / 4 else "4")
            else:
                cols["deutschkenntnisse"].append("")
            cols["sprachscreening_auffaellig"].append(
                self._yn(0.13 + 0.15 * b + 0.05 * s + (0.12 if erst is False else 0.0)))
            male = p.sex == "m"
            cols["koerperkoordination_auffaellig"].append(
                self._yn(0.08 + 0.07 * b + 0.04 * male + 0.03 * s))
            cols["visuomotorik_auffaellig"].append(self._yn(0.11 + 0.07 * b + 0.06 * male))
            doc = self._yn(0.94 - 0.08 * b - 0.04 * (erst is False))
            cols["impfdokument_vorgelegt"].append(doc)
            cols["masern_vollstaendig"].append(self._yn(0.95 - 0.06 * b, 0.01) if doc else None)
            cols["u9_dokumentiert"].append(self._yn(0.93 - 0.12 * b - 0.06 * (erst is False)))
            if r.u() < 0.015:
                cols["kita_dauer"].append("")
            elif kita_short:
                v = r.u()
                cols["kita_dauer"].append("0" if v < 0.25 else "1" if v < 0.55 else "2")
            else:
                cols["kita_dauer"].append("3")
        return cols

    # ---------------------------------------------------------------- Kita
    def kita(self, persons: list[Person], stichtag: date) -> Columns:
        """Children in day care at `stichtag` (01.03. after the current 31.12.)."""
        r = self.r
        st_ord = stichtag.toordinal()
        lo = date(stichtag.year - 7, 10, 1).toordinal()  # older children are at school
        cols = self._rows(["kind_id", "geburtsdatum", "geschlecht", "betreuungsart",
                           "einrichtung_id", "wochenstunden", "betreuungsbeginn", "ags",
                           "strasse", "hausnummer", "hausnummer_zusatz", "plz"])
        base = [0.03, 0.36, 0.66, 0.89, 0.95, 0.965, 0.965]
        for p in persons:
            if p.birth < lo or p.birth >= st_ord:
                continue
            age = age_at(p.birth, stichtag)
            st = self._state(p)
            b = st.belastung
            ng = p.hh is not None and p.hh.origin != GERMAN
            if age < 3:
                prob = base[age] * (1.3 - 0.8 * b) * (0.7 if ng else 1.0) * (
                    0.8 if st.sgb2 else 1.0)
            else:
                prob = base[min(age, 6)] * (1.02 - 0.07 * b - 0.05 * ng)
            u = self.kita_u.get(p.pid)
            if u is None:
                u = self.kita_u[p.pid] = r.u()
            if u >= prob:
                continue
            kid = self.kita_id.get(p.pid)
            if kid is None:
                kid = self.kita_id[p.pid] = self._id(upper=True)
            urb = self.addr_urb[p.addr]
            ktp = r.u() < ((0.13 + 0.1 * (1 - urb)) if age < 3 else 0.015)
            cols["kind_id"].append(kid)
            self._person_cols(cols, p)
            cols["betreuungsart"].append("KTP" if ktp else "KITA")
            if ktp:
                cols["einrichtung_id"].append("")
            else:
                area = int(self.pop.addr.area[p.addr])
                cols["einrichtung_id"].append(
                    f"{self.ags[5:]}{area:03d}{r.int(1, 3)}" if r.u() >= 0.03 else "")
            v = r.u()
            if v < 0.02:
                hours = None
            elif v < 0.05:
                hours = r.pick([20, 30, 40, 50])
            elif v < 0.21 + 0.1 * ktp:
                hours = 25
            elif v < 0.66:
                hours = 35
            else:
                hours = 45
            cols["wochenstunden"].append(hours)
            if r.u() < 0.05:
                cols["betreuungsbeginn"].append(-1)
            else:
                start_age = min(age, 1 if age < 3 else r.int(1, 3))
                begin = p.birth + int(365.25 * start_age) + r.int(30, 300)
                cols["betreuungsbeginn"].append(min(max(begin, p.birth + 60), st_ord - 1))
        return cols

    # ---------------------------------------------------------------- Schule
    def _schule(self, persons: list[Person]) -> Columns:
        year = self.pop.year
        r = self.r
        regular = (date(year - 11, 10, 1).toordinal(), date(year - 10, 9, 30).toordinal())
        older = (date(year - 12, 10, 1).toordinal(), regular[0] - 1)
        younger = (regular[1] + 1, date(year - 9, 9, 30).toordinal())
        cols = self._rows(["schueler_id", "geburtsdatum", "geschlecht", "schuljahr",
                           "schulform", "foerderbedarf", "ags", "strasse", "hausnummer",
                           "hausnummer_zusatz", "plz"])
        forms = ["GY", "GE", "RS", "HS", "SK", "PR", "FS", "SO"]
        for p in persons:
            if regular[0] <= p.birth <= regular[1]:
                take = r.u() < 0.955
            elif older[0] <= p.birth <= older[1]:
                take = r.u() < 0.04
            elif younger[0] <= p.birth <= younger[1]:
                take = r.u() < 0.008
            else:
                continue
            if not take:
                continue
            st = self._state(p)
            b, s = st.belastung, float(st.sgb2)
            w = [math.exp(0.95 - 2.6 * b - 0.8 * s), 0.72, 0.3 + 0.35 * b,
                 0.015 + 0.2 * b + 0.08 * s, 0.14, 0.01, 0.035 + 0.05 * b + 0.04 * s, 0.01]
            total = sum(w)
            u = r.u() * total
            acc = 0.0
            form = "SO"
            for f, x in zip(forms, w, strict=True):
                acc += x
                if u < acc:
                    form = f
                    break
            sid = self.schueler_id.get(p.pid)
            if sid is None:
                sid = self.schueler_id[p.pid] = self._id()
            cols["schueler_id"].append(sid)
            self._person_cols(cols, p)
            cols["schuljahr"].append(f"{year}/{(year + 1) % 100:02d}")
            cols["schulform"].append(form)
            if r.u() < 0.01:
                cols["foerderbedarf"].append(None)
            else:
                cols["foerderbedarf"].append(form == "FS" or r.u() < 0.02 + 0.02 * b)
        return cols

    def _schulabgang(self, persons: list[Person]) -> Columns:
        year = self.pop.year
        r = self.r
        st_date = date(year, 7, 31)
        cols = self._rows(["schueler_id", "geburtsdatum", "geschlecht", "schuljahr",
                           "abschluss", "ags", "strasse", "hausnummer", "hausnummer_zusatz",
                           "plz"])
        ages = {"OA": ([15, 16, 17], [0.4, 0.85]), "HSA": ([15, 16, 17], [0.3, 0.8]),
                "MSA": ([16, 17, 18], [0.6, 0.9]), "FHR": ([18, 19, 20], [0.6, 0.97]),
                "AHR": ([18, 19, 20], [0.55, 0.97])}
        for p in persons:
            if not 14 <= year - p.by <= 21:
                continue
            age = age_at(p.birth, st_date)
            if not 15 <= age <= 20:
                continue
            plan = self.leaving.get(p.pid)
            if plan is None:
                st = self._state(p)
                b, s = st.belastung, float(st.sgb2)
                p_oa = 0.025 + 0.065 * b + 0.03 * s
                p_hsa = 0.08 + 0.13 * b + 0.06 * s
                p_fhr = 0.085
                p_ahr = max(0.58 - 0.5 * b - 0.15 * s, 0.08)
                u = r.u()
                abschluss = ("OA" if u < p_oa else "HSA" if u < p_oa + p_hsa
                             else "FHR" if u < p_oa + p_hsa + p_fhr
                             else "AHR" if u < p_oa + p_hsa + p_fhr + p_ahr else "MSA")
                opts, cum = ages[abschluss]
                v = r.u()
                leave = opts[0] if v < cum[0] else opts[1] if v < cum[1] else opts[2]
                plan = self.leaving[p.pid] = (abschluss, leave)
            if plan[1] != age:
                continue
            sid = self.schueler_id.get(p.pid)
            if sid is None:
                sid = self.schueler_id[p.pid] = self._id()
            cols["schueler_id"].append(sid)
            self._person_cols(cols, p)
            cols["schuljahr"].append(f"{year - 1}/{year % 100:02d}")
            cols["abschluss"].append(plan[0])
        return cols

    # ---------------------------------------------------------------- per Stichtag year
    def year(self) -> tuple[list[Person], dict[str, Columns]]:
        """Records of the current Berichtsjahr (call right after `pop.snapshot()`)."""
        persons = self._residents()
        self._households()
        out = {"sgb2": self._sgb2(), "hze": self._hze(persons), "seu": self._seu(persons),
               "schule": self._schule(persons), "schulabgang": self._schulabgang(persons)}
        return persons, out
