"""A COPC file as a streamable tile tree: the file's octree nodes are the tiles.

Why: a COPC file already is a level-of-detail octree (every node a LAZ chunk, points thinned
to the node's spacing, refinement by addition), exactly what the 3D Tiles streaming machinery
draws (screen-space error, culling, workers, memory budget). `CopcTileTree` offers the same
interface as `TileTree`: nodes with bounding boxes and geometric errors known up front,
hierarchy sub-pages read when the view reaches them (`expand`), one node's chunk decoded on a
worker when drawn (`load_content`). With a CRS, boxes and points go to ECEF (pyproj), so the
scene places the layer like a georeferenced tileset; without one, file coordinates are kept.
"""
from __future__ import annotations

import math
import os
import threading
from typing import Callable

import numpy as np

from loaders import _laz
from loaders.base import Georef, LoadError, TilesetData
from loaders.copc import ENTRY, MAX_LEVEL, Node, _entries, _good_points
from loaders.tile_tree import MAX_NODES, TileNode, TileTree

STREAMED_LOADER = "COPC (streamed)"
# geometric error = GE_PER_SPACING x the node's point spacing. At the default maximum SSE of
# 16 px a node refines once its points lie 16 / 6 = 2.7 px apart on screen: about where Potree's
# default (a node shows when its radius, ~111 spacings, exceeds 150 px) adds the next level.
GE_PER_SPACING = 6.0
MAX_NODE_BYTES = 512 * 1024**2  # decoded size of one node (real nodes hold up to ~1M points, 36 MB)
_SIGNS = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
_local = threading.local()


def _transformer(src_wkt: str):
    """pyproj transformers are not shared between threads: one per thread and source CRS."""
    import pyproj

    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    if src_wkt not in cache:
        cache[src_wkt] = pyproj.Transformer.from_crs(src_wkt, "EPSG:4978", always_xy=True)
    return cache[src_wkt]


def ecef_converter(crs_text: str) -> Callable[[np.ndarray], np.ndarray]:
    """(N,3) file coordinates -> ECEF, as app.model.frame.crs_to_ecef does (a 2D CRS takes z as
    ellipsoidal height in its horizontal unit; a compound CRS whose geoid grid is missing falls
    back to its horizontal part). Loaders may not import the app, hence this twin."""
    import pyproj

    crs = pyproj.CRS.from_user_input(crs_text)
    factor = None
    if len(crs.axis_info) < 3 and not crs.is_compound:
        factor = 1.0 if crs.is_geographic else float(crs.axis_info[0].unit_conversion_factor or 1.0)
    src = crs.to_3d().to_wkt() if factor is not None else crs.to_wkt()
    fallback = None
    if crs.is_compound and crs.sub_crs_list:
        horiz = crs.sub_crs_list[0]
        fallback = (horiz.to_3d().to_wkt(), float(horiz.axis_info[0].unit_conversion_factor or 1.0))

    def convert(pts: np.ndarray) -> np.ndarray:
        x, y, z = pts[:, 0], pts[:, 1], pts[:, 2] * (factor or 1.0)
        out = np.stack(_transformer(src).transform(x, y, z), axis=-1)
        if fallback is not None and len(out) and not np.isfinite(out).all():
            out = np.stack(_transformer(fallback[0]).transform(x, y, pts[:, 2] * fallback[1]), axis=-1)
        if len(out) and not np.isfinite(out).all():
            raise ValueError(f"coordinates cannot be transformed from {crs.name} (outside its area of use?)")
        return out

    return convert


def copc_point_count(path: str) -> int | None:
    """The header's point count when `path` is a COPC file, else None (cheap: header only).
    The raw header is checked first: laspy trusts a VLR count of four billion and loops."""
    try:
        import laspy

        from loaders.las import _check_raw_header

        _check_raw_header(path, os.path.getsize(path))
        with laspy.open(path) as fh:
            if not any(getattr(v, "user_id", "") == "copc" and v.record_id == 1 for v in fh.header.vlrs):
                return None
            return int(fh.header.point_count)
    except Exception:  # noqa: BLE001 - not readable: the ordinary loader reports why
        return None


