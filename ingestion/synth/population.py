"""Persons and households of one municipality, evolved from Stichtag to Stichtag.

The model keeps every person of ONE municipality as a small Python object; the caller
writes each Stichtag's snapshot and drops the model before the next municipality.
Households live in dwellings of the address table; the Sozialraum's `belastung` shapes
who lives there (children, nationality, age), and in-migrants are drawn the same way.
"""

from __future__ import annotations

import bisect
import math
import random
from datetime import date

import numpy as np

from . import names
from .addresses import Addresses
from .geography import Municipality

GERMAN = "000"
# Destatis Staatsangehörigkeitsschlüssel; two profiles mixed by the area's belastung
NAT_LOW = {"152": 20, "154": 14, "137": 12, "148": 10, "134": 8, "130": 8, "125": 6,
           "166": 10, "160": 4, "129": 3, "153": 3, "161": 2}
NAT_HIGH = {"163": 26, "475": 18, "438": 8, "423": 8, "166": 8, "150": 6, "170": 5,
            "121": 4, "125": 7, "154": 6, "122": 4}
NAT_CODES = sorted(set(NAT_LOW) | set(NAT_HIGH))
_LOW_P = np.array([NAT_LOW.get(c, 0) for c in NAT_CODES], float)
_HIGH_P = np.array([NAT_HIGH.get(c, 0) for c in NAT_CODES], float)
_LOW_P /= _LOW_P.sum()
_HIGH_P /= _HIGH_P.sum()
EU_SECOND = ["148", "152", "129", "137", "151", "168"]

KINDS = ["EPH_YOUNG", "EPH_OLD", "PAAR_YOUNG", "PAAR_OLD", "PAAR_MK", "AE", "PAAR_ADULT",
         "AE_ADULT", "WG", "GRAND"]


def _kind_weights(b: float, u: float, mover: bool) -> list[float]:
    if mover:
        w = [0.34, 0.06, 0.15, 0.08, 0.14 + 0.06 * b, 0.04 + 0.05 * b, 0.02, 0.01,
             0.06 + 0.02 * u, 0.002]
    else:
        w = [0.10 + 0.05 * u + 0.03 * b, max(0.19 - 0.10 * b - 0.03 * u, 0.05), 0.06,
             max(0.25 - 0.10 * b, 0.06), 0.12 + 0.07 * b - 0.02 * u, 0.025 + 0.05 * b,
             0.06, 0.02, 0.006 + 0.012 * u, 0.0015]
    s = sum(w)
    acc = 0.0
    out = []
    for x in w:
        acc += x / s
        out.append(acc)
    return out


