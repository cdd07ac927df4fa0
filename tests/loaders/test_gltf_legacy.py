"""Legacy and compressed glTF content that CesiumJS renders: glTF 1.0 inside b3dm and i3dm
(KHR_binary_glTF, KHR_materials_common, WEB3D_quantized_attributes, CESIUM_RTC, objects keyed by
id, accessor strides, several meshes per node) and EXT_/KHR_meshopt_compression buffers.
The public corpus holds no such tile, so these are built here, byte by byte, as the old
exporters wrote them; the meshopt payloads come from meshoptimizer's own encoder."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from loaders.gltf import parse_glb
from loaders.tiles3d import parse_content
from tests.viewers.texture_fixtures import CHECKER, b3dm, image_bytes

QUAD = np.array([[0, 0, 0], [10, 0, 0], [10, 0, -10], [0, 0, -10]], np.float64)  # y-up ground square


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def gltf1_glb(*, rtc: list[float] | None = None, technique: str = "CONSTANT", two_meshes: bool = True) -> bytes:
    """A glTF 1.0 binary (KHR_binary_glTF): quantized interleaved POSITION + TEXCOORD_0, a texture."""
    lo = QUAD.min(axis=0)
    q = np.round((QUAD - lo) / 10 * 65535).astype(np.uint16)  # 10 m quantized over 65535 steps from the minimum
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.uint16) * 65535
    inter = np.hstack([q, np.zeros((4, 1), np.uint16), uv]).astype(np.uint16)  # 12-byte stride: xyz + pad + uv
    idx = np.array([0, 1, 2, 0, 2, 3], np.uint16)
    png = image_bytes(CHECKER)
    body = _pad4(inter.tobytes()) + _pad4(idx.tobytes())
    png_at = len(body)
    body += _pad4(png)
    decode = np.eye(4) * (10 / 65535)
    decode[3, 3], decode[:3, 3] = 1.0, lo
    uv_decode = np.eye(3) / 65535
    uv_decode[2, 2] = 1.0
    doc = {
        "asset": {"version": "1.0"},
        "buffers": {"binary_glTF": {"uri": "data:,", "byteLength": len(body)}},
        "bufferViews": {"bv_attr": {"buffer": "binary_glTF", "byteOffset": 0, "byteLength": inter.nbytes, "target": 34962},
                        "bv_idx": {"buffer": "binary_glTF", "byteOffset": len(_pad4(inter.tobytes())), "byteLength": idx.nbytes},
                        "bv_img": {"buffer": "binary_glTF", "byteOffset": png_at, "byteLength": len(png)}},
        "accessors": {
            "pos": {"bufferView": "bv_attr", "byteOffset": 0, "byteStride": 12, "componentType": 5123, "count": 4, "type": "VEC3",
                    "extensions": {"WEB3D_quantized_attributes": {"decodeMatrix": decode.T.ravel().tolist(),
                                                                 "decodedMin": [0, 0, -10], "decodedMax": [10, 0, 0]}}},
            "uv": {"bufferView": "bv_attr", "byteOffset": 8, "byteStride": 12, "componentType": 5123, "count": 4, "type": "VEC2",
                   "extensions": {"WEB3D_quantized_attributes": {"decodeMatrix": uv_decode.T.ravel().tolist()}}},
            "idx": {"bufferView": "bv_idx", "byteOffset": 0, "componentType": 5123, "count": 6, "type": "SCALAR"},
        },
        "images": {"img": {"uri": "data:,", "extensions": {"KHR_binary_glTF": {"bufferView": "bv_img", "mimeType": "image/png",
                                                                             "width": 2, "height": 2}}}},
        "samplers": {"smp": {"magFilter": 9728, "minFilter": 9729, "wrapS": 33071, "wrapT": 33071}},
        "textures": {"tex": {"source": "img", "sampler": "smp", "format": 6407, "internalFormat": 6407, "target": 3553, "type": 5121}},
        "materials": {"mat": {"extensions": {"KHR_materials_common": {"technique": technique, "doubleSided": False,
                                                                      "values": {"diffuse": "tex"}}}}},
        "meshes": {"m0": {"primitives": [{"attributes": {"POSITION": "pos", "TEXCOORD_0": "uv"}, "indices": "idx",
                                          "material": "mat", "mode": 4}]},
                   "m1": {"primitives": [{"attributes": {"POSITION": "pos"}, "indices": "idx", "material": "mat", "mode": 4}]}},
        "nodes": {"root": {"matrix": np.eye(4).ravel().tolist(), "meshes": ["m0", "m1"] if two_meshes else ["m0"]}},
        "scenes": {"s": {"nodes": ["root"]}}, "scene": "s",
        "extensionsUsed": ["KHR_binary_glTF", "KHR_materials_common", "WEB3D_quantized_attributes"],
    }
    if rtc is not None:
        doc["extensions"] = {"CESIUM_RTC": {"center": rtc}}
        doc["extensionsUsed"].append("CESIUM_RTC")
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    return struct.pack("<4sIIII", b"glTF", 1, 20 + len(js) + len(body), len(js), 0) + js + body


def test_gltf1_b3dm_upgrades_with_its_triangles_texture_and_place() -> None:
    [content] = parse_content(b3dm(gltf1_glb(rtc=[1000.0, 2000.0, 3000.0])), np.eye(4))
    g = content.geometry
    assert len(g.faces) == 4  # two meshes on one node, two triangles each
    expected = QUAD @ np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]).T + [1000, 2000, 3000]  # y-up -> z-up, then RTC
    assert np.allclose(g.positions[:4], expected, atol=1e-3)
    mat = g.materials[g.face_material[0]]
    assert mat.unlit and mat.texture is not None and mat.texture.nearest
    assert np.array_equal(mat.texture.pixels, CHECKER)
    assert np.allclose(g.uvs[:4], [[0, 0], [1, 0], [1, 1], [0, 1]], atol=1e-4)
    assert not g.warnings


def test_gltf1_lit_material_and_single_mesh() -> None:
    g = parse_glb(gltf1_glb(technique="LAMBERT", two_meshes=False))
    assert len(g.faces) == 2 and not g.materials[0].unlit and not g.materials[0].double_sided


def test_gltf1_i3dm_instances_every_copy() -> None:
    glb = gltf1_glb(two_meshes=False)
    positions = np.array([[0, 0, 0], [100, 0, 0], [0, 100, 0]], np.float32)
    ft = json.dumps({"INSTANCES_LENGTH": 3, "POSITION": {"byteOffset": 0}}).encode()
    ft += b" " * (-(32 + len(ft)) % 8)
    fb = positions.tobytes()
    fb += b"\0" * (-len(fb) % 8)
    total = 32 + len(ft) + len(fb) + len(glb)
    data = struct.pack("<4s7I", b"i3dm", 1, total, len(ft), len(fb), 0, 0, 1) + ft + fb + glb
    [content] = parse_content(data, np.eye(4))
    assert len(content.geometry.faces) == 6 and len(content.geometry.materials) == 1
    assert np.allclose(content.geometry.positions.min(axis=0)[:2], [0, 0], atol=1e-3)


def meshopt_glb(extension: str = "EXT_meshopt_compression", filter_normals: bool = False) -> tuple[bytes, np.ndarray]:
    """A 2x2-quad grid whose POSITION and indices live in meshopt-compressed bufferViews."""
    import meshoptimizer

    xs, zs = np.meshgrid(np.arange(3, dtype=np.float32), np.arange(3, dtype=np.float32))
    pos = np.column_stack([xs.ravel(), np.zeros(9, np.float32), -zs.ravel()]).astype(np.float32)
    tris = []
    for r in range(2):
        for c in range(2):
            a = r * 3 + c
            tris += [[a, a + 1, a + 4], [a, a + 4, a + 3]]
    idx = np.asarray(tris, np.uint32).ravel()
    enc_pos = meshoptimizer.encode_vertex_buffer(pos, 9, 12)
    enc_idx = meshoptimizer.encode_index_buffer(idx, len(idx), 9)
    blob = _pad4(enc_pos)
    idx_at = len(blob)
    blob += _pad4(enc_idx)
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1, "mode": 4}]}],
        "buffers": [{"byteLength": len(blob)}, {"byteLength": pos.nbytes + idx.nbytes, "extensions": {extension: {"fallback": True}}}],
        "bufferViews": [
            {"buffer": 1, "byteOffset": 0, "byteLength": pos.nbytes, "byteStride": 12,
             "extensions": {extension: {"buffer": 0, "byteOffset": 0, "byteLength": len(enc_pos), "byteStride": 12,
                                        "count": 9, "mode": "ATTRIBUTES"}}},
            {"buffer": 1, "byteOffset": pos.nbytes, "byteLength": idx.nbytes,
             "extensions": {extension: {"buffer": 0, "byteOffset": idx_at, "byteLength": len(enc_idx), "byteStride": 4,
                                        "count": len(idx), "mode": "TRIANGLES"}}}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 9, "type": "VEC3",
                       "min": pos.min(0).tolist(), "max": pos.max(0).tolist()},
                      {"bufferView": 1, "componentType": 5125, "count": len(idx), "type": "SCALAR"}],
        "extensionsUsed": [extension], "extensionsRequired": [extension],
    }
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    total = 12 + 8 + len(js) + 8 + len(blob)
    glb = struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", len(blob), b"BIN\0") + blob
    return glb, pos


@pytest.mark.parametrize("extension", ["EXT_meshopt_compression", "KHR_meshopt_compression"])
def test_meshopt_glb_loads_its_triangles(extension: str) -> None:
    glb, pos = meshopt_glb(extension)
    g = parse_glb(glb)
    assert len(g.faces) == 8 and not g.warnings
    assert np.allclose(np.sort(g.positions, axis=0), np.sort(pos @ np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]).T, axis=0))


def test_corrupt_meshopt_data_is_a_readable_warning() -> None:
    glb, _ = meshopt_glb()
    doc_end = 20 + struct.unpack_from("<I", glb, 12)[0]
    broken = bytearray(glb)
    broken[doc_end + 8: doc_end + 12] = b"\xff\xff\xff\xff"  # the vertex stream's header byte and more
    g = parse_glb(bytes(broken))
    assert len(g.faces) == 0 and any("meshopt" in w for w in g.warnings)


def test_batch_table_hierarchy_gives_each_feature_its_inherited_properties() -> None:
    """The 3D Tiles 1.0 specification's example: walls in buildings owned by owners."""
    from tests.loaders.builders import box, make_b3dm, make_glb

    v, f = box(1.0)
    glb = make_glb(v, f, batch_ids=np.arange(8) % 6)
    hierarchy = {"classes": [
        {"name": "Wall", "length": 6, "instances": {"color": ["white", "red", "yellow", "gray", "brown", "black"]}},
        {"name": "Building", "length": 3, "instances": {"name": ["unit29", "unit20", "unit93"],
                                                        "address": ["100 Main St", "102 Main St", "104 Main St"]}},
        {"name": "Owner", "length": 3, "instances": {"type": ["city", "resident", "commercial"], "id": [1120, 1250, 6445]}}],
        "instancesLength": 12, "classIds": [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2],
        "parentCounts": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], "parentIds": [6, 6, 7, 7, 8, 8, 9, 10, 11]}
    data = make_b3dm(glb, batch_length=6, batch_table={"extensions": {"3DTILES_batch_table_hierarchy": hierarchy}})
    [content] = parse_content(data, np.eye(4))
    p = content.properties
    assert p["class"] == ["Wall"] * 6 and p["color"][1] == "red"
    assert p["name"][2] == "unit20" and p["address"][5] == "104 Main St"
    assert p["type"][0] == "city" and p["id"][4] == 6445
    assert len(content.geometry.faces) == 12


def test_broken_hierarchy_is_one_warning_not_an_error() -> None:
    from tests.loaders.builders import box, make_b3dm, make_glb

    v, f = box(1.0)
    bad = {"classes": [{"name": "Wall", "length": 2, "instances": {}}], "instancesLength": 2, "classIds": [0, 5]}
    data = make_b3dm(make_glb(v, f, batch_ids=np.zeros(8)), batch_length=2,
                     batch_table={"extensions": {"3DTILES_batch_table_hierarchy": bad}})
    [content] = parse_content(data, np.eye(4))
    assert len(content.geometry.faces) == 12
    assert any("3DTILES_batch_table_hierarchy ignored" in w for w in content.geometry.warnings)
