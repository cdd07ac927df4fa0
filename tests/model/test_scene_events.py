"""The scene is evented like its layers; opening a project in a worker leaves the live scene alone."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from app.model.opening import apply_opened, open_paths
from app.model.project import write_project
from app.model.scene import Bookmark, Camera, Scene
from tests.fixtures import write_las


def test_setting_the_camera_and_changing_bookmarks_emit_events() -> None:
    scene = Scene()
    cameras: list[Camera] = []
    marks: list[int] = []
    scene.camera_changed.connect(cameras.append)
    scene.bookmarks_changed.connect(lambda: marks.append(len(scene.bookmarks)))
    cam = Camera((1.0, 2.0, 3.0))
    scene.camera = cam
    assert cameras == [cam] and scene.camera is cam
    scene.bookmarks.append(Bookmark("gate", cam))
    scene.bookmarks.extend([Bookmark("roof", cam)])
    del scene.bookmarks[0]
    scene.bookmarks.clear()
    assert marks == [1, 2, 1, 0]
    scene.bookmarks = [Bookmark("a", cam), Bookmark("b", cam)]
    assert [b.name for b in scene.bookmarks] == ["a", "b"] and marks[-1] == 2


def _project(tmp_path: Path) -> Path:
    """A georeferenced scan saved with a camera, a bookmark and an origin."""
    scene = Scene()
    for layer in open_paths(scene, [str(write_las(tmp_path / "scan.las", n=300))], on_error=lambda e: pytest.fail(str(e))):
        scene.layers.append(layer)
    scene.camera = Camera((40.0, -40.0, 30.0), (1.0, 2.0, 0.0))
    scene.bookmarks.append(Bookmark("corner", Camera((10.0, 10.0, 10.0))))
    write_project(scene, tmp_path / "site.twin")
    assert scene.frame.is_set
    return tmp_path / "site.twin"


def test_opening_a_project_in_a_worker_returns_camera_bookmarks_and_frame_instead_of_writing_them(tmp_path: Path) -> None:
    project = _project(tmp_path)
    saved = json.loads(project.read_text())
    live = Scene()
    events: list[str] = []
    live.camera_changed.connect(lambda _c: events.append("camera"))
    live.bookmarks_changed.connect(lambda: events.append("bookmarks"))
    result: dict = {}
    worker = threading.Thread(target=lambda: result.setdefault("opened", open_paths(
        live, [str(project)], on_error=lambda e: result.setdefault("error", e))))
    worker.start()
    worker.join()
    opened = result["opened"]
    assert "error" not in result and [layer.name for layer in opened] == ["scan.las"]
    assert events == [] and live.bookmarks == [] and not live.camera_from_project  # the worker wrote nothing
    assert live.frame.origin_lla is None and live.camera.position == Camera().position
    [project_state] = opened.projects
    assert opened.camera is not None and list(opened.camera.position) == saved["camera"]["position"]
    assert list(project_state.frame.origin_lla) == saved["frame"]["origin_lla"]
    assert [b.name for b in project_state.bookmarks] == ["corner"]

    apply_opened(live, opened.projects)  # the GUI thread's part
    assert events == ["bookmarks", "camera"] and live.camera_from_project
    assert live.camera.position == (40.0, -40.0, 30.0) and [b.name for b in live.bookmarks] == ["corner"]
    assert list(live.frame.origin_lla) == saved["frame"]["origin_lla"]
    live.layers.append(opened[0])  # built in the project's frame: nothing to conform
    assert opened[0].info["frame_origin"] == live.frame.origin_lla


def test_a_project_whose_layers_all_fail_brings_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (tmp_path / "scan.las").unlink()
    errors: list = []
    opened = open_paths(Scene(), [str(project)], on_error=errors.append)
    assert opened == [] and opened.projects == [] and opened.camera is None and len(errors) == 1
