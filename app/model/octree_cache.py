"""Octrees cached on disk, so a large cloud is organised once, not on every open.

Why the cache directory and not next to the data: scans often live on read-only shares (and
the corpus is read-only). The key covers the source file's identity (path, size, mtime), the
point count, the build parameters and a strided sample of the positions as placed in the scene
frame, so a moved file, an edited file or another scene origin never reuses a stale tree.
Files are plain .npz (no pickle); a damaged or foreign file is ignored and rebuilt. Each file
also holds its own key (the source identity) and a BLAKE2b digest of its arrays, checked on
read: a file with the right shapes but wrong contents (an `order` of zeros) would otherwise
draw the wrong points with no error at all.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from app.model.octree import PointOctree

FORMAT = 2  # 2: key and digest stored in the file
MAX_CACHE_BYTES = 4 << 30  # oldest entries are pruned past this
_ARRAYS = ("order", "level", "center", "half_size", "start", "stop", "parent", "first_child", "child_count")


def cache_root() -> Path:
    """Same root as the demo data ($TWINSCAPE_CACHE, else $XDG_CACHE_HOME/twinscape, else
    ~/.cache/twinscape, else a temporary cache when there is no home folder at all)."""
    from assets.demo.generate import default_cache_root  # one rule for every cache; no Qt, no VTK

    return default_cache_root()


def octree_cache_dir() -> Path:
    return cache_root() / "octrees"


def cache_key(source: str, positions: np.ndarray, params: tuple[int, int]) -> str | None:
    """None when the source is not a local file (a URL, generated data): nothing stable to key on."""
    try:
        st = os.stat(source)
    except (OSError, TypeError, ValueError):
        return None
    if not os.path.isfile(source):
        return None
    h = hashlib.sha1()
    h.update(f"{FORMAT}|{os.path.realpath(source)}|{st.st_size}|{st.st_mtime_ns}|{len(positions)}|{params}".encode())
    step = max(1, len(positions) // 4096)
    h.update(np.ascontiguousarray(positions[::step]).tobytes())
    if len(positions):
        h.update(np.ascontiguousarray(positions[-1]).tobytes())
    return h.hexdigest()


def _digest(key: str, meta: np.ndarray, arrays: dict[str, np.ndarray]) -> str:
    """Checksum of the entry as written: its key, build parameters and every array (dtype,
    shape and bytes), so neither a flipped byte nor a swapped array passes."""
    h = hashlib.blake2b(digest_size=32)
    h.update(key.encode())
    for name, arr in (("meta", meta), *((k, arrays[k]) for k in _ARRAYS)):
        arr = np.ascontiguousarray(arr)
        h.update(f"|{name}|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(memoryview(arr).cast("B"))
    return h.hexdigest()


def load(key: str, num_points: int) -> PointOctree | None:
    path = octree_cache_dir() / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in _ARRAYS}
            meta = z["meta"]
            stored_key, digest = str(z["key"]), str(z["digest"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    if stored_key != key or digest != _digest(key, meta, arrays) or meta.shape != (2,):
        return None  # another source's entry under this name, or contents changed since written
    tree = PointOctree(**{k: v.astype(np.int64) if k in ("order", "start", "stop", "parent", "first_child", "child_count") else v
                          for k, v in arrays.items()},
                       max_points_per_node=int(meta[0]), max_depth=int(meta[1]))
    if not _consistent(tree, num_points):
        return None
    try:
        os.utime(path)  # recently used: pruned last
    except OSError:
        pass
    return tree


def _consistent(tree: PointOctree, num_points: int) -> bool:
    """Cheap checks that the arrays describe a tree over exactly these points."""
    m = tree.num_nodes
    if tree.num_points != num_points or m == 0:
        return False
    if any(len(getattr(tree, k)) != m for k in _ARRAYS[1:]) or tree.center.shape != (m, 3):
        return False
    if num_points and (tree.order.min() < 0 or tree.order.max() >= num_points):
        return False
    if np.count_nonzero(np.bincount(tree.order, minlength=num_points)) != num_points:
        return False  # `order` must be a permutation: every point drawn exactly once
    return bool(tree.stop[-1] == num_points and (tree.stop >= tree.start).all())


def store(key: str, tree: PointOctree) -> None:
    """Atomic write; a full or read-only disk only loses the cache, never the layer."""
    folder = octree_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        small = tree.num_points < 2**31
        arrays = {k: getattr(tree, k) for k in _ARRAYS}
        if small:  # int32 halves the file and the read time
            arrays = {k: v.astype(np.int32) if v.dtype == np.int64 else v for k, v in arrays.items()}
        meta = np.array([tree.max_points_per_node, tree.max_depth], dtype=np.int64)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, meta=meta, key=np.array(key), digest=np.array(_digest(key, meta, arrays)), **arrays)
        os.replace(tmp, folder / f"{key}.npz")
    except OSError:
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    try:
        entries = sorted((p.stat().st_mtime, p.stat().st_size, p) for p in folder.glob("*.npz"))
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, path in entries:
        if total <= MAX_CACHE_BYTES:
            break
        try:
            path.unlink()
            total -= size
        except OSError:
            pass


def build_or_load(source: str, positions: np.ndarray, progress=None, cancel=None) -> PointOctree:
    """The cached tree for this cloud when there is one, else build it (reporting progress,
    cancellable: LoadCancelled) and cache it."""
    from app.model.octree import build_octree

    params = (20_000, 16)  # build_octree's defaults, part of the key
    key = cache_key(source, positions, params)
    if key is not None and (tree := load(key, len(positions))) is not None:
        return tree
    tree = build_octree(positions, max_points_per_node=params[0], max_depth=params[1], progress=progress, cancel=cancel)
    if key is not None:
        store(key, tree)
    return tree
