"""3D Tiles content variants with known geometry: i3dm, pnts variants and Draco, glTF quantization,
Draco meshes, textures, EXT_structural_metadata, gzip and .3tz packages."""
from __future__ import annotations

import gzip
import io
import json
import struct
import zipfile

import numpy as np
import pytest

import loaders
from loaders.i3dm import oct_decode
from loaders.tiles3d import parse_content
from tests.loaders.builders import ENU_TO_ECEF, box, make_b3dm, make_glb, write_tileset
from tests.loaders.conftest import corpus_path

Z_UP = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], np.float64)


def _pad(b: bytes, fill: bytes = b" ") -> bytes:
    return b + fill * (-len(b) % 8)


def _glb(doc: dict, binary: bytes) -> bytes:
    doc = {"asset": {"version": "2.0"}, "buffers": [{"byteLength": len(binary)}], **doc}
    js, binary = _pad(json.dumps(doc).encode()), _pad(binary, b"\0")
    return struct.pack("<4sII", b"glTF", 2, 28 + len(js) + len(binary)) + struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", len(binary), b"BIN\0") + binary


class _Buf:
    """Collects binary views/accessors for hand-built glTFs."""

    def __init__(self) -> None:
        self.data, self.views, self.accessors = b"", [], []

    def view(self, raw: bytes) -> int:
        self.views.append({"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw)})
        self.data += _pad(raw, b"\0")
        return len(self.views) - 1

    def acc(self, arr: np.ndarray, ctype: int, typ: str, **kw) -> int:
        self.accessors.append({"bufferView": self.view(np.ascontiguousarray(arr).tobytes()), "componentType": ctype, "count": len(arr), "type": typ, **kw})
        return len(self.accessors) - 1


def _feature_table_tile(magic: bytes, ft: dict, ft_bin: bytes, bt: dict | None = None, tail: bytes = b"", extra=()) -> bytes:
    ftj, fb = _pad(json.dumps(ft).encode()), _pad(ft_bin, b"\0")
    btj = _pad(json.dumps(bt).encode()) if bt else b""
    hdr = 28 + 4 * len(extra)
    total = hdr + len(ftj) + len(fb) + len(btj) + len(tail)
    return struct.pack(f"<4s{6 + len(extra)}I", magic, 1, total, len(ftj), len(fb), len(btj), 0, *extra) + ftj + fb + btj + tail


# -- i3dm -----------------------------------------------------------------------------------
def _i3dm(ft: dict, ft_bin: bytes, glb_or_uri: bytes, embedded: bool = True, bt: dict | None = None) -> bytes:
    return _feature_table_tile(b"i3dm", ft, ft_bin, bt, glb_or_uri, extra=(1 if embedded else 0,))


def test_i3dm_instances_with_orientation_scale_and_batch_table(tmp_path) -> None:
    v, f = box(1.0)
    glb = make_glb(v, f)
    pos = np.array([[0, 0, 0], [10, 0, 0], [0, 20, 0]], np.float32)
    up = np.array([[0, 1, 0], [0, 0, 1], [0, 1, 0]], np.float32)
    right = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]], np.float32)
    scale = np.array([[1, 1, 1], [2, 2, 2], [1, 3, 1]], np.float32)
    body = pos.tobytes() + up.tobytes() + right.tobytes() + scale.tobytes() + np.array([2, 0, 1], np.uint16).tobytes()
    ft = {"INSTANCES_LENGTH": 3, "POSITION": {"byteOffset": 0}, "NORMAL_UP": {"byteOffset": 36}, "NORMAL_RIGHT": {"byteOffset": 72},
          "SCALE_NON_UNIFORM": {"byteOffset": 108}, "BATCH_ID": {"byteOffset": 144}, "RTC_CENTER": [100.0, 0.0, 0.0]}
    bt = {"kind": ["oak", "pine", "elm"]}
    [content] = parse_content(_i3dm(ft, body, glb, bt=bt), np.eye(4))
    g = content.geometry
    assert len(g.positions) == 24 and len(g.faces) == 36 and content.batch_length == 3
    assert content.properties == {"kind": ["oak", "pine", "elm"]}
    np.testing.assert_array_equal(g.feature_ids, np.repeat([2, 0, 1], 8))
    model = v @ Z_UP.T  # y-up glTF -> z-up, then the instance frame [right, up, right x up]
    for i in range(3):
        rot = np.stack([right[i], up[i], np.cross(right[i], up[i])], 1).astype(np.float64)
        expected = (model * scale[i]) @ rot.T + pos[i] + [100, 0, 0]
        np.testing.assert_allclose(g.positions[8 * i : 8 * i + 8], expected, atol=1e-5)


