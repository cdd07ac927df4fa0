"""Minimal, spec-exact glb (glTF 2.0) / b3dm (3D Tiles 1.0) writer and the demo district tileset."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from assets.demo._site import Site

GLTF_ARRAY_BUFFER = 34962
GLTF_ELEMENT_ARRAY_BUFFER = 34963
GLTF_FLOAT = 5126
GLTF_UNSIGNED_BYTE = 5121
GLTF_UNSIGNED_INT = 5125


def _pad(data: bytes, align: int, fill: bytes, start: int = 0) -> bytes:
    """Pad `data` so that start + len(result) is a multiple of `align`."""
    return data + fill * ((-(start + len(data))) % align)


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=False).encode("utf-8")


def enu_to_yup(p: np.ndarray) -> np.ndarray:
    """(e, n, u) -> glTF y-up (e, u, -n)."""
    return np.stack([p[:, 0], p[:, 2], -p[:, 1]], axis=1)


def yup_to_enu(p: np.ndarray) -> np.ndarray:
    return np.stack([p[:, 0], -p[:, 2], p[:, 1]], axis=1)


def glb_bytes(positions: np.ndarray, normals: np.ndarray, colours: np.ndarray, batch_ids: np.ndarray,
              indices: np.ndarray, name: str = "mesh") -> bytes:
    """One mesh, one triangle primitive. positions/normals (N,3) in glTF y-up; colours (N,4) uint8."""
    pos = np.ascontiguousarray(positions, dtype="<f4")
    nor = np.ascontiguousarray(normals, dtype="<f4")
    col = np.ascontiguousarray(colours, dtype=np.uint8)
    bid = np.ascontiguousarray(batch_ids, dtype="<f4")
    idx = np.ascontiguousarray(indices, dtype="<u4").reshape(-1)
    n = len(pos)
    assert nor.shape == (n, 3) and col.shape == (n, 4) and bid.shape == (n,) and idx.max() < n
    blobs = [(idx.tobytes(), GLTF_ELEMENT_ARRAY_BUFFER), (pos.tobytes(), GLTF_ARRAY_BUFFER),
             (nor.tobytes(), GLTF_ARRAY_BUFFER), (col.tobytes(), GLTF_ARRAY_BUFFER), (bid.tobytes(), GLTF_ARRAY_BUFFER)]
    bin_data = b""
    views = []
    for blob, target in blobs:
        bin_data = _pad(bin_data, 8, b"\x00")
        views.append({"buffer": 0, "byteOffset": len(bin_data), "byteLength": len(blob), "target": target})
        bin_data += blob
    bin_data = _pad(bin_data, 8, b"\x00")  # glb (and the b3dm around it) ends on an 8-byte boundary
    accessors = [
        {"bufferView": 0, "componentType": GLTF_UNSIGNED_INT, "count": int(idx.size), "type": "SCALAR",
         "min": [int(idx.min())], "max": [int(idx.max())]},
        {"bufferView": 1, "componentType": GLTF_FLOAT, "count": n, "type": "VEC3",
         "min": [float(v) for v in pos.min(0)], "max": [float(v) for v in pos.max(0)]},
        {"bufferView": 2, "componentType": GLTF_FLOAT, "count": n, "type": "VEC3"},
        {"bufferView": 3, "componentType": GLTF_UNSIGNED_BYTE, "normalized": True, "count": n, "type": "VEC4"},
        {"bufferView": 4, "componentType": GLTF_FLOAT, "count": n, "type": "SCALAR",
         "min": [float(bid.min())], "max": [float(bid.max())]},
    ]
    gltf = {
        "asset": {"version": "2.0", "generator": "twinscape demo generator"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": name}],
        "meshes": [{"name": name, "primitives": [{
            "attributes": {"POSITION": 1, "NORMAL": 2, "COLOR_0": 3, "_BATCHID": 4},
            "indices": 0, "material": 0, "mode": 4}]}],
        "materials": [{"name": "vertex colour", "pbrMetallicRoughness": {
            "baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.9}}],
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(bin_data)}],
    }
    # JSON chunk padded with spaces so the BIN chunk data starts 8-byte aligned (12 + 8 + json + 8)
    js = _pad(_json_bytes(gltf), 8, b" ", start=12 + 8 + 8)
    total = 12 + 8 + len(js) + 8 + len(bin_data)
    return b"".join([
        struct.pack("<4sII", b"glTF", 2, total),
        struct.pack("<I4s", len(js), b"JSON"), js,
        struct.pack("<I4s", len(bin_data), b"BIN\x00"), bin_data,
    ])


def b3dm_bytes(glb: bytes, batch_table: dict, batch_length: int) -> bytes:
    ft = _pad(_json_bytes({"BATCH_LENGTH": int(batch_length)}), 8, b" ", start=28)
    bt = _pad(_json_bytes(batch_table), 8, b" ", start=28 + len(ft))
    body = _pad(glb, 8, b"\x00", start=28 + len(ft) + len(bt))
    total = 28 + len(ft) + len(bt) + len(body)
    header = struct.pack("<4sIIIIII", b"b3dm", 1, total, len(ft), 0, len(bt), 0)
    return header + ft + bt + body


def _box(enu: np.ndarray) -> list[float]:
    lo, hi = enu.min(0), enu.max(0)
    c, h = (lo + hi) / 2, (hi - lo) / 2
    return [float(c[0]), float(c[1]), float(c[2]), float(h[0]), 0.0, 0.0, 0.0, float(h[1]), 0.0, 0.0, 0.0, float(h[2])]


def _to_u8(colours: np.ndarray) -> np.ndarray:
    rgb = np.clip(np.round(np.asarray(colours, float) * 255), 0, 255).astype(np.uint8)
    return np.concatenate([rgb, np.full((len(rgb), 1), 255, np.uint8)], axis=1)


def terrain_mesh(site: Site):
    t = site.terrain
    ee, nn = np.meshgrid(t.e, t.n)
    enu = site.geo.proj_to_enu(ee.ravel(), nn.ravel(), t.h.ravel())
    tris = t.triangles()
    fn = np.cross(enu[tris[:, 1]] - enu[tris[:, 0]], enu[tris[:, 2]] - enu[tris[:, 0]])
    vn = np.zeros_like(enu)
    for k in range(3):
        np.add.at(vn, tris[:, k], fn)
    vn /= np.linalg.norm(vn, axis=1, keepdims=True)
    return enu, vn, _to_u8(t.colours.reshape(-1, 3)), np.zeros(len(enu)), tris


def buildings_mesh(site: Site, buildings: list):
    """Flat-shaded extrusions (walls + flat roof, no floor), one batch id per building."""
    pts, cols, bids = [], [], []
    for bi, b in enumerate(buildings):
        e, n = b.footprint_en[:, 0], b.footprint_en[:, 1]
        k = len(e)
        lo = site.geo.proj_to_enu(e, n, np.full(k, b.base))
        hi = site.geo.proj_to_enu(e, n, np.full(k, b.top))
        tri = []
        for i in range(k):  # walls: CCW footprint -> outward faces
            j = (i + 1) % k
            tri += [lo[i], lo[j], hi[j], lo[i], hi[j], hi[i]]
        wall_n = len(tri)
        for i in range(1, k - 1):  # roof: fan from vertex 0 (footprints are star-shaped about it)
            tri += [hi[0], hi[i], hi[i + 1]]
        tri = np.array(tri)
        c = np.array(b.colour)
        cc = np.repeat([c], len(tri), 0)
        cc[wall_n:] = c * 0.72 + 0.08  # roofs a little darker / greyer
        shade = np.ones(len(tri))
        shade[:wall_n] = np.repeat(np.where(np.arange(k) % 2 == 0, 1.0, 0.93), 6)
        pts.append(tri)
        cols.append(cc * shade[:, None])
        bids.append(np.full(len(tri), bi))
    enu = np.concatenate(pts)
    tri_pts = enu.reshape(-1, 3, 3)
    fn = np.cross(tri_pts[:, 1] - tri_pts[:, 0], tri_pts[:, 2] - tri_pts[:, 0])
    fn /= np.linalg.norm(fn, axis=1, keepdims=True)
    normals = np.repeat(fn, 3, axis=0)
    return enu, normals, _to_u8(np.concatenate(cols)), np.concatenate(bids), np.arange(len(enu), dtype=np.uint32)


def _write_tile(path: Path, mesh, batch_table: dict, batch_length: int, name: str) -> dict:
    enu, normals, colours, bids, idx = mesh
    pos32 = enu_to_yup(enu).astype(np.float32)
    glb = glb_bytes(pos32, enu_to_yup(normals), colours, bids, idx, name=name)
    data = b3dm_bytes(glb, batch_table, batch_length)
    path.write_bytes(data)
    box_src = yup_to_enu(pos32.astype(np.float64))
    return {"boundingVolume": {"box": _box(box_src)}, "geometricError": 0.0, "content": {"uri": path.name},
            "_enu": box_src, "_bytes": len(data), "_vertices": len(enu), "_triangles": int(np.size(idx)) // 3}


def write_tileset(site: Site, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    children = [_write_tile(out_dir / "terrain.b3dm", terrain_mesh(site), {"name": ["terrain"]}, 1, "terrain")]
    for quad in ("NE", "NW", "SW", "SE"):
        bs = [b for b in site.buildings if b.quadrant == quad]
        table = {
            "name": [b.name for b in bs],
            "height": [b.height for b in bs],
            "use": [b.use for b in bs],
            "year": [b.year for b in bs],
            "floors": [b.floors for b in bs],
        }
        children.append(_write_tile(out_dir / f"buildings_{quad.lower()}.b3dm", buildings_mesh(site, bs), table,
                                    len(bs), f"buildings {quad}"))
    all_enu = np.concatenate([c.pop("_enu") for c in children])
    stats = [{"uri": c["content"]["uri"], "bytes": c.pop("_bytes"), "vertices": c.pop("_vertices"),
              "triangles": c.pop("_triangles")} for c in children]
    tileset = {
        "asset": {"version": "1.0", "gltfUpAxis": "Y", "generator": "twinscape demo generator"},
        "geometricError": 200.0,
        "properties": {"height": {"minimum": min(b.height for b in site.buildings),
                                  "maximum": max(b.height for b in site.buildings)}},
        "root": {
            "transform": site.geo.transform_column_major,
            "boundingVolume": {"box": _box(all_enu)},
            "geometricError": 100.0,
            "refine": "ADD",
            "children": children,
        },
    }
    (out_dir / "tileset.json").write_text(json.dumps(tileset, indent=1), encoding="utf-8")
    return {"tiles": stats}
