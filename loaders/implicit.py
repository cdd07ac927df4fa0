"""3D Tiles 1.1 implicit tiling (quadtree / octree): subtree files, availability, templates.

Hand-written because no maintained Python library reads subtrees (py3dtiles writes them only).
`ImplicitTiling` expands one tile carrying `implicitTiling` lazily: subtree files are fetched
only when a tile inside them is asked about, and cached. Everything read from a subtree is
checked against the bytes present, so a lying bitstream costs a warning, not memory.
"""
from __future__ import annotations

import math
import os
import posixpath
import struct
import threading
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import numpy as np

from loaders._binary import BinaryError, as_int, as_vec, check_range, parse_json

MAX_LEVELS = 48  # availableLevels above this cannot be addressed sensibly (coordinates > 2**48)
MAX_SUBTREE_LEVELS = 16  # a 16-level quadtree subtree already holds 1.4e9 tile bits


@dataclass(frozen=True)
class ImplicitCoord:
    """One implicit tile: level, x, y, z (z = 0 for quadtrees)."""

    level: int
    x: int
    y: int
    z: int = 0


class _Bits:
    """An availability bitstream or constant (bit i = byte i // 8, bit i % 8, LSB first)."""

    def __init__(self, constant: bool | None = None, data: bytes = b"") -> None:
        self.constant, self.data = constant, data

    def get(self, i: int) -> bool:
        if self.constant is not None:
            return self.constant
        return 0 <= i < 8 * len(self.data) and bool(self.data[i >> 3] >> (i & 7) & 1)

    def count(self, start: int, stop: int) -> int:
        """Set bits in [start, stop)."""
        if self.constant is not None:
            return max(0, stop - start) if self.constant else 0
        bits = np.unpackbits(np.frombuffer(self.data[: (stop + 7) >> 3], np.uint8), bitorder="little")
        return int(bits[start:stop].sum())

    def indices(self, n: int, limit: int) -> np.ndarray:
        """Indices of set bits below n, at most `limit` of them."""
        if self.constant is not None:
            return np.arange(min(n, limit) if self.constant else 0, dtype=np.int64)
        bits = np.unpackbits(np.frombuffer(self.data[: (n + 7) >> 3], np.uint8), bitorder="little")[:n]
        return np.flatnonzero(bits)[:limit].astype(np.int64)


@dataclass
class Subtree:
    tiles: _Bits
    contents: list[_Bits]
    children: _Bits


def _level_offset(level: int, branching: int) -> int:
    """Bits before `level` in a subtree's tile availability: (N^level - 1) / (N - 1)."""
    return (branching**level - 1) // (branching - 1)


def _morton(x: int, y: int, z: int, dims: int, bits: int) -> int:
    m = 0
    for b in range(bits):
        m |= (x >> b & 1) << (dims * b) | (y >> b & 1) << (dims * b + 1)
        if dims == 3:
            m |= (z >> b & 1) << (3 * b + 2)
    return m


