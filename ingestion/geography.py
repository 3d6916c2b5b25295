"""Small-area boundaries (`raumgliederung_<gliederung>_<gueltig_ab>.geojson`).

The file is checked as a whole: every feature a Polygon/MultiPolygon with a valid geometry,
a unique `raum_id` and a `raum_name`, and no two areas overlapping. Coordinates are stored
in EPSG:25832; a file that declares EPSG:4326 is reprojected.
"""

import json
from dataclasses import dataclass
from datetime import date

import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.validation import explain_validity

from ingestion.errors import DeliveryRejected

OVERLAP_TOLERANCE_M2 = 1.0


@dataclass(frozen=True)
class Area:
    raum_id: str
    raum_name: str
    ags: str | None
    geometry: shapely.Geometry      # EPSG:25832


def _declared_epsg(collection: dict) -> int:
    crs = collection.get("crs")
    if not crs:
        return 25832
    name = str((crs.get("properties") or {}).get("name", ""))
    if name.endswith(("CRS84", ":4326")):
        return 4326
    if name.endswith(":25832"):
        return 25832
    raise ValueError(name)


def read_raumgliederung(file_name: str, data: bytes) -> list[Area]:
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeliveryRejected(file_name, f"Die Datei ist kein gültiges GeoJSON ({exc}).") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise DeliveryRejected(file_name, "Die Datei ist keine GeoJSON-FeatureCollection.")
    try:
        epsg = _declared_epsg(collection)
    except ValueError as exc:
        raise DeliveryRejected(
            file_name, f"Koordinatensystem {exc} wird nicht unterstützt (erlaubt: EPSG:25832, EPSG:4326)."
        ) from None
    to_25832 = None
    if epsg == 4326:
        to_25832 = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    features = collection.get("features") or []
    if not features:
        raise DeliveryRejected(file_name, "Die FeatureCollection enthält keine Räume.")
    areas: list[Area] = []
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") or {}
        raum_id = str(props.get("raum_id") or "").strip()
        where = f"Raum Nr. {number}" + (f" ({raum_id})" if raum_id else "")
        if not raum_id:
            raise DeliveryRejected(file_name, f"{where}: die Eigenschaft raum_id fehlt.", column="raum_id")
        if raum_id in seen:
            raise DeliveryRejected(file_name, f"{where}: raum_id kommt mehrfach vor.",
                                   column="raum_id", value=raum_id)
        seen.add(raum_id)
        raum_name = str(props.get("raum_name") or "").strip()
        if not raum_name:
            raise DeliveryRejected(file_name, f"{where}: die Eigenschaft raum_name fehlt.",
                                   column="raum_name")
        ags = str(props.get("ags") or "").strip() or None
        if ags is not None:
            ags = ags.zfill(8)
            if not (ags.isdigit() and len(ags) == 8):
                raise DeliveryRejected(file_name, f"{where}: ungültiger Gemeindeschlüssel.",
                                       column="ags", value=ags)
        geometry_json = (feature or {}).get("geometry") or {}
        if geometry_json.get("type") not in ("Polygon", "MultiPolygon"):
            raise DeliveryRejected(
                file_name, f"{where}: Geometrie vom Typ {geometry_json.get('type')!r}; erlaubt sind "
                "nur Polygon und MultiPolygon.")
        try:
            geometry = shape(geometry_json)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise DeliveryRejected(file_name, f"{where}: Geometrie nicht lesbar ({exc}).") from None
        if to_25832 is not None:
            geometry = shapely.transform(geometry, lambda xy: _project(to_25832, xy))
        if geometry.is_empty or not geometry.is_valid:
            reason = "leer" if geometry.is_empty else explain_validity(geometry)
            raise DeliveryRejected(file_name, f"{where}: ungültige Geometrie ({reason}).")
        areas.append(Area(raum_id, raum_name, ags, geometry))
    _check_overlaps(file_name, areas)
    return areas


def _project(transformer: Transformer, xy):
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _check_overlaps(file_name: str, areas: list[Area]) -> None:
    geometries = [a.geometry for a in areas]
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            overlap = geometries[i].intersection(geometries[j]).area
            if overlap > OVERLAP_TOLERANCE_M2:
                raise DeliveryRejected(
                    file_name, f"Die Räume {areas[i].raum_id} und {areas[j].raum_id} überlappen "
                    f"sich ({_de_int(overlap)} m²); jede Adresse muss genau einem Raum angehören.")


def _de_int(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def store_raumgliederung(con, delivery_id: int, gliederung: str, gueltig_ab: date,
                         areas: list[Area]) -> None:
    """Replace the version (gliederung, gueltig_ab); call inside a transaction."""
    con.execute("delete from raw.raumgliederung where gliederung = ? and gueltig_ab = ?",
                [gliederung, gueltig_ab])
    con.executemany(
        "insert into raw.raumgliederung values (?, ?, ?, ?, ?, ?, ?)",
        [[delivery_id, gliederung, gueltig_ab, a.raum_id, a.raum_name, a.ags,
          shapely.to_wkt(a.geometry, rounding_precision=3)] for a in areas],
    )
