"""3D Tiles loader: generated tilesets with known geometry, and the Cesium samples."""
from __future__ import annotations

import json

import numpy as np
import pytest

import loaders
from loaders import LoadError, TilesetData
from tests.loaders.builders import ENU_TO_ECEF, box, make_b3dm, make_glb, make_pnts, write_tileset
from tests.loaders.conftest import CORPUS, corpus_path

Z_UP = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], np.float64)
SAMPLES = sorted(str(p.relative_to(CORPUS / "3dtiles" / "cesium-samples")) for p in (CORPUS / "3dtiles" / "cesium-samples").rglob("tileset.json")) if CORPUS.is_dir() else ["(corpus absent)"]


def _demo_b3dm(rtc=None, legacy=False) -> tuple[bytes, np.ndarray]:
    """Two batched boxes (y-up) like the demo generator writes."""
    v, f = box(2.0)
    verts = np.r_[v, v + [5, 0, 0]]
    faces = np.r_[f, f + 8]
    colors = np.r_[np.tile([255, 0, 0, 255], (8, 1)), np.tile([0, 0, 255, 255], (8, 1))]
    glb = make_glb(verts, faces, colors=colors, batch_ids=np.repeat([0, 1], 8))
    table = {"height": [2.0, 2.0], "use": ["office", "home"], "year": [1990, 2005], "name": ["A", "B"]}
    return make_b3dm(glb, batch_length=2, batch_table=table, rtc=rtc, legacy=legacy), verts


def _tile(uri: str | None = None, children=(), refine: str | None = None, transform=None) -> dict:
    t: dict = {"boundingVolume": {"sphere": [0, 0, 0, 100]}, "geometricError": 10}
    if uri:
        t["content"] = {"uri": uri}
    if children:
        t["children"] = list(children)
    if refine:
        t["refine"] = refine
    if transform is not None:
        t["transform"] = transform
    return t


def test_b3dm_tileset_on_the_globe(tmp_path) -> None:
    data, verts = _demo_b3dm(rtc=[1.0, 2.0, 3.0])
    (tmp_path / "a.b3dm").write_bytes(data)
    path = write_tileset(tmp_path, _tile("a.b3dm", transform=ENU_TO_ECEF, refine="REPLACE"))
    [layer] = loaders.load(path)
    assert isinstance(layer, TilesetData) and layer.kind == "tileset" and layer.format == "3D Tiles 1.0"
    assert layer.tiles == 1 and layer.contents == 1 and layer.counts()["triangles"] == 24
    t = np.array(ENU_TO_ECEF).reshape(4, 4).T
    expected = (verts @ Z_UP.T + [1.0, 2.0, 3.0]) @ t[:3, :3].T + t[:3, 3]
    np.testing.assert_allclose(layer.vertices, expected, rtol=0, atol=1e-6)
    assert layer.georef.kind == "ecef" and not layer.warnings
    assert [e.id for e in layer.elements] == ["a.b3dm#0", "a.b3dm#1"]
    assert layer.elements[1].properties == {"height": 2.0, "use": "home", "year": 2005, "name": "B"}
    np.testing.assert_array_equal(layer.face_element, np.repeat([0, 1], 12))
    assert layer.vertex_colors.dtype == np.uint8
    np.testing.assert_array_equal(layer.vertex_colors[0], [255, 0, 0])
    np.testing.assert_array_equal(layer.vertex_colors[-1], [0, 0, 255])


def test_single_tile_and_legacy_header(tmp_path) -> None:
    for legacy in (False, True):
        data, verts = _demo_b3dm(legacy=legacy)
        path = tmp_path / f"t{int(legacy)}.b3dm"
        path.write_bytes(data)
        [layer] = loaders.load(path)
        assert layer.kind == "tile" and layer.tiles == 1
        np.testing.assert_allclose(layer.vertices, verts @ Z_UP.T, atol=1e-6)
        assert len(layer.elements) == 2 and layer.elements[0].properties["use"] == "office"
        assert layer.georef.kind == "none" and any("not on the globe" in w for w in layer.warnings)


def test_glb_node_matrix_rtc_and_z_up_asset(tmp_path) -> None:
    v, f = box(1.0)
    node = {"translation": [10.0, 0.0, 0.0], "scale": [2.0, 2.0, 2.0]}
    (tmp_path / "n.glb").write_bytes(make_glb(v, f, node=node, rtc=[0.0, 0.0, 100.0]))
    [layer] = loaders.load(tmp_path / "n.glb")
    np.testing.assert_allclose(layer.vertices, (v * 2 + [10, 0, 0]) @ Z_UP.T + [0, 0, 100], atol=1e-6)
    (tmp_path / "b.b3dm").write_bytes(make_b3dm(make_glb(v, f)))
    path = write_tileset(tmp_path, _tile("b.b3dm"), gltfUpAxis="Z")
    [layer] = loaders.load(path)
    np.testing.assert_allclose(layer.vertices, v, atol=1e-6)


def test_replace_takes_leaves_add_takes_all(tmp_path) -> None:
    v, f = box(1.0)
    for name, shift in (("coarse", 0), ("fine1", 10), ("fine2", 20)):
        (tmp_path / f"{name}.b3dm").write_bytes(make_b3dm(make_glb(v + [shift, 0, 0], f)))
    root = _tile("coarse.b3dm", [_tile("fine1.b3dm"), _tile("fine2.b3dm")], refine="REPLACE")
    [layer] = loaders.load(write_tileset(tmp_path, root))
    assert layer.tiles == 3 and layer.contents == 2 and len(layer.faces) == 24
    assert layer.vertices[:, 0].min() == pytest.approx(10)
    root["refine"] = "ADD"
    [layer] = loaders.load(write_tileset(tmp_path, root))
    assert layer.contents == 3 and len(layer.faces) == 36


