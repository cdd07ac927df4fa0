"""A layer's side in split view and swipe (`view_side`) is model state: saved with the project,
restored on reopen, undoable; old or hand-edited projects fall back to "auto"."""
from __future__ import annotations

import json
from pathlib import Path

from app.model import Scene
from app.model.layers import BimLayer, PointCloudLayer
from app.model.opening import open_paths
from app.model.project import write_project
from app.model.undo import UndoStack
from loaders.base import LoadError
from tests.fixtures import write_las


def _open(path: Path) -> list:
    errors: list[LoadError] = []
    layers = open_paths(Scene(), [str(path)], on_error=errors.append)
    assert not errors
    return layers


def test_side_is_saved_with_the_project_and_restored(tmp_path: Path) -> None:
    write_las(tmp_path / "a.las", n=200)
    write_las(tmp_path / "b.las", n=100)
    scene = Scene()
    for layer in _open(tmp_path / "a.las") + _open(tmp_path / "b.las"):
        scene.layers.append(layer)
    scene.layers[0].view_side = "left"  # a scan the user put with the design
    project = tmp_path / "p.twin"
    write_project(scene, project)
    saved = [entry["state"].get("view_side") for entry in json.loads(project.read_text())["layers"]]
    assert saved == ["left", "auto"]
    reopened = _open(project)
    assert [layer.view_side for layer in reopened] == ["left", "auto"]


def test_old_or_bad_projects_give_auto(tmp_path: Path) -> None:
    write_las(tmp_path / "a.las", n=100)
    write_las(tmp_path / "b.las", n=100)
    doc = {"schema_version": 1, "layers": [{"source": {"path": "a.las"}, "state": {"opacity": 0.5}},
                                           {"source": {"path": "b.las"}, "state": {"view_side": "middle"}}]}
    project = tmp_path / "old.twin"
    project.write_text(json.dumps(doc))
    old, bad = _open(project)
    assert old.view_side == "auto" and old.opacity == 0.5
    assert bad.view_side == "auto"  # not a side: not kept
    assert PointCloudLayer(view_side="sideways").view_side == "auto"
    assert BimLayer.from_state({"view_side": "both"}).view_side == "both"


def test_side_change_is_one_undo_step() -> None:
    scene = Scene()
    layer = BimLayer(name="design")
    scene.layers.append(layer)
    stack = UndoStack(scene)
    layer.view_side = "right"
    assert stack.undo_label() == "Side of design" and scene.dirty
    stack.undo()
    assert layer.view_side == "auto"
    stack.redo()
    assert layer.view_side == "right"