class CopcTileTree(TileTree):
    """The nodes of one COPC file's octree, as tiles (refine ADD)."""

    def __init__(self, path: str) -> None:
        import laspy

        from loaders._lasdata import georef_for
        from loaders.las import HEADER_MIN, _check_raw_header, _check_scaling

        path = os.path.abspath(path)
        super().__init__(path)
        self.version = "COPC 1.0"
        self.file_size = os.path.getsize(path)
        if self.file_size < HEADER_MIN:
            raise LoadError(path, f"too small to be a COPC file ({self.file_size} bytes)")
        _check_raw_header(path, self.file_size)
        try:
            with laspy.open(path) as probe:
                header = probe.header
                _check_scaling(path, header)
                info = next((v for v in header.vlrs if getattr(v, "user_id", "") == "copc" and v.record_id == 1), None)
                laz = next((v for v in header.vlrs if getattr(v, "user_id", "") == "laszip encoded"), None)
        except LoadError:
            raise
        except Exception as exc:  # noqa: BLE001 - laspy raises many kinds on a corrupt file
            raise LoadError(path, f"not a readable COPC file: {exc}") from None
        if info is None or laz is None:
            raise LoadError(path, "not a COPC file (no COPC info or LAZ record)")
        if not (0 < info.hierarchy_root_offset and info.hierarchy_root_offset + info.hierarchy_root_size <= self.file_size
                and info.hierarchy_root_size >= ENTRY.size and math.isfinite(info.halfsize) and info.halfsize > 0
                and np.isfinite(info.center).all() and math.isfinite(info.spacing)):
            raise LoadError(path, "corrupt COPC info record (hierarchy or cube outside the file)")
        self.info, self.header = info, header
        self.total = int(header.point_count)
        self.fmt = header.point_format
        self.dtype = self.fmt.dtype()
        self.vlr_data = laz.record_data
        _laz.check_item_size(path, self.vlr_data, int(self.fmt.size))
        self.data_start = int(header.offset_to_point_data) + 8
        self.scales = np.asarray(header.scales, float)
        self.offsets = np.asarray(header.offsets, float)
        self.spacing = float(info.spacing) if info.spacing > 0 else 2.0 * float(info.halfsize) / 128
        mins, maxs = np.asarray(header.mins, float), np.asarray(header.maxs, float)
        pad = np.abs(self.scales) * 2
        self.clip = (mins - pad, maxs + pad) if np.isfinite(mins).all() and np.isfinite(maxs).all() and (maxs >= mins).all() else None
        self.georef = georef_for(header, self.warnings, lambda: np.array([mins, maxs]))
        self.to_ecef: Callable[[np.ndarray], np.ndarray] | None = None
        if self.georef.kind == "crs":
            try:
                self.to_ecef = ecef_converter(self.georef.crs or "")
                self.to_ecef(np.array([(mins + maxs) / 2]))
                self.georef_kind = "ecef"
            except Exception as exc:  # noqa: BLE001 - a CRS that cannot place the file: unreferenced
                self._warn(f"CRS {self.georef.crs_label()} cannot place these points ({exc}); placed unreferenced")
                self.to_ecef, self.georef = None, Georef(kind="none")
        self.entry: list[Node] = []
        self.properties = {name: None for name in ("classification", "intensity", "return_number")
                           if name in self.fmt.dimension_names}
        self._rgb16: bool | None = None  # 16-bit colours (shift by 8): decided by the first node read
        self._impossible = 0
        self._add_page(info.hierarchy_root_offset, info.hierarchy_root_size, (0, 0, 0, 0), -1)
        if not self.nodes:
            raise LoadError(path, "the COPC hierarchy has no root node")

    # --- hierarchy ---------------------------------------------------------------------------
    def _read_page(self, offset: int, size: int) -> dict:
        if not (0 < offset and offset + size <= self.file_size and size % ENTRY.size == 0 and size > 0):
            raise LoadError(self.location, f"COPC hierarchy page at byte {offset} lies outside the file")
        with open(self.location, "rb") as fh:
            fh.seek(offset)
            return _entries(fh.read(size))

    def _add_page(self, offset: int, size: int, start: tuple, parent: int, into: int | None = None) -> None:
        """Nodes of one hierarchy page, breadth first from `start` (`into`: the page-pointer node
        that becomes `start`); child keys pointing at further pages become unexpanded nodes."""
        entries = self._read_page(offset, size)
        if start not in entries or entries[start][2] < 0:
            raise LoadError(self.location, f"COPC hierarchy page at byte {offset} lacks its own node")
        made: list[int] = []
        if into is not None:
            self._set_entry(into, start, entries[start])
            frontier = [into]
        else:
            frontier = [self._new_node(start, entries[start], parent)]
        made.extend(frontier)
        seen = {start}
        while frontier:
            nxt = []
            for index in frontier:
                node = self.nodes[index]
                key = self.entry[index].key
                node.children = []
                if key[0] >= MAX_LEVEL:
                    continue
                for d in range(8):
                    child = (key[0] + 1, 2 * key[1] + (d & 1), 2 * key[2] + ((d >> 1) & 1), 2 * key[3] + ((d >> 2) & 1))
                    if child not in entries or child in seen or len(self.nodes) >= MAX_NODES:
                        continue
                    seen.add(child)
                    c = self._new_node(child, entries[child], index)
                    node.children.append(c)
                    made.append(c)
                    if entries[child][2] >= 0:
                        nxt.append(c)
            frontier = nxt
        if len(self.nodes) >= MAX_NODES:
            self._warn("COPC hierarchy is too large; truncated")
        self._place(made)

    def _new_node(self, key: tuple, entry: tuple, parent: int) -> int:
        with self._lock:  # two workers may read two pages at once
            index = len(self.nodes)
            node = TileNode(index, parent, key[0], np.eye(4), np.zeros(3), 0.0, None, 0.0, "ADD", [], None, False)
            self.entry.append(Node(*key))
            self.nodes.append(node)
        if entry[2] < 0:  # the node lives on another page: read when the view reaches it
            node.pending = ("page", entry[0], entry[1])
        else:
            self._set_entry(index, key, entry)
        return index

    def _set_entry(self, index: int, key: tuple, entry: tuple) -> None:
        offset, nbytes, count = entry
        n = Node(*key, offset=offset, nbytes=nbytes, count=max(count, 0))
        self.entry[index] = n
        if count > 0 and not (self.data_start <= offset and offset + nbytes <= self.file_size and nbytes > 0
                              and count <= self.total):
            self._impossible += 1
            self._warn("COPC node(s) with an impossible chunk entry: drawn as failed tiles")
        self.nodes[index].contents = [f"{self.location}#{'-'.join(map(str, key))}"]

    def _place(self, indices: list[int]) -> None:
        """Bounding boxes (the node cube clipped to the header bounds) and geometric errors, in
        tileset world coordinates, for freshly made nodes (one pyproj call for all of them)."""
        if not indices:
            return
        side = 2.0 * float(self.info.halfsize) / (2.0 ** np.array([self.entry[i].level for i in indices]))
        keys = np.array([[self.entry[i].x, self.entry[i].y, self.entry[i].z] for i in indices], float)
        lo = np.asarray(self.info.center, float) - float(self.info.halfsize) + keys * side[:, None]
        hi = lo + side[:, None]
        if self.clip is not None:
            lo2, hi2 = np.maximum(lo, self.clip[0]), np.minimum(hi, self.clip[1])
            ok = (hi2 >= lo2).all(axis=1)
            lo[ok], hi[ok] = lo2[ok], hi2[ok]
        centre = (lo + hi) / 2
        half = np.maximum((hi - lo) / 2, np.abs(self.scales))  # never flat: boxes stay invertible
        ge = GE_PER_SPACING * self.spacing / 2.0 ** np.array([self.entry[i].level for i in indices], float)
        if self.to_ecef is None:
            for j, i in enumerate(indices):
                node = self.nodes[i]
                node.center, node.half_axes = centre[j], np.diag(half[j])
                node.radius, node.geometric_error = float(np.linalg.norm(half[j])), float(ge[j])
            return
        # per node: centre, +-half along each axis, 8 corners -> 15 points to ECEF, in one call
        offs = np.vstack([np.zeros(3), np.eye(3), -np.eye(3), _SIGNS])
        pts = (centre[:, None, :] + offs[None, :, :] * half[:, None, :]).reshape(-1, 3)
        try:
            e = self.to_ecef(pts).reshape(len(indices), 15, 3)
        except ValueError as exc:  # node cubes outside the CRS's area of use: a corrupt hierarchy
            raise LoadError(self.location, f"COPC node cubes cannot be placed: {exc}") from None
        c = e[:, 0]
        axes = np.transpose(e[:, 1:4] - e[:, 4:7], (0, 2, 1)) / 2  # (n,3,3), columns: half axes in ECEF
        unit = np.linalg.norm(axes[:, :, 0], axis=1) / half[:, 0]  # ECEF metres per file unit
        try:  # curvature: stretch each box until every transformed corner lies inside it
            local = np.linalg.solve(axes, np.transpose(e[:, 7:] - c[:, None, :], (0, 2, 1)))
            axes = axes * np.maximum(np.abs(local).max(axis=2), 1.0)[:, None, :]
        except np.linalg.LinAlgError:
            axes = axes * 1.01
        radius = np.sqrt((axes ** 2).sum(axis=(1, 2)))
        for j, i in enumerate(indices):
            node = self.nodes[i]
            node.center, node.half_axes = c[j], axes[j]
            node.radius, node.geometric_error = float(radius[j]), float(ge[j] * unit[j])

    def expand(self, index: int) -> list[int]:
        """Children of a node; a node on another hierarchy page reads that page first."""
        known, pending = self._claim(index)
        if known is not None:
            return known
        node = self.nodes[index]
        if pending is not None and pending[0] == "page":
            try:
                self._add_page(pending[1], pending[2], self.entry[index].key, node.parent, into=index)
            except LoadError as exc:
                node.children = []
                self._warn(f"{exc.reason}: its nodes are lost")
        return list(node.children or [])

    # --- content -----------------------------------------------------------------------------
    def load_content(self, index: int) -> list:
        """One node's points (worker thread): a TileContent whose geometry holds the points (ECEF
        or file coordinates), 8-bit colours and per-point classification/intensity for picking.
        A chunk that fails to decode, or decodes outside its cube, raises LoadError."""
        from loaders._lasdata import _plan
        from loaders.gltf import GltfGeometry
        from loaders.tiles3d import TileContent

        n = self.entry[index]
        where = self.nodes[index].contents[0] if self.nodes[index].contents else self.location
        if n.count == 0:
            return []
        chunk = _laz.Chunk(n.offset, n.count, n.nbytes)
        size = int(self.fmt.size)
        if not (self.data_start <= n.offset and n.offset + n.nbytes <= self.file_size and 0 < n.nbytes and n.count <= self.total):
            raise LoadError(where, "impossible chunk entry (outside the file)")
        if n.count * size > MAX_NODE_BYTES:  # a lying entry must not make the decoder allocate gigabytes
            raise LoadError(where, f"node claims {n.count:,} points, more than one node can hold")
        try:
            with open(self.location, "rb") as fh:
                _laz.check_layers(self.location, fh, [chunk], int(self.fmt.id), size, self.file_size)
                arr = _laz.decode_chunks(fh, [chunk], self.vlr_data, size).view(self.dtype)
        except LoadError as exc:
            raise LoadError(where, exc.reason) from None
        except Exception as exc:  # noqa: BLE001 - lazrs raises its own kinds on a corrupt chunk
            raise LoadError(where, f"corrupt chunk: {exc}") from None
        if not _good_points(self.info, n, arr, self.header):
            raise LoadError(where, "corrupt chunk: decoded points lie outside their node")
        xyz = np.stack([arr[a] * self.scales[i] + self.offsets[i] for i, a in enumerate("XYZ")], axis=-1)
        if self.to_ecef is not None:
            try:
                xyz = self.to_ecef(xyz)
            except ValueError as exc:
                raise LoadError(where, str(exc)) from None
        colors = None
        if {"red", "green", "blue"} <= set(self.dtype.names):
            rgb = np.stack([arr["red"], arr["green"], arr["blue"]], axis=-1)
            with self._lock:
                if self._rgb16 is None:
                    self._rgb16 = bool(rgb.max(initial=0) > 255)
            colors = (rgb >> 8).astype(np.uint8) if self._rgb16 else np.minimum(rgb, 255).astype(np.uint8)
        props: dict = {}
        for name, field, mask, shift in _plan(self.fmt, list(self.properties)):
            v = arr[field]
            props[name] = ((v & mask) >> shift).astype(np.uint8) if mask is not None else np.asarray(v)
        geometry = GltfGeometry(points=xyz, point_colors=colors, point_feature_ids=np.arange(len(xyz), dtype=np.int64))
        return [TileContent(geometry, properties=props)]


