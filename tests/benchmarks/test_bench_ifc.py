"""IFC loader benchmarks: the loader against the bare ifcopenshell geometry iterator in the same run.

The iterator is the limit (it triangulates every product on all cores); the loader's own work
(element metadata, numpy, merging) should add little. Baseline and loader use the same file,
geometry settings, kernel and thread count, and run interleaved, best of N, so a busy machine
slows both. Printed as markdown table rows; only gross regressions fail.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import corpus_file
from tests.ifc_fixtures import make_ifc_grid


def _bare_iterator(path: Path, library: str | None = None) -> int:
    """Open + triangulate every product, touching nothing: what any IFC viewer must pay."""
    import ifcopenshell
    import ifcopenshell.geom

    from loaders.ifc import GEOMETRY_LIBRARIES, iterator_settings, num_threads

    f = ifcopenshell.open(str(path))
    it = ifcopenshell.geom.iterator(iterator_settings(), f, num_threads(), geometry_library=library or GEOMETRY_LIBRARIES[0])
    n = 0
    if it.initialize():
        while True:
            it.get()
            n += 1
            if not it.next():
                break
    return n


def _load(path: Path):
    from loaders.registry import load

    return load(str(path))


def _interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each, runs interleaved so background load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def _compare(label: str, path: Path, repeat: int) -> float:
    from loaders.ifc import num_threads

    t = _interleaved({"bare": lambda: _bare_iterator(path), "ours": lambda: _load(path)}, repeat)
    [layer] = _load(path)
    best = {k: min(v) for k, v in t.items()}
    ratio = best["ours"] / best["bare"]
    median = statistics.median(t["ours"]) / statistics.median(t["bare"])
    print(f"\n| {label}: bare ifcopenshell iterator ({num_threads()} threads) | {best['bare']:.2f} s | baseline (best of {repeat}) |")
    print(f"| {label}: twinscape IFC loader ({len(layer.elements):,} elements, {len(layer.faces):,} triangles) "
          f"| {best['ours']:.2f} s | {ratio:.2f}x of the iterator (medians: {median:.2f}x) |")
    return ratio


@pytest.fixture(scope="module")
def grid_2k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench_ifc") / "grid_2000.ifc"
    make_ifc_grid(path, 2_000, seed=0)
    return path


def test_fzk_haus_loader_vs_bare_iterator() -> None:
    path = corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc")
    ratio = _compare("FZK-Haus", path, repeat=3)
    t0 = time.perf_counter()
    _bare_iterator(path, "opencascade")
    occ = time.perf_counter() - t0
    print(f"| FZK-Haus: bare iterator, OpenCASCADE kernel only (not used) | {occ:.2f} s | kernel choice, for reference |")
    assert ratio < 2.0


def test_grid_2k_loader_vs_bare_iterator(grid_2k: Path) -> None:
    ratio = _compare("generated 2,000 elements", grid_2k, repeat=6)
    assert ratio < 2.0


def test_grid_2k_time_to_first_batch(grid_2k: Path) -> None:
    from loaders.ifc import iter_ifc

    firsts, totals = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        gen = iter_ifc(str(grid_2k))
        first = next(gen)
        firsts.append(time.perf_counter() - t0)
        n = len(first.elements) + sum(len(b.elements) for b in gen)
        totals.append(time.perf_counter() - t0)
    print(f"\n| generated 2,000 elements: iter_ifc first batch ({len(first.elements)} elements) | {min(firsts) * 1000:.0f} ms "
          f"| all {n:,} elements streamed in {min(totals):.2f} s |")
    assert min(firsts) < 5.0


def test_grid_10k_write_and_load(tmp_path: Path) -> None:
    path = tmp_path / "grid_10000.ifc"
    info = make_ifc_grid(path, 10_000, seed=0)
    t = {k: v[0] for k, v in _interleaved({"bare": lambda: _bare_iterator(path), "ours": lambda: _load(path)}, repeat=1).items()}
    print(f"\n| generated 10,000 elements: write (tests.ifc_fixtures.make_ifc_grid) | {info['seconds']:.2f} s "
          f"| {path.stat().st_size / 1e6:.1f} MB |")
    print(f"| generated 10,000 elements: load | {t['ours']:.2f} s | {t['ours'] / t['bare']:.2f}x of the iterator ({t['bare']:.2f} s) |")
    assert info["seconds"] < 60 and t["ours"] / t["bare"] < 2.0
