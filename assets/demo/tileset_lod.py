"""The demo district's buildings as a 3D Tiles tileset with a real level-of-detail hierarchy.

Why: the flat district tileset (terrain + 4 tiles) shows nothing of streaming. This one refines
like city exports do (REPLACE, quadtree, geometricError halving and more per level):

  root (no content)                                   REPLACE
    terrain.b3dm                                      geometricError 0
    blocks.b3dm    one box per quadrant's block       geometricError 48
      lod1_<q>.b3dm  each building as its oriented bounding box   geometricError 12
        lod2_<q><i>.b3dm  full detail, buildings of one quadtree cell   geometricError 0

Per-building properties (name, height, use, year, floors) are in every level-1/2 batch table.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from assets.demo._site import STREET_ROTATION_DEG, Site
from assets.demo._tiles_writer import _box, _write_tile, buildings_mesh, terrain_mesh

LOD_DIR = "district_lod"
GE_ROOT, GE_BLOCKS, GE_LOD1 = 120.0, 48.0, 12.0
QUADS = ("NE", "NW", "SW", "SE")


def _rot() -> np.ndarray:
    a = math.radians(STREET_ROTATION_DEG)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


def _oriented_rect(points_en: np.ndarray) -> np.ndarray:
    """CCW rectangle around points, aligned with the street grid (the simplified footprint)."""
    r = _rot()
    centre = points_en.mean(0)
    uv = (points_en - centre) @ r  # into the street frame
    lo, hi = uv.min(0), uv.max(0)
    rect = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    return rect @ r.T + centre


def _table(bs: list) -> dict:
    return {"name": [b.name for b in bs], "height": [b.height for b in bs], "use": [b.use for b in bs],
            "year": [b.year for b in bs], "floors": [b.floors for b in bs]}


def _node(tile: dict, ge: float, children: list | None = None) -> dict:
    enu = tile.pop("_enu")
    for key in ("_bytes", "_vertices", "_triangles"):
        tile.pop(key, None)
    tile["geometricError"] = ge
    tile["refine"] = "REPLACE"
    if children:
        tile["children"] = children
        boxes = [np.array(c.pop("_span")) for c in children] + [np.array([enu.min(0), enu.max(0)])]
        lo, hi = np.min([b[0] for b in boxes], 0), np.max([b[1] for b in boxes], 0)
        tile["boundingVolume"] = {"box": _box(np.array([lo, hi]))}
        tile["_span"] = [lo.tolist(), hi.tolist()]
    else:
        tile["_span"] = [enu.min(0).tolist(), enu.max(0).tolist()]
    return tile


def write_lod_tileset(site: Site, out_dir: Path) -> dict:
    """Write district_lod/ (tileset.json + b3dm). Returns {"tiles": n, "levels": 3}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    quad_nodes = []
    block_parts = []
    for quad in QUADS:
        bs = [b for b in site.buildings if b.quadrant == quad]
        if not bs:
            continue
        cx = np.array([b.centroid_en for b in bs])
        mid = cx.mean(0)
        leaves = []
        for i, (sx, sy) in enumerate(((1, 1), (-1, 1), (-1, -1), (1, -1))):  # quadtree cell of the quadrant
            cell = [b for b, c in zip(bs, cx) if (np.sign(c[0] - mid[0] + 1e-9) == sx) and (np.sign(c[1] - mid[1] + 1e-9) == sy)]
            if cell:
                t = _write_tile(out_dir / f"lod2_{quad.lower()}{i}.b3dm", buildings_mesh(site, cell), _table(cell), len(cell),
                                f"{quad} cell {i}")
                leaves.append(_node(t, 0.0))
        simple = [replace(b, footprint_en=_oriented_rect(b.footprint_en)) for b in bs]
        t = _write_tile(out_dir / f"lod1_{quad.lower()}.b3dm", buildings_mesh(site, simple), _table(bs), len(bs),
                        f"{quad} simplified")
        quad_nodes.append(_node(t, GE_LOD1, leaves))
        all_pts = np.concatenate([b.footprint_en for b in bs])
        heights = [b.height for b in bs]
        block_parts.append(replace(bs[0], name=f"block {quad}", footprint_en=_oriented_rect(all_pts),
                                   base=min(b.base for b in bs), top=min(b.ground for b in bs) + float(np.median(heights)),
                                   colour=(0.78, 0.76, 0.72)))
    blocks_table = {"name": [b.name for b in block_parts], "buildings": [sum(1 for b in site.buildings if f"block {b.quadrant}" == p.name)
                                                                      for p in block_parts]}
    t = _write_tile(out_dir / "blocks.b3dm", buildings_mesh(site, block_parts), blocks_table, len(block_parts), "blocks")
    blocks = _node(t, GE_BLOCKS, quad_nodes)
    terrain = _node(_write_tile(out_dir / "terrain.b3dm", terrain_mesh(site), {"name": ["terrain"]}, 1, "terrain"), 0.0)
    spans = [np.array(blocks.pop("_span")), np.array(terrain.pop("_span"))]
    lo, hi = np.min([s[0] for s in spans], 0), np.max([s[1] for s in spans], 0)
    _strip(blocks)
    every = _table(site.buildings)
    tileset = {
        "asset": {"version": "1.0", "gltfUpAxis": "Y", "generator": "twinscape demo generator (LOD)"},
        # what a viewer can style by before any tile loads, with ranges for stable colour ramps
        "properties": {k: {"minimum": min(v), "maximum": max(v)} for k, v in every.items() if k != "name" and k != "use"}
        | {"use": {}, "name": {}},
        "geometricError": 400.0,
        "root": {"transform": site.geo.transform_column_major, "boundingVolume": {"box": _box(np.array([lo, hi]))},
                 "geometricError": GE_ROOT, "refine": "REPLACE", "children": [terrain, blocks]},
    }
    (out_dir / "tileset.json").write_text(json.dumps(tileset, indent=1), encoding="utf-8")
    n = 2 + len(quad_nodes) + sum(len(q.get("children", [])) for q in quad_nodes) + 1
    return {"tiles": n, "levels": 3}


def _strip(tile: dict) -> None:
    tile.pop("_span", None)
    for c in tile.get("children", []):
        _strip(c)
