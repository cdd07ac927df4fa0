"""Implicit tiling: generated subtrees with known availability, and the Cesium sparse samples."""
from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

import loaders
from loaders._binary import BinaryError, read_file
from loaders.implicit import ImplicitCoord, ImplicitTiling, join_location, parse_subtree
from tests.loaders.builders import box, make_glb
from tests.loaders.conftest import corpus_path


def _bits(indices: list[int], nbits: int) -> bytes:
    out = bytearray((nbits + 7) // 8)
    for i in indices:
        out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def _subtree(tile_bits: list[int], content_bits: list[int], child_bits: list[int] | None, levels: int = 2, n: int = 4) -> bytes:
    """A binary subtree (quadtree by default) with bitstreams; child_bits None = constant 0."""
    ntile = (n**levels - 1) // (n - 1)
    streams = [_bits(tile_bits, ntile), _bits(content_bits, ntile)] + ([_bits(child_bits, n**levels)] if child_bits is not None else [])
    body, views = b"", []
    for s in streams:
        views.append({"buffer": 0, "byteOffset": len(body), "byteLength": len(s)})
        body += s + b"\0" * (-len(s) % 8)
    doc = {"buffers": [{"byteLength": len(body)}], "bufferViews": views, "tileAvailability": {"bitstream": 0},
           "contentAvailability": [{"bitstream": 1}],
           "childSubtreeAvailability": {"bitstream": 2} if child_bits is not None else {"constant": 0}}
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 8)
    return b"subt" + struct.pack("<IQQ", 1, len(js), len(body)) + js + body


def _tiling_tile(levels: int = 4, scheme: str = "QUADTREE") -> dict:
    return {"boundingVolume": {"box": [0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 2]}, "geometricError": 64, "refine": "REPLACE",
            "content": {"uri": "c/{level}_{x}_{y}.glb"},
            "implicitTiling": {"subdivisionScheme": scheme, "subtreeLevels": 2, "availableLevels": levels, "subtrees": {"uri": "s/{level}.{x}.{y}.subtree"}}}


def _write_sample(tmp_path) -> dict:
    """Root subtree: root + children (1,0,0) and (1,1,1); content on (1,1,1) only; child subtree
    at (2,1,0) below (1,0,0) holding its root (content) and child (3,2,1) (content)."""
    (tmp_path / "s").mkdir()
    # level-1 local Morton: (0,0)=0 (1,0)=1 (0,1)=2 (1,1)=3 -> bits 1+0=1 and 1+3=4
    (tmp_path / "s" / "0.0.0.subtree").write_bytes(_subtree([0, 1, 4], [4], [1]))  # level-2 (1,0) -> Morton 1
    (tmp_path / "s" / "2.1.0.subtree").write_bytes(_subtree([0, 1 + 2], [0, 3], None))  # level-1 local (0,1) -> Morton 2
    return _tiling_tile()


def test_availability_children_and_templates(tmp_path) -> None:
    tiling = ImplicitTiling(_write_sample(tmp_path), str(tmp_path), read_file)
    assert tiling.root == ImplicitCoord(0, 0, 0, 0)
    assert tiling.children(tiling.root) == [ImplicitCoord(1, 0, 0), ImplicitCoord(1, 1, 1)]
    assert tiling.content_uris(tiling.root) == []
    assert tiling.content_uris(ImplicitCoord(1, 1, 1)) == ["c/1_1_1.glb"]
    assert tiling.children(ImplicitCoord(1, 1, 1)) == []
    assert tiling.children(ImplicitCoord(1, 0, 0)) == [ImplicitCoord(2, 1, 0)]
    assert tiling.content_uris(ImplicitCoord(2, 1, 0)) == ["c/2_1_0.glb"]
    assert tiling.children(ImplicitCoord(2, 1, 0)) == [ImplicitCoord(3, 2, 1)]
    assert tiling.content_uris(ImplicitCoord(3, 2, 1)) == ["c/3_2_1.glb"]
    assert tiling.children(ImplicitCoord(3, 2, 1)) == []  # availableLevels = 4 ends here
    assert tiling.count_available() == (5, 3) and not tiling.warnings
    assert tiling.geometric_error(ImplicitCoord(3, 2, 1)) == 8.0


