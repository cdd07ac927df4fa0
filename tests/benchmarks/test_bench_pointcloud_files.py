"""Issue 4's headline, end to end: a 20M-point LAZ and a 1M-point LAZ of the same site, each
opened through the real loader and scene (octree, cached or built) and rendered off-screen by
the real Canvas at budget 300k, 800x600, same camera. Frame cost must follow the budget, not
the file: the issue asks for a ratio within 1.5x.

The files are written once (seeded, chunked so generation memory stays small) into the user's
cache, so a second `make bench` does not pay the ~1 minute of LAZ compression again.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

BUDGET = 300_000
SIZE = "800x600"
SITE_M = 2000.0
VERSION = 1


def _bench_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "twinscape" / f"bench-v{VERSION}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_site_laz(path: Path, n: int, seed: int = 41, chunk: int = 2_000_000) -> Path:
    """A 2 km x 2 km site with 40 m of relief in EPSG:4547, written chunk by chunk."""
    import laspy
    import pyproj

    if path.exists():
        return path
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = [0.001, 0.001, 0.001]
    header.offsets = [529000.0, 3385000.0, 0.0]
    header.add_crs(pyproj.CRS("EPSG:4547"))
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp.laz")
    with laspy.open(str(tmp), mode="w", header=header) as writer:
        for start in range(0, n, chunk):
            k = min(chunk, n - start)
            pts = laspy.ScaleAwarePointRecord.zeros(k, header=header)
            x, y = rng.uniform(0, SITE_M, k), rng.uniform(0, SITE_M, k)
            pts.x, pts.y = 529000.0 + x, 3385000.0 + y
            pts.z = 30 + 40.0 * np.sin(x / 300.0) * np.cos(y / 250.0) + rng.normal(0, 0.05, k)
            pts.intensity = rng.integers(0, 65535, k, dtype=np.uint16)
            pts.classification = np.where(rng.random(k) < 0.7, 2, 5).astype(np.uint8)
            grey = (20000 + 30000 * (pts.z - 0) / 80).astype(np.uint16)
            pts.red, pts.green, pts.blue = grey, grey, grey
            writer.write_points(pts)
    tmp.replace(path)
    return path


def _render(path: Path, out: Path) -> dict:
    """A fresh process per file: the two measurements share no caches or GL state."""
    code = ("import json,sys; from app.render import render_offscreen; "
            f"r = render_offscreen([{str(path)!r}], {str(out)!r}, size=(800, 600), view='iso', budget={BUDGET}, frames=9); "
            "print('RESULT', json.dumps(r))")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t0
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert proc.returncode == 0 and line, proc.stderr[-2000:]
    result = json.loads(line[7:])
    result["wall_s"] = wall
    return result


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    d = _bench_dir()
    t0 = time.perf_counter()
    out = {"1M": write_site_laz(d / "site_1m.laz", 1_000_000), "20M": write_site_laz(d / "site_20m.laz", 20_000_000)}
    print(f"\n(bench files ready in {time.perf_counter() - t0:.1f} s under {d})")
    return out


def test_frame_time_20m_vs_1m_laz_at_budget_300k(files: dict[str, Path], tmp_path: Path) -> None:
    runs: dict[str, list[dict]] = {"1M": [], "20M": []}
    for _ in range(2):  # interleaved: machine noise falls on both alike
        for name, path in files.items():
            runs[name].append(_render(path, tmp_path / f"{name}.png"))
    ms = {name: min(r["frame_ms"] for r in rs) for name, rs in runs.items()}
    ratio = ms["20M"] / ms["1M"]
    for name in runs:
        r = runs[name][-1]
        print(f"| render {name}-point LAZ, budget 300k, 800x600 | {ms[name]:.1f} ms/frame | "
              f"{r['points_drawn']:,} points drawn; open+render {min(x['wall_s'] for x in runs[name]):.1f} s |")
    print(f"| frame-time ratio 20M / 1M LAZ at budget 300k | {ratio:.2f}x | target <= 1.5x |")
    assert runs["20M"][-1]["points_drawn"] <= BUDGET
    assert ratio < 1.5