def test_i3dm_quantized_oct_encoded_and_gltf_by_uri(tmp_path) -> None:
    v, f = box(1.0)
    (tmp_path / "tree.glb").write_bytes(make_glb(v, f))
    q = np.array([[0, 0, 0], [65535, 65535, 65535]], np.uint16)
    oct_up = np.array([[32768, 65535], [32768, 65535]], np.uint16)  # +y
    oct_right = np.array([[65535, 32768], [65535, 32768]], np.uint16)  # +x
    body = q.tobytes() + b"\0" * 4 + oct_up.tobytes() + oct_right.tobytes()
    ft = {"INSTANCES_LENGTH": 2, "POSITION_QUANTIZED": {"byteOffset": 0}, "QUANTIZED_VOLUME_OFFSET": [-5, -5, -5],
          "QUANTIZED_VOLUME_SCALE": [10, 10, 10], "NORMAL_UP_OCT32P": {"byteOffset": 16}, "NORMAL_RIGHT_OCT32P": {"byteOffset": 24}, "SCALE": {"byteOffset": 32}}
    body += np.array([1.0, 0.5], np.float32).tobytes()
    tile = tmp_path / "t.i3dm"
    tile.write_bytes(_i3dm(ft, body, b"tree.glb", embedded=False))
    [layer] = loaders.load(tile)
    assert layer.kind == "tile" and layer.format == "3D Tiles i3dm" and len(layer.faces) == 24
    np.testing.assert_allclose(layer.vertices[:8], v @ Z_UP.T + [-5, -5, -5], atol=2e-3)
    np.testing.assert_allclose(layer.vertices[8:], v @ Z_UP.T * 0.5 + [5, 5, 5], atol=2e-3)
    np.testing.assert_allclose(oct_decode(np.array([[0, 32768], [32768, 0]]), 65535.0), [[-1, 0, 0], [0, -1, 0]], atol=1e-4)


def test_i3dm_east_north_up_stands_instances_upright() -> None:
    v, f = box(1.0)
    t = np.array(ENU_TO_ECEF).reshape(4, 4).T
    pos = np.array([[0, 0, 0]], np.float32)  # at the tile origin, which is on the globe
    [content] = parse_content(_i3dm({"INSTANCES_LENGTH": 1, "POSITION": {"byteOffset": 0}, "EAST_NORTH_UP": True}, pos.tobytes(), make_glb(v, f)), t)
    p = content.geometry.positions
    up = t[:3, 3] / np.linalg.norm(t[:3, 3])
    heights = (p - t[:3, 3]) @ up
    assert heights.max() - heights.min() == pytest.approx(1.0, abs=0.01)  # the box's model z is up


def test_i3dm_vertex_cap_warns(monkeypatch) -> None:
    import loaders.i3dm as i3dm

    monkeypatch.setattr(i3dm, "MAX_INSTANCED_VERTICES", 40)
    v, f = box(1.0)
    pos = np.zeros((10, 3), np.float32)
    [content] = parse_content(_i3dm({"INSTANCES_LENGTH": 10, "POSITION": {"byteOffset": 0}}, pos.tobytes(), make_glb(v, f)), np.eye(4))
    assert len(content.geometry.positions) == 40 and any("vertex cap" in w for w in content.geometry.warnings)