def test_bounding_volumes_subdivide() -> None:
    tiling = ImplicitTiling(_tiling_tile(), "/nowhere", read_file)
    bv = tiling.bounding_volume(ImplicitCoord(1, 1, 0))
    np.testing.assert_allclose(bv["box"], [4, -4, 0, 4, 0, 0, 0, 4, 0, 0, 0, 2])  # quadtree keeps z
    tile = _tiling_tile(scheme="OCTREE")
    tile["boundingVolume"] = {"region": [-1.0, 0.2, -0.6, 0.6, 0.0, 100.0]}
    bv = ImplicitTiling(tile, "/nowhere", read_file).bounding_volume(ImplicitCoord(2, 3, 0, 1))
    np.testing.assert_allclose(bv["region"], [-0.7, 0.2, -0.6, 0.3, 25.0, 50.0])
    tile["boundingVolume"] = {"region": [3.0, 0.0, -3.0, 0.1, 0.0, 1.0]}  # crosses the antimeridian
    west, _, east, *_ = ImplicitTiling(tile, "/nowhere", read_file).bounding_volume(ImplicitCoord(2, 3, 0, 0))["region"]
    assert west == pytest.approx(3.0 + 0.75 * (2 * math.pi - 6.0) - 2 * math.pi) and east == pytest.approx(-3.0)


def test_missing_and_broken_subtrees_warn(tmp_path) -> None:
    tile = _write_sample(tmp_path)
    (tmp_path / "s" / "2.1.0.subtree").write_bytes(b"subt" + struct.pack("<IQQ", 1, 2**40, 0))  # lies about its size
    tiling = ImplicitTiling(tile, str(tmp_path), read_file)
    assert tiling.children(ImplicitCoord(1, 0, 0)) == []
    assert any("2.1.0.subtree" in w for w in tiling.warnings)
    (tmp_path / "s" / "0.0.0.subtree").unlink()
    tiling = ImplicitTiling(tile, str(tmp_path), read_file)
    assert tiling.children(tiling.root) == [] and tiling.count_available() == (0, 0)
    assert any("0.0.0.subtree" in w for w in tiling.warnings)


def test_short_bitstream_and_bad_spec_refused() -> None:
    data = _subtree([0], [], None, levels=3)
    with pytest.raises(BinaryError, match="bitstream"):
        parse_subtree(data, 4, 4)  # 4 levels need 85 bits, the file holds 21
    for bad in ({"subdivisionScheme": "HEXTREE"}, {"subtreeLevels": 0}, {"availableLevels": 10**6}, {"subtrees": {}}):
        tile = _tiling_tile()
        tile["implicitTiling"].update(bad)
        with pytest.raises(BinaryError):
            ImplicitTiling(tile, "/nowhere", read_file)


def test_json_subtree_with_external_buffer(tmp_path) -> None:
    (tmp_path / "buf.bin").write_bytes(_bits([0, 1], 5) + b"\0" * 7)
    doc = {"buffers": [{"uri": "buf.bin", "byteLength": 8}], "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 1}],
           "tileAvailability": {"bitstream": 0}, "contentAvailability": [{"constant": 1}], "childSubtreeAvailability": {"constant": 0}}
    st = parse_subtree(json.dumps(doc).encode(), 2, 4, lambda uri: (tmp_path / uri).read_bytes())
    assert st.tiles.get(0) and st.tiles.get(1) and not st.tiles.get(2) and st.contents[0].get(3)


def test_walk_tileset_loads_the_finest_implicit_level(tmp_path) -> None:
    tile = _write_sample(tmp_path)
    (tmp_path / "c").mkdir()
    v, f = box(1.0)
    for name, shift in (("1_1_1", 0), ("2_1_0", 10), ("3_2_1", 20)):
        (tmp_path / "c" / f"{name}.glb").write_bytes(make_glb(v + [shift, 0, 0], f))
    (tmp_path / "tileset.json").write_text(json.dumps({"asset": {"version": "1.1"}, "geometricError": 100, "root": tile}))
    [layer] = loaders.load(tmp_path / "tileset.json")
    assert layer.tiles == 5 and layer.contents == 2  # REPLACE: 2_1_0 is replaced by its child 3_2_1
    assert sorted(e.id for e in layer.elements) == ["c/1_1_1.glb", "c/3_2_1.glb"]


def test_join_location_keeps_queries() -> None:
    assert join_location("http://h/a?k=1", "s/0.subtree") == "http://h/a/s/0.subtree?k=1"
    assert join_location("/data/ts", "c/a%20b.glb") == "/data/ts/c/a b.glb"


@pytest.mark.parametrize("name,tiles,contents", [("SparseImplicitQuadtree", 63, 32), ("SparseImplicitOctree", 58, 31)])
def test_cesium_sparse_samples(name: str, tiles: int, contents: int) -> None:
    path = corpus_path(f"3dtiles/cesium-samples/1.1/{name}/tileset.json")
    doc = json.loads(path.read_text())
    tiling = ImplicitTiling(doc["root"], str(path.parent), read_file)
    assert tiling.count_available() == (tiles, contents)
    seen, stack = 0, [tiling.root]
    while stack:
        c = stack.pop()
        seen += 1
        assert all((path.parent / u).is_file() for u in tiling.content_uris(c))
        stack += tiling.children(c)
    assert seen == tiles and not tiling.warnings
    [layer] = loaders.load(path)
    assert layer.tiles == tiles and layer.contents == contents and len(layer.faces) > 0
