"""`twinscape PATH... --screenshot OUT.png`: the real GUI entry point, as `make run` starts it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.conftest import REPO
from tests.ui.conftest import write_las


def test_gui_command_opens_files_and_reports_bad_ones(tmp_path: Path) -> None:
    las = write_las(tmp_path / "scan.las", n=5000)
    bad = tmp_path / "bad.ifc"
    bad.write_bytes(b"ISO-10303-21;\nnot really")
    out = tmp_path / "window.png"
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run([sys.executable, "-m", "app", str(las), str(bad), "--screenshot", str(out), "--size", "800x500"],
                            capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert result.returncode == 2, result.stderr
    assert "error: bad.ifc:" in result.stderr and "Traceback" not in result.stderr
    import pyvista as pv

    img = pv.read(str(out))
    assert img.dimensions[:2] == (800, 500)
    rgb = np.asarray(img.point_data[img.point_data.keys()[0]])[:, :3]
    assert len(np.unique(rgb[::5], axis=0)) > 100


def test_gui_screenshot_waits_for_streamed_tiles(tmp_path: Path) -> None:
    """`twinscape --screenshot` on the demo grabs the refined district, not the coarse blocks that
    are all there is when the load itself ends (4 tiles drawn before, 15 once settled)."""
    import json

    out = tmp_path / "demo.png"
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run([sys.executable, "-m", "app", "--screenshot", str(out), "--size", "1000x700"],
                            capture_output=True, text=True, timeout=180, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["screenshot"] == str(out) and out.is_file()
    assert report["tiles_pending"] == 0 and report["tiles_drawn"] > 4, report
