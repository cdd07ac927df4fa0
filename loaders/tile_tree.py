"""A lazily expanded 3D Tiles tree for view-dependent streaming.

Why a separate tree from `tiles3d.walk_tileset`: streaming needs every tile's bounding volume and
geometric error up front (in tileset world coordinates, ECEF on the globe) but content, external
tilesets and implicit subtrees only when the camera gets there. Everything here is plain numpy;
`fetch` reads local files or http(s) URLs, confined to the tileset's folder / origin.
"""
from __future__ import annotations

import gzip
import json
import os
import posixpath
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urljoin, urlsplit

import numpy as np

from loaders._binary import BinaryError, as_vec
from loaders.bounding_volume import bounding_volume
from loaders.base import LoadError

MAX_FETCH_BYTES = 512 * 1024**2  # one tile or tileset.json
MAX_NODES = 2_000_000
MAX_EXTERNAL_DEPTH = 16
EAGER_NODES = 1024  # explicit tiles built when a tileset is opened; deeper ones when the view asks
TIMEOUT_S = 20.0


@dataclass
class TileNode:
    index: int
    parent: int
    depth: int
    transform: np.ndarray  # 4x4 float64, composed root-first
    center: np.ndarray  # bounding sphere centre, tileset world coords
    radius: float
    half_axes: np.ndarray | None  # oriented box (3x3, columns), world coords
    geometric_error: float  # scaled by the transform's largest scale factor
    refine: str  # "ADD" | "REPLACE"
    contents: list[str]  # resolved locations (absolute path or URL)
    children: list[int] | None  # None = not expanded yet (external tileset / implicit)
    y_up: bool
    base: str = ""  # folder path or URL that relative URIs of this tile resolve against
    pending: Any = field(default=None, repr=False)  # what `expand` needs: external URIs or (tiling, coord)
    # viewerRequestVolume: the tile is only wanted while the eye is inside it (centre, radius, axes)
    request_volume: tuple[np.ndarray, float, np.ndarray | None] | None = None
    metadata: dict = field(default_factory=dict, repr=False)  # content location -> 3D Tiles 1.1 metadata rows


def _scale(m: np.ndarray) -> float:
    return float(np.linalg.norm(m[:3, :3], axis=0).max())


def _uris(tile: dict) -> list[str]:
    items = ([tile["content"]] if isinstance(tile.get("content"), dict) else []) + (
        [c for c in tile["contents"] if isinstance(c, dict)] if isinstance(tile.get("contents"), list) else [])
    return [u for c in items if isinstance(u := c.get("uri", c.get("url")), str) and u]


def _is_tileset_uri(uri: str) -> bool:
    return urlsplit(uri).path.lower().endswith(".json") and not urlsplit(uri).path.lower().endswith(".gltf")


