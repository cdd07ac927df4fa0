"""3D Tiles 1.0 / 1.1 tilesets and single tiles (b3dm, i3dm, pnts, cmpt, glb, glTF), parsed with numpy.

Three separable steps so the streaming loader can reuse them: `walk_tileset` turns the tile
tree (explicit, external and implicit tiles) into a list of ContentRef (file + accumulated
transform), `parse_content` turns one content's bytes (gzip allowed) into geometry plus per-feature
properties, `_Merger` merges contents into one TilesetData. py3dtiles fails on many real tiles and
VTK's reader rejects pnts, hence the hand-written, bounds-checked parsers (pnts.py, i3dm.py, gltf.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import unquote

import numpy as np

from loaders._binary import BinaryError, as_int, as_vec, batch_properties, check_range, gunzip, parse_json, read_file, table_value, u32
from loaders.base import Cancel, ElementInfo, Georef, LayerData, LoadCancelled, LoadError, PointCloudData, Progress, TilesetData
from loaders.gltf import GltfGeometry, parse_glb, parse_gltf
from loaders.bounding_volume import volume_points
from loaders.implicit import ImplicitCoord, ImplicitTiling
from loaders.pnts import parse_pnts  # noqa: F401 - part of this module's API
from loaders.registry import register_loader

MAX_TILES = 1_000_000
MAX_DEPTH = 200
MAX_EXTERNAL_DEPTH = 16
LEGACY = 570425344  # a JSON '{' read as a uint32: marks the legacy b3dm headers
TILE_MAGICS = (b"b3dm", b"pnts", b"cmpt", b"i3dm", b"glTF")


@dataclass
class TileContent:
    """Geometry of one content plus per-feature properties: the batch table (b3dm, i3dm, pnts) or
    the EXT_structural_metadata property table its feature ids index (glTF). `geometry.feature_ids`
    / `geometry.point_feature_ids` map vertices / points to features."""

    geometry: GltfGeometry
    batch_length: int | None = None
    properties: dict[str, list] = field(default_factory=dict)
    location: str = ""  # the content file or URL it came from (set by the streaming tree)


@dataclass
class ContentRef:
    path: str
    uri: str  # relative to the top tileset folder; used in element ids
    transform: np.ndarray
    y_up: bool = True
    metadata: dict = field(default_factory=dict)  # 3D Tiles 1.1 rows: tileset, group, tile, content (tile_metadata)


@dataclass
class TileWalk:
    version: str
    geometric_error: float
    tiles: int = 0
    contents: list[ContentRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    bounds_points: np.ndarray | None = None  # root bounding volume in world coords (ECEF on the globe)


def split_tables(data: memoryview, hdr: int, ftj: int, ftb: int, btj: int, btb: int):
    pos = hdr
    ft = parse_json(data[pos : pos + ftj], "feature table"); pos += ftj
    ft_bin = data[pos : pos + ftb]; pos += ftb
    bt = parse_json(data[pos : pos + btj], "batch table"); pos += btj
    bt_bin = data[pos : pos + btb]; pos += btb
    return ft, ft_bin, bt, bt_bin, pos


def header_view(data: bytes, kind: str) -> tuple[memoryview, int]:
    version, length = u32(data, 4, 2)
    if length > len(data):
        raise BinaryError(f"{kind} header declares {length} bytes but the file holds only {len(data)}")
    if length < 12:
        raise BinaryError(f"{kind} header declares an impossible length {length}")
    return memoryview(data)[:length], length


def rtc_matrix(v: np.ndarray | None) -> np.ndarray:
    m = np.eye(4)
    if v is not None:
        m[:3, 3] = np.asarray(v, dtype=np.float64).reshape(-1)[:3]
    return m


def parse_b3dm(data: bytes, transform: np.ndarray, y_up: bool = True, base_dir: str | None = None, root_dir: str | None = None) -> TileContent:
    """Batched 3D model: feature/batch tables, then an embedded GLB (also the two legacy headers)."""
    view, length = header_view(data, "b3dm")
    ftj, ftb, btj, btb = u32(data, 12, 4) if length >= 28 else (0, 0, 0, 0)
    hdr, batch_length = 28, None
    if btj >= LEGACY:
        hdr, batch_length, btj, btb, ftj, ftb = 20, ftj, ftb, 0, 0, 0
    elif btb >= LEGACY:
        hdr, batch_length, btj, btb, ftj, ftb = 24, btj, ftj, ftb, 0, 0
    check_range(hdr, ftj + ftb + btj + btb, length, "b3dm tables")
    ft, _ft_bin, bt, bt_bin, glb_start = split_tables(view, hdr, ftj, ftb, btj, btb)
    if batch_length is None:
        batch_length = as_int(ft.get("BATCH_LENGTH", 0), "BATCH_LENGTH", 0, 2**31)
    rtc = table_value(ft, _ft_bin, "RTC_CENTER", 1, 3, "FLOAT")
    geom = parse_glb(bytes(view[glb_start:]), y_up=y_up, post=transform @ rtc_matrix(rtc), base_dir=base_dir, root_dir=root_dir)
    return TileContent(geom, batch_length, feature_properties(bt, bt_bin, batch_length, geom.warnings))


def feature_properties(bt: dict, bt_bin, batch_length: int, warnings: list[str]) -> dict[str, list]:
    """Batch-table properties per feature, with those a 3DTILES_batch_table_hierarchy gives it."""
    from loaders.tile_metadata import hierarchy_properties

    props = batch_properties(bt, bt_bin, batch_length)
    props.update(hierarchy_properties(bt, bt_bin, batch_length, warnings))
    return props


def _gunzip(data: bytes) -> bytes:
    return gunzip(data)


def _gltf_content(geom: GltfGeometry) -> TileContent:
    """glTF 1.1 content: feature count and property table (EXT_mesh_features / EXT_structural_metadata)."""
    n = geom.feature_count if geom.feature_count is not None else (len(next(iter(geom.properties.values()))) if geom.properties else None)
    return TileContent(geom, n, geom.properties)


def parse_content(data: bytes, transform: np.ndarray, *, y_up: bool = True, base_dir: str | None = None, root_dir: str | None = None, depth: int = 0) -> list[TileContent]:
    """Any tile content by its magic; cmpt recurses into its inner tiles."""
    magic = data[:4]
    if magic[:2] == b"\x1f\x8b" and depth < 2:  # gzip-compressed tile, as some servers store them
        return parse_content(_gunzip(data), transform, y_up=y_up, base_dir=base_dir, root_dir=root_dir, depth=depth + 1)
    if magic == b"b3dm":
        return [parse_b3dm(data, transform, y_up, base_dir, root_dir)]
    if magic == b"pnts":
        return [parse_pnts(data, transform)]
    if magic == b"glTF":
        return [_gltf_content(parse_glb(data, y_up=y_up, post=transform, base_dir=base_dir, root_dir=root_dir))]
    if magic == b"cmpt":
        view, length = header_view(data, "cmpt")
        (count,) = u32(data, 12)
        if depth > 4:
            raise BinaryError("composite tiles nested too deeply")
        out, pos = [], 16
        for _ in range(min(count, length // 12)):
            (inner,) = u32(data, pos + 8)
            check_range(pos, inner, length, "inner tile")
            if inner < 12:
                raise BinaryError("inner tile declares an impossible length")
            out += parse_content(bytes(view[pos : pos + inner]), transform, y_up=y_up, base_dir=base_dir, root_dir=root_dir, depth=depth + 1)
            pos += inner
        return out
    if magic == b"i3dm":
        from loaders.i3dm import parse_i3dm

        return [parse_i3dm(data, transform, y_up, base_dir, root_dir)]
    if data.lstrip()[:1] == b"{":
        doc = parse_json(data, "glTF JSON")
        if "asset" in doc and any(k in doc for k in ("meshes", "buffers", "accessors", "scenes")):
            return [_gltf_content(parse_gltf(doc, None, y_up=y_up, post=transform, base_dir=base_dir, root_dir=root_dir))]
        raise BinaryError("JSON content is neither a glTF 2.0 asset nor a tileset")
    raise BinaryError(f"unknown tile content (magic {bytes(magic)!r})")


def _load_tileset_json(path: str) -> dict:
    try:
        raw = read_file(path)
        doc = parse_json(_gunzip(raw) if raw[:2] == b"\x1f\x8b" else raw, "tileset JSON")
    except BinaryError as exc:
        raise LoadError(path, f"not a 3D Tiles tileset: {exc}") from None
    if not isinstance(doc.get("asset"), dict) or not isinstance(doc.get("root"), dict):
        raise LoadError(path, "not a 3D Tiles tileset (no 'asset' and 'root')")
    return doc


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives on Windows
        return False


def _tile_uris(tile: dict) -> list[str]:
    contents = [tile["content"]] if isinstance(tile.get("content"), dict) else []
    contents += [c for c in tile.get("contents", []) if isinstance(c, dict)] if isinstance(tile.get("contents"), list) else []
    return [u for c in contents if isinstance(u := c.get("uri", c.get("url")), str) and u]


class _Walker:
    def __init__(self, path: str, cancel: Cancel | None, every_level: bool = False) -> None:
        self.every_level = every_level  # True: every tile's contents (info), not only the finest level
        self.root_dir = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        self.cancel = cancel
        self.walk = TileWalk("", 0.0)
        self.chain: list[str] = []
        self.docs: list[dict] = []  # tileset documents being walked (their schema, groups, metadata)

    def _resolve(self, uri: str, base_dir: str) -> str | None:
        if "://" in uri or uri.startswith("data:"):
            self.walk.warnings.append(f"content '{uri[:80]}' is not a local file; skipped")
            return None
        path = os.path.realpath(os.path.join(base_dir, unquote(uri.split("?")[0].split("#")[0])))
        if not _inside(path, self.root_dir):
            self.walk.warnings.append(f"content '{uri[:80]}' points outside the tileset folder; skipped")
            return None
        if not os.path.isfile(path):
            self.walk.warnings.append(f"content '{uri[:80]}' is missing; skipped")
            return None
        return path

    def _is_tileset(self, path: str) -> bool:
        if path.lower().endswith(".json"):
            return True
        with open(path, "rb") as fh:
            return fh.read(64).lstrip()[:1] == b"{" and not path.lower().endswith(".gltf")

    def add_contents(self, uris: list[str], transform: np.ndarray, base_dir: str, y_up: bool, depth: int,
                     rows: list[dict] | None = None) -> int:
        added = 0
        for k, uri in enumerate(uris):
            path = self._resolve(uri, base_dir)
            if path is None:
                continue
            if not self._is_tileset(path):
                rel = os.path.relpath(path, self.root_dir).replace(os.sep, "/")
                self.walk.contents.append(ContentRef(path, rel, transform, y_up, rows[k] if rows and k < len(rows) else {}))
                added += 1
            elif path in self.chain or len(self.chain) >= MAX_EXTERNAL_DEPTH:
                self.walk.warnings.append(f"external tileset '{uri[:80]}' is recursive or nested too deeply; skipped")
            else:
                try:
                    doc = _load_tileset_json(path)
                except LoadError as exc:
                    self.walk.warnings.append(f"external tileset '{uri[:80]}': {exc.reason}; skipped")
                    continue
                added += self.tileset(doc, path, transform, depth)
        return added

    def tileset(self, doc: dict, path: str, transform: np.ndarray, depth: int) -> int:
        self.docs.append(doc)
        self.chain.append(path)
        up = str(doc["asset"].get("gltfUpAxis", "Y")).upper() != "Z"
        try:
            return self.tile(doc["root"], transform, "REPLACE", os.path.dirname(path), up, depth)
        finally:
            self.chain.pop()
            self.docs.pop()

    def _rows(self, tile: dict, depth: int) -> list[dict]:
        """Metadata rows of each content of a tile: the tileset's, its group's, the tile's, its own."""
        from loaders.tile_metadata import content_rows, entity_rows, tileset_rows

        doc = self.docs[-1] if self.docs else {}
        base = {"level": depth, **tileset_rows(doc), **entity_rows("tile", tile.get("metadata"), doc.get("schema"))}
        items = ([tile["content"]] if isinstance(tile.get("content"), dict) else []) + (
            [c for c in tile["contents"] if isinstance(c, dict)] if isinstance(tile.get("contents"), list) else [])
        return [{**base, **content_rows(doc, c)} for c in items if isinstance(c.get("uri", c.get("url")), str) and c.get("uri", c.get("url"))]

    def _count_tile(self, too_deep: bool = False) -> bool:
        """One more tile visited; False (with one warning) past the size or depth bound."""
        w = self.walk
        if w.tiles >= MAX_TILES or too_deep:
            if "tile tree is too large or too deep; truncated" not in w.warnings:
                w.warnings.append("tile tree is too large or too deep; truncated")
            return False
        w.tiles += 1
        if self.cancel is not None and w.tiles % 256 == 0 and self.cancel():
            raise LoadCancelled()
        return True

    def tile(self, tile: dict, parent: np.ndarray, refine: str, base_dir: str, y_up: bool, depth: int) -> int:
        w = self.walk
        if not self._count_tile(depth > MAX_DEPTH):
            return 0
        transform = parent
        if "transform" in tile:
            try:
                transform = parent @ as_vec(tile["transform"], 16, "tile transform").reshape(4, 4).T
            except BinaryError as exc:
                w.warnings.append(f"{exc}; ignored")
        refine = str(tile.get("refine", refine)).upper()
        uris = _tile_uris(tile)
        if isinstance(tile.get("implicitTiling"), dict) or "3DTILES_implicit_tiling" in (tile.get("extensions") or {}):
            return self.implicit(tile, transform, refine, base_dir, y_up, depth)
        children = [c for c in tile.get("children", []) if isinstance(c, dict)] if isinstance(tile.get("children"), list) else []
        rows = self._rows(tile, depth)
        if refine == "ADD" or not children or self.every_level:
            added = self.add_contents(uris, transform, base_dir, y_up, depth, rows)
            return added + sum(self.tile(c, transform, refine, base_dir, y_up, depth + 1) for c in children)
        added = sum(self.tile(c, transform, refine, base_dir, y_up, depth + 1) for c in children)
        if added == 0 and uris:  # finer levels missing: fall back to this level
            added = self.add_contents(uris, transform, base_dir, y_up, depth, rows)
        return added

    def _fetch_local(self, location: str) -> bytes:
        path = os.path.realpath(location)
        if not _inside(path, self.root_dir):
            raise BinaryError("points outside the tileset folder")
        return read_file(path)

    def implicit(self, tile: dict, transform: np.ndarray, refine: str, base_dir: str, y_up: bool, depth: int) -> int:
        """Finest available level of an implicit tile tree (same REPLACE / ADD rule as explicit tiles)."""
        w = self.walk
        w.tiles -= 1  # the implicit root is counted as the tree's root tile below
        try:
            tiling = ImplicitTiling(tile, base_dir, self._fetch_local)
        except BinaryError as exc:
            w.warnings.append(f"implicit tiling ignored: {exc}")
            return 0

        def visit(c: ImplicitCoord, level_depth: int) -> int:
            if not self._count_tile():
                return 0
            uris = tiling.content_uris(c)
            kids = tiling.children(c)
            if refine == "ADD" or not kids or self.every_level:
                added = self.add_contents(uris, transform, base_dir, y_up, depth + level_depth)
                return added + sum(visit(k, level_depth + 1) for k in kids)
            added = sum(visit(k, level_depth + 1) for k in kids)
            if added == 0 and uris:
                added = self.add_contents(uris, transform, base_dir, y_up, depth + level_depth)
            return added

        try:
            return visit(tiling.root, 0)
        finally:
            w.warnings.extend(tiling.warnings[:20])