# -- pnts -----------------------------------------------------------------------------------
def test_pnts_normals_batch_ids_and_constant_colour() -> None:
    n = 4
    pos = np.arange(12, dtype=np.float32).reshape(4, 3)
    octn = np.array([[128, 255]] * n, np.uint8)  # ~ +y
    bid = np.array([0, 1, 1, 0], np.uint16)
    body = pos.tobytes() + octn.tobytes() + bid.tobytes()
    ft = {"POINTS_LENGTH": n, "POSITION": {"byteOffset": 0}, "NORMAL_OCT16P": {"byteOffset": 48}, "BATCH_ID": {"byteOffset": 56},
          "BATCH_LENGTH": 2, "CONSTANT_RGBA": [10, 20, 30, 255]}
    data = _feature_table_tile(b"pnts", ft, body, {"class": ["ground", "tree"]})
    [c] = parse_content(data, np.eye(4))
    np.testing.assert_allclose(c.geometry.points, pos)
    np.testing.assert_array_equal(c.geometry.point_colors, np.tile([10, 20, 30], (4, 1)))
    np.testing.assert_allclose(c.geometry.point_normals, np.tile([0, 1, 0], (4, 1)), atol=0.01)
    np.testing.assert_array_equal(c.geometry.point_feature_ids, bid)
    assert c.batch_length == 2 and c.properties == {"class": ["ground", "tree"]}


def test_pnts_draco_compressed() -> None:
    DracoPy = pytest.importorskip("DracoPy")
    rng = np.random.default_rng(5)
    pts = rng.uniform(0, 100, (300, 3)).astype(np.float32)
    cols = rng.integers(0, 256, (300, 3)).astype(np.uint8)
    blob = DracoPy.encode(pts, colors=cols, quantization_bits=16, preserve_order=True)
    dec = DracoPy.decode(blob)
    ids = {a["attribute_type"]: a["unique_id"] for a in dec.attributes}  # 0 = position, 2 = colour
    ft = {"POINTS_LENGTH": len(dec.points), "POSITION": {"byteOffset": 0}, "RGB": {"byteOffset": 0},
          "extensions": {"3DTILES_draco_point_compression": {"properties": {"POSITION": ids[0], "RGB": ids[2]}, "byteOffset": 0, "byteLength": len(blob)}}}
    [c] = parse_content(_feature_table_tile(b"pnts", ft, blob), np.eye(4))
    np.testing.assert_allclose(c.geometry.points, np.asarray(dec.points), atol=1e-6)
    assert np.abs(np.sort(c.geometry.points, 0) - np.sort(pts, 0)).max() < 0.01  # 16-bit quantization of 100 m
    assert c.geometry.point_colors.shape == (len(dec.points), 3)


# -- glTF -----------------------------------------------------------------------------------
def test_gltf_mesh_quantization_and_draco() -> None:
    DracoPy = pytest.importorskip("DracoPy")
    v, f = box(2.0)
    b = _Buf()
    q = np.round(v / 2.0 * 32767).astype(np.int16)
    pos = b.acc(q, 5122, "VEC3", normalized=True)
    idx = b.acc(f.astype(np.uint16).reshape(-1), 5123, "SCALAR")
    doc = {"extensionsUsed": ["KHR_mesh_quantization"], "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0, "scale": [2, 2, 2]}],
           "meshes": [{"primitives": [{"attributes": {"POSITION": pos}, "indices": idx}]}], "accessors": b.accessors, "bufferViews": b.views}
    [c] = parse_content(_glb(doc, b.data), np.eye(4), y_up=False)
    np.testing.assert_allclose(c.geometry.positions, v, atol=1e-3)
    blob = DracoPy.encode(v.astype(np.float32), faces=f.astype(np.uint32), preserve_order=True)
    b = _Buf()
    view = b.view(blob)
    b.accessors = [{"componentType": 5126, "count": 8, "type": "VEC3"}, {"componentType": 5125, "count": 36, "type": "SCALAR"}]
    prim = {"attributes": {"POSITION": 0}, "indices": 1, "extensions": {"KHR_draco_mesh_compression": {"bufferView": view, "attributes": {"POSITION": 0}}}}
    doc = {"meshes": [{"primitives": [prim]}], "nodes": [{"mesh": 0}], "scenes": [{"nodes": [0]}], "accessors": b.accessors, "bufferViews": b.views}
    [c] = parse_content(_glb(doc, b.data), np.eye(4), y_up=False)
    assert len(c.geometry.faces) == 12 and not c.geometry.warnings
    np.testing.assert_allclose(np.sort(c.geometry.positions, 0), np.sort(v, 0), atol=1e-2)


