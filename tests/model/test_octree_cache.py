"""The on-disk octree cache: a second open reuses the tree; any change to the source, the
positions or the cache file itself gives a fresh, correct build instead of a stale tree."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from app.model import octree_cache
from app.model.octree import build_octree


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TWINSCAPE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "octrees"


def _source(tmp_path: Path, n: int = 30_000) -> tuple[str, np.ndarray]:
    src = tmp_path / "scan.laz"
    src.write_bytes(b"stand-in for a scan file")
    pts = np.random.default_rng(5).uniform(0, 50, (n, 3))
    return str(src), pts


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in octree_cache._ARRAYS)


def test_second_open_loads_the_cached_tree(tmp_path: Path, cache: Path) -> None:
    src, pts = _source(tmp_path)
    first = octree_cache.build_or_load(src, pts)
    files = list(cache.glob("*.npz"))
    assert len(files) == 1
    key = files[0].stem
    loaded = octree_cache.load(key, len(pts))
    assert loaded is not None and _same(loaded, first)
    assert loaded.order.dtype == np.int64  # stored as int32, handed back as the builder's types
    assert _same(octree_cache.build_or_load(src, pts), build_octree(pts))


def test_changed_source_or_positions_miss_the_cache(tmp_path: Path, cache: Path) -> None:
    src, pts = _source(tmp_path)
    k1 = octree_cache.cache_key(src, pts, (20_000, 16))
    assert octree_cache.cache_key(src, pts + [1.0, 0, 0], (20_000, 16)) != k1  # another scene origin
    assert octree_cache.cache_key(src, pts, (1_000, 16)) != k1
    os.utime(src, ns=(1, 1))
    assert octree_cache.cache_key(src, pts, (20_000, 16)) != k1  # the file was replaced
    assert octree_cache.cache_key("https://example.invalid/a.laz", pts, (20_000, 16)) is None


def test_damaged_cache_file_is_rebuilt_not_trusted(tmp_path: Path, cache: Path) -> None:
    src, pts = _source(tmp_path)
    octree_cache.build_or_load(src, pts)
    (path,) = cache.glob("*.npz")
    path.write_bytes(path.read_bytes()[:200])
    assert octree_cache.load(path.stem, len(pts)) is None
    tree = octree_cache.build_or_load(src, pts)
    assert np.array_equal(np.sort(tree.order), np.arange(len(pts)))
    assert octree_cache.load(path.stem, len(pts) + 1) is None  # wrong count: not this cloud's tree


def test_unwritable_cache_only_loses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("TWINSCAPE_CACHE", str(blocker))  # a file where the folder should be
    src, pts = _source(tmp_path)
    tree = octree_cache.build_or_load(src, pts)
    assert tree.num_points == len(pts)


def test_prune_keeps_the_cache_under_its_size(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(octree_cache, "MAX_CACHE_BYTES", 1)
    src, pts = _source(tmp_path)
    octree_cache.build_or_load(src, pts)
    octree_cache.build_or_load(src, pts[:20_000])
    assert len(list(cache.glob("*.npz"))) <= 1


def test_octree_build_reports_progress_and_can_be_cancelled(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.model import scene as scene_module
    from app.model.opening import build_layers
    from app.model.scene import Scene
    from loaders.base import LoadCancelled
    from tests.fixtures import write_las

    monkeypatch.setattr(scene_module, "OCTREE_MIN_POINTS", 1_000)
    las = write_las(tmp_path / "scan.las", n=5_000, z_spread=5.0)
    messages: list[str] = []
    [layer] = build_layers(Scene(), str(las), progress=lambda f, m="": messages.append(m))
    assert layer.data["octree"] is not None and any(m.startswith("octree") for m in messages)
    seen: list[str] = []

    def cancel() -> bool:  # the user presses Cancel once the octree build has started
        return any(m.startswith("octree") for m in seen)

    for f in cache.glob("*.npz"):
        f.unlink()  # no cached tree: the build really runs
    with pytest.raises(LoadCancelled):
        build_layers(Scene(), str(las), progress=lambda f, m="": seen.append(m), cancel=cancel)


def _rewrite(path: Path, **changes: np.ndarray) -> None:
    """Replace arrays in a cache file, keeping every other entry (key, digest) as written."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_cache_with_right_shapes_but_wrong_order_is_rebuilt(tmp_path: Path, cache: Path) -> None:
    """Issue 10 item 5: an `order` of zeros (same shape and dtype) used to be accepted and drew
    one point many times; the stored digest catches it and the tree is rebuilt correctly."""
    src, pts = _source(tmp_path)
    good = octree_cache.build_or_load(src, pts)
    (path,) = cache.glob("*.npz")
    with np.load(path) as z:
        order = z["order"]
    _rewrite(path, order=np.zeros_like(order))
    assert octree_cache.load(path.stem, len(pts)) is None
    tree = octree_cache.build_or_load(src, pts)
    assert _same(tree, good)
    assert octree_cache.load(path.stem, len(pts)) is not None  # the rebuilt entry is trusted again


def test_cache_entry_of_another_source_is_not_trusted(tmp_path: Path, cache: Path) -> None:
    """An entry copied under another key (another source's identity) fails the key check, and a
    permutation that is not this tree's fails the digest."""
    src, pts = _source(tmp_path)
    octree_cache.build_or_load(src, pts)
    (path,) = cache.glob("*.npz")
    other = cache / ("0" * 40 + ".npz")
    other.write_bytes(path.read_bytes())
    assert octree_cache.load(other.stem, len(pts)) is None
    with np.load(path) as z:
        order = z["order"]
    _rewrite(path, order=order[::-1].copy())
    assert octree_cache.load(path.stem, len(pts)) is None


def test_cache_root_without_a_home_folder_falls_back_to_a_temporary_cache(monkeypatch) -> None:
    """HOME unset and no TWINSCAPE_CACHE: a big cloud's octree still has somewhere to go (it was an internal error)."""
    import tempfile

    from app.model.octree_cache import cache_root

    for name in ("TWINSCAPE_CACHE", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("pathlib.Path.home", lambda: (_ for _ in ()).throw(RuntimeError("Could not determine home directory.")))
    root = cache_root()
    assert str(root).startswith(tempfile.gettempdir()) and root.is_dir()
