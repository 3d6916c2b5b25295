"""Address register of one municipality: streets, house numbers, dwellings, coordinates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from . import names
from .geography import Municipality

INNER_MARGIN = 10.0  # metres every address point keeps from its Sozialraum's border


@dataclass
class Addresses:
    """Column arrays, one entry per address (registered or deliberately unknown)."""

    street: list[str]
    number: np.ndarray  # int
    suffix: list[str]  # '' or a lower-case letter
    plz: list[str]
    x: np.ndarray
    y: np.ndarray
    area: np.ndarray  # index into Municipality.areas
    registered: np.ndarray  # bool; False = not in the register extract
    dwellings: np.ndarray  # int
    care_home: int  # address index of the care home, -1 if none

    def __len__(self) -> int:
        return len(self.street)


def _points_inside(poly, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n uniform random points strictly inside `poly` (rejection sampling)."""
    minx, miny, maxx, maxy = poly.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    got = 0
    while got < n:
        k = max(16, 2 * (n - got))
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(poly, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _dwelling_counts(n_needed: int, urbanity: float, belastung: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Dwellings per building until `n_needed` dwellings exist."""
    p = np.array([max(0.68 - 0.45 * urbanity - 0.15 * belastung, 0.1), 0.17,
                  0.10 + 0.2 * urbanity, 0.02 + 0.12 * urbanity + 0.08 * belastung])
    p /= p.sum()
    out: list[np.ndarray] = []
    total = 0
    while total < n_needed:
        kind = rng.choice(4, size=max(8, n_needed // 3), p=p)
        d = np.where(kind == 0, 1, np.where(kind == 1, 2, np.where(
            kind == 2, rng.integers(3, 9, kind.size), rng.integers(9, 25, kind.size))))
        cs = np.cumsum(d) + total
        cut = int(np.searchsorted(cs, n_needed)) + 1
        out.append(d[:cut])
        total = int(cs[min(cut, cs.size) - 1])
    return np.concatenate(out)


def build_addresses(m: Municipality, rng: np.random.Generator) -> Addresses:
    """Registered addresses of every Sozialraum plus a few unknown ones (~0.5 % of dwellings)."""
    pool = names.street_pool()
    pool += [f"{n}er Straße" if not n.endswith("e") else f"{n}r Straße" for n in m.neighbours]
    order = [pool[int(i)] for i in rng.permutation(len(pool))]
    unknown_pool = [s for s in names.new_street_names()
                    if names.normalise_street(s) not in {names.normalise_street(p) for p in pool}]
    street: list[str] = []
    number: list[int] = []
    suffix: list[str] = []
    plz: list[str] = []
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    area_idx: list[int] = []
    dwellings: list[np.ndarray] = []

    plan = []
    for k, a in enumerate(m.areas):
        hh_size = 2.1 + 0.35 * a.belastung - 0.25 * a.urbanity
        need = int(math.ceil(a.target_population / hh_size / 0.95))
        plan.append((k, a, _dwelling_counts(need, a.urbanity, a.belastung, rng)))
    n_buildings = sum(len(d) for _, _, d in plan)
    per_street = max(14.0, n_buildings / max(len(order) - 5, 1))
    used = 0
    for k, a, dw in plan:
        inner = a.polygon.buffer(-INNER_MARGIN)
        core = a.polygon.buffer(-120.0)
        pos = 0
        while pos < len(dw):
            n_here = min(len(dw) - pos, int(rng.integers(int(per_street * 0.5),
                                                        int(per_street * 2.2) + 1)))
            if len(dw) - pos - n_here < 5:
                n_here = len(dw) - pos
            if used >= len(order):
                raise ValueError(f"street names exhausted in {m.ags}")
            name = order[used]
            used += 1
            # house numbers 1..n, some with a suffix sibling (12a) or only suffixed
            nums: list[int] = []
            sufs: list[str] = []
            num = 0
            while len(nums) < n_here:
                num += 1
                r = rng.random()
                if r < 0.015:
                    nums.append(num)
                    sufs.append("a")
                    continue
                nums.append(num)
                sufs.append("")
                if r < 0.06 and len(nums) < n_here:
                    nums.append(num)
                    sufs.append("a")
                    if r < 0.015 + 0.012 and len(nums) < n_here:
                        nums.append(num)
                        sufs.append("b")
            nums_a = np.array(nums)
            # a straight street through a random point; odd numbers left, even right
            sx, sy = _points_inside(core if not core.is_empty else inner, 1, rng)
            ang = rng.uniform(0, math.pi)
            along = ((nums_a - 1) // 2) * rng.uniform(14.0, 24.0) - (nums_a.max() // 2) * 9.0
            side = np.where(nums_a % 2 == 1, 1.0, -1.0) * 12.0
            extra = np.array([0.0 if s == "" else 6.0 for s in sufs])
            px = sx[0] + (along + extra) * math.cos(ang) - side * math.sin(ang)
            py = sy[0] + (along + extra) * math.sin(ang) + side * math.cos(ang)
            px, py = np.round(px, 2), np.round(py, 2)
            bad = ~shapely.contains_xy(inner, px, py)
            if bad.any():
                rx, ry = _points_inside(inner, int(bad.sum()), rng)
                px[bad], py[bad] = np.round(rx, 2), np.round(ry, 2)
            street += [name] * n_here
            number += nums
            suffix += sufs
            plz += [a.plz] * n_here
            xs.append(px)
            ys.append(py)
            area_idx += [k] * n_here
            dwellings.append(dw[pos:pos + n_here])
            pos += n_here
    n_reg = len(street)
    dw_all = np.concatenate(dwellings)
    # care home: one big address in the most urban area of larger municipalities
    care = -1
    if m.target_population >= 8000:
        cand = [i for i in range(n_reg) if area_idx[i] == 0]
        care = cand[int(rng.integers(len(cand)))]
        dw_all[care] = max(20, int(m.target_population * 0.004))
    # deliberately unknown addresses (a new street not yet in the register extract)
    n_unknown_dw = max(2, int(round(dw_all.sum() * 0.005)))
    u_name = unknown_pool[int(rng.integers(len(unknown_pool)))]
    u_area = int(rng.integers(len(m.areas)))
    u_dw: list[int] = []
    while sum(u_dw) < n_unknown_dw:
        u_dw.append(int(rng.choice([1, 1, 2, 2, 3, 4, 6])))
    ux, uy = _points_inside(m.areas[u_area].polygon.buffer(-INNER_MARGIN), len(u_dw), rng)
    street += [u_name] * len(u_dw)
    number += list(range(1, len(u_dw) + 1))
    suffix += [""] * len(u_dw)
    plz += [m.areas[u_area].plz] * len(u_dw)
    area_idx += [u_area] * len(u_dw)
    return Addresses(
        street=street, number=np.array(number), suffix=suffix, plz=plz,
        x=np.concatenate(xs + [np.round(ux, 2)]), y=np.concatenate(ys + [np.round(uy, 2)]),
        area=np.array(area_idx),
        registered=np.array([True] * n_reg + [False] * len(u_dw)),
        dwellings=np.concatenate([dw_all, np.array(u_dw, dtype=dw_all.dtype)]),
        care_home=care)