def test_gltf_texture_becomes_vertex_colours() -> None:
    from PIL import Image

    img = Image.new("RGB", (2, 1))
    img.putpixel((0, 0), (255, 0, 0))
    img.putpixel((1, 0), (0, 0, 255))
    png = io.BytesIO()
    img.save(png, format="PNG")
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    b = _Buf()
    pos = b.acc(v, 5126, "VEC3")
    uv = b.acc(np.array([[0.25, 0.5], [0.75, 0.5], [1.25, 0.5]], np.float32), 5126, "VEC2")  # 1.25 wraps to 0.25
    image_view = b.view(png.getvalue())
    doc = {"meshes": [{"primitives": [{"attributes": {"POSITION": pos, "TEXCOORD_0": uv}, "material": 0}]}], "nodes": [{"mesh": 0}],
           "scenes": [{"nodes": [0]}], "accessors": b.accessors, "bufferViews": b.views,
           "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}], "textures": [{"source": 0}],
           "images": [{"bufferView": image_view, "mimeType": "image/png"}]}
    [c] = parse_content(_glb(doc, b.data), np.eye(4))
    np.testing.assert_array_equal(c.geometry.colors, [[255, 0, 0], [0, 0, 255], [255, 0, 0]])


def test_structural_metadata_property_table_per_feature() -> None:
    path = corpus_path("3dtiles/cesium-samples/glTF/EXT_structural_metadata/MultipleFeatureIdsAndProperties/MultipleFeatureIdsAndProperties.gltf")
    [c] = parse_content(path.read_bytes(), np.eye(4), base_dir=str(path.parent))
    assert c.properties["example_STRING"][:3] == ["Rain 🌧", "Thunder ⛈", "Sun ☀"]
    assert c.geometry.feature_ids is not None and c.geometry.feature_ids.max() < len(c.properties["example_STRING"]) + 1
    path = corpus_path("3dtiles/cesium-samples/glTF/EXT_structural_metadata/ComplexTypes/ComplexTypes.gltf")
    [c] = parse_content(path.read_bytes(), np.eye(4), base_dir=str(path.parent))
    assert c.properties["example_variable_length_ARRAY_STRING"][:3] == [["One"], ["One", "Two"], ["One", "Two", "Three"]]
    assert c.properties["example_fixed_length_ARRAY_ENUM"][0] == ["ExampleEnumValueA", "ExampleEnumValueB"]
    [layer] = loaders.load(corpus_path("3dtiles/cesium-samples/glTF/EXT_structural_metadata/MultipleClasses/tileset.json"))
    assert {"example_FLOAT32", "example_INT64"} <= layer.elements[0].properties.keys()


# -- sources ----------------------------------------------------------------------------------
def test_gzip_content_and_tileset(tmp_path) -> None:
    v, f = box(1.0)
    (tmp_path / "a.b3dm").write_bytes(gzip.compress(make_b3dm(make_glb(v, f))))
    path = write_tileset(tmp_path, {"boundingVolume": {"sphere": [0, 0, 0, 5]}, "geometricError": 1, "content": {"uri": "a.b3dm"}})
    path.write_bytes(gzip.compress(path.read_bytes()))
    [layer] = loaders.load(path)
    assert len(layer.faces) == 12


def test_3tz_package(tmp_path) -> None:
    v, f = box(1.0)
    tileset = {"asset": {"version": "1.1"}, "geometricError": 10,
               "root": {"boundingVolume": {"sphere": [0, 0, 0, 5]}, "geometricError": 1, "content": {"uri": "tiles/a.glb"}}}
    path = tmp_path / "city.3tz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("tileset.json", json.dumps(tileset))
        z.writestr("tiles/a.glb", make_glb(v, f))
        z.writestr("../escape.txt", "zip slip")  # zipfile strips the '..'
    [layer] = loaders.load(path)
    assert layer.kind == "tileset" and layer.name == "city" and len(layer.faces) == 12
    assert not (tmp_path.parent / "escape.txt").exists()
    (tmp_path / "bad.3tz").write_bytes(b"PK\x03\x04 nonsense")
    with pytest.raises(loaders.LoadError, match="zip"):
        loaders.load(tmp_path / "bad.3tz")


