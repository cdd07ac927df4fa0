"""Project safety (issue 15 item 8): the app killed mid-run is offered back at the next start with
its layers, camera and bookmarks; saving and closing leave nothing to recover."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt

from app.model.project import write_project
from app.ui.autosave import recovery_root
from app.model.scene import Bookmark, Camera, Scene
from tests.ui.conftest import wait_loaded, write_las

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    scene = Scene()
    las = write_las(tmp_path / "scan.las", n=3000)
    scene.bookmarks.append(Bookmark("Overview", Camera(position=(300.0, -300.0, 250.0))))
    project = tmp_path / "site.twin"
    write_project(scene, project)
    doc = project.read_text().replace('"layers": []', '"layers": [{"source": {"path": "scan.las"}, "state": {}}]')
    project.write_text(doc)
    assert las.exists()
    return project


def _wait_for_autosave(proc: subprocess.Popen, limit_s: float = 90.0) -> Path:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        assert proc.poll() is None, proc.stderr.read().decode(errors="replace")[-2000:]
        for path in recovery_root().glob("session-*/recovery.twin"):
            try:
                if "Crane" in path.read_text() and '"opacity": 0.4' in path.read_text():
                    return path
            except OSError:
                pass  # being replaced this very moment
        time.sleep(0.1)
    raise AssertionError("the child never autosaved")


def test_killed_app_is_recovered_with_layers_camera_and_bookmarks(qtbot, tmp_path: Path) -> None:
    from app.ui.main_window import MainWindow

    project = _project(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "tests.ui.autosave_driver", str(project), str(tmp_path / "child.ini")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    try:
        _wait_for_autosave(proc)
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: no clean exit, no question asked
        proc.wait(timeout=30)
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(400, 300)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.autosave.offer_box is not None and win.autosave.offer_box.isVisible(), timeout=5000)
        assert "site" in win.autosave.offer_box.text() and str(project) in win.autosave.offer_box.text()
        qtbot.mouseClick(win.autosave.recover_button, Qt.MouseButton.LeftButton)
        wait_loaded(qtbot, win)
        qtbot.waitUntil(lambda: win.scene.dirty, timeout=5000)
        assert [layer.name for layer in win.scene.layers] == ["scan.las"]
        assert win.scene.layers[0].opacity == 0.4
        assert [b.name for b in win.scene.bookmarks] == ["Overview", "Crane"]
        assert np.allclose(win.canvas.get_camera().position, (150.0, -90.0, 70.0))
        assert np.allclose(win.canvas.get_camera().focal_point, (10.0, 20.0, 1.0))
        assert win.project_files.path == str(project) and win.windowTitle().startswith("site")  # Save goes back there
        assert str(project) not in win.recent_files() or all("recovery" not in p for p in win.recent_files())
        win.autosave.tick()  # this session's own copy now: the crashed one is no longer offered
        assert len(list(recovery_root().glob("session-*"))) == 1
        assert win.project_files.save()
        assert not list(recovery_root().glob("session-*/recovery.twin"))  # saved: nothing to recover
        assert (tmp_path / "site.twin.bak").exists()
    finally:
        win.close()
    assert not any(p.glob("recovery.twin") for p in recovery_root().glob("session-*"))


def test_discard_and_clean_exit_leave_nothing_to_offer(qtbot, window, tmp_path: Path) -> None:
    autosave = window.autosave
    assert autosave.store.root == recovery_root() and str(recovery_root()).startswith(os.environ["TWINSCAPE_STATE"])
    assert autosave.interval_minutes() == 3.0 and autosave.timer.interval() == 180_000  # the default
    window.open_paths([str(write_las(tmp_path / "scan.las", n=2000))])
    wait_loaded(qtbot, window)
    assert autosave.tick() and autosave.store.project_file.is_file()  # changed since the last save
    assert not autosave.tick()  # nothing changed since
    window.scene.layers[0].visible = False
    assert autosave.tick()
    autosave.set_interval_minutes(0)
    assert not autosave.timer.isActive() and window.settings.value("autosave/minutes") in (0, 0.0, "0", "0.0")
    window.close()
    qtbot.waitUntil(lambda: autosave.finished, timeout=3000)  # once the window has really closed
    assert not autosave.store.folder.exists()
    autosave.changed = False
    window.scene.bookmarks.append(Bookmark("after", Camera()))  # the scene outlives the window: not followed
    assert not autosave.changed
