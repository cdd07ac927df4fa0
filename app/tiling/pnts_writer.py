"""3D Tiles 1.0 output: one pnts tile per octree node and a tileset.json.

With a source CRS the tileset lives in a local east-north-up frame at the cloud's centre and
the root's `transform` places that frame on the globe (ECEF); every point goes through pyproj
(source CRS -> ECEF -> ENU) so projection scale and grid convergence are exact, not
approximated by one affine map. Without a CRS, tiles keep the source coordinates and no
transform (the cloud has no place on the globe). Positions are float32 relative to each tile's
RTC_CENTER. Nodes hold disjoint points, so refinement is ADD; a node's geometricError is its
point spacing (leaves 0).
"""
from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field

import numpy as np

from app.tiling.layout import Layout


def _to_ecef(crs_wkt: str, xyz: np.ndarray) -> np.ndarray:
    """Source CRS -> ECEF exactly as the loaders' scene frame places the source file
    (`app.model.frame.crs_to_ecef`): a 2D CRS in US feet takes z in feet too, so z is scaled
    with x and y (passing feet on as metres put autzen's root 320 m too high)."""
    from app.model.frame import crs_to_ecef

    return crs_to_ecef(np.asarray(xyz, np.float64).reshape(-1, 3), crs_wkt)


def enu_frame(layout: Layout) -> tuple[np.ndarray, np.ndarray] | None:
    """(origin in ECEF, 3x3 rotation ENU->ECEF) at the data centre, or None without a CRS."""
    if not layout.crs_wkt:
        return None
    from pyproj import CRS, Transformer

    center = layout.data_center or layout.center
    origin = _to_ecef(layout.crs_wkt, np.asarray([center], np.float64))[0]
    if not np.all(np.isfinite(origin)):
        raise ValueError("the CRS cannot place the cloud's centre on the globe")
    lon, lat, _ = Transformer.from_crs(CRS.from_epsg(4978), CRS.from_epsg(4979), always_xy=True).transform(*origin)
    lo, la = np.radians(lon), np.radians(lat)
    east = [-np.sin(lo), np.cos(lo), 0.0]
    north = [-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)]
    up = [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
    return origin, np.array([east, north, up], np.float64).T


def pnts_bytes(positions: np.ndarray, rgb: np.ndarray | None, intensity: np.ndarray, classification: np.ndarray) -> bytes:
    """A pnts tile: RTC_CENTER + float32 POSITION (+ RGB), batch table Intensity/Classification."""
    n = len(positions)
    center = (positions.min(axis=0) + positions.max(axis=0)) / 2
    body = [(positions - center).astype("<f4").tobytes()]
    ft = {"POINTS_LENGTH": n, "RTC_CENTER": [float(v) for v in center], "POSITION": {"byteOffset": 0}}
    if rgb is not None:
        ft["RGB"] = {"byteOffset": 12 * n}
        body.append(rgb.astype(np.uint8).tobytes())
    ft_bin = _pad(b"".join(body), 8)
    bt_bin = _pad(intensity.astype("<u2").tobytes(), 4) + classification.astype(np.uint8).tobytes()
    bt = {"Intensity": {"byteOffset": 0, "componentType": "UNSIGNED_SHORT", "type": "SCALAR"},
          "Classification": {"byteOffset": len(_pad(intensity.astype("<u2").tobytes(), 4)),
                             "componentType": "UNSIGNED_BYTE", "type": "SCALAR"}}
    bt_bin = _pad(bt_bin, 8)
    ft_json = _pad(json.dumps(ft, separators=(",", ":")).encode(), 8, b" ", start=28)
    bt_json = _pad(json.dumps(bt, separators=(",", ":")).encode(), 8, b" ", start=0)
    total = 28 + len(ft_json) + len(ft_bin) + len(bt_json) + len(bt_bin)
    head = struct.pack("<4sIIIIII", b"pnts", 1, total, len(ft_json), len(ft_bin), len(bt_json), len(bt_bin))
    return head + ft_json + ft_bin + bt_json + bt_bin


def _pad(data: bytes, align: int, fill: bytes = b"\0", start: int = 0) -> bytes:
    return data + fill * ((-(start + len(data))) % align)


class PntsSink:
    """Writes each node as tiles/<level>/<x>_<y>_<z>.pnts straight into the output folder."""

    def __init__(self, layout: Layout, outdir: str, frame) -> None:
        self.layout = layout
        self.outdir = outdir
        self.frame = frame
        self.entries: list[dict] = []

    def write(self, key: tuple[int, int, int, int], records: np.ndarray) -> None:
        if not len(records):
            return
        s, o = self.layout.scales, self.layout.offsets
        xyz = np.column_stack([records[n].astype(np.float64) * s[i] + o[i] for i, n in enumerate("XYZ")])
        if self.frame is not None:
            origin, rot = self.frame
            ecef = _to_ecef(self.layout.crs_wkt, xyz)
            xyz = (ecef - origin) @ rot  # ECEF -> ENU (rot columns are E, N, U)
        rgb = None
        if "red" in records.dtype.names:
            rgb = np.column_stack([records["red"], records["green"], records["blue"]])
            rgb = rgb >> 8 if rgb.max() > 255 else rgb
        level, x, y, z = key
        rel = f"tiles/{level}/{x}_{y}_{z}.pnts"
        path = os.path.join(self.outdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(pnts_bytes(xyz, rgb, records["intensity"], records["classification"]))
        self.entries.append({"key": key, "count": int(len(records)), "uri": rel,
                             "min": xyz.min(axis=0).tolist(), "max": xyz.max(axis=0).tolist()})

    def finish(self) -> list[dict]:
        return self.entries


@dataclass
class PntsSpec:
    layout: Layout
    outdir: str
    frame: tuple | None = field(default=None)

    def __call__(self, name: str) -> PntsSink:
        return PntsSink(self.layout, self.outdir, self.frame)


def _box(lo: np.ndarray, hi: np.ndarray) -> list[float]:
    c = (lo + hi) / 2
    h = np.maximum((hi - lo) / 2, 1e-3)  # a flat or single-point tile still gets a valid box
    return [*map(float, c), float(h[0]), 0.0, 0.0, 0.0, float(h[1]), 0.0, 0.0, 0.0, float(h[2])]


def write_tileset(outdir: str, layout: Layout, entries: list[dict], frame) -> dict:
    """tileset.json over all node tiles; empty ancestors become content-less tiles."""
    nodes: dict[tuple, dict] = {tuple(e["key"]): dict(e, children=[]) for e in entries}
    for key in list(nodes):
        level, x, y, z = key
        while level > 0:
            parent = (level - 1, x >> 1, y >> 1, z >> 1)
            fresh = parent not in nodes
            if fresh:
                nodes[parent] = {"key": parent, "count": 0, "children": []}
            nodes[parent]["children"].append((level, x, y, z))
            if not fresh:
                break
            level, x, y, z = parent
    root_key = (0, 0, 0, 0)
    if root_key not in nodes:
        lo, hi = layout.node_bounds(0, 0, 0, 0)
        nodes[root_key] = {"key": root_key, "count": 0, "children": [], "min": lo.tolist(), "max": hi.tolist()}

    def tile(key: tuple) -> tuple[dict, np.ndarray, np.ndarray]:
        node = nodes[key]
        kids = [tile(k) for k in sorted(set(node["children"]))]
        los = [np.asarray(node["min"])] if "min" in node else []
        his = [np.asarray(node["max"])] if "max" in node else []
        los += [k[1] for k in kids]
        his += [k[2] for k in kids]
        lo, hi = np.min(los, axis=0), np.max(his, axis=0)
        out = {"boundingVolume": {"box": _box(lo, hi)},
               "geometricError": layout.spacing(key[0]) if kids else 0.0, "refine": "ADD"}
        if node.get("uri"):
            out["content"] = {"uri": node["uri"]}
        if kids:
            out["children"] = [k[0] for k in kids]
        return out, lo, hi

    root, _, _ = tile(root_key)
    if frame is not None:
        origin, rot = frame
        m = np.eye(4)
        m[:3, :3], m[:3, 3] = rot, origin
        root["transform"] = [float(v) for v in m.T.ravel()]  # column-major
    tileset = {"asset": {"version": "1.0", "generator": "twinscape tile"},
               "geometricError": 2 * layout.spacing(0), "root": root,
               "extras": {"points": int(sum(e["count"] for e in entries)), "crs": layout.crs_wkt}}
    with open(os.path.join(outdir, "tileset.json"), "w") as fh:
        json.dump(tileset, fh, separators=(",", ":"))
    return {"points": tileset["extras"]["points"], "tiles": len(nodes)}
