"""CityJSON 1.1 / 2.0 and CityJSONSeq: decoding, LOD choice, semantics, holes, georeference, bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

import loaders
from loaders import LoadError
from loaders.cityjson import read_cityjson
from tests.loaders.builders import write_tileset

SCALE, TRANSLATE = 0.001, [85000.0, 446000.0, 0.0]
ROOF, WALL, GROUND = (170, 80, 60), (230, 226, 215), (120, 120, 120)


class _Verts:
    """Collects real coordinates as CityJSON integer vertices; returns their indices."""

    def __init__(self) -> None:
        self.index: dict[tuple[int, int, int], int] = {}

    def __call__(self, *pts) -> list[int]:
        out = []
        for p in pts:
            key = tuple(int(round(c / SCALE)) for c in p)
            out.append(self.index.setdefault(key, len(self.index)))
        return out

    def array(self) -> list[list[int]]:
        return [list(k) for k in self.index]


def _box(v: _Verts, x0, y0, z0, x1, y1, z1, hole: bool = False) -> list:
    """Six outward-facing surfaces: ground, roof, walls y0 (with an optional window), x1, y1, x0."""
    wall_y0 = [v((x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1))]
    if hole:
        wall_y0.append(v((x0 + 2, y0, 2), (x0 + 2, y0, 5), (x0 + 5, y0, 5), (x0 + 5, y0, 2)))
    return [
        [v((x0, y0, z0), (x0, y1, z0), (x1, y1, z0), (x1, y0, z0))],
        [v((x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1))],
        wall_y0,
        [v((x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1))],
        [v((x1, y1, z0), (x0, y1, z0), (x0, y1, z1), (x1, y1, z1))],
        [v((x0, y1, z0), (x0, y0, z0), (x0, y0, z1), (x0, y1, z1))],
    ]


def make_cityjson(version: str = "2.0", *, string_lods: bool = True) -> dict:
    """Two buildings: b1 an LOD1 solid box; b2 with LOD1, LOD2 (semantics, a window hole) and LOD3 geometries."""
    v = _Verts()
    lod = (lambda x: str(x)) if string_lods else (lambda x: x)
    b1 = {"type": "Solid", "lod": lod(1), "boundaries": [_box(v, 0, 0, 0, 10, 10, 6)]}
    b2_lod1 = {"type": "Solid", "lod": lod(1), "boundaries": [_box(v, 20, 0, 0, 30, 10, 7)]}
    b2_lod2 = {"type": "Solid", "lod": lod(2.2) if string_lods else 2, "boundaries": [_box(v, 20, 0, 0, 30, 10, 8, hole=True)],
               "semantics": {"surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"}, {"type": "WallSurface"}],
                             "values": [[0, 1, 2, 2, 2, 2]]}}
    b2_lod3 = {"type": "MultiSurface", "lod": lod(3), "boundaries": [[v((20, 0, 9), (21, 0, 9), (21, 1, 9))]]}
    return {
        "type": "CityJSON", "version": version,
        "transform": {"scale": [SCALE] * 3, "translate": TRANSLATE},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
        "CityObjects": {
            "b1": {"type": "Building", "attributes": {"name": "Depot", "measuredHeight": 6.0}, "geometry": [b1]},
            "b2": {"type": "Building", "attributes": {"name": "Town hall", "address": {"street": "Main", "number": 3}},
                   "geometry": [b2_lod1, b2_lod2, b2_lod3]},
        },
        "vertices": v.array(),
    }


def _write(tmp_path, doc, name="model.city.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


@pytest.mark.parametrize("version,string_lods", [("1.1", False), ("2.0", True)])
def test_two_buildings(tmp_path, version: str, string_lods: bool) -> None:
    [layer] = loaders.load(_write(tmp_path, make_cityjson(version, string_lods=string_lods)))
    assert layer.kind == "citymodel" and layer.format == f"CityJSON {version}" and layer.metadata["loader"] == "CityJSON"
    assert [e.id for e in layer.elements] == ["b1", "b2"] and [e.ifc_class for e in layer.elements] == ["Building", "Building"]
    b1, b2 = layer.elements
    assert b1.name == "Depot" and b1.properties["measuredHeight"] == 6.0
    assert b2.properties["address.street"] == "Main" and b2.properties["address.number"] == 3
    counts = np.bincount(layer.face_element, minlength=2)
    assert counts.tolist() == [12, 18]  # LOD1 box; LOD2 box whose window wall is 8 triangles (LOD3 ignored)
    assert len(layer.faces) == 30 and layer.vertex_colors.shape == (len(layer.vertices), 3)

    tri = layer.vertices[layer.faces]  # (F, 3, 3)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    colours = layer.vertex_colors[layer.faces[:, 0]]
    mine = layer.face_element == 1
    roof = mine & np.isclose(tri[:, :, 2], 8).all(1)
    ground = mine & np.isclose(tri[:, :, 2], 0).all(1)
    assert roof.sum() == 2 and (colours[roof] == ROOF).all() and (normals[roof][:, 2] > 0).all()
    assert (colours[ground] == GROUND).all() and (normals[ground][:, 2] < 0).all()
    assert (colours[mine & ~roof & ~ground] == WALL).all()
    assert (layer.vertex_colors[layer.faces[layer.face_element == 0]] == (200, 200, 200)).all()  # no semantics: neutral

    assert layer.georef.kind == "crs" and layer.georef.crs_label() == "EPSG:7415"
    world = layer.vertices @ layer.georef.matrix[:3, :3].T + layer.georef.matrix[:3, 3]
    assert np.allclose(world.min(0), [85000, 446000, 0]) and np.allclose(world.max(0), [85030, 446010, 8])


def test_registry_sniffs_plain_json(tmp_path) -> None:
    path = _write(tmp_path, make_cityjson(), name="model.json")
    assert loaders.find_loader(path).name == "CityJSON"
    tileset = write_tileset(tmp_path, {"boundingVolume": {"box": [0] * 12}, "geometricError": 0})
    assert loaders.find_loader(tileset).name == "3D Tiles tileset"


@pytest.mark.parametrize("ref,expected", [
    ("urn:ogc:def:crs:EPSG::7415", "EPSG:7415"),
    ("EPSG:28992", "EPSG:28992"),
    ("http://www.opengis.net/def/crs-compound?1=http://www.opengis.net/def/crs/EPSG/0/28992&2=http://www.opengis.net/def/crs/EPSG/0/5709",
     "EPSG:28992+5709"),
])
def test_reference_systems(tmp_path, ref: str, expected: str) -> None:
    doc = make_cityjson()
    doc["metadata"]["referenceSystem"] = ref
    [layer] = read_cityjson(str(_write(tmp_path, doc)))
    assert layer.georef.crs == expected


def test_no_reference_system(tmp_path) -> None:
    doc = make_cityjson()
    del doc["metadata"]
    [layer] = read_cityjson(str(_write(tmp_path, doc)))
    assert layer.georef.kind == "none" and any("reference system" in w for w in layer.warnings)


def test_cityjsonseq(tmp_path) -> None:
    doc = make_cityjson("2.0")
    header = {"type": "CityJSON", "version": "2.0", "transform": doc["transform"], "metadata": doc["metadata"], "CityObjects": {}, "vertices": []}
    lines = [json.dumps(header, separators=(",", ":"))]
    for oid, obj in doc["CityObjects"].items():  # each feature carries the whole vertex list: fine for a test
        lines.append(json.dumps({"type": "CityJSONFeature", "id": oid, "CityObjects": {oid: obj}, "vertices": doc["vertices"]}))
    lines.append("{not json")
    path = tmp_path / "model.city.jsonl"
    path.write_text("\n".join(lines) + "\n")
    [layer] = loaders.load(path)
    assert layer.format == "CityJSONSeq 2.0" and layer.metadata["loader"] == "CityJSON"
    assert [e.id for e in layer.elements] == ["b1", "b2"] and len(layer.faces) == 30
    assert layer.metadata["skipped"] == 1 and layer.georef.crs_label() == "EPSG:7415"


def test_out_of_range_index_skips_the_object(tmp_path) -> None:
    doc = make_cityjson()
    doc["CityObjects"]["b1"]["geometry"][0]["boundaries"][0][0][0][0] = 10_000
    [layer] = read_cityjson(str(_write(tmp_path, doc)))
    assert [e.id for e in layer.elements] == ["b2"] and layer.metadata["skipped"] == 1
    assert any("b1" in w and "out of range" in w for w in layer.warnings)


@pytest.mark.parametrize("mutate,reason", [
    (lambda d: d.pop("vertices"), "vertices"),
    (lambda d: d.__setitem__("vertices", [[1, 2], [3, 4]]), "vertices"),
    (lambda d: d.__setitem__("transform", {"scale": [1, 1]}), "transform"),
    (lambda d: d.__setitem__("type", "FeatureCollection"), "CityJSON"),
    (lambda d: [o.__setitem__("geometry", []) for o in d["CityObjects"].values()], "no surfaces"),
])
def test_bad_documents(tmp_path, mutate, reason: str) -> None:
    doc = make_cityjson()
    mutate(doc)
    with pytest.raises(LoadError, match=reason):
        read_cityjson(str(_write(tmp_path, doc)))


@pytest.mark.parametrize("content", [b"", b'{"type":"CityJSON","version":"2.0","vert', b"\x00\xff" * 500])
def test_bad_bytes(tmp_path, content: bytes) -> None:
    path = tmp_path / "bad.city.json"
    path.write_bytes(content)
    with pytest.raises(LoadError) as info:
        loaders.load(path)
    assert not info.value.reason.startswith("CityJSON:"), info.value.reason


def test_progress_and_cancel(tmp_path) -> None:
    path = str(_write(tmp_path, make_cityjson()))
    seen: list[float] = []
    read_cityjson(path, progress=lambda f, _msg: seen.append(f))
    assert seen and seen[-1] == 1.0
    with pytest.raises(loaders.LoadCancelled):
        read_cityjson(path, cancel=lambda: True)