def test_missing_finer_level_falls_back(tmp_path) -> None:
    v, f = box(1.0)
    (tmp_path / "coarse.b3dm").write_bytes(make_b3dm(make_glb(v, f)))
    root = _tile("coarse.b3dm", [_tile("gone.b3dm")], refine="REPLACE")
    [layer] = loaders.load(write_tileset(tmp_path, root))
    assert layer.contents == 1 and any("gone.b3dm" in w and "missing" in w for w in layer.warnings)


def test_external_tileset_transform_traversal_and_cycle(tmp_path) -> None:
    v, f = box(1.0)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "x.b3dm").write_bytes(make_b3dm(make_glb(v, f)))
    (sub / "tileset.json").write_text(json.dumps({"asset": {"version": "1.0"}, "geometricError": 1,
                                                  "root": _tile("x.b3dm", [_tile("tileset.json")], refine="ADD")}))
    (tmp_path.parent / "outside.b3dm").write_bytes(make_b3dm(make_glb(v, f)))
    shift = np.eye(4)
    shift[:3, 3] = [100, 0, 0]
    root = _tile(None, [_tile("sub/tileset.json"), _tile("../outside.b3dm")], refine="ADD", transform=shift.T.reshape(-1).tolist())
    [layer] = loaders.load(write_tileset(tmp_path, root))
    assert layer.contents == 1
    assert layer.vertices[:, 0].min() == pytest.approx(100)
    assert layer.elements[0].id == "sub/x.b3dm"
    assert any("outside the tileset folder" in w for w in layer.warnings)
    assert any("recursive" in w for w in layer.warnings)


def test_pnts_variants(tmp_path) -> None:
    for kw in ({}, {"quantized": True, "rgb565": True, "rtc": [1.0, 2.0, 3.0]}):
        data, expected = make_pnts(200, **kw)
        (tmp_path / "p.pnts").write_bytes(data)
        [layer] = loaders.load(tmp_path / "p.pnts")
        assert layer.points is not None and layer.counts()["points"] == 200 and layer.counts()["triangles"] == 0
        np.testing.assert_allclose(layer.points.positions, expected, atol=1e-4)
        assert layer.points.colors.dtype == np.uint8 and layer.points.colors.shape == (200, 3)


@pytest.mark.parametrize("name", SAMPLES)
def test_cesium_samples_load_or_fail_cleanly(name: str) -> None:
    path = corpus_path(f"3dtiles/cesium-samples/{name}")
    try:
        [layer] = loaders.load(path)
    except LoadError as exc:
        assert exc.reason and "Traceback" not in exc.reason
        return
    assert layer.kind == "tileset" and layer.tiles >= 1 and layer.contents >= 1
    assert np.all(np.isfinite(layer.vertices))
    if len(layer.faces):
        assert layer.faces.max() < len(layer.vertices) and layer.face_element.max() < len(layer.elements)


@pytest.mark.parametrize("name,points", [("1.1/MultipleContents/tileset.json", True), ("1.0/TilesetWithRequestVolume/tileset.json", True)])
def test_cesium_samples_with_triangles(name: str, points: bool) -> None:
    [layer] = loaders.load(corpus_path(f"3dtiles/cesium-samples/{name}"))
    assert layer.counts()["triangles"] > 0
    assert (layer.points is not None) == points


def test_request_volume_is_ecef_and_has_batches() -> None:
    [layer] = loaders.load(corpus_path("3dtiles/cesium-samples/1.0/TilesetWithRequestVolume/tileset.json"))
    assert layer.georef.kind == "ecef"
    assert 6.3e6 < np.linalg.norm(layer.vertices.mean(0)) < 6.4e6
    assert any(e.id.startswith("city/") and "Height" in e.properties for e in layer.elements)


def test_discrete_lod_skips_the_missing_tile() -> None:
    [layer] = loaders.load(corpus_path("3dtiles/cesium-samples/1.0/TilesetWithDiscreteLOD/tileset.json"))
    assert layer.tiles == 3 and layer.contents == 1 and len(layer.faces) > 0
    assert any("dragon_high.b3dm" in w for w in layer.warnings)
    assert layer.elements[0].id == "dragon_medium.b3dm"


def test_folder_opens_its_tileset(tmp_path) -> None:
    v, f = box(1.0)
    (tmp_path / "a.b3dm").write_bytes(make_b3dm(make_glb(v, f)))
    write_tileset(tmp_path, _tile("a.b3dm"))
    [layer] = loaders.load(tmp_path)
    assert layer.kind == "tileset" and layer.contents == 1


def test_progress_and_cancel(tmp_path) -> None:
    v, f = box(1.0)
    (tmp_path / "a.b3dm").write_bytes(make_b3dm(make_glb(v, f)))
    path = write_tileset(tmp_path, _tile("a.b3dm"))
    seen: list[float] = []
    loaders.load(path, progress=lambda frac, msg: seen.append(frac))
    assert seen and seen[-1] == 1.0
    with pytest.raises(loaders.LoadCancelled):
        loaders.load(path, cancel=lambda: True)