class TileTree:
    """Tiles of one tileset (plus its external tilesets and implicit subtrees, as reached)."""

    def __init__(self, root_location: str, *, allow_hosts: tuple[str, ...] = ()) -> None:
        self.location = root_location
        self.remote = root_location.lower().startswith(("http://", "https://"))
        if self.remote:
            parts = urlsplit(root_location)
            self.origin = (parts.scheme.lower(), parts.netloc.lower())
            self.root_base = posixpath.dirname(posixpath.normpath(unquote(parts.path))).rstrip("/") + "/"
            self.query = parts.query  # access tokens live here: kept on every child request
        else:
            self.root_dir = os.path.realpath(os.path.dirname(os.path.abspath(root_location)))
        self.allow_hosts = tuple(h.lower() for h in allow_hosts)
        self.nodes: list[TileNode] = []
        self.warnings: list[str] = []
        self.properties: dict[str, tuple[float, float] | None] = {}  # tileset.json `properties`
        self.georef_kind: Literal["ecef", "none"] = "none"
        self.version = ""
        self.bytes_fetched = 0
        self._lock = threading.RLock()
        self._docs: dict[str, dict] = {}  # tileset documents by location: schema, groups, tileset metadata

    # --- sources ----------------------------------------------------------------------------
    def resolve(self, uri: str, base: str) -> str:
        """A URI relative to `base` -> a location inside the tileset, else LoadError (why)."""
        if uri.startswith("data:"):
            raise LoadError(uri[:40], "data: URIs are not supported as tile content")
        if self.remote:
            url = urljoin(base, uri)
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https"):
                raise LoadError(uri, "refused: not an http(s) URL")
            host_ok = (parts.scheme.lower(), parts.netloc.lower()) == self.origin or parts.netloc.lower() in self.allow_hosts
            path = posixpath.normpath(unquote(parts.path))
            if not host_ok:
                raise LoadError(uri, f"refused: {parts.netloc} is another host than the tileset's")
            if parts.netloc.lower() not in self.allow_hosts and not (path + "/").startswith(self.root_base):
                raise LoadError(uri, "refused: path traversal outside the tileset's folder")
            if self.query and not parts.query:
                url = url.split("#")[0] + "?" + self.query
            return url
        if "://" in uri:
            raise LoadError(uri, "refused: a local tileset cannot reference a URL")
        path = os.path.realpath(os.path.join(base, unquote(uri.split("?")[0].split("#")[0])))
        try:
            inside = os.path.commonpath([path, self.root_dir]) == self.root_dir
        except ValueError:
            inside = False
        if not inside:
            raise LoadError(uri, "refused: path traversal outside the tileset's folder")
        return path

    def fetch(self, location: str) -> bytes:
        """Bytes of a local file or http(s) URL: size-bounded, gzip undone. LoadError on failure."""
        if self.remote:
            try:
                req = urllib.request.Request(location, headers={"Accept-Encoding": "gzip"})
                with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - http(s) only, checked
                    if int(resp.headers.get("Content-Length") or 0) > MAX_FETCH_BYTES:
                        raise LoadError(location, "too large")
                    data = resp.read(MAX_FETCH_BYTES + 1)
                    encoding = (resp.headers.get("Content-Encoding") or "").lower()
            except urllib.error.HTTPError as exc:
                raise LoadError(location, f"HTTP {exc.code} {exc.reason}") from None
            except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
                raise LoadError(location, f"cannot download: {getattr(exc, 'reason', exc)}") from None
        else:
            try:
                if os.path.getsize(location) > MAX_FETCH_BYTES:
                    raise LoadError(location, "too large")
                with open(location, "rb") as fh:
                    data = fh.read(MAX_FETCH_BYTES + 1)
            except OSError as exc:
                raise LoadError(location, f"cannot read: {exc.strerror or exc}") from None
            encoding = ""
        if len(data) > MAX_FETCH_BYTES:
            raise LoadError(location, "too large")
        if encoding == "gzip" or data[:2] == b"\x1f\x8b":
            data = self._gunzip(location, data)
        with self._lock:
            self.bytes_fetched += len(data)
        return data

    @staticmethod
    def _gunzip(location: str, data: bytes) -> bytes:
        try:
            with gzip.GzipFile(fileobj=__import__("io").BytesIO(data)) as fh:
                out = fh.read(MAX_FETCH_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise LoadError(location, f"corrupt gzip data: {exc}") from None
        if len(out) > MAX_FETCH_BYTES:
            raise LoadError(location, "too large once decompressed")
        return out

    def _dirname(self, location: str) -> str:
        if self.remote:
            return location.split("?")[0].rsplit("/", 1)[0] + "/"
        return os.path.dirname(location)

    def load_json(self, location: str) -> dict:
        try:
            doc = json.loads(self.fetch(location))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LoadError(location, f"not a 3D Tiles tileset (invalid JSON: {exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("asset"), dict) or not isinstance(doc.get("root"), dict):
            raise LoadError(location, "not a 3D Tiles tileset (no 'asset' and 'root')")
        return doc

    # --- building -----------------------------------------------------------------------------
    def add_tileset(self, doc: dict, location: str, parent: int, transform: np.ndarray, depth: int, chain: tuple[str, ...]) -> int | None:
        """Add a tileset document's root tile (and its explicit descendants) under `parent`."""
        y_up = str(doc["asset"].get("gltfUpAxis", "Y")).upper() != "Z"
        self._docs[location] = doc
        return self._add_tile(doc["root"], parent, transform, "REPLACE", self._dirname(location), y_up, depth, chain + (location,))

    def _add_tile(self, tile: dict, parent: int, parent_transform: np.ndarray, refine: str, base: str, y_up: bool,
                  depth: int, chain: tuple[str, ...], eager: int = EAGER_NODES) -> int | None:
        """Explicit tiles breadth-first, iteratively; past `eager` nodes a tile keeps its children's
        JSON and expands when the view reaches it (opening 20,000 tiles must not cost seconds)."""
        from collections import deque

        first: int | None = None
        queue = deque([(tile, parent, parent_transform, refine, depth)])
        made = 0
        while queue:
            t, par, ptr, ref, d = queue.popleft()
            if not isinstance(t, dict):
                continue
            if len(self.nodes) >= MAX_NODES:
                self._warn("tile tree is too large; truncated")
                break
            index = self._make_node(t, par, ptr, ref, base, y_up, d, chain)
            made += 1
            if index is None:
                continue
            first = index if first is None else first
            node = self.nodes[index]
            kids = [c for c in t["children"] if isinstance(c, dict)] if isinstance(t.get("children"), list) else []
            if node.pending is not None:
                continue
            if kids and made + len(queue) + len(kids) > eager:
                node.pending = ("explicit", kids, chain)
                continue
            node.children = []
            queue.extend((child, index, node.transform, node.refine, d + 1) for child in kids)
        return first

    def _make_node(self, t: dict, parent: int, ptr: np.ndarray, refine: str, base: str, y_up: bool, depth: int,
                   chain: tuple[str, ...], volume: Any = None, ge: Any = None, contents: list[str] | None = None) -> int | None:
        transform = ptr
        if "transform" in t:
            try:
                transform = ptr @ as_vec(t["transform"], 16, "tile transform").reshape(4, 4).T
            except BinaryError as exc:
                self._warn(f"{exc}; ignored")
        try:
            centre, radius, half = bounding_volume(volume if volume is not None else t.get("boundingVolume"), transform)
        except BinaryError as exc:
            self._warn(f"tile skipped: {exc}")
            return None
        ge = t.get("geometricError", 0.0) if ge is None else ge
        ge = float(ge) if isinstance(ge, (int, float)) and not isinstance(ge, bool) and np.isfinite(ge) else 0.0
        locations, external, rows = [], [], {}
        doc = self._docs.get(chain[-1], {}) if chain else {}
        items = ([t["content"]] if isinstance(t.get("content"), dict) else []) + (
            [c for c in t["contents"] if isinstance(c, dict)] if isinstance(t.get("contents"), list) else [])
        for k, uri in enumerate(_uris(t) if contents is None else contents):
            try:
                loc = self.resolve(uri, base)
            except LoadError as exc:
                self._warn(f"content '{uri[:80]}' {exc.reason}; skipped")
                continue
            (external if _is_tileset_uri(uri) else locations).append(loc)
            if doc and contents is None:
                from loaders.tile_metadata import content_rows, entity_rows, tileset_rows

                rows[loc] = {**tileset_rows(doc), **entity_rows("tile", t.get("metadata"), doc.get("schema")),
                             **(content_rows(doc, items[k]) if k < len(items) else {})}
        node = TileNode(-1, parent, depth, transform, np.asarray(centre, float), radius, half,
                        max(ge, 0.0) * _scale(transform), str(t.get("refine", refine)).upper(), locations, None, y_up, base)
        node.metadata = rows
        if node.refine not in ("ADD", "REPLACE"):
            node.refine = "REPLACE"
        if isinstance(t.get("viewerRequestVolume"), dict):
            try:
                rc, rr, rh = bounding_volume(t["viewerRequestVolume"], transform)
                node.request_volume = (np.asarray(rc, float), float(rr), rh)
            except BinaryError as exc:
                self._warn(f"viewerRequestVolume ignored: {exc}")
        if external:
            node.pending = ("external", external, chain)
        elif isinstance(t.get("implicitTiling"), dict) and contents is None:
            node.pending = self._implicit(t, base, node)
        with self._lock:  # the index is taken where the node is appended: two expansions never share one
            node.index = len(self.nodes)
            self.nodes.append(node)
            if parent >= 0 and self.nodes[parent].children is not None and node.index not in self.nodes[parent].children:
                self.nodes[parent].children.append(node.index)
        return node.index

    def _implicit(self, t: dict, base: str, node: TileNode) -> Any:
        try:
            from loaders.implicit import ImplicitTiling  # written by the tiles-content helper
        except ImportError:
            self._warn("implicit tiling is not supported yet; only the root content is shown")
            uris = [u.replace("{level}", "0").replace("{x}", "0").replace("{y}", "0").replace("{z}", "0") for u in _uris(t)]
            node.contents = [self.resolve(u, base) for u in uris]
            return None
        fetch = lambda loc: self.fetch(self.resolve(loc, base))  # noqa: E731 - confinement on every subtree
        try:
            tiling = ImplicitTiling(t, base, fetch)
            node.contents = [self.resolve(u, base) for u in tiling.content_uris(tiling.root)]
        except Exception as exc:  # noqa: BLE001 - a broken implicit root: keep the tile, no children
            self._warn(f"implicit tiling: {exc}")
            return None
        return ("implicit", tiling, tiling.root, t)

    def _warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings and len(self.warnings) < 200:
                self.warnings.append(message)

    # --- public -------------------------------------------------------------------------------
    def expands_cheaply(self, index: int) -> bool:
        """Children already in memory (explicit JSON): expand during traversal, no worker needed."""
        pending = self.nodes[index].pending
        return pending is not None and pending[0] == "explicit"

    def _claim(self, index: int) -> tuple[list[int] | None, Any]:
        """(children, None) when already expanded; else (None, what expansion needs), claimed by
        this caller alone: a second thread asking meanwhile sees no children yet, not a double load."""
        with self._lock:
            node = self.nodes[index]
            if node.children is not None:
                return list(node.children), None
            pending, node.pending = node.pending, None
            node.children = []
        return None, pending

    def expand(self, index: int) -> list[int]:
        """Children of a tile, loading an external tileset or implicit subtree when first asked.
        Thread-safe; a failure leaves the tile childless and adds a warning."""
        known, pending = self._claim(index)
        if known is not None:
            return known
        node = self.nodes[index]
        if pending is None:
            return []
        if pending[0] == "explicit":
            _, kids, chain = pending
            for child in kids:
                self._add_tile(child, index, node.transform, node.refine, node.base, node.y_up, node.depth + 1, chain, eager=1)
        elif pending[0] == "external":
            _, locations, chain = pending
            for loc in locations:
                if loc in chain or len(chain) > MAX_EXTERNAL_DEPTH:
                    self._warn(f"external tileset '{loc[-80:]}' is recursive or nested too deeply; skipped")
                    continue
                try:
                    doc = self.load_json(loc)
                    self.add_tileset(doc, loc, index, node.transform, node.depth + 1, chain)
                except LoadError as exc:
                    self._warn(f"external tileset '{loc[-80:]}': {exc.reason}")
        else:
            _, tiling, coord, t = pending
            try:
                kids = tiling.children(coord)
            except Exception as exc:  # noqa: BLE001 - a broken subtree: this tile stays a leaf
                self._warn(f"implicit subtree: {exc}")
                kids = []
            for c in kids:
                try:
                    uris = tiling.content_uris(c)
                    child = self._make_node({"refine": node.refine}, index, node.transform, node.refine, node.base, node.y_up,
                                            node.depth + 1, (), volume=tiling.bounding_volume(c), ge=tiling.geometric_error(c),
                                            contents=uris)
                except Exception as exc:  # noqa: BLE001
                    self._warn(f"implicit tile skipped: {exc}")
                    continue
                if child is not None:
                    self.nodes[child].pending = ("implicit", tiling, c, t)
            for w in getattr(tiling, "warnings", [])[:5]:
                self._warn(f"implicit tiling: {w}")
        return list(node.children or [])

    def load_content(self, index: int) -> list:
        """Every content of a tile, parsed (list of tiles3d.TileContent). LoadError on failure."""
        from loaders.tiles3d import parse_content

        node = self.nodes[index]
        out: list = []
        for loc in node.contents:
            data = self.fetch(loc)
            local = not self.remote
            try:
                parsed = parse_content(data, node.transform, y_up=node.y_up, base_dir=os.path.dirname(loc) if local else None,
                                       root_dir=self.root_dir if local else None)
                for content in parsed:
                    content.location = loc  # which of the tile's contents it is (picking, metadata)
                out += parsed
            except (BinaryError, ValueError, MemoryError, KeyError, IndexError, TypeError) as exc:
                raise LoadError(loc, str(exc) or type(exc).__name__) from None
        return out

    def world_bounds(self) -> np.ndarray:
        """(8,3) corners of the root's bounding box (or sphere's cube) in world coords."""
        root = self.nodes[0]
        half = root.half_axes if root.half_axes is not None else np.eye(3) * root.radius
        signs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
        return root.center + signs @ half.T


def open_tile_tree(path_or_url: str, *, allow_hosts: tuple[str, ...] = ()) -> TileTree:
    """Read tileset.json (a folder holding one works too) and build its explicit tiles."""
    location = path_or_url
    if not location.lower().startswith(("http://", "https://")):
        location = os.path.abspath(location)
        if os.path.isdir(location):
            location = os.path.join(location, "tileset.json")
    tree = TileTree(location, allow_hosts=allow_hosts)
    doc = tree.load_json(location)
    tree.version = str(doc["asset"].get("version", "1.0"))
    tree.properties = _property_ranges(doc.get("properties"))
    if tree.add_tileset(doc, location, -1, np.eye(4), 0, ()) is None:
        raise LoadError(path_or_url, "the root tile has no usable bounding volume")
    root = tree.nodes[0]
    tree.georef_kind = "ecef" if 6.0e6 <= np.linalg.norm(root.center) <= 6.6e6 else "none"
    return tree


def _property_ranges(props: Any) -> dict[str, tuple[float, float] | None]:
    """3D Tiles 1.0 `properties` (name -> minimum/maximum over every feature): the names a
    streamed tileset can be coloured or filtered by before its tiles load, and a colour ramp's
    stable range (CesiumJS styles use them the same way). None: a name without a numeric range."""
    out: dict[str, tuple[float, float] | None] = {}
    if not isinstance(props, dict):
        return out
    for name, spec in list(props.items())[:256]:
        lo = spec.get("minimum") if isinstance(spec, dict) else None
        hi = spec.get("maximum") if isinstance(spec, dict) else None
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in (lo, hi))
        out[str(name)] = (float(lo), float(hi)) if ok and lo <= hi else None
    return out


STREAMED_LOADER = "3D Tiles tileset (streamed)"


def is_tileset_location(path: str) -> bool:
    """A tileset.json (path or URL) or a folder holding one: what streaming can open."""
    if path.lower().startswith(("http://", "https://")):
        return urlsplit(path).path.lower().endswith(".json")
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, "tileset.json"))
    if not path.lower().endswith(".json") or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b'"asset"' in head or b'"root"' in head or b'"geometricError"' in head


