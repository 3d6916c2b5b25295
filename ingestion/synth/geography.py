"""County geometry: municipalities tiling the county, Sozialräume tiling each municipality.

All areas are cells of one jittered lattice in EPSG:25832. Neighbouring cells share the
very same corner and edge points, so borders match exactly and unions are clean. Each
municipality is a rectangular block of lattice cells (recursive bisection), each cell one
Sozialraum with a latent `belastung` score and an `urbanity` used by the population model.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon

from . import names

COUNTY_AGS = "05999"
COUNTY_NAME = "Kreis Musterland"
CENTER_X = 480_000.0
CENTER_Y = 5_760_000.0
CRS_URN = "urn:ogc:def:crs:EPSG::25832"


@dataclass
class Area:
    """One Sozialraum with the latent parameters the population model uses."""

    raum_id: str
    raum_name: str
    ags: str
    polygon: Polygon
    belastung: float  # latent social burden in [0, 1]
    urbanity: float  # 0 rural .. 1 town centre
    target_population: int
    plz: str
    cell: tuple[int, int]


@dataclass
class Municipality:
    ags: str
    name: str
    index: int
    polygon: Polygon
    areas: list[Area] = field(default_factory=list)
    neighbours: list[str] = field(default_factory=list)  # names of nearby municipalities

    @property
    def target_population(self) -> int:
        return sum(a.target_population for a in self.areas)


@dataclass
class CountyModel:
    ags: str
    name: str
    municipalities: list[Municipality]

    @property
    def areas(self) -> list[Area]:
        return [a for m in self.municipalities for a in m.areas]


def municipality_codes(n: int) -> list[str]:
    """AGS codes 05999004, 05999008, ... (step 2 or 1 when more than 249 municipalities)."""
    step = 4 if 4 * n <= 999 else (2 if 2 * n <= 999 else 1)
    if step * n > 999:
        raise ValueError("at most 999 municipalities")
    return [f"{COUNTY_AGS}{step * (k + 1):03d}" for k in range(n)]


def _bisect(rect: tuple[int, int, int, int], k: int, rng: np.random.Generator,
            out: list[tuple[int, int, int, int]]) -> None:
    """Split lattice rectangle (i0, i1, j0, j1) into k blocks of roughly equal cell count."""
    i0, i1, j0, j1 = rect
    if k == 1:
        out.append(rect)
        return
    k1 = k // 2
    k2 = k - k1
    w, h = i1 - i0, j1 - j0
    dims = [("i", w, h), ("j", h, w)] if w >= h else [("j", h, w), ("i", w, h)]
    for axis, length, other in dims:
        lo = math.ceil(k1 / other)
        hi = length - math.ceil(k2 / other)
        if lo > hi:
            continue
        p = int(round(length * k1 / k + rng.normal(0.0, 0.6)))
        p = min(max(p, lo), hi)
        if axis == "i":
            _bisect((i0, i0 + p, j0, j1), k1, rng, out)
            _bisect((i0 + p, i1, j0, j1), k2, rng, out)
        else:
            _bisect((i0, i1, j0, j0 + p), k1, rng, out)
            _bisect((i0, i1, j0 + p, j1), k2, rng, out)
        return
    raise ValueError(f"cannot split {rect} into {k} municipalities")


def _lattice(nx: int, ny: int, rng: np.random.Generator):
    """Jittered corner points and per-edge intermediate points, rounded to centimetres."""
    widths = rng.uniform(1500.0, 2500.0, nx)
    heights = rng.uniform(1500.0, 2500.0, ny)
    xe = np.concatenate([[0.0], np.cumsum(widths)]) + CENTER_X - widths.sum() / 2
    ye = np.concatenate([[0.0], np.cumsum(heights)]) + CENTER_Y - heights.sum() / 2
    cx = xe[:, None] + rng.uniform(-220.0, 220.0, (nx + 1, ny + 1))
    cy = ye[None, :] + rng.uniform(-220.0, 220.0, (nx + 1, ny + 1))
    # two inner points on every horizontal edge (i,j)-(i+1,j) and vertical edge (i,j)-(i,j+1)
    h_off = rng.uniform(-130.0, 130.0, (nx, ny + 1, 2))
    v_off = rng.uniform(-130.0, 130.0, (nx + 1, ny, 2))
    t = np.array([1 / 3, 2 / 3])

    def h_edge(i: int, j: int) -> list[tuple[float, float]]:
        x = cx[i, j] + t * (cx[i + 1, j] - cx[i, j])
        y = cy[i, j] + t * (cy[i + 1, j] - cy[i, j]) + h_off[i, j]
        return list(zip(np.round(x, 2), np.round(y, 2), strict=True))

    def v_edge(i: int, j: int) -> list[tuple[float, float]]:
        x = cx[i, j] + t * (cx[i, j + 1] - cx[i, j]) + v_off[i, j]
        y = cy[i, j] + t * (cy[i, j + 1] - cy[i, j])
        return list(zip(np.round(x, 2), np.round(y, 2), strict=True))

    def corner(i: int, j: int) -> tuple[float, float]:
        return (round(float(cx[i, j]), 2), round(float(cy[i, j]), 2))

    def cell(i: int, j: int) -> Polygon:
        ring = [corner(i, j), *h_edge(i, j), corner(i + 1, j), *v_edge(i + 1, j),
                corner(i + 1, j + 1), *reversed(h_edge(i, j + 1)), corner(i, j + 1),
                *reversed(v_edge(i, j))]
        return Polygon([(float(x), float(y)) for x, y in ring])

    return cell


def build_county_model(n_municipalities: int, n_areas: int, residents: int,
                       seed: int) -> CountyModel:
    """The county's geography and area parameters; depends only on the arguments."""
    rng = np.random.default_rng([seed, 5999, 1])
    n_areas = max(n_areas, n_municipalities)
    nx = max(1, round(math.sqrt(n_areas * 1.25)))
    ny = max(1, round(n_areas / nx))
    while nx * ny < n_municipalities:
        ny += 1
    cell = _lattice(nx, ny, rng)
    rects: list[tuple[int, int, int, int]] = []
    _bisect((0, nx, 0, ny), n_municipalities, rng, rects)
    # the Kreisstadt is the block holding the lattice centre; the rest north-west first
    ci, cj = nx / 2, ny / 2

    def holds_centre(r):
        return r[0] <= ci <= r[1] and r[2] <= cj <= r[3]

    centre = min(range(len(rects)), key=lambda k: (not holds_centre(rects[k]),
                                                   abs((rects[k][0] + rects[k][1]) / 2 - ci)
                                                   + abs((rects[k][2] + rects[k][3]) / 2 - cj)))
    rest = sorted((k for k in range(len(rects)) if k != centre),
                  key=lambda k: (-(rects[k][2] + rects[k][3]), rects[k][0] + rects[k][1]))
    order = [centre, *rest]
    codes = municipality_codes(n_municipalities)
    town_names = names.municipality_names(n_municipalities, rng)

    munis: list[Municipality] = []
    weights: list[np.ndarray] = []
    raw: list[list[tuple[tuple[int, int], Polygon, float]]] = []
    for idx, k in enumerate(order):
        i0, i1, j0, j1 = rects[k]
        cells = [(i, j) for j in range(j1 - 1, j0 - 1, -1) for i in range(i0, i1)]
        polys = [cell(i, j) for i, j in cells]
        n = len(cells)
        if idx == 0:
            town = 1.0
        else:
            town = float(np.clip(0.25 + 0.05 * n + rng.uniform(-0.12, 0.12), 0.25, 0.85))
        mi = (i0 + i1 - 1) / 2 + rng.uniform(-0.6, 0.6)
        mj = (j0 + j1 - 1) / 2 + rng.uniform(-0.6, 0.6)
        centre_cell = min(cells, key=lambda c: ((c[0] - mi) ** 2 + (c[1] - mj) ** 2, c))
        urb = []
        for i, j in cells:
            d = math.hypot(i - centre_cell[0], j - centre_cell[1])
            urb.append(town * math.exp(-d / 1.3))
        u = np.array(urb)
        w = (0.35 + 2.2 * u ** 1.3) * rng.lognormal(0.0, 0.25, n)
        weights.append(w)
        raw.append(list(zip(cells, polys, u, strict=True)))
        munis.append(Municipality(ags=codes[idx], name=town_names[idx], index=idx,
                                  polygon=shapely.union_all(polys)))
    total_w = float(sum(w.sum() for w in weights))
    for m in munis:
        others = sorted((o for o in munis if o is not m),
                        key=lambda o: (o.polygon.centroid.distance(m.polygon.centroid), o.ags))
        m.neighbours = [o.name for o in others[:4]]
        cells_u = raw[m.index]
        w = weights[m.index]
        belastung = np.clip(0.08 + 0.6 * np.array([c[2] for c in cells_u])
                            + rng.normal(0.0, 0.16, len(cells_u)), 0.0, 1.0)
        ranked = sorted(range(len(cells_u)), key=lambda q: (-cells_u[q][2], cells_u[q][0]))
        town = cells_u[ranked[0]][2]
        core = "Kernstadt" if town >= 0.75 else m.name
        villages = names.ortsteil_names(len(cells_u), rng, exclude={mm.name for mm in munis})
        used: set[str] = set()
        plz_base = 32000 + 10 * m.index
        centre_poly = cells_u[ranked[0]][1].centroid
        for rank, q in enumerate(ranked):
            (i, j), poly, u = cells_u[q]
            if rank == 0:
                label = "Innenstadt" if town >= 0.75 else f"{m.name}-Mitte"
            else:
                label = ""
                if u >= 0.45 * town:
                    c = poly.centroid
                    label = f"{core} {names.direction_name(c.x - centre_poly.x, c.y - centre_poly.y)}"
                if not label or label in used:
                    label = villages.pop(0)
            used.add(label)
            m.areas.append(Area(
                raum_id=f"{m.ags}-SR{rank + 1:02d}",
                raum_name=f"Sozialraum {rank + 1} \u2013 {label}",
                ags=m.ags, polygon=poly,
                belastung=round(float(belastung[q]), 3), urbanity=round(float(u), 3),
                target_population=int(round(residents * float(w[q]) / total_w)),
                plz=f"{plz_base + min(rank // 4, 9):05d}", cell=(i, j)))
    return CountyModel(ags=COUNTY_AGS, name=COUNTY_NAME, municipalities=munis)


