"""Small synthetic tilesets written to disk (real b3dm / tileset.json files) for streaming tests."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assets.demo._tiles_writer import b3dm_bytes, glb_bytes


def box_b3dm(centre: tuple[float, float, float], size: float, n_features: int = 1, name: str = "box") -> bytes:
    """n_features boxes in a row (z-up positions written y-up), batch table with height/use."""
    pts, idx, bids = [], [], []
    corners = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], float) - 0.5
    faces = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                      [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
    w = size / max(n_features, 1)
    for f in range(n_features):
        c = np.array(centre, float) + np.array([(f + 0.5) * w - size / 2, 0.0, 0.0])
        p = c + corners * np.array([w * 0.8, size * 0.8, size * 0.8])
        idx.append(faces + 8 * f)
        pts.append(p)
        bids.append(np.full(8, f))
    enu = np.concatenate(pts)
    yup = np.stack([enu[:, 0], enu[:, 2], -enu[:, 1]], 1)
    normals = np.tile([0.0, 1.0, 0.0], (len(yup), 1))
    colours = np.tile([200, 180, 160, 255], (len(yup), 1)).astype(np.uint8)
    glb = glb_bytes(yup, normals, colours, np.concatenate(bids).astype(float), np.concatenate(idx).astype(np.uint32), name)
    table = {"height": [10.0 + 5 * f for f in range(n_features)], "use": ["office" if f % 2 else "residential" for f in range(n_features)]}
    return b3dm_bytes(glb, table, n_features)


def _box_volume(cx: float, cy: float, half: float, hz: float = 10.0) -> dict:
    return {"box": [cx, cy, hz, half, 0, 0, 0, half, 0, 0, 0, hz]}


def write_quadtree(folder: Path, levels: int, *, size: float = 1000.0, refine: str = "REPLACE",
                   missing: set[str] = frozenset(), root_ge: float | None = None, content_size: float = 0.5,
                   transform: list[float] | None = None) -> Path:
    """A full quadtree with `levels` levels (1 + 4 + 16 + ... tiles), one box b3dm per tile named
    t<level>_<x>_<y>.b3dm, geometricError halving per level (0 at the leaves). Tiles whose name
    is in `missing` are referenced but not written (a broken child)."""
    folder.mkdir(parents=True, exist_ok=True)
    root_ge = size / 8 if root_ge is None else root_ge

    def tile(level: int, x: int, y: int) -> dict:
        n = 2 ** level
        cell = size / n
        cx, cy = -size / 2 + (x + 0.5) * cell, -size / 2 + (y + 0.5) * cell
        name = f"t{level}_{x}_{y}.b3dm"
        if name not in missing:
            (folder / name).write_bytes(box_b3dm((cx, cy, 10.0), cell * content_size, n_features=2, name=name))
        t = {"boundingVolume": _box_volume(cx, cy, cell / 2), "geometricError": 0.0 if level == levels - 1 else root_ge / 2 ** level,
             "content": {"uri": name}}
        if level < levels - 1:
            t["children"] = [tile(level + 1, 2 * x + i, 2 * y + j) for j in (0, 1) for i in (0, 1)]
        return t

    root = tile(0, 0, 0)
    root["refine"] = refine
    if transform is not None:
        root["transform"] = transform
    doc = {"asset": {"version": "1.0", "gltfUpAxis": "Y"}, "geometricError": root_ge * 2, "root": root}
    (folder / "tileset.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder / "tileset.json"