def walk_tileset(path: str, cancel: Cancel | None = None, every_level: bool = False) -> TileWalk:
    """Tile tree -> contents to load at the finest available level (or, with every_level, of
    every tile), with composed transforms. Contents are located, not read."""
    doc = _load_tileset_json(path)
    walker = _Walker(path, cancel, every_level)
    walker.walk.version = str(doc["asset"].get("version", "1.0"))
    ge = doc["root"].get("geometricError", doc.get("geometricError", 0.0))
    walker.walk.geometric_error = float(ge) if isinstance(ge, (int, float)) and not isinstance(ge, bool) and np.isfinite(ge) else 0.0
    root_transform = np.eye(4)
    if "transform" in doc["root"]:
        try:
            root_transform = as_vec(doc["root"]["transform"], 16, "tile transform").reshape(4, 4).T
        except BinaryError:
            pass
    walker.walk.bounds_points = volume_points(doc["root"].get("boundingVolume"), root_transform)
    walker.tileset(doc, os.path.realpath(os.path.abspath(path)), np.eye(4), 0)
    return walker.walk


class _Merger:
    """Accumulates contents into one mesh (with one element per batch) and one point cloud."""

    def __init__(self) -> None:
        self.verts, self.faces, self.colors, self.fe, self.points, self.pcolors = [], [], [], [], [], []
        self.elements: list[ElementInfo] = []
        self.n_verts = 0
        self.uvs, self.normals, self.face_material, self.materials = [], [], [], []

    def add(self, content: TileContent, uri: str, metadata: dict | None = None) -> None:
        g = content.geometry
        meta = {"tile": uri, **metadata} if metadata and set(metadata) != {"level"} else {}  # 1.1 metadata only
        if len(g.faces):
            base = len(self.elements)
            if g.feature_ids is not None:
                used = int(g.feature_ids.max(initial=-1)) + 1
                n = min(content.batch_length or g.feature_count or used, used, len(g.positions))
                for i in range(n):
                    props = {**meta, **{k: v[i] for k, v in content.properties.items() if i < len(v)}}
                    label = props.get("name", props.get("Name", ""))  # a feature's own name, when it has one
                    self.elements.append(ElementInfo(id=f"{uri}#{i}", name=str(label), properties=props))
                fid = g.feature_ids[g.faces[:, 0]]
                fe = np.where((fid >= 0) & (fid < n), fid + base, -1)
            else:
                self.elements.append(ElementInfo(id=uri, properties=dict(meta)))
                fe = np.full(len(g.faces), base)
            self.verts.append(g.positions)
            self.faces.append(g.faces + self.n_verts)
            self.colors.append(g.colors)
            self.fe.append(fe.astype(np.int32))
            self.n_verts += len(g.positions)
            self.uvs.append(g.uvs)
            self.normals.append(g.normals)
            if g.face_material is not None and g.materials:
                self.face_material.append(g.face_material + len(self.materials))
                self.materials.extend(g.materials)
            else:
                self.face_material.append(None)
        if len(g.points):
            self.points.append(g.points)
            self.pcolors.append(g.point_colors)

    def _materials(self, layer: TilesetData) -> None:
        """Per-content materials, UVs and normals merged into one index space (textures drawn as textures)."""
        if not self.materials:
            return
        from loaders.gltf_materials import Material

        fallback = len(self.materials)  # faces of contents without materials: the default material
        layer.materials = self.materials + [Material(authored=False)]
        layer.face_material = np.concatenate([fm if fm is not None else np.full(len(f), fallback, np.int32)
                                              for fm, f in zip(self.face_material, self.faces)]).astype(np.int32)
        sizes = [len(v) for v in self.verts]
        if any(u is not None for u in self.uvs):
            layer.uvs = np.concatenate([u if u is not None else np.zeros((n, 2), np.float32) for u, n in zip(self.uvs, sizes)])
        if any(nm is not None for nm in self.normals):
            layer.normals = np.concatenate([nm if nm is not None else np.full((n, 3), np.nan, np.float32) for nm, n in zip(self.normals, sizes)])

    @staticmethod
    def _colors(parts: list, sizes: list[int]) -> np.ndarray | None:
        if all(c is None for c in parts):
            return None
        return np.concatenate([c if c is not None else np.full((n, 3), 200, np.uint8) for c, n in zip(parts, sizes)])

    def build(self, path: str, kind: str, fmt: str, tiles: int, contents: int, ge: float, warnings: list[str]) -> TilesetData:
        layer = TilesetData(name=os.path.basename(os.path.dirname(path)) if kind == "tileset" else os.path.basename(path),
                            kind=kind, format=fmt, source=path, warnings=warnings, tiles=tiles, contents=contents, geometric_error=ge)
        if self.verts:
            layer.vertices = np.concatenate(self.verts)
            layer.faces = np.concatenate(self.faces).astype(np.int64)
            layer.vertex_colors = self._colors(self.colors, [len(v) for v in self.verts])
            layer.face_element = np.concatenate(self.fe)
            layer.elements = self.elements
            self._materials(layer)
        if self.points:
            pts = np.concatenate(self.points)
            layer.points = PointCloudData(name=layer.name + " points", kind="pointcloud", format=fmt, source=path,
                                          positions=pts, colors=self._colors(self.pcolors, [len(p) for p in self.points]))
        bounds = layer.local_bounds()
        if bounds is None:
            raise LoadError(path, "no geometry could be loaded" + (f" ({warnings[0]})" if warnings else ""))
        if 6.2e6 <= np.linalg.norm(bounds.mean(0)) <= 6.5e6:
            layer.georef = Georef(kind="ecef")
        else:
            layer.georef = Georef(kind="none")
            warnings.append("tileset is not on the globe; placed at the scene origin")
        return layer