def write_geojson(model: CountyModel, path: Path) -> None:
    """Sozialraum boundaries as a FeatureCollection in EPSG:25832."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ['{"type": "FeatureCollection",',
             f' "crs": {{"type": "name", "properties": {{"name": "{CRS_URN}"}}}},',
             ' "features": [']
    feats = []
    for area in sorted(model.areas, key=lambda a: a.raum_id):
        ring = [[round(x, 2), round(y, 2)] for x, y in area.polygon.exterior.coords]
        feats.append(json.dumps({
            "type": "Feature",
            "properties": {"raum_id": area.raum_id, "raum_name": area.raum_name,
                           "ags": area.ags},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }, ensure_ascii=False))
    lines.append(",\n".join(feats))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Planungsraum:
    """An area of the second Gliederung: a block of Sozialräume, may cross municipal borders."""

    raum_id: str
    raum_name: str
    ags: str | None  # None when the area crosses a municipal border
    polygon: Polygon
    sozialraeume: list[str]


def _blocks(cells: dict[tuple[int, int], Area], shift: tuple[int, int]):
    """Brick pattern of 2x2 lattice blocks; every other block row is shifted by one cell."""
    groups: dict[tuple[int, int], list[Area]] = {}
    for (i, j), area in cells.items():
        row = (j + shift[1]) // 2
        col = (i + shift[0] + (row % 2)) // 2
        groups.setdefault((row, col), []).append(area)
    return groups


def build_planungsraeume(model: CountyModel) -> list[Planungsraum]:
    """The `planungsraum` Gliederung: 2x2 blocks of Sozialräume in a brick pattern.

    The blocks ignore municipal borders, so several areas hold parts of two or more
    municipalities (they get no `ags`). Each block is the exact union of lattice cells, so
    the areas tile the county and every address point lies strictly inside one of them.
    """
    cells = {a.cell: a for a in model.areas}
    best = None
    for shift in ((0, 0), (1, 0), (0, 1), (1, 1)):
        groups = _blocks(cells, shift)
        crossing = sum(len({a.ags for a in g}) > 1 for g in groups.values())
        if best is None or crossing > best[0]:
            best = (crossing, groups)
    assert best is not None
    groups = best[1]
    names_of = {m.ags: m.name for m in model.municipalities}
    out: list[Planungsraum] = []
    # numbered from the north-west, row by row
    for k, key in enumerate(sorted(groups, key=lambda rc: (-rc[0], rc[1]))):
        members = sorted(groups[key], key=lambda a: a.raum_id)
        polygon = shapely.union_all([a.polygon for a in members])
        if polygon.geom_type != "Polygon":  # pragma: no cover - lattice blocks are connected
            raise ValueError(f"planungsraum block {key} is not one polygon")
        agss = sorted({a.ags for a in members})
        label = "/".join(names_of[a] for a in agss)
        out.append(Planungsraum(
            raum_id=f"{model.ags}-PR{k + 1:03d}", raum_name=f"Planungsraum {k + 1} \u2013 {label}",
            ags=agss[0] if len(agss) == 1 else None, polygon=polygon,
            sozialraeume=[a.raum_id for a in members]))
    return out


def write_planungsraeume(areas: list[Planungsraum], path: Path) -> None:
    """Planungsraum boundaries as a FeatureCollection in EPSG:25832 (no `ags` when crossing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    feats = []
    for area in areas:
        ring = [[round(x, 2), round(y, 2)] for x, y in area.polygon.exterior.coords]
        props = {"raum_id": area.raum_id, "raum_name": area.raum_name}
        if area.ags is not None:
            props["ags"] = area.ags
        feats.append(json.dumps({"type": "Feature", "properties": props,
                                 "geometry": {"type": "Polygon", "coordinates": [ring]}},
                                ensure_ascii=False))
    text = "\n".join(['{"type": "FeatureCollection",',
                      f' "crs": {{"type": "name", "properties": {{"name": "{CRS_URN}"}}}},',
                      ' "features": [', ",\n".join(feats), "]}"])
    path.write_text(text + "\n", encoding="utf-8")
