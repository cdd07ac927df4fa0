"""Project safety without a window: one backup per save, recovery files per session, and which
of them a crash left behind."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.model.project import read_project, write_project
from app.model.recovery import CLEAN_EXIT, RecoveryStore, is_running, pending_sessions
from app.model.scene import Bookmark, Camera, Scene


def _scene_with(mark: str) -> Scene:
    scene = Scene()
    scene.bookmarks.append(Bookmark(mark, Camera(position=(1.0, 2.0, 3.0))))
    return scene


def test_save_keeps_the_previous_file_as_one_backup(tmp_path: Path) -> None:
    project = tmp_path / "site.twin"
    write_project(_scene_with("first"), project)
    assert not (tmp_path / "site.twin.bak").exists()  # nothing replaced yet
    write_project(_scene_with("second"), project)
    write_project(_scene_with("third"), project)
    assert [b.name for b in read_project(project).bookmarks] == ["third"]
    assert [b.name for b in read_project(tmp_path / "site.twin.bak").bookmarks] == ["second"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.twin", "site.twin.bak"]  # one backup, no temp files


def test_a_save_without_backup_and_with_another_camera(tmp_path: Path) -> None:
    project = tmp_path / "r.twin"
    write_project(_scene_with("a"), project, backup=False)
    write_project(_scene_with("b"), project, backup=False, camera=Camera(position=(9.0, 8.0, 7.0)))
    assert not (tmp_path / "r.twin.bak").exists()
    assert read_project(project).camera.position == (9.0, 8.0, 7.0)


def test_a_running_session_and_a_clean_exit_are_not_offered(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.write(_scene_with("mine"), None, None, "Untitled")
    assert store.project_file.is_file()
    assert pending_sessions(tmp_path) == []  # this process still runs it
    store.clean_exit()
    assert not store.folder.exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _crashed(tmp_path: Path, mark: str, pid: int, project_path: str | None = None) -> Path:
    """A session folder as a crashed process leaves it: recovery file and note, no marker."""
    store = RecoveryStore(tmp_path)
    store.write(_scene_with(mark), Camera(position=(4.0, 5.0, 6.0)), project_path, "Site")
    meta = json.loads((store.folder / "session.json").read_text())
    meta["pid"], meta["started"] = pid, None
    (store.folder / "session.json").write_text(json.dumps(meta))
    return store.folder


def test_a_crashed_session_is_offered_with_its_project_and_camera(tmp_path: Path) -> None:
    folder = _crashed(tmp_path, "after crash", _dead_pid(), str(tmp_path / "site.twin"))
    [session] = pending_sessions(tmp_path)
    assert session.folder == folder and session.project_path == str(tmp_path / "site.twin") and session.name == "Site"
    spec = read_project(session.project_file)
    assert [b.name for b in spec.bookmarks] == ["after crash"] and spec.camera.position == (4.0, 5.0, 6.0)
    assert "Site" in session.describe()


def test_a_clean_exit_marker_newer_than_the_recovery_file_means_no_crash(tmp_path: Path) -> None:
    folder = _crashed(tmp_path, "x", _dead_pid())
    (folder / CLEAN_EXIT).write_text("done")
    newer = os.stat(folder / "recovery.twin").st_mtime + 1
    os.utime(folder / CLEAN_EXIT, (newer, newer))
    assert pending_sessions(tmp_path) == []
    assert not folder.exists()  # tidied away


def test_a_broken_session_note_is_tidied_not_offered(tmp_path: Path) -> None:
    folder = _crashed(tmp_path, "x", _dead_pid())
    (folder / "session.json").write_text("{not json")
    assert pending_sessions(tmp_path) == [] and not folder.exists()
    assert pending_sessions(tmp_path / "absent") == []


def test_a_zombie_or_reused_pid_is_not_running() -> None:
    assert is_running(os.getpid())
    assert not is_running(os.getpid(), started="not-my-start-time")
    assert not is_running(_dead_pid())
    assert not is_running(0)