def _demorton(m: np.ndarray, dims: int, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y, z = (np.zeros_like(m) for _ in range(3))
    for b in range(bits):
        x |= (m >> (dims * b) & 1) << b
        y |= (m >> (dims * b + 1) & 1) << b
        if dims == 3:
            z |= (m >> (3 * b + 2) & 1) << b
    return x, y, z


def _availability(spec, what: str, nbits: int, view: Callable[[int], bytes]) -> _Bits:
    """A subtree availability object: {constant} or {bitstream} (1.1) / {bufferView} (1.0 extension)."""
    if not isinstance(spec, dict):
        raise BinaryError(f"subtree {what} is missing or not an object")
    index = spec.get("bitstream", spec.get("bufferView"))
    if index is not None:
        data = view(as_int(index, f"{what} bitstream"))
        if len(data) < (nbits + 7) // 8:
            raise BinaryError(f"subtree {what} bitstream holds {len(data)} bytes, {(nbits + 7) // 8} needed")
        return _Bits(None, bytes(data[: (nbits + 7) // 8]))
    if "constant" in spec:
        return _Bits(bool(as_int(spec["constant"], f"{what} constant", 0, 1)))
    raise BinaryError(f"subtree {what} has neither a bitstream nor a constant")


def parse_subtree(data: bytes, levels: int, branching: int, fetch_buffer: Callable[[str], bytes] | None = None) -> Subtree:
    """Binary (`subt`) or JSON subtree -> availability. `fetch_buffer(uri)` reads external buffers
    (uri relative to the subtree file); without it, external buffers are an error."""
    bin_chunk: memoryview | None = None
    if data[:4] == b"subt":
        if len(data) < 24:
            raise BinaryError("subtree header is truncated")
        version, jlen, blen = struct.unpack_from("<IQQ", data, 4)
        if version != 1:
            raise BinaryError(f"subtree version {version} is not supported")
        check_range(24, jlen + blen, len(data), "subtree JSON and binary chunks")
        doc = parse_json(memoryview(data)[24 : 24 + jlen], "subtree JSON")
        bin_chunk = memoryview(data)[24 + jlen : 24 + jlen + blen]
    elif bytes(data[:64]).lstrip()[:1] == b"{":
        doc = parse_json(data, "subtree JSON")
    else:
        raise BinaryError("not a subtree file (bad magic)")
    buffers = doc.get("buffers", []) if isinstance(doc.get("buffers", []), list) else None
    views = doc.get("bufferViews", []) if isinstance(doc.get("bufferViews", []), list) else None
    if buffers is None or views is None:
        raise BinaryError("subtree buffers / bufferViews are not arrays")
    loaded: dict[int, bytes | memoryview] = {}

    def buffer(i: int) -> bytes | memoryview:
        if i not in loaded:
            if not 0 <= i < len(buffers) or not isinstance(buffers[i], dict):
                raise BinaryError(f"subtree buffer {i} is missing")
            b = buffers[i]
            size = as_int(b.get("byteLength"), "subtree buffer byteLength")
            if "uri" in b:
                if not isinstance(b["uri"], str) or fetch_buffer is None:
                    raise BinaryError("subtree external buffer cannot be resolved")
                raw = fetch_buffer(b["uri"])
            elif bin_chunk is None:
                raise BinaryError("subtree buffer refers to a missing binary chunk")
            else:
                raw = bin_chunk
            if len(raw) < size:
                raise BinaryError(f"subtree buffer {i} declares {size} bytes but holds {len(raw)}")
            loaded[i] = raw
        return loaded[i]

    def view(i: int) -> bytes:
        if not 0 <= i < len(views) or not isinstance(views[i], dict):
            raise BinaryError(f"subtree bufferView {i} is missing")
        v = views[i]
        buf = buffer(as_int(v.get("buffer"), "bufferView buffer"))
        off, length = as_int(v.get("byteOffset", 0), "bufferView byteOffset"), as_int(v.get("byteLength"), "bufferView byteLength")
        check_range(off, length, len(buf), "subtree bufferView")
        return bytes(buf[off : off + length])

    tiles = _availability(doc.get("tileAvailability"), "tileAvailability", _level_offset(levels, branching), view)
    raw_contents = doc.get("contentAvailability", [])
    if isinstance(raw_contents, dict):  # 3DTILES_implicit_tiling (1.0 extension): one object
        raw_contents = [raw_contents]
    if not isinstance(raw_contents, list):
        raise BinaryError("subtree contentAvailability is not an array")
    contents = [_availability(c, "contentAvailability", _level_offset(levels, branching), view) for c in raw_contents]
    children = _availability(doc.get("childSubtreeAvailability"), "childSubtreeAvailability", branching**levels, view)
    return Subtree(tiles, contents, children)


def join_location(base: str, rel: str) -> str:
    """`rel` resolved against a folder path or a URL (the URL's query string is kept)."""
    if "://" in base:
        parts = urlsplit(base)
        folder = urlunsplit((parts.scheme, parts.netloc, parts.path if parts.path.endswith("/") else parts.path + "/", "", ""))
        joined = urljoin(folder, rel)
        if parts.query and "?" not in joined:
            joined += "?" + parts.query
        return joined
    return os.path.normpath(os.path.join(base, unquote(rel.split("?")[0].split("#")[0])))


def fill_template(template: str, c: ImplicitCoord) -> str:
    return template.replace("{level}", str(c.level)).replace("{x}", str(c.x)).replace("{y}", str(c.y)).replace("{z}", str(c.z))


class ImplicitTiling:
    """Lazily expands one tile that carries `implicitTiling` (3D Tiles 1.1 or the 1.0 extension).

    Raises BinaryError (a ValueError) when the implicitTiling object itself is malformed;
    broken subtree files later only add warnings."""

    def __init__(self, tile: dict, base: str, fetch: Callable[[str], bytes]) -> None:
        spec = tile.get("implicitTiling")
        if not isinstance(spec, dict):
            ext = tile.get("extensions") if isinstance(tile.get("extensions"), dict) else {}
            spec = ext.get("3DTILES_implicit_tiling")
        if not isinstance(spec, dict):
            raise BinaryError("tile has no implicitTiling object")
        scheme = spec.get("subdivisionScheme")
        if scheme not in ("QUADTREE", "OCTREE"):
            raise BinaryError(f"implicitTiling subdivisionScheme {str(scheme)[:20]!r} is not QUADTREE or OCTREE")
        self.dims = 2 if scheme == "QUADTREE" else 3
        self.branching = 2**self.dims
        self.subtree_levels = as_int(spec.get("subtreeLevels"), "implicitTiling subtreeLevels", 1, MAX_SUBTREE_LEVELS)
        levels = spec.get("availableLevels")
        if levels is None and isinstance(spec.get("maximumLevel"), int):  # the 1.0 extension's name
            levels = spec["maximumLevel"] + 1
        self.available_levels = as_int(levels, "implicitTiling availableLevels", 1, MAX_LEVELS)
        subtrees = spec.get("subtrees")
        template = subtrees.get("uri", subtrees.get("url")) if isinstance(subtrees, dict) else None
        if not isinstance(template, str) or not template:
            raise BinaryError("implicitTiling subtrees has no uri template")
        self.subtree_template = template
        contents = [tile["content"]] if isinstance(tile.get("content"), dict) else []
        contents += [c for c in tile.get("contents", []) if isinstance(c, dict)] if isinstance(tile.get("contents"), list) else []
        self.content_templates = [u if isinstance(u := c.get("uri", c.get("url")), str) else "" for c in contents]
        bv = tile.get("boundingVolume")
        self.root_volume = bv if isinstance(bv, dict) else {}
        ge = tile.get("geometricError", 0.0)
        self.root_error = float(ge) if isinstance(ge, (int, float)) and not isinstance(ge, bool) and math.isfinite(ge) else 0.0
        self.base, self.fetch = base, fetch
        self.root = ImplicitCoord(0, 0, 0, 0)
        self.warnings: list[str] = []
        self._cache: dict[ImplicitCoord, Subtree | None] = {}
        self._lock = threading.RLock()

    # -- subtrees ---------------------------------------------------------------------------
    def _subtree(self, root: ImplicitCoord) -> Subtree | None:
        with self._lock:
            if root in self._cache:
                return self._cache[root]
            uri = fill_template(self.subtree_template, root)
            levels = min(self.subtree_levels, self.available_levels - root.level)
            folder = posixpath.dirname(uri)
            try:
                data = self.fetch(join_location(self.base, uri))
                st = parse_subtree(data, self.subtree_levels, self.branching,
                                   lambda b: self.fetch(join_location(self.base, posixpath.join(folder, b))))
            except Exception as exc:  # noqa: BLE001 - fetch is the caller's; any failure is one broken subtree
                self.warnings.append(f"subtree '{uri[:80]}' skipped: {exc}")
                st = None
            if st is not None and levels < self.subtree_levels:
                st.children = _Bits(False)  # nothing below availableLevels
            self._cache[root] = st
            return st

    def _locate(self, c: ImplicitCoord) -> tuple[Subtree | None, int]:
        """The subtree holding c and c's bit index in its tile availability."""
        if not (0 <= c.level < self.available_levels) or min(c.x, c.y, c.z) < 0 or max(c.x, c.y, c.z) >= 2**c.level:
            return None, -1
        if self.dims == 2 and c.z:
            return None, -1
        root_level = c.level - c.level % self.subtree_levels
        local = c.level - root_level
        root = ImplicitCoord(root_level, c.x >> local, c.y >> local, c.z >> local)
        mask = (1 << local) - 1
        index = _level_offset(local, self.branching) + _morton(c.x & mask, c.y & mask, c.z & mask, self.dims, local)
        return self._subtree(root), index

    def is_available(self, c: ImplicitCoord) -> bool:
        st, index = self._locate(c)
        return st is not None and st.tiles.get(index)

    def children(self, c: ImplicitCoord) -> list[ImplicitCoord]:
        """Available children of an available tile (loads the subtree files needed)."""
        if c.level + 1 >= self.available_levels:
            return []
        st, index = self._locate(c)
        if st is None or not st.tiles.get(index):
            return []
        local = c.level % self.subtree_levels + 1
        out = []
        for d in range(self.branching):
            cc = ImplicitCoord(c.level + 1, 2 * c.x + (d & 1), 2 * c.y + (d >> 1 & 1), 2 * c.z + (d >> 2 & 1))
            if local < self.subtree_levels:
                mask = (1 << local) - 1
                ok = st.tiles.get(_level_offset(local, self.branching) + _morton(cc.x & mask, cc.y & mask, cc.z & mask, self.dims, local))
            else:  # child is the root of a child subtree
                mask = (1 << self.subtree_levels) - 1
                ok = st.children.get(_morton(cc.x & mask, cc.y & mask, cc.z & mask, self.dims, self.subtree_levels)) and self.is_available(cc)
            if ok:
                out.append(cc)
        return out

    def content_uris(self, c: ImplicitCoord) -> list[str]:
        """Content URIs of c (templates filled, relative to base), only the available ones."""
        st, index = self._locate(c)
        if st is None or not st.tiles.get(index):
            return []
        return [fill_template(t, c) for t, bits in zip(self.content_templates, st.contents) if t and bits.get(index)]

    # -- geometry ---------------------------------------------------------------------------
    def bounding_volume(self, c: ImplicitCoord) -> dict:
        """c's boundingVolume JSON, subdivided from the root's (untransformed)."""
        n = float(2**c.level)
        vol = self.root_volume
        try:
            if "box" in vol:
                b = as_vec(vol["box"], 12, "box")
                centre, axes = b[:3], b[3:].reshape(3, 3)
                f = [(2 * c.x + 1) / n - 1, (2 * c.y + 1) / n - 1, (2 * c.z + 1) / n - 1 if self.dims == 3 else 0.0]
                centre = centre + f[0] * axes[0] + f[1] * axes[1] + f[2] * axes[2]
                axes = np.stack([axes[0] / n, axes[1] / n, axes[2] / n if self.dims == 3 else axes[2]])
                return {"box": [*centre.tolist(), *axes.reshape(-1).tolist()]}
            if "region" in vol:
                w, s, e, nn, lo, hi = as_vec(vol["region"], 6, "region")
                width = e - w if e >= w else e - w + 2 * math.pi
                west, east = w + width * c.x / n, w + width * (c.x + 1) / n
                west, east = (v - 2 * math.pi if v > math.pi else v for v in (west, east))
                south, north = s + (nn - s) * c.y / n, s + (nn - s) * (c.y + 1) / n
                if self.dims == 3:
                    lo, hi = lo + (hi - lo) * c.z / n, lo + (hi - lo) * (c.z + 1) / n
                return {"region": [west, south, east, north, lo, hi]}
        except BinaryError:
            pass
        return dict(vol)  # unknown (e.g. S2) or broken: the root's volume is a safe over-estimate

    def geometric_error(self, c: ImplicitCoord) -> float:
        return self.root_error / 2**c.level

    # -- counting ---------------------------------------------------------------------------
    def count_available(self, max_tiles: int = 1_000_000) -> tuple[int, int]:
        """(available tiles, available contents) over all subtrees, walking at most max_tiles."""
        tiles = contents = 0
        queue = [self.root]
        sl, dims = self.subtree_levels, self.dims
        while queue and tiles < max_tiles:
            root = queue.pop()
            st = self._subtree(root)
            if st is None:
                continue
            levels = min(sl, self.available_levels - root.level)
            nbits = _level_offset(levels, self.branching)
            tiles += st.tiles.count(0, nbits)
            contents += sum(b.count(0, nbits) for b in st.contents if b is not None)
            if root.level + sl < self.available_levels:
                idx = st.children.indices(self.branching**sl, max(0, max_tiles - tiles - len(queue)))
                x, y, z = _demorton(idx, dims, sl)
                queue += [ImplicitCoord(root.level + sl, (root.x << sl) + int(a), (root.y << sl) + int(b), (root.z << sl) + int(cz))
                          for a, b, cz in zip(x, y, z)]
        if queue or tiles >= max_tiles:
            self.warnings.append(f"implicit tile count stopped at {max_tiles} tiles")
        return min(tiles, max_tiles), contents