def open_copc_tree(path: str) -> CopcTileTree:
    """The COPC file's octree as a tile tree: header and root hierarchy page only, no points."""
    return CopcTileTree(path)


def read_copc_streamed(path: str, *, progress=None, cancel=None) -> list[TilesetData]:
    """A COPC file for streaming: TilesetData with `tree` set; the root node is decoded now
    (`tree.preloaded`) so the whole extent shows at once, coarsely."""
    tree = open_copc_tree(path)
    tree.preloaded = {}  # type: ignore[attr-defined]
    if not (cancel is not None and cancel()):
        try:
            tree.preloaded[0] = tree.load_content(0)  # type: ignore[attr-defined]
        except LoadError as exc:
            tree._warn(f"root node: {exc.reason}")
    if progress is not None:
        progress(1.0, f"{len(tree.nodes)} COPC nodes known")
    data = TilesetData(name=os.path.basename(path), kind="pointcloud", format="LAZ 1.4 COPC (streamed)", source=path,
                       warnings=tree.warnings, tiles=len(tree.nodes), geometric_error=tree.nodes[0].geometric_error,
                       tree=tree)
    data.georef = Georef(kind=tree.georef_kind)
    data.metadata.update({"loader": STREAMED_LOADER, "copc_points": tree.total, "copc_spacing": tree.spacing})
    return [data]
