"""GeoJSON footprints: UTM projection, extrusion heights, holes, MultiPolygons, legacy CRS, bad input."""
from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest

import loaders
from loaders import LoadError
from loaders.geojson import read_geojson

LON, LAT = 4.9, 52.37  # Amsterdam: UTM zone 31N
DLON, DLAT = 20 / 68000, 20 / 111000  # about 20 m


def _square(x: float, y: float, size: float = 1.0) -> list[list[float]]:
    return [[LON + x * DLON, LAT + y * DLAT], [LON + (x + size) * DLON, LAT + y * DLAT],
            [LON + (x + size) * DLON, LAT + (y + size) * DLAT], [LON + x * DLON, LAT + (y + size) * DLAT], [LON + x * DLON, LAT + y * DLAT]]


def _feature(geometry: dict, props: dict, fid=None) -> dict:
    out = {"type": "Feature", "geometry": geometry, "properties": props}
    if fid is not None:
        out["id"] = fid
    return out


def make_collection() -> dict:
    clockwise = _square(0.25, 0.25, 0.5)[::-1]
    return {"type": "FeatureCollection", "features": [
        _feature({"type": "Polygon", "coordinates": [_square(0, 0)]}, {"height": 12, "name": "A", "building": "yes"}, fid="way/1"),
        _feature({"type": "Polygon", "coordinates": [_square(2, 0), [[LON + (2 + x) * DLON, LAT + y * DLAT] for x, y in
                                                                     [(0.25, 0.25), (0.25, 0.75), (0.75, 0.75), (0.75, 0.25), (0.25, 0.25)]]]},
                 {"building:levels": "4", "min_height": 3}),
        _feature({"type": "MultiPolygon", "coordinates": [[_square(0, 3)], [_square(2, 3)]]}, {"kind": "shed"}),
        _feature({"type": "Polygon", "coordinates": [[[LON, LAT], [float("nan"), LAT], [LON, LAT + DLAT], [LON, LAT]]]}, {}),
        _feature({"type": "Polygon", "coordinates": [[[LON, 95.0], [LON + DLON, 95.0], [LON, 95.5], [LON, 95.0]]]}, {}),
        _feature({"type": "Point", "coordinates": [LON, LAT]}, {"name": "a tree"}),
        _feature({"type": "Polygon", "coordinates": [clockwise]}, {"HEIGHT": "7.5 m"}),
    ]}


def _write(tmp_path, doc, name="buildings.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_footprints_are_extruded_in_utm(tmp_path) -> None:
    [layer] = loaders.load(_write(tmp_path, make_collection()))
    assert layer.kind == "citymodel" and layer.format == "GeoJSON" and layer.metadata["loader"] == "GeoJSON"
    assert layer.georef.kind == "crs" and layer.georef.crs_label() == "EPSG:32631"
    assert [e.id for e in layer.elements] == ["way/1", "1", "2", "6"]
    assert [e.ifc_class for e in layer.elements] == ["Building", "Building", "Feature", "Feature"]
    assert layer.elements[0].name == "A" and layer.elements[1].properties == {"building:levels": "4", "min_height": 3}
    counts = np.bincount(layer.face_element).tolist()
    assert counts == [12, 32, 24, 12]  # box; box with a hole (caps 2 x 8, walls 16); two boxes; a clockwise ring
    assert len(layer.faces) == 80 and layer.vertex_colors.shape == (len(layer.vertices), 3)
    z = layer.vertices[:, 2]
    ranges = [(z[layer.faces[layer.face_element == i]].min(), z[layer.faces[layer.face_element == i]].max()) for i in range(4)]
    assert np.allclose(ranges, [(0, 12), (3, 15), (0, 10), (0, 7.5)])
    assert layer.metadata["skipped"] == 2 and layer.metadata["default_height"] == 1
    assert any("invalid coordinates" in w for w in layer.warnings) and any("10 m" in w for w in layer.warnings)

    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    corner = np.array(to_utm.transform(LON, LAT))
    world = layer.vertices @ layer.georef.matrix[:3, :3].T + layer.georef.matrix[:3, 3]
    assert np.linalg.norm(world[:, :2] - corner, axis=1).min() < 1e-6
    tri = layer.vertices[layer.faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    roof = np.isclose(tri[:, :, 2], 12).all(1) & (layer.face_element == 0)
    assert roof.sum() == 2 and (normals[roof][:, 2] > 0).all() and (layer.vertex_colors[layer.faces[roof]] == (170, 80, 60)).all()
    centre = layer.vertices[layer.faces[layer.face_element == 0]].reshape(-1, 3).mean(0)
    walls = (layer.face_element == 0) & np.isclose(normals[:, 2], 0)
    assert walls.sum() == 8
    outward = np.einsum("ij,ij->i", normals[walls], tri[walls].mean(1) - centre)
    assert (outward > 0).all()  # walls face away from the building


def test_legacy_crs_member(tmp_path) -> None:
    square = [[121000, 487000], [121010, 487000], [121010, 487010], [121000, 487010], [121000, 487000]]
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
           "features": [_feature({"type": "Polygon", "coordinates": [square]}, {"measuredHeight": 9})]}
    [layer] = read_geojson(str(_write(tmp_path, doc)))
    assert layer.georef.crs_label() == "EPSG:28992"
    world = layer.vertices + layer.georef.matrix[:3, 3]
    assert np.allclose(world.min(0), [121000, 487000, 0]) and np.allclose(world.max(0), [121010, 487010, 9])


def test_registry_sniffs_plain_json(tmp_path) -> None:
    path = _write(tmp_path, make_collection(), name="footprints.json")
    assert loaders.find_loader(path).name == "GeoJSON"
    [layer] = loaders.load(path)
    assert len(layer.elements) == 4


@pytest.mark.parametrize("content,reason", [
    ('{"type": "FeatureCollection", "features": [', "invalid JSON"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}]}',
     "no polygon features to extrude"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[1, 2], [3]]]}}]}',
     "no polygon features to extrude"),
    ('{"type": "FeatureCollection", "features": {}}', "not a list"),
    ('[1, 2, 3]', "not GeoJSON"),
])
def test_bad_documents(tmp_path, content: str, reason: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(LoadError, match=reason):
        loaders.load(path)


@pytest.mark.parametrize("content", [b"", np.random.default_rng(3).integers(0, 256, 2048, dtype=np.uint8).tobytes()])
def test_bad_bytes(tmp_path, content: bytes) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    with pytest.raises(LoadError) as info:
        loaders.load(path)
    assert not info.value.reason.startswith("GeoJSON:"), info.value.reason


def test_cancel(tmp_path) -> None:
    with pytest.raises(loaders.LoadCancelled):
        read_geojson(str(_write(tmp_path, make_collection())), cancel=lambda: True)
