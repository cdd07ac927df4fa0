"""`twinscape tile` throughput, and the ratio against `py3dtiles convert` on the same file.

Targets (issue 4): >= 1 M points/s on 2 cores for a 20M-point LAZ, and >= 2x py3dtiles.
The big file defaults to 5M points to keep `make bench` short (TWINSCAPE_BENCH_TILE_POINTS=20000000
for the full figure); inputs are seeded and cached in pytest's cache folder. Figures are printed
as markdown rows; only gross regressions fail, since the machine's cores are shared.

py3dtiles 12.1.1 runs through a small wrapper that sets the `forkserver` start method: with the
default `fork` its worker inherits lazrs' thread pool from the parent and waits forever (seen
here on autzen_trim.laz as well), so a plain `py3dtiles convert` never finishes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.tiling import tile

BIG = int(os.environ.get("TWINSCAPE_BENCH_TILE_POINTS", 5_000_000))
SMALL = 300_000
PY3DTILES = """
import multiprocessing, sys
multiprocessing.set_start_method("forkserver")
from py3dtiles.command_line import main
sys.argv = ["py3dtiles"] + sys.argv[1:]
main()
"""


def _airborne(path: Path, n: int, seed: int = 42) -> None:
    """Scan-ordered strips over a 2 km square with smooth relief and colour (UTM 33N)."""
    import laspy
    from pyproj import CRS

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=7, version="1.4")
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = np.array([500_000.0, 4_000_000.0, 0.0])
    header.add_crs(CRS.from_epsg(32633))
    side, per_line = 2000.0, 2000
    lines = n // per_line + 1
    tmp = path.with_suffix(".part")
    with laspy.open(str(tmp), mode="w", header=header, do_compress=True, laz_backend=laspy.LazBackend.Lazrs) as writer:
        for start in range(0, n, 1_000_000):
            m = min(1_000_000, n - start)
            i = np.arange(start, start + m)
            line, k = i // per_line, i % per_line
            x = (k / per_line) * side + rng.normal(0, 0.05, m)
            x = np.clip(np.where(line % 2 == 1, side - x, x), 0, side)
            y = np.clip((line / lines) * side + rng.normal(0, 0.05, m), 0, side)
            z = 50 * np.sin(x / 300) * np.cos(y / 200) + rng.normal(0, 0.1, m) + 100
            rec = laspy.ScaleAwarePointRecord.zeros(m, header=header)
            rec.x, rec.y, rec.z = 500_000 + x, 4_000_000 + y, z
            rec.intensity = (1000 + 20 * z + rng.normal(0, 50, m)).clip(0, 65535).astype(np.uint16)
            rec.classification = np.where(z > 120, 5, 2).astype(np.uint8)
            rec.return_number = np.ones(m, np.uint8)
            rec.number_of_returns = np.ones(m, np.uint8)
            g = ((z - 50) * 600).clip(0, 65535).astype(np.uint16)
            rec.red, rec.green, rec.blue = g, 65535 - g, g // 2
            rec.gps_time = i * 1e-5
            writer.write_points(rec)
    tmp.replace(path)


@pytest.fixture(scope="module")
def cache(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.cache.mkdir("tile-bench"))


def _input(cache: Path, n: int) -> Path:
    path = cache / f"airborne_{n}.laz"
    if not path.exists():
        _airborne(path, n)
    return path


def test_tile_throughput_big_laz(cache: Path, tmp_path: Path) -> None:
    src = _input(cache, BIG)
    with open(src, "rb") as fh:
        assert fh.read(105)[104] & 0x80, "the benchmark input must be compressed (LAZ)"
    rows = []
    for fmt, out in (("copc", tmp_path / "big.copc.laz"), ("3dtiles", tmp_path / "big3d")):
        result = tile([str(src)], str(out), fmt=fmt, workers=2)
        assert result.points == BIG
        rows.append(result)
        print(f"\n| twinscape tile {fmt}, {BIG / 1e6:g}M-point LAZ, 2 worker processes | {result.seconds:.1f} s "
              f"| {result.points_per_second / 1e6:.2f} M pts/s ({result.nodes} nodes, {result.cells} cells) |")
        shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink()
    assert min(r.points_per_second for r in rows) > 0.1e6  # gross regressions only: the target is 1 M/s


def test_tile_vs_py3dtiles(cache: Path, tmp_path: Path) -> None:
    src = _input(cache, SMALL)
    t0 = time.perf_counter()
    ours = tile([str(src)], str(tmp_path / "ours"), fmt="3dtiles", workers=1, processes=False)
    ours_1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    tile([str(src)], str(tmp_path / "ours2"), fmt="3dtiles", workers=2, processes=True)
    ours_2 = time.perf_counter() - t0
    assert ours.points == SMALL
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", PY3DTILES, "convert", str(src), "--out", str(tmp_path / "py3d"),
                               "--overwrite", "--jobs", "1", "--disable-processpool", "--srs_out", "4978"],
                              capture_output=True, text=True, timeout=300, env=env)
        theirs = time.perf_counter() - t0
        ok = proc.returncode == 0 and (tmp_path / "py3d" / "tileset.json").exists()
    except subprocess.TimeoutExpired:
        theirs, ok = 300.0, False
    label = f"{theirs:.1f} s" if ok else f"> {theirs:.0f} s (did not finish)"
    print(f"\n| py3dtiles convert --jobs 1, {SMALL // 1000}k points | {label} | {SMALL / theirs / 1e3:.0f}k pts/s |")
    print(f"| twinscape tile 3dtiles, 1 worker thread, same file | {ours_1:.1f} s | {SMALL / ours_1 / 1e3:.0f}k pts/s, "
          f"{theirs / ours_1:.1f}x py3dtiles |")
    print(f"| twinscape tile 3dtiles, 2 worker processes, same file | {ours_2:.1f} s | {SMALL / ours_2 / 1e3:.0f}k pts/s, "
          f"{theirs / ours_2:.1f}x py3dtiles |")
    assert theirs / ours_1 > 1.0  # the target is 2x; loose for shared cores