class Rand:
    """Fast scalar draws: a stdlib Mersenne Twister seeded from the numpy Generator."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._py = random.Random(int(rng.integers(0, 2**63)))
        self.u = self._py.random

    def int(self, lo: int, hi: int) -> int:
        """Integer in [lo, hi] inclusive."""
        return lo + int(self.u() * (hi - lo + 1))

    def pick(self, seq):
        return seq[int(self.u() * len(seq))]

    def cum(self, cum: list[float]) -> int:
        return min(bisect.bisect_right(cum, self.u()), len(cum) - 1)

    def normal(self, mu: float = 0.0, sd: float = 1.0) -> float:
        return self._py.gauss(mu, sd)

    def expo(self, mean: float) -> float:
        return self._py.expovariate(1.0 / mean)

    def hex16(self) -> str:
        return f"{self._py.getrandbits(64):016x}"


class Person:
    __slots__ = ("pid", "birth", "by", "sex", "nat", "nat2", "fam", "spouse", "partner", "p1", "p2",
                 "status", "zuzug", "hh", "addr", "street_w", "hn_w", "hz_w", "alive",
                 "present")

    def __init__(self, pid: str, birth: int, sex: str):
        self.pid = pid
        self.birth = birth
        self.by = date.fromordinal(birth).year
        self.sex = sex
        self.nat = GERMAN
        self.nat2 = ""
        self.fam = "LD"
        self.spouse: Person | None = None
        self.partner: Person | None = None
        self.p1: Person | None = None
        self.p2: Person | None = None
        self.status = "H"
        self.zuzug: int | None = None
        self.hh: Household | None = None
        self.addr = -1
        self.street_w = ""
        self.hn_w = ""
        self.hz_w = ""
        self.alive = True
        self.present = True


class Household:
    __slots__ = ("members", "dwelling", "origin")

    def __init__(self, dwelling: int, origin: str):
        self.members: list[Person] = []
        self.dwelling = dwelling
        self.origin = origin  # GERMAN or a foreign nationality code


_YEAR_START: dict[int, int] = {}


def _year_start(y: int) -> int:
    v = _YEAR_START.get(y)
    if v is None:
        v = _YEAR_START[y] = date(y, 1, 1).toordinal()
    return v


class MunicipalityPopulation:
    """All persons of one municipality; `evolve_to(year)` moves to the next 31.12."""

    def __init__(self, m: Municipality, addr: Addresses, first_year: int,
                 rng: np.random.Generator, messiness: float = 0.05):
        self.m = m
        self.messiness = messiness  # share of addresses typed in another spelling
        self.addr = addr
        self.r = Rand(rng)
        self.rng = rng
        self.year = first_year
        self.stichtag = date(first_year, 12, 31).toordinal()
        self.persons: list[Person] = []
        self.households: list[Household] = []
        self.ids: set[str] = set()
        self.growth = float(rng.uniform(-0.006, 0.008))
        self.variants: dict[str, list[str]] = {}
        # dwellings: index -> address
        self.dw_addr = np.repeat(np.arange(len(addr)), addr.dwellings)
        is_care = self.dw_addr == addr.care_home
        order = rng.permutation(self.dw_addr.size)
        self.free: list[int] = [int(d) for d in order if not is_care[d]]
        self.free_care: list[int] = [int(d) for d in order if is_care[d]]
        self.registered_addrs = np.flatnonzero(addr.registered)
        self._initial_fill()

    # ---------------------------------------------------------------- basic helpers
    def _new_person(self, birth: int, sex: str) -> Person:
        pid = self.r.hex16()
        while pid in self.ids:
            pid = self.r.hex16()
        self.ids.add(pid)
        p = Person(pid, birth, sex)
        self.persons.append(p)
        return p

    def _birth_for_age(self, age: int) -> int:
        """A birth date giving completed age `age` at the current Stichtag (31.12.)."""
        y = self.year - age
        start = _year_start(y)
        return start + int(self.r.u() * (_year_start(y + 1) - start))

    def _age(self, p: Person) -> int:
        """Completed age at the current Stichtag (always a 31.12.)."""
        return self.year - p.by

    def _sex(self, p_male: float) -> str:
        u = self.r.u()
        if u < 0.0004:
            return "d"
        if u < 0.0006:
            return "o"
        return "m" if self.r.u() < p_male else "w"

    def _take_dwelling(self, care: bool = False) -> int | None:
        pool = self.free_care if care else self.free
        if not pool:
            return None
        k = int(self.r.u() * len(pool))
        pool[k], pool[-1] = pool[-1], pool[k]
        return pool.pop()

    def _add_dwellings(self, n: int) -> None:
        """New flats in existing registered buildings (densification)."""
        if n <= 0:
            return
        cand = np.flatnonzero(self.addr.registered)
        cand = cand[cand != self.addr.care_home]
        first = self.dw_addr.size
        self.dw_addr = np.concatenate([self.dw_addr, self.rng.choice(cand, size=n)])
        self.free.extend(range(first, first + n))

    def _release(self, dwelling: int) -> None:
        (self.free_care if self.dw_addr[dwelling] == self.addr.care_home else self.free).append(
            dwelling)

    def _write_address(self, p: Person) -> None:
        """The spelling an agency clerk typed for the person's address."""
        a = p.addr
        name = self.addr.street[a]
        num = int(self.addr.number[a])
        suf = self.addr.suffix[a]
        r = self.r
        if self.addr.registered[a] and r.u() < self.messiness:
            var = self.variants.get(name)
            if var is None:
                var = self.variants[name] = names.street_variants(name)
            if var:
                name = r.pick(var)
        p.street_w = name
        if suf:
            v = r.u()
            if v < 0.55:
                p.hn_w, p.hz_w = str(num), suf
            elif v < 0.8:
                p.hn_w, p.hz_w = f"{num}{suf}", ""
            elif v < 0.9:
                p.hn_w, p.hz_w = f"{num}{suf.upper()}", ""
            else:
                p.hn_w, p.hz_w = f"{num} {suf}", ""
        elif r.u() < 0.012:
            p.hn_w, p.hz_w = f"{num}-{num + 2}", ""
        else:
            p.hn_w, p.hz_w = str(num), ""

    def _place(self, hh: Household, dwelling: int, zuzug: int | None) -> None:
        hh.dwelling = dwelling
        a = int(self.dw_addr[dwelling])
        for p in hh.members:
            p.addr = a
            p.hh = hh
            if zuzug is not None:
                p.zuzug = max(zuzug, p.birth)
            self._write_address(p)

    # ---------------------------------------------------------------- nationality
    def _origin(self, b: float, mover: bool) -> str:
        p_ng = 0.045 + 0.6 * b ** 1.4 + (0.08 if mover else 0.0)
        if self.r.u() >= p_ng:
            return GERMAN
        mix = _LOW_P * (1 - b) + _HIGH_P * b
        return NAT_CODES[min(bisect.bisect_right(np.cumsum(mix).tolist(), self.r.u()),
                             len(NAT_CODES) - 1)]

    def _set_nat(self, p: Person, origin: str, minor: bool) -> None:
        r = self.r
        if origin == GERMAN:
            p.nat, p.nat2 = GERMAN, (r.pick(EU_SECOND) if r.u() < 0.02 else "")
            return
        v = r.u()
        if minor:
            if v < 0.4:
                p.nat, p.nat2 = GERMAN, origin
            elif v < 0.45:
                p.nat, p.nat2 = origin, GERMAN
            else:
                p.nat, p.nat2 = origin, ""
        elif v < 0.74:
            p.nat, p.nat2 = origin, ""
        elif v < 0.86:
            p.nat, p.nat2 = GERMAN, origin
        elif v < 0.92:
            p.nat, p.nat2 = origin, GERMAN
        else:
            p.nat, p.nat2 = GERMAN, ""

    # ---------------------------------------------------------------- household generator
    def _adult(self, age: int, sex: str, hh: Household, fam: str = "LD") -> Person:
        p = self._new_person(self._birth_for_age(age), sex)
        p.fam = fam
        self._set_nat(p, hh.origin, minor=False)
        hh.members.append(p)
        return p

    def _child(self, age: int, hh: Household, parents: list[Person]) -> Person:
        p = self._new_person(self._birth_for_age(age), self._sex(0.51))
        self._set_nat(p, hh.origin, minor=age < 18)
        if any(GERMAN in (q.nat, q.nat2) for q in parents) and GERMAN not in (p.nat, p.nat2):
            p.nat2 = GERMAN
        if parents:
            p.p1 = parents[0]
        if len(parents) > 1:
            p.p2 = parents[1]
        hh.members.append(p)
        return p

    def _couple(self, age_m: int, hh: Household, married: bool) -> tuple[Person, Person]:
        age_w = max(18, age_m - int(round(self.r.normal(2.5, 3.0))))
        man = self._adult(age_m, "m", hh)
        woman = self._adult(age_w, "w", hh)
        if hh.origin != GERMAN and self.r.u() < 0.15:
            man.nat, man.nat2 = GERMAN, ""
        man.partner, woman.partner = woman, man
        if married:
            man.fam = woman.fam = "VH"
            man.spouse, woman.spouse = woman, man
        else:
            for p, a in ((man, age_m), (woman, age_w)):
                p.fam = "GS" if a > 35 and self.r.u() < 0.35 else "LD"
        return man, woman

    def _single_fam(self, age: int, sex: str) -> str:
        v = self.r.u()
        if age < 30:
            return "LD" if v < 0.95 else "GS"
        if age < 50:
            return "LD" if v < 0.6 else ("GS" if v < 0.97 else "VW")
        if age < 65:
            return "LD" if v < 0.3 else ("GS" if v < 0.8 else "VW")
        if sex == "w":
            return "LD" if v < 0.09 else ("GS" if v < 0.3 else "VW")
        return "LD" if v < 0.2 else ("GS" if v < 0.5 else "VW")

    def _old_age(self, lo: int = 65, plateau: int = 80, decay: float = 6.0) -> int:
        while True:
            a = lo + int(self.r.u() * (103 - lo))
            if a <= plateau or self.r.u() < math.exp(-(a - plateau) / decay):
                return a

    def _child_age(self, mother_age: int) -> int:
        """Age of a minor child: mother's age at birth about N(30, 5), within 0..17."""
        for _ in range(20):
            a = mother_age - int(round(self.r.normal(30.0, 5.0)))
            if 0 <= a <= 17 and mother_age - a >= 18:
                return a
        return self.r.int(0, max(0, min(17, mother_age - 18)))

    def _n_children(self, b: float) -> int:
        v = self.r.u()
        p1, p2, p3 = 0.50 - 0.14 * b, 0.37, 0.09 + 0.08 * b
        return 1 if v < p1 else 2 if v < p1 + p2 else 3 if v < p1 + p2 + p3 else 4 + (
            self.r.u() < 0.3)

    def _make_household(self, kind: str, b: float, origin: str) -> Household:
        r = self.r
        hh = Household(-1, origin)
        if kind == "EPH_YOUNG":
            age = r.int(19, 35) if r.u() < 0.55 else r.int(36, 64)
            sex = self._sex(0.56)
            self._adult(age, sex, hh, self._single_fam(age, sex))
        elif kind == "EPH_OLD":
            age = self._old_age(65, 86, 5.0)
            sex = self._sex(0.32)
            self._adult(age, sex, hh, self._single_fam(age, sex))
        elif kind in ("PAAR_YOUNG", "PAAR_OLD"):
            if kind == "PAAR_YOUNG":
                age, married = r.int(23, 42), r.u() < 0.45
            else:
                age = r.int(45, 70) if r.u() < 0.5 else self._old_age(66)
                married = r.u() < 0.9
            self._couple(age, hh, married)
        elif kind in ("PAAR_MK", "PAAR_ADULT"):
            if kind == "PAAR_MK":
                age_w = 25 + int(28 * (r.u() + r.u()) / 2)
            else:
                age_w = r.int(44, 66)
            man, woman = self._couple(age_w + 2, hh, r.u() < (0.78 if kind == "PAAR_MK" else 0.9))
            woman_age = self._age(woman)
            step = kind == "PAAR_MK" and r.u() < 0.08
            if kind == "PAAR_MK":
                for k in range(self._n_children(b)):
                    age = self._child_age(woman_age)
                    self._child(age, hh, [woman] if step and k == 0 else [woman, man])
                if woman_age >= 40 and r.u() < 0.12:
                    self._child(r.int(18, min(27, woman_age - 20)), hh, [woman, man])
            else:
                for _ in range(1 + (r.u() < 0.35)):
                    self._child(r.int(18, max(18, min(32, woman_age - 20))), hh, [woman, man])
        elif kind in ("AE", "AE_ADULT"):
            sex = "w" if r.u() < 0.86 else "m"
            if kind == "AE":
                age = 22 + int(31 * (r.u() + r.u()) / 2)
                parent = self._adult(age, sex, hh)
                parent.fam = "LD" if r.u() < 0.42 else ("GS" if r.u() < 0.93 or age < 35 else "VW")
                for _ in range(min(self._n_children(b), 3)):
                    self._child(self._child_age(age), hh, [parent])
            else:
                age = r.int(45, 75)
                parent = self._adult(age, sex, hh, self._single_fam(age, sex))
                if parent.fam == "LD" and r.u() < 0.5:
                    parent.fam = "GS"
                self._child(r.int(18, min(40, age - 20)), hh, [parent])
        elif kind == "WG":
            for _ in range(r.int(2, 4)):
                self._adult(r.int(19, 33), self._sex(0.5), hh)
        else:  # GRAND: grandparents raising a grandchild (minor without parent)
            age = r.int(55, 78)
            if r.u() < 0.6:
                self._couple(age, hh, True)
            else:
                self._adult(age, "w", hh, "VW" if r.u() < 0.5 else "GS")
            self._child(r.int(2, 17), hh, [])
        for p in hh.members:
            if p.nat != GERMAN and p.nat2 != GERMAN and hh.origin == GERMAN:
                p.nat = GERMAN
        return hh

    def _area_params(self, dwelling: int) -> tuple[float, float]:
        a = self.m.areas[int(self.addr.area[self.dw_addr[dwelling]])]
        return a.belastung, a.urbanity

    def _new_household(self, dwelling: int, mover: bool, kind: str | None = None) -> Household:
        b, u = self._area_params(dwelling)
        if kind is None:
            kind = KINDS[self.r.cum(_kind_weights(b, u, mover))]
        hh = self._make_household(kind, b, self._origin(b, mover))
        self.households.append(hh)
        return hh

    def _initial_zuzug(self, hh: Household) -> int:
        adults = [a for a in (self._age(p) for p in hh.members) if a >= 18]
        head = max(adults) if adults else 30
        youngest = min(adults) if adults else 18
        years = self.r.expo(3.0 + 0.32 * max(head - 20, 0))
        years = min(years, max(youngest - 18, 0) + self.r.u())
        return self.stichtag - int(years * 365.25) - int(self.r.u() * 30)

    def _initial_fill(self) -> None:
        r = self.r
        n_regular = len(self.free)
        for _ in range(int(n_regular * 0.95)):
            d = self._take_dwelling()
            hh = self._new_household(d, mover=False)
            self._place(hh, d, self._initial_zuzug(hh))
        for _ in range(int(len(self.free_care) * 0.93)):
            d = self._take_dwelling(care=True)
            self._care_resident(d, self.stichtag - int(r.expo(2.5) * 365.25))
        for p in self.persons:
            if r.u() < (0.03 if p.zuzug is None or self.stichtag - p.zuzug < 7300 else 0.25):
                p.zuzug = None
        self._top_up_nebenwohnung(initial=True)

    def _care_resident(self, d: int, zuzug: int) -> None:
        hh = Household(-1, GERMAN if self.r.u() < 0.95 else self._origin(0.3, False))
        age = max(self._old_age(75), 75)
        sex = self._sex(0.28)
        self._adult(age, sex, hh, self._single_fam(age, sex) if self.r.u() < 0.9 else "VW")
        self.households.append(hh)
        self._place(hh, d, zuzug)

    def _top_up_nebenwohnung(self, initial: bool) -> None:
        r = self.r
        n_h = sum(1 for p in self.persons if p.present and p.status == "H")
        n_n = sum(1 for p in self.persons if p.present and p.status == "N")
        target = int(round(0.0205 * n_h))
        start = _year_start(self.year)
        for _ in range(max(target - n_n, 0)):
            age = r.int(19, 30) if r.u() < 0.6 else r.int(31, 64)
            p = self._new_person(self._birth_for_age(age), self._sex(0.55))
            p.status = "N"
            p.fam = "LD" if age < 35 or r.u() < 0.5 else "VH"
            if p.fam == "VH":
                p.fam = "GS" if r.u() < 0.5 else "LD"  # spouse lives at the main residence
            p.nat = GERMAN if r.u() < 0.88 else r.pick(NAT_CODES)
            p.addr = int(self.registered_addrs[int(r.u() * self.registered_addrs.size)])
            p.zuzug = (self.stichtag - int(r.expo(2.0) * 365.25) if initial
                       else start + int(r.u() * (self.stichtag - start + 1)))
            p.zuzug = max(p.zuzug, p.birth + 18 * 365)
            self._write_address(p)

    # ---------------------------------------------------------------- evolution
    def _remove(self, p: Person, died: bool) -> None:
        p.present = False
        p.alive = not died
        if p.hh is not None:
            p.hh.members.remove(p)
            if not p.hh.members:
                self._release(p.hh.dwelling)
            p.hh = None

    def _leave_household(self, p: Person) -> None:
        hh = p.hh
        if hh is not None:
            hh.members.remove(p)
            if not hh.members:
                self._release(hh.dwelling)
        p.hh = None

    def _move_out_alone(self, p: Person, date_ord: int) -> None:
        """`p` forms a one-person household elsewhere in the municipality (or leaves it)."""
        d = self._take_dwelling()
        if d is None:
            self._remove(p, died=False)
            return
        origin = p.hh.origin if p.hh is not None else GERMAN
        self._leave_household(p)
        hh = Household(d, origin)
        hh.members.append(p)
        self.households.append(hh)
        self._place(hh, d, date_ord)

    def evolve_to(self, year: int) -> None:
        """Apply one calendar year of events; the new Stichtag is 31.12.`year`."""
        assert year == self.year + 1
        r = self.r
        start = _year_start(year)
        self.year = year
        self.stichtag = date(year, 12, 31).toordinal()
        span = self.stichtag - start + 1

        def when() -> int:
            return start + int(r.u() * span)

        pop_before = sum(1 for p in self.persons if p.present and p.status == "H")
        # deaths
        for p in self.persons:
            if not p.present:
                continue
            age = (self.stichtag - p.birth) / 365.25
            q = 0.0035 if age < 1 else min(0.6, math.exp(-10.4 + 0.0955 * age))
            if p.sex == "w":
                q *= 0.75
            if r.u() < q:
                self._remove(p, died=True)
        # out-migration of whole households
        for hh in list(self.households):
            if not hh.members or hh.dwelling < 0:
                continue
            ages = [self._age(p) for p in hh.members]
            head = max(ages)
            rate = (0.09 if head < 31 else 0.025 if head < 65 else 0.008) + (
                0.02 if hh.origin != GERMAN else 0.0)
            if self.dw_addr[hh.dwelling] == self.addr.care_home:
                rate = 0.01
            if r.u() < rate:
                for p in list(hh.members):
                    self._remove(p, died=False)
        # young adults leaving the parental home
        for p in self.persons:
            if not (p.present and p.status == "H" and p.hh is not None and p.fam == "LD"):
                continue
            if p.partner is not None or not (p.p1 or p.p2):
                continue
            age = self._age(p)
            if 18 <= age <= 34 and r.u() < (0.16 if age <= 27 else 0.1):
                if r.u() < 0.45:
                    self._remove(p, died=False)
                else:
                    p.p1 = p.p2 = None
                    self._move_out_alone(p, when())
        # separations (divorce of married couples, split of unmarried ones)
        for hh in list(self.households):
            couples = [p for p in hh.members if p.partner is not None and p.sex == "m"
                       and p.partner.hh is hh]
            for man in couples:
                woman = man.partner
                if r.u() >= (0.009 if man.spouse is not None else 0.025):
                    continue
                if man.spouse is not None:
                    man.fam = woman.fam = "GS"
                man.spouse = woman.spouse = None
                man.partner = woman.partner = None
                self._move_out_alone(man, when())
        # marriages of cohabiting couples
        for p in self.persons:
            q = p.partner
            if (p.present and q is not None and p.spouse is None and p.sex == "m"
                    and q.present and r.u() < 0.06):
                p.fam = q.fam = "VH"
                p.spouse, q.spouse = q, p
        # moves within the municipality
        for hh in list(self.households):
            if not hh.members or hh.dwelling < 0:
                continue
            if self.dw_addr[hh.dwelling] == self.addr.care_home:
                continue
            ages = [self._age(p) for p in hh.members]
            if r.u() < (0.09 if max(ages) < 35 else 0.04 if max(ages) < 65 else 0.015):
                d = self._take_dwelling()
                if d is None:
                    continue
                self._release(hh.dwelling)
                self._place(hh, d, when())
        # care home: elderly living alone move in, or come from outside
        while self.free_care:
            d = self._take_dwelling(care=True)
            cand = None
            if r.u() < 0.5:
                for _ in range(40):
                    p = r.pick(self.persons)
                    if (p.present and p.status == "H" and p.hh is not None
                            and len(p.hh.members) == 1 and self._age(p) >= 78
                            and self.dw_addr[p.hh.dwelling] != self.addr.care_home):
                        cand = p
                        break
            if cand is None:
                self._care_resident(d, when())
            else:
                self._release(cand.hh.dwelling)
                self._place(cand.hh, d, when())
        # births
        for w in list(self.persons):
            if not (w.present and w.status == "H" and w.sex == "w" and w.hh is not None):
                continue
            age = self._age(w)
            if age < 16 or age > 46:
                continue
            b, _ = self._area_params(w.hh.dwelling)
            f = 0.115 * math.exp(-(((age - 31) / 5.5) ** 2)) * (0.85 + 0.6 * b)
            partner = w.partner if w.partner is not None and w.partner.hh is w.hh else None
            f *= 1.7 if partner is not None else 0.25
            if r.u() >= f:
                continue
            birth = when()
            c = self._new_person(birth, self._sex(0.513))
            c.p1 = w
            c.p2 = partner
            parents = [w] + ([partner] if partner else [])
            if any(GERMAN in (q.nat, q.nat2) for q in parents):
                foreign = next((q.nat for q in parents if q.nat != GERMAN), "")
                c.nat, c.nat2 = GERMAN, (foreign if foreign and r.u() < 0.6 else "")
            elif r.u() < 0.45:  # ius soli
                c.nat, c.nat2 = GERMAN, w.nat
            else:
                c.nat = w.nat
            w.hh.members.append(c)
            c.hh = w.hh
            c.addr = w.addr
            c.zuzug = birth
            self._write_address(c)
        # households without an adult are taken in by relatives elsewhere
        for hh in self.households:
            if hh.members and all(self._age(p) < 18 for p in hh.members):
                for p in list(hh.members):
                    self._remove(p, died=False)
        # new dwellings in existing buildings when the market is tight
        self._add_dwellings(int(0.03 * self.dw_addr.size) - len(self.free))
        # in-migration until the municipality's growth target is met
        pop_now = sum(1 for p in self.persons if p.present and p.status == "H")
        need = int(round(pop_before * (1 + self.growth))) - pop_now
        while need > 0:
            d = self._take_dwelling()
            if d is None:
                self._add_dwellings(max(16, need // 2))
                continue
            hh = self._new_household(d, mover=True)
            self._place(hh, d, when())
            need -= len(hh.members)
        # Nebenwohnungen: about a fifth end each year, new ones keep ~2 %
        for p in self.persons:
            if p.present and p.status == "N" and r.u() < 0.2:
                self._remove(p, died=False)
        self._top_up_nebenwohnung(initial=False)
        self._cleanup()

    def _cleanup(self) -> None:
        """Drop references to persons no longer in the municipality; compact lists."""
        for p in self.persons:
            if not p.present:
                continue
            s = p.spouse
            if s is not None and not s.present:
                p.spouse = None
                p.partner = None
                p.fam = "VW" if not s.alive else "GS"
            q = p.partner
            if q is not None and not q.present:
                p.partner = None
            if p.p1 is not None and not p.p1.present:
                p.p1 = None
            if p.p2 is not None and not p.p2.present:
                p.p2 = None
            if p.p1 is None and p.p2 is not None:
                p.p1, p.p2 = p.p2, None
        self.persons = [p for p in self.persons if p.present]
        self.households = [h for h in self.households if h.members]

    # ---------------------------------------------------------------- snapshot
    def snapshot(self) -> dict[str, list]:
        """Columns of the einwohner delivery at the current Stichtag (all present persons)."""
        self._cleanup()
        cols: dict[str, list] = {k: [] for k in (
            "person_id", "geburtsdatum", "geschlecht", "staatsangehoerigkeit",
            "weitere_staatsangehoerigkeit", "familienstand", "ehegatte_id", "elternteil1_id",
            "elternteil2_id", "wohnungsstatus", "zuzug_datum", "strasse", "hausnummer",
            "hausnummer_zusatz", "plz", "_addr")}
        plz = self.addr.plz
        for p in self.persons:
            cols["person_id"].append(p.pid)
            cols["geburtsdatum"].append(p.birth)
            cols["geschlecht"].append(p.sex)
            cols["staatsangehoerigkeit"].append(p.nat)
            cols["weitere_staatsangehoerigkeit"].append(p.nat2)
            cols["familienstand"].append(p.fam)
            cols["ehegatte_id"].append(p.spouse.pid if p.spouse is not None else "")
            cols["elternteil1_id"].append(p.p1.pid if p.p1 is not None else "")
            cols["elternteil2_id"].append(p.p2.pid if p.p2 is not None else "")
            cols["wohnungsstatus"].append(p.status)
            cols["zuzug_datum"].append(p.zuzug if p.zuzug is not None else -1)
            cols["strasse"].append(p.street_w)
            cols["hausnummer"].append(p.hn_w)
            cols["hausnummer_zusatz"].append(p.hz_w)
            cols["plz"].append(plz[p.addr])
            cols["_addr"].append(p.addr)
        return cols