def worth_streaming(tree: TileTree) -> bool:
    """Streaming pays off for remote, large, deep, external or implicit tilesets. A small flat one
    (a root and its leaves) is better merged: every feature is there for filters and colouring."""
    if tree.remote or len(tree.nodes) > 64:
        return True
    if not any(n.contents or n.pending is not None for n in tree.nodes):
        return True  # metadata only (1.1 TilesetWithFullMetadata): nothing to merge, a layer all the same
    if any(len(n.contents) > 1 for n in tree.nodes):
        return True  # several contents per tile (meshes and points): streamed, they stay one layer
    return any(n.pending is not None or (n.depth >= 2 and n.contents) for n in tree.nodes)


def read_tileset_streamed(path: str, *, progress=None, cancel=None, only_if_worth: bool = False) -> list | None:
    """A tileset for streaming: TilesetData with `tree` set and no merged geometry. No content
    is read here: the view fetches exactly the tiles it selects (CesiumJS does the same), so a
    tile the first real camera never needs is never fetched.
    With `only_if_worth`, None when `worth_streaming` says the merged loader is the better fit."""
    from loaders.base import Georef, TilesetData

    tree = open_tile_tree(path)
    if only_if_worth and not worth_streaming(tree):
        return None
    tree.preloaded = {}  # type: ignore[attr-defined]  # kept empty: the scene model still reads it
    if progress is not None:
        progress(1.0, f"{len(tree.nodes)} tiles known")
    fmt = "3D Tiles 1.1" if tree.version.startswith("1.1") else "3D Tiles 1.0"
    name = posixpath.basename(posixpath.dirname(urlsplit(path).path)) if tree.remote else os.path.basename(os.path.dirname(tree.location))
    data = TilesetData(name=name or "tileset", kind="tileset", format=fmt, source=path, warnings=tree.warnings,
                       tiles=len(tree.nodes), geometric_error=tree.nodes[0].geometric_error, tree=tree)
    data.georef = Georef(kind=tree.georef_kind)
    data.metadata["loader"] = STREAMED_LOADER
    return [data]
