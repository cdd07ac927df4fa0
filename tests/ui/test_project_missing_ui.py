"""A project whose data moved (issue 9 item 12), as a user meets it: the missing layers stay in
the layer tree, greyed, with the paths tried; Locate... re-links one file and offers the others
found in the same folder; saving never drops them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.model import Scene
from app.model.layers import MissingLayer, PointCloudLayer
from app.model.opening import open_paths
from app.model.project import write_project
from tests.ui.conftest import wait_loaded, write_las


def _project_with_moved_data(root: Path) -> Path:
    data = root / "data"
    data.mkdir()
    write_las(data / "a.las", n=2_000)
    write_las(data / "b.las", n=1_000)
    scene = Scene()
    for layer in open_paths(scene, [str(data / "a.las"), str(data / "b.las")], on_error=lambda e: None):
        scene.layers.append(layer)
    scene.layers[0].opacity = 0.3
    scene.layers[1].point_size = 7.0
    write_project(scene, root / "site.twin")
    shutil.move(str(data), root / "archive")
    return root / "site.twin"


def _action(menu, text: str):
    return next(a for a in menu.actions() if a.text() == text)


def test_missing_layers_show_greyed_and_locate_relinks_them(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    project = _project_with_moved_data(tmp_path)
    window.open_paths([str(project)])
    wait_loaded(qtbot, window)
    tree = window.layer_tree.tree
    assert tree.topLevelItemCount() == 2 and all(isinstance(layer, MissingLayer) for layer in window.scene.layers)
    item = tree.topLevelItem(0)
    assert item.text(1) == "Missing" and item.text(2) == "file not found"
    assert item.foreground(0).color().name() == "#9e9e9e"
    assert str(tmp_path / "data" / "a.las") in item.toolTip(0)
    assert "a.las" in window.errors[-1] and str(tmp_path / "data" / "a.las") in window.errors[-1]
    window.message_box.close()

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "archive" / "a.las"), ""))
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    menu = window.layer_tree.context_menu(item)
    _action(menu, "Locate\u2026").trigger()
    wait_loaded(qtbot, window)
    assert asked and "b.las" in asked[0]  # the other missing file found in the same folder
    layers = list(window.scene.layers)
    assert [type(layer) for layer in layers] == [PointCloudLayer, PointCloudLayer]
    assert [layer.name for layer in layers] == ["a.las", "b.las"]  # same places in the list
    assert layers[0].opacity == 0.3 and layers[1].point_size == 7.0  # the saved state came back
    assert tree.topLevelItem(0).text(1) == "Point cloud"
    qtbot.waitUntil(lambda: window.canvas.stats()["points_drawn"] == 3_000, timeout=5_000)


def test_saving_keeps_missing_layers_and_a_dead_project_leaves_no_view(qtbot, window, tmp_path: Path) -> None:
    project = _project_with_moved_data(tmp_path)
    doc = json.loads(project.read_text())
    doc["camera"] = {"position": [9000.0, 9000.0, 900.0], "focal_point": [8000.0, 8000.0, 0.0], "view_up": [0, 0, 1]}
    project.write_text(json.dumps(doc))
    window.open_paths([str(project)])
    wait_loaded(qtbot, window)
    assert window.scene.frame.origin_lla is None  # the Place dialog starts from no dead origin
    assert tuple(window.canvas.get_camera().position) != (9000.0, 9000.0, 900.0)
    item = window.layer_tree.tree.topLevelItem(1)
    window.layer_tree.tree.setCurrentItem(item)
    assert not window.layer_tree.opacity.isEnabled() and window.layer_tree.remove_button.isEnabled()
    saved = tmp_path / "again.twin"
    write_project(window.scene, saved)
    layers = json.loads(saved.read_text())["layers"]
    assert [entry["state"] for entry in layers] == [entry["state"] for entry in doc["layers"]]
    assert [entry["source"]["absolute"] for entry in layers] == [entry["source"]["absolute"] for entry in doc["layers"]]