# -- georeference ------------------------------------------------------------------------------
def test_request_volume_tile_centre_lat_lon() -> None:
    """The building tile fills its own bounding box (tile transform applied), and its centre lies
    at the lat/lon the tileset's region gives (EPSG:4978 -> 4979 by pyproj, not our code)."""
    import pyproj

    path = corpus_path("3dtiles/cesium-samples/1.0/TilesetWithRequestVolume/tileset.json")
    doc = json.loads(path.read_text())
    west, south, east, north, _, top = doc["root"]["boundingVolume"]["region"]
    building = next(c for c in doc["root"]["children"] if c.get("content", {}).get("uri") == "building.b3dm")
    t = np.array(building["transform"]).reshape(4, 4).T
    box_ = np.array(building["boundingVolume"]["box"])
    [layer] = loaders.load(path)
    ids = np.array([e.id for e in layer.elements])
    mask = np.isin(layer.face_element, np.flatnonzero(np.char.startswith(ids, "building.b3dm")))
    verts = layer.vertices[np.unique(layer.faces[mask])]
    local = (verts - t[:3, 3]) @ np.linalg.inv(t[:3, :3]).T
    unit = (local - box_[:3]) @ np.linalg.inv(box_[3:].reshape(3, 3).T).T  # -1..1 inside the box
    assert np.abs(unit).max() < 1.01 and np.abs(unit).max(0).min() > 0.95  # fills it: no offset, no wrong axis
    centre = verts.mean(0)
    lon, lat, h = pyproj.Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(*centre)
    assert np.degrees(west) <= lon <= np.degrees(east) and np.degrees(south) <= lat <= np.degrees(north)
    expected = pyproj.Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(*(t @ [*box_[:3], 1.0])[:3])
    assert lon == pytest.approx(expected[0], abs=1e-4) and lat == pytest.approx(expected[1], abs=1e-4)
    assert 0 < h < top


def test_gltf_sparse_accessor_and_gpu_instancing() -> None:
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    b = _Buf()
    base = b.acc(v, 5126, "VEC3")
    sp_idx = b.view(np.array([2], np.uint16).tobytes())
    sp_val = b.view(np.array([[0, 5, 0]], np.float32).tobytes())
    b.accessors[base]["sparse"] = {"count": 1, "indices": {"bufferView": sp_idx, "componentType": 5123}, "values": {"bufferView": sp_val}}
    trans = b.acc(np.array([[0, 0, 0], [100, 0, 0]], np.float32), 5126, "VEC3")
    fids = b.acc(np.array([7, 3], np.uint16), 5123, "SCALAR")
    node = {"mesh": 0, "extensions": {"EXT_mesh_gpu_instancing": {"attributes": {"TRANSLATION": trans, "_FEATURE_ID_0": fids}},
                                      "EXT_instance_features": {"featureIds": [{"featureCount": 8, "attribute": 0}]}}}
    doc = {"meshes": [{"primitives": [{"attributes": {"POSITION": base}}]}], "nodes": [node], "scenes": [{"nodes": [0]}],
           "accessors": b.accessors, "bufferViews": b.views}
    [c] = parse_content(_glb(doc, b.data), np.eye(4), y_up=False)
    expected = np.array([[0, 0, 0], [1, 0, 0], [0, 5, 0]], np.float64)
    np.testing.assert_allclose(c.geometry.positions, np.r_[expected, expected + [100, 0, 0]])
    np.testing.assert_array_equal(c.geometry.feature_ids, [7, 7, 7, 3, 3, 3])
    assert c.batch_length == 8


def test_gpu_instances_sample_has_per_instance_properties() -> None:
    [layer] = loaders.load(corpus_path("3dtiles/cesium-samples/glTF/GpuInstancesMetadata/tileset.json"))
    assert len(layer.faces) == 120 and len(layer.elements) == 10
    assert [e.properties["example_STRING"] for e in layer.elements[:3]] == ["zero", "one", "two"]
