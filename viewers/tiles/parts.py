"""Tile parts: a streamed tile's parsed contents turned into unattached polydata on a worker
thread, one part per material (viewers.textures) and one per point set, with the per-feature
properties (batch table, property table, 3D Tiles 1.1 metadata) that colour-by and filters read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyvista as pv

from viewers.textures import material_pieces, texture_bytes


@dataclass
class TilePart:
    """One drawable piece of a tile: its polydata and how its cells map to features."""

    poly: Any
    cell_feature: np.ndarray | None  # (cells,) feature id per cell, -1 = none
    properties: dict[str, list] = field(default_factory=dict)
    uri: str = ""
    actor: Any = None
    kept: np.ndarray | None = None  # original cells drawn when a filter leaves some out
    material: Any = None  # loaders.gltf_materials.Material of a triangle part, None: not glTF-authored
    textured: bool = False  # draws its material's texture with its UVs
    tinted: bool = False  # RGBA holds a highlight tint over white: modulates the texture


@dataclass
class LoadedTile:
    parts: list[TilePart]
    nbytes: int
    triangles: int
    points: int
    texture_bytes: int = 0


def _with_metadata(part: TilePart, rows: dict | None) -> None:
    """3D Tiles 1.1 metadata of the part's tile/content/group/tileset as per-feature properties,
    so colour-by and filters work on them like on batch-table values. A part without features
    becomes one feature: picking it tints the whole content."""
    rows = {k: v for k, v in (rows or {}).items() if isinstance(v, (str, int, float, bool))}
    if not rows:
        return
    n_cells = part.poly.n_cells
    if part.cell_feature is None:
        part.cell_feature = np.zeros(n_cells, np.int64)
    lengths = [len(v) for v in part.properties.values() if isinstance(v, (list, tuple, np.ndarray))]
    n = max(lengths + [int(part.cell_feature.max(initial=-1)) + 1, 1])
    part.properties = {**{k: [v] * n for k, v in rows.items()}, **part.properties}


def prepare_tile(contents: list, origin: np.ndarray, uri: str, metadata: dict | None = None) -> LoadedTile:
    """Parsed contents -> unattached polydata relative to `origin` (worker thread); `metadata`
    maps a content's location to its 3D Tiles 1.1 metadata rows (TileNode.metadata)."""
    parts, nbytes, tris, pts, tex_bytes = [], 0, 0, 0, 0
    for c in contents:
        g = c.geometry
        uri = getattr(c, "location", None) or uri
        props = dict(getattr(c, "properties", None) or getattr(g, "properties", None) or {})
        nbytes += sum(v.nbytes for v in props.values() if isinstance(v, np.ndarray))  # per-point attributes (COPC)
        if len(g.faces):
            verts = np.asarray(g.positions - origin, dtype=np.float32)
            faces = np.asarray(g.faces, dtype=np.int64)
            fid = None
            if g.feature_ids is not None and len(g.feature_ids) == len(verts):
                fid = np.asarray(g.feature_ids, np.int64)[faces[:, 0]]
            pieces = material_pieces(verts, faces, g.colors, g)
            for piece in pieces:
                parts.append(TilePart(piece.poly, None if fid is None else fid[piece.faces], props, uri,
                                      material=piece.material, textured=piece.textured))
            extra = sum(int(p.poly.point_data[k].nbytes) for p in pieces for k in ("TCoords", "Normals") if k in p.poly.point_data)  # i18n: not shown (VTK arrays)
            tex_bytes += texture_bytes(pieces)
            nbytes += verts.nbytes + faces.nbytes * 4 // 3 + (len(verts) * 4 if g.colors is not None else 0) + extra
            tris += len(faces)
        if len(g.points):
            p = np.asarray(g.points - origin, dtype=np.float32)
            poly = pv.PolyData(p)
            if g.point_colors is not None and len(g.point_colors) == len(p):
                poly.point_data["RGBA"] = np.hstack([g.point_colors[:, :3], np.full((len(p), 1), 255, np.uint8)]).astype(np.uint8)
            pf = getattr(g, "point_feature_ids", None)
            parts.append(TilePart(poly, None if pf is None else np.asarray(pf, np.int64), props, uri))
            nbytes += p.nbytes * 2 + len(p) * 4
            pts += len(p)
    for part in parts:
        _with_metadata(part, (metadata or {}).get(part.uri))
    return LoadedTile(parts, max(nbytes + tex_bytes, 1), tris, pts, tex_bytes)


def adapt_point_sizes(tree: Any, loaded: dict, shown: set[int], view: Any, base: float, most: float) -> None:
    """Potree's adaptive size: a point tile's points grow with their spacing on screen (up to
    `most` px), so leaves near the camera close their gaps instead of showing scattered dots."""
    from viewers.tiles.selection import distance_to

    per_spacing = 6.0 if "copc" in type(tree).__module__ else 1.0  # COPC: geometric error = 6 x spacing
    for index in shown:
        tile = loaded.get(index)
        if tile is None or not tile.points:
            continue
        node = tree.nodes[index]
        ge = node.geometric_error or (tree.nodes[node.parent].geometric_error / 2 if node.parent >= 0 else 0.0)
        spacing = ge / per_spacing
        if per_spacing == 1.0 and node.radius > 0:  # pnts: the error is often nominal (1 m over a 1 m plane of
            spacing = min(spacing or np.inf, 2.0 * node.radius / np.sqrt(tile.points))  # 16k points): spacing from the count
        dist = max(distance_to(node, view.eye), 1e-6)
        size = float(np.clip(round(2 * spacing * view.sse_factor / dist) / 2, base, most))
        for part in tile.parts:
            if part.actor is not None and part.poly.n_cells == part.poly.n_verts:
                prop = part.actor.GetProperty()
                if prop.GetPointSize() != size:
                    prop.SetPointSize(size)
