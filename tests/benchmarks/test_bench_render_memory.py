"""Issue 10: `twinscape render` of a 20M-point LAZ under `ulimit -v 3000000` (about 2.9 GiB of
address space), as `twinscape tile` already manages; and `info` on it reads the header only.

Before the fix the scene transform made whole-array float64 temporaries (MemoryError in
frame.py ecef_to_enu) and `info` decoded all 20M points (8 s, 909 MB). Uses the cached 20M-point
bench file of test_bench_pointcloud_files.py (written once, ~15 s)."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.test_bench_pointcloud_files import _bench_dir, write_site_laz
from tests.conftest import REPO

LIMIT_BYTES = 3_000_000 * 1024  # ulimit -v 3000000 (KiB)


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def _twinscape(*args: str, cap: bool) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=900,
                          cwd=REPO, env=env, preexec_fn=_capped if cap else None)
    return proc, time.perf_counter() - t0


def test_render_20m_laz_under_3gb_address_space(tmp_path: Path) -> None:
    laz = write_site_laz(_bench_dir() / "site_20m.laz", 20_000_000)
    out = tmp_path / "big.png"
    proc, wall = _twinscape("render", str(laz), "-o", str(out), "--size", "800x600", "--frames", "3", cap=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\n| render 20M-point LAZ under ulimit -v 3000000 | {wall:.1f} s | {stats['points_drawn']:,} points drawn |")
    assert out.stat().st_size > 0 and 0 < stats["points_drawn"] <= 300_000


def test_info_20m_laz_reads_the_header() -> None:
    laz = write_site_laz(_bench_dir() / "site_20m.laz", 20_000_000)
    proc, wall = _twinscape("info", str(laz), cap=True)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    print(f"\n| info on a 20M-point LAZ (header only) | {wall:.2f} s | was 8 s and 909 MB decoding every point |")
    assert d["points"] == 20_000_000 and d["bounds_from"] == "header"
