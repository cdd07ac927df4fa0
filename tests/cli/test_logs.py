"""Library warnings go to the log file, never to the user's terminal; empty files say so everywhere."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

SCRIPT = r"""
import sys
import numpy as np
from loaders.base import LoadError
from loaders.registry import register_loader

@register_loader(".warnme", name="warning test")
def read_warnme(path, *, progress=None, cancel=None):
    np.array([np.nan, 1e300]).astype(np.int32)  # numpy: RuntimeWarning: invalid value encountered in cast
    raise LoadError(path, "mutated content")

from app.cli import main
sys.exit(main(["info", sys.argv[1]]))
"""


def test_warning_during_a_load_goes_to_the_log_file_not_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "tile.warnme"
    bad.write_bytes(b"\x00" * 64)
    state = tmp_path / "state"
    env = {**os.environ, "TWINSCAPE_STATE": str(state), "PYTHONWARNINGS": ""}
    env.pop("PYTHONWARNINGS")
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(bad)], capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=120)
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [f"error: {bad}: mutated content"]  # the clean line only
    log = (state / "twinscape.log").read_text(encoding="utf-8")
    assert "RuntimeWarning" in log and "invalid value encountered in cast" in log


def test_empty_ifc_gives_the_same_reason_in_the_cli_and_the_gui_path(tmp_path: Path) -> None:
    """The GUI streams IFC through iter_ifc, not the registry: both must say "file is empty"."""
    from app.model.opening import open_paths
    from app.model.scene import Scene

    empty = tmp_path / "empty.ifc"
    empty.write_bytes(b"")
    errors: list = []
    open_paths(Scene(), [str(empty)], on_error=errors.append, on_partial=lambda *_: None)  # as the window does
    assert [e.reason for e in errors] == ["file is empty"]
    cli = subprocess.run([sys.executable, "-m", "app", "info", str(empty)], capture_output=True, text=True, cwd=REPO,
                         timeout=120)
    assert cli.returncode == 2 and cli.stderr.strip() == f"error: {empty}: file is empty"


VTK_SCRIPT = r"""
from app.logs import setup_logging
setup_logging(vtk=True)
import vtk
renderer = vtk.vtkRenderer()
camera = renderer.GetActiveCamera()
camera.SetPosition(0, 0, 10)
camera.SetFocalPoint(0, 0, 0)
camera.SetViewUp(0, 0, 1)
renderer.ResetCamera(-1, 1, -1, 1, -1, 1)  # VTK warns: view-up parallel to the view plane normal
"""


def test_vtk_warnings_go_to_the_log_folder_not_stderr(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run = subprocess.run([sys.executable, "-c", VTK_SCRIPT], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TWINSCAPE_STATE": str(state)}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Resetting view-up" not in run.stderr and "WARN" not in run.stderr
    assert "Resetting view-up" in (state / "vtk.log").read_text(encoding="utf-8")
