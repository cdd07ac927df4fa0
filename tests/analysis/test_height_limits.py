"""Height limits: buildings above a limit everywhere or above their zone's (GeoJSON, lon/lat) are found
with the right excess; a feature's height attribute wins over its geometry; bad zones are clear errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.analysis.footprints import mesh_footprints
from app.analysis.height_limits import LimitError, Zone, check_heights, write_csv, zones_from_geojson
from app.model.frame import SceneFrame
from loaders.base import ElementInfo, LoadError


def blocks(specs: list[tuple[float, float, float]], props: list[dict] | None = None) -> dict:
    """Boxes (centre x, y, height) of 10 m x 10 m on ground z = 0, one element each."""
    vs, fs, fe = [], [], []
    for i, (x, y, h) in enumerate(specs):
        base = len(vs)
        for z in (0.0, h):
            for dy in (-5, 5):
                for dx in (-5, 5):
                    vs.append((x + dx, y + dy, z))
        quads = [(0, 1, 3, 2), (4, 5, 7, 6), (0, 1, 5, 4), (2, 3, 7, 6), (0, 2, 6, 4), (1, 3, 7, 5)]
        for a, b, c, d in quads:
            fs += [(base + a, base + b, base + c), (base + a, base + c, base + d)]
            fe += [i, i]
    elements = [ElementInfo(f"b{i}", "Building", f"B{i}", properties=(props or [{}] * len(specs))[i]) for i in range(len(specs))]
    vertices = np.array(vs, dtype=np.float64).reshape(-1, 3)
    return {"vertices": vertices, "faces": np.array(fs), "face_element": np.array(fe), "elements": elements}


def test_limit_everywhere_lists_the_excess_largest_first(tmp_path) -> None:
    data = blocks([(0, 0, 30.0), (50, 0, 75.5), (100, 0, 61.0)])
    breaches = check_heights([("city", 1, mesh_footprints(data))], [Zone("everywhere", 60.0)])
    assert [(b.name, round(b.excess, 2)) for b in breaches] == [("B1", 15.5), ("B2", 1.0)]
    write_csv(breaches, str(tmp_path / "b.csv"))
    lines = (tmp_path / "b.csv").read_text().splitlines()
    assert lines[0].startswith("layer,building,height_m,limit_m,excess_m") and lines[1].startswith("city,B1,75.50,60.00,15.50")


def test_height_attribute_wins_over_geometry() -> None:
    data = blocks([(0, 0, 30.0)], [{"attributes.measuredHeight": 72.0}])
    [breach] = check_heights([("tiles", 1, mesh_footprints(data))], [Zone("everywhere", 60.0)])
    assert breach.height == 72.0 and breach.excess == pytest.approx(12.0)


def test_geojson_zones_take_the_strictest_limit(tmp_path) -> None:
    frame = SceneFrame((30.5928, 114.3055, 22.0))
    lat = lambda n: 30.5928 + n / 111_000.0  # noqa: E731
    lon = lambda e: 114.3055 + e / (111_000.0 * np.cos(np.radians(30.5928)))  # noqa: E731
    west = [[lon(-30), lat(-30)], [lon(30), lat(-30)], [lon(30), lat(30)], [lon(-30), lat(30)], [lon(-30), lat(-30)]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "old town", "max_height": 24}, "geometry": {"type": "Polygon", "coordinates": [west]}},
    ]}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc))
    zones = zones_from_geojson(str(path), frame.to_local)
    assert zones[0].polygon.contains(__import__("shapely").Point(0, 0))
    data = blocks([(0, 0, 30.0), (100, 0, 30.0)])
    breaches = check_heights([("city", 1, mesh_footprints(data))], zones + [Zone("everywhere", 60.0)])
    assert [(b.name, b.zone, b.excess) for b in breaches] == [("B0", "old town", 6.0)]


def test_bad_zones_are_clear_errors(tmp_path) -> None:
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "park"}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}))
    with pytest.raises(LoadError, match="park: no maximum height"):
        zones_from_geojson(str(path), SceneFrame((0.0, 0.0, 0.0)).to_local)
    path.write_text("{not json")
    with pytest.raises(LoadError, match="not a GeoJSON"):
        zones_from_geojson(str(path), SceneFrame((0.0, 0.0, 0.0)).to_local)
    with pytest.raises(LimitError):
        check_heights([], [])
