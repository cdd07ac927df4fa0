"""The model tree while a model streams in, is removed, and is navigated (issue 9, items 1 and 4)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.model.layers import BimLayer
from loaders.base import ElementInfo
from tests.ui.conftest import wait_loaded


def _box(x: float, y: float, size: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    import pyvista as pv

    box = pv.Box((x, x + size, y, y + size, 0, size)).triangulate()
    return np.asarray(box.points, dtype=float), box.faces.reshape(-1, 4)[:, 1:]


def _elements(start: int, stop: int) -> list[ElementInfo]:
    return [ElementInfo(id=f"G{i:021d}", ifc_class="IfcWall" if i % 2 else "IfcSlab", name=f"Element {i}",
                        spatial=("Project", "Site", "Building", f"Level {i // 10}"), storey=f"Level {i // 10}")
            for i in range(start, stop)]


def _data(elements: list[ElementInfo]) -> dict:
    """One unit box per element, 3 m apart on a row."""
    verts, faces, owner = [], [], []
    for i in range(len(elements)):
        v, f = _box(3.0 * i, 0.0)
        faces.append(f + sum(len(x) for x in verts))
        verts.append(v)
        owner.append(np.full(len(f), i, dtype=np.int32))
    return {"vertices": np.vstack(verts), "faces": np.vstack(faces), "face_element": np.concatenate(owner),
            "elements": elements}


def test_a_snapshot_adds_only_new_rows_and_keeps_the_others(qtbot, window) -> None:
    dock = window.model_tree
    first = _elements(0, 12)
    layer = BimLayer(name="streamed.ifc", data=_data(first))
    window.scene.layers.append(layer)
    rows = [dock.leaf(layer, i) for i in range(12)]
    assert all(rows) and dock.tree.topLevelItem(0).text(0) == "streamed.ifc (12)"
    level0 = rows[0].parent()
    level0.setExpanded(False)  # the user folds a storey and selects an element
    dock.tree.clearSelection()
    rows[11].setSelected(True)
    created = dock.items_created

    grown = first + _elements(12, 25)
    layer.data = _data(grown)  # the next snapshot: the same elements, then 13 more
    layer.data_changed.emit()
    qtbot.waitUntil(lambda: dock.leaf(layer, 24) is not None, timeout=2000)

    assert dock.items_created - created == 13 + 1  # 13 rows and one new storey ("Level 2")
    assert all(dock.leaf(layer, i) is rows[i] and rows[i].treeWidget() is dock.tree for i in range(12))
    assert not level0.isExpanded() and rows[11].isSelected()
    assert dock.tree.topLevelItem(0).text(0) == "streamed.ifc (25)"
    assert rows[11].parent().text(0) == "Level 1 (10)"  # counts follow

    layer.data = _data(list(grown))  # a snapshot with nothing new: nothing is made
    layer.data_changed.emit()
    qtbot.wait(20)
    assert dock.items_created - created == 14 and dock.leaf(layer, 0) is rows[0]
    layer.name = "final.ifc"  # the finished load names the layer: its row follows
    assert dock.tree.topLevelItem(0).text(0) == "final.ifc (25)"


def test_removing_a_layer_removes_only_its_rows(qtbot, window) -> None:
    dock = window.model_tree
    a = BimLayer(name="a.ifc", data=_data(_elements(0, 5)))
    b = BimLayer(name="b.ifc", data=_data(_elements(0, 7)))
    window.scene.layers.append(a)
    window.scene.layers.append(b)
    kept = [dock.leaf(b, i) for i in range(7)]
    created = dock.items_created
    window.scene.layers.remove(a)
    assert dock.tree.topLevelItemCount() == 1 and dock.tree.topLevelItem(0).text(0) == "b.ifc (7)"
    assert dock.items_created == created and all(dock.leaf(b, i) is kept[i] for i in range(7))
    assert dock.leaf(a, 0) is None
    a.data_changed.emit()  # a removed layer's late snapshot is ignored
    qtbot.wait(20)
    assert dock.tree.topLevelItemCount() == 1


def test_double_click_on_an_element_zooms_to_it(qtbot, window) -> None:
    """Press, release, double-click on the last, half-visible row: the row must not scroll away
    between the clicks, and the view zooms to that element."""
    dock = window.model_tree
    layer = BimLayer(name="row.ifc", data=_data(_elements(0, 40)))
    window.scene.layers.append(layer)
    window.canvas.zoom_to()
    dock.raise_()
    qtbot.waitUntil(dock.tree.isVisible)
    dock.tree.expandAll()
    height = dock.tree.viewport().height()
    index, leaf = next((i, dock.leaf(layer, i)) for i in range(40)
                       if dock.tree.visualItemRect(dock.leaf(layer, i)).top() < height < dock.tree.visualItemRect(dock.leaf(layer, i)).bottom())
    rect = dock.tree.visualItemRect(leaf)
    point = rect.center()
    point.setY((rect.top() + height) // 2)  # on the visible part of the row
    scrolled = dock.tree.verticalScrollBar().value()
    qtbot.mouseClick(dock.tree.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.scene.selection.index == index and dock.tree.verticalScrollBar().value() == scrolled
    qtbot.mouseDClick(dock.tree.viewport(), Qt.MouseButton.LeftButton, pos=point)
    focal = np.array(window.canvas.get_camera().focal_point)
    assert focal == pytest.approx([3.0 * index + 0.5, 0.5, 0.5], abs=1e-6)  # the centre of that element's box
    position = np.array(window.canvas.get_camera().position)
    assert np.linalg.norm(position - focal) < 10.0  # close to it, not the whole 120 m row


def test_isolate_and_show_all_leave_spaces_hidden(qtbot, window, tmp_path) -> None:
    from tests.ifc_fixtures import make_ifc_grid

    info = make_ifc_grid(tmp_path / "grid.ifc", 24, storeys=2)
    window.open_paths([str(tmp_path / "grid.ifc")])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    dock = window.model_tree
    spaces = [i for i, e in enumerate(layer.elements) if e.ifc_class == "IfcSpace"]
    assert len(spaces) == info["storeys"] and layer.hidden_mask()[spaces].all()
    for i in range(len(layer.elements)):  # every row has a box to tick, the hidden rooms' unticked
        assert dock.leaf(layer, i).data(0, Qt.ItemDataRole.CheckStateRole) is not None
        assert (dock.leaf(layer, i).checkState(0) == Qt.CheckState.Unchecked) == (i in spaces)

    dock.group_by.setCurrentText("Storey")
    root = dock.tree.topLevelItem(0)
    level0 = next(root.child(i) for i in range(root.childCount()) if root.child(i).text(0).startswith("Level 0 "))
    dock.tree.clearSelection()
    level0.setSelected(True)  # a storey holds its room too
    qtbot.mouseClick(dock.isolate_button, Qt.MouseButton.LeftButton)
    hidden = layer.hidden_mask()
    assert hidden[spaces].all()
    assert all(not hidden[i] for i, e in enumerate(layer.elements) if e.storey == "Level 0" and e.ifc_class != "IfcSpace")
    qtbot.mouseClick(dock.show_all_button, Qt.MouseButton.LeftButton)
    assert layer.hidden_mask().tolist() == [e.ifc_class == "IfcSpace" for e in layer.elements]

    dock.group_by.setCurrentText("Class")  # asked for by name: the rooms alone are shown
    root = dock.tree.topLevelItem(0)
    rooms = next(root.child(i) for i in range(root.childCount()) if root.child(i).text(0).startswith("IfcSpace "))
    dock.tree.clearSelection()
    rooms.setSelected(True)
    qtbot.mouseClick(dock.isolate_button, Qt.MouseButton.LeftButton)
    assert layer.hidden_mask().tolist() == [e.ifc_class != "IfcSpace" for e in layer.elements]
    qtbot.mouseClick(dock.show_all_button, Qt.MouseButton.LeftButton)  # shown explicitly: they stay
    assert not layer.hidden_mask().any()


def test_grouping_is_saved_with_the_project_and_restored(qtbot, window, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    from app.model.project import read_project, write_project
    from app.ui.main_window import MainWindow
    from tests.ifc_fixtures import make_ifc_grid

    make_ifc_grid(tmp_path / "grid.ifc", 12, storeys=2)
    window.open_paths([str(tmp_path / "grid.ifc")])
    wait_loaded(qtbot, window)
    window.model_tree.group_by.setCurrentText("Storey")
    write_project(window.scene, tmp_path / "site.twin")
    assert read_project(tmp_path / "site.twin").ui == {"model_tree": {"group_by": "Storey"}}

    again = MainWindow(settings=QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    try:
        assert again.model_tree.grouping == "Spatial structure"
        again.open_paths([str(tmp_path / "site.twin")])
        wait_loaded(qtbot, again)
        assert again.model_tree.grouping == "Storey"
        root = again.model_tree.tree.topLevelItem(0)
        assert {root.child(i).text(0).split(" (")[0] for i in range(root.childCount())} == {"Level 0", "Level 1"}
    finally:
        again.close()
        again.view.close()


def test_a_streamed_ifc_makes_each_row_once(qtbot, window, tmp_path, monkeypatch) -> None:
    """Loading through the real stream, one snapshot per batch: rows are made once, never rebuilt."""
    import app.model.opening as opening
    from tests.ifc_fixtures import make_ifc_grid

    monkeypatch.setattr(opening, "PARTIAL_EVERY_S", 0.0)
    monkeypatch.setattr(opening, "PARTIAL_BACKOFF", 0.0)
    make_ifc_grid(tmp_path / "grid.ifc", 700, storeys=3)
    dock = window.model_tree
    snapshots: list[int] = []
    window.scene.layers.inserted.connect(lambda _i, layer: layer.data_changed.connect(lambda: snapshots.append(1)))
    window.open_paths([str(tmp_path / "grid.ifc")])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    assert len(snapshots) >= 3  # 20 elements first, then batches of 200, then the final data
    rows = 1 + len(layer.elements) + sum(1 for _ in dock._rows[id(layer)].groups)
    assert dock.items_created == rows
    assert dock.tree.topLevelItem(0).text(0) == f"grid.ifc ({len(layer.elements)})"
