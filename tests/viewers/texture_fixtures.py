"""Textured glTF content for the texture tests: a ground quad with a 2x2 checker texture.

The quad lies on the ground (glTF y-up: the x-z plane), `size` metres square, centred on the
origin; the image's top row is north (glTF v = 0 at the top). Seen from above with north up:
north-west red, north-east green, south-west blue, south-east yellow.
"""
from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np

CHECKER = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 0]]], np.uint8)
NW, NE, SW, SE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)


def image_bytes(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return buf.getvalue()


def _pad(b: bytes, fill: bytes) -> bytes:
    return b + fill * (-len(b) % 4)


def textured_quad_glb(size: float = 100.0, *, image: bytes | None = None, mime: str = "image/png", nearest: bool = True,
                      unlit: bool = True, normals: bool = False, material: dict | None = None, texture_ext: str | None = None,
                      batch_ids: bool = False) -> bytes:
    """One quad (2 triangles) with TEXCOORD_0 and a base-colour texture; optional NORMAL and _BATCHID."""
    h = size / 2
    pos = np.array([[-h, 0, -h], [h, 0, -h], [h, 0, h], [-h, 0, h]], np.float32)  # NW, NE, SE, SW (z = -north)
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    idx = np.array([0, 3, 2, 0, 2, 1], np.uint32)  # counter-clockwise seen from +y (above)
    arrays = [(pos, 5126, "VEC3", 34962), (uv, 5126, "VEC2", 34962), (idx, 5125, "SCALAR", 34963)]
    attrs = {"POSITION": 0, "TEXCOORD_0": 1}
    if normals:
        arrays.append((np.tile(np.array([[0, 1, 0]], np.float32), (4, 1)), 5126, "VEC3", 34962))
        attrs["NORMAL"] = len(arrays) - 1
    if batch_ids:
        arrays.append((np.array([0, 0, 1, 1], np.float32), 5126, "SCALAR", 34962))
        attrs["_BATCHID"] = len(arrays) - 1
    blob, views, accessors = b"", [], []
    for arr, ctype, typ, target in arrays:
        raw = arr.tobytes()
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(raw), "target": target})
        acc = {"bufferView": len(views) - 1, "componentType": ctype, "count": int(len(arr)), "type": typ}
        if typ == "VEC3" and not accessors:
            acc["min"], acc["max"] = arr.min(0).tolist(), arr.max(0).tolist()
        accessors.append(acc)
        blob = _pad(blob + raw, b"\0")
    png = image if image is not None else image_bytes(CHECKER)
    views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(png)})
    blob = _pad(blob + png, b"\0")
    texture: dict = {"source": 0, "sampler": 0}
    if texture_ext:
        texture = {"sampler": 0, "extensions": {texture_ext: {"source": 0}}}
    mat = {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "metallicFactor": 0.0}}
    if unlit:
        mat["extensions"] = {"KHR_materials_unlit": {}}
    mat.update(material or {})
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": attrs, "indices": 2, "material": 0, "mode": 4}]}],
        "materials": [mat], "textures": [texture], "images": [{"bufferView": len(views) - 1, "mimeType": mime}],
        "samplers": [{"magFilter": 9728 if nearest else 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}],
        "accessors": accessors, "bufferViews": views, "buffers": [{"byteLength": len(blob)}],
    }
    if unlit or texture_ext:
        doc["extensionsUsed"] = [e for e in ("KHR_materials_unlit" if unlit else "", texture_ext or "") if e]
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    total = 12 + 8 + len(js) + 8 + len(blob)
    return struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", len(blob), b"BIN\0") + blob


def b3dm(glb: bytes, batch_length: int = 0, batch_table: dict | None = None) -> bytes:
    ft = json.dumps({"BATCH_LENGTH": batch_length}).encode()
    ft += b" " * (-(28 + len(ft)) % 8)
    bt = json.dumps(batch_table).encode() if batch_table else b""
    bt += b" " * (-len(bt) % 8)
    total = 28 + len(ft) + len(bt) + len(glb)
    return struct.pack("<4s6I", b"b3dm", 1, total, len(ft), 0, len(bt), 0) + ft + bt + glb


def quad_tileset(folder: Path, content: bytes, name: str = "quad.b3dm", size: float = 100.0) -> Path:
    """A root with the quad as its only content, in local metres (not on the globe)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    h = size / 2
    root = {"boundingVolume": {"box": [0, 0, 0, h, 0, 0, 0, h, 0, 0, 0, 1]}, "geometricError": 0.0,
            "refine": "REPLACE", "content": {"uri": name}}
    path = folder / "tileset.json"
    path.write_text(json.dumps({"asset": {"version": "1.0"}, "geometricError": 10.0, "root": root}))
    return path