@register_loader(".json", name="3D Tiles tileset")
def read_tileset(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """A tileset.json at its finest level: all leaf (REPLACE) or all (ADD) contents merged."""
    if os.path.isdir(path):  # the registry resolves a folder to its tileset.json but passes the folder
        path = os.path.join(path, "tileset.json")
    walk = walk_tileset(path, cancel)
    if not walk.contents:
        first = f" ({walk.warnings[0]})" if walk.warnings else ""
        raise LoadError(path, f"the tileset has no loadable content{first}")
    merger, loaded = _Merger(), 0
    for i, ref in enumerate(walk.contents):
        if cancel is not None and cancel():
            raise LoadCancelled()
        if progress is not None:
            progress(i / max(1, len(walk.contents)), f"tile {i + 1} of {len(walk.contents)}")
        try:
            parts = parse_content(read_file(ref.path), ref.transform, y_up=ref.y_up, base_dir=os.path.dirname(ref.path), root_dir=os.path.dirname(path) or ".")
        except (BinaryError, MemoryError, ValueError) as exc:
            walk.warnings.append(f"content '{ref.uri}' skipped: {exc}")
            continue
        for part in parts:
            walk.warnings.extend(f"{ref.uri}: {w}" for w in part.geometry.warnings)
            merger.add(part, ref.uri, ref.metadata)
        loaded += 1
    fmt = "3D Tiles 1.1" if walk.version.startswith("1.1") else "3D Tiles 1.0"
    layer = merger.build(path, "tileset", fmt, walk.tiles, loaded, walk.geometric_error, walk.warnings)
    if progress is not None:
        progress(1.0, f"{loaded} contents")
    return [layer]


def _sniff_tile(head: bytes) -> bool:
    return head[:4] in TILE_MAGICS


@register_loader(".b3dm", ".pnts", ".glb", ".cmpt", ".i3dm", sniff=_sniff_tile, priority=5, name="3D Tiles tile")
def read_tile(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """One tile file on its own, with an identity tile transform."""
    try:
        data = read_file(path)
        parts = parse_content(data, np.eye(4), base_dir=os.path.dirname(path) or ".")
    except BinaryError as exc:
        raise LoadError(path, str(exc)) from None
    warnings: list[str] = []
    merger = _Merger()
    uri = os.path.basename(path)
    for part in parts:
        warnings.extend(part.geometry.warnings)
        merger.add(part, uri)
    fmt = {b"b3dm": "3D Tiles b3dm", b"pnts": "3D Tiles pnts", b"cmpt": "3D Tiles cmpt", b"i3dm": "3D Tiles i3dm", b"glTF": "glTF 2.0"}.get(data[:4], "glTF 2.0")
    return [merger.build(path, "tile", fmt, 1, 1, 0.0, warnings)]


from loaders import package3tz  # noqa: E402,F401 - registers .3tz packages beside the tileset loader
