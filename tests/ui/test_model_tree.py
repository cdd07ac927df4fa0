"""The model tree as a project manager uses it on a real IFC: find, select, hide, isolate, show all."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from tests.conftest import corpus_file
from tests.ui.conftest import wait_loaded


def _open_fzk(qtbot, window):
    window.open_paths([str(corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc"))])
    wait_loaded(qtbot, window)
    return window.scene.layers[0]


def test_tree_lists_elements_and_follows_selection(qtbot, window) -> None:
    layer = _open_fzk(qtbot, window)
    dock = window.model_tree
    root = dock.tree.topLevelItem(0)
    assert root.text(0).startswith("AC20-FZK-Haus.ifc (") and f"({len(layer.elements)})" in root.text(0)
    dock.group_by.setCurrentText("Class")
    classes = {dock.tree.topLevelItem(0).child(i).text(0).split(" (")[0] for i in range(dock.tree.topLevelItem(0).childCount())}
    assert {"IfcWallStandardCase", "IfcSlab", "IfcWindow"} <= classes
    # search a GlobalId, Enter selects it, the properties dock shows it
    wall = next(i for i, e in enumerate(layer.elements) if e.ifc_class == "IfcWallStandardCase")
    qtbot.keyClicks(dock.search, layer.elements[wall].id)
    qtbot.keyClick(dock.search, Qt.Key.Key_Return)
    assert window.scene.selection.index == wall
    assert window.properties.value("GlobalId") == layer.elements[wall].id
    # a pick in the 3D view selects the element's row in the tree
    dock.search.clear()
    window.canvas.zoom_to(view="north")
    window.canvas.render()
    qtbot.mouseClick(window.view, Qt.MouseButton.LeftButton, pos=QPoint(window.view.width() // 2, window.view.height() // 2))
    picked = window.scene.selection
    assert picked.index >= 0
    assert [int(i.data(0, Qt.ItemDataRole.UserRole)) for i in dock.tree.selectedItems()] == [picked.index]


def test_hide_isolate_and_show_all(qtbot, window) -> None:
    layer = _open_fzk(qtbot, window)
    dock = window.model_tree
    dock.group_by.setCurrentText("Class")
    drawn_all = window.canvas.stats()["triangles_drawn"]
    walls = next(dock.tree.topLevelItem(0).child(i) for i in range(dock.tree.topLevelItem(0).childCount())
                 if dock.tree.topLevelItem(0).child(i).text(0).startswith("IfcWallStandardCase "))
    dock.tree.clearSelection()
    walls.setSelected(True)
    qtbot.mouseClick(dock.isolate_button, Qt.MouseButton.LeftButton)
    n_walls = sum(1 for e in layer.elements if e.ifc_class == "IfcWallStandardCase")
    assert len(layer.elements) - layer.hidden_mask().sum() == n_walls
    isolated = window.canvas.stats()["triangles_drawn"]
    assert 0 < isolated < drawn_all
    first_wall = walls.child(0)
    first_wall.setCheckState(0, Qt.CheckState.Unchecked)  # the user unticks one wall
    qtbot.waitUntil(lambda: layer.hidden_mask()[int(first_wall.data(0, Qt.ItemDataRole.UserRole))], timeout=2000)
    assert window.canvas.stats()["triangles_drawn"] < isolated
    rebuilds: list[int] = []
    layer.events.hidden.connect(lambda *_: rebuilds.append(1))
    walls.setCheckState(0, Qt.CheckState.Unchecked)  # untick the whole class: one change, not one per wall
    qtbot.waitUntil(lambda: window.canvas.stats()["triangles_drawn"] == 0, timeout=2000)
    assert len(rebuilds) == 1
    qtbot.mouseClick(dock.show_all_button, Qt.MouseButton.LeftButton)
    hidden = layer.hidden_mask()  # Show all: everything but spaces and openings, which load hidden
    assert all(layer.elements[i].ifc_class in ("IfcSpace", "IfcOpeningElement") for i in hidden.nonzero()[0])
    assert not any(hidden[i] for i, e in enumerate(layer.elements) if not e.hidden_by_default)
    assert first_wall.checkState(0) == Qt.CheckState.Checked
    assert window.canvas.stats()["triangles_drawn"] >= drawn_all


def test_pick_a_wall_shows_globalid_and_pset_wallcommon(qtbot, window) -> None:
    import numpy as np
    import vtk

    layer = _open_fzk(qtbot, window)
    walls = [i for i, e in enumerate(layer.elements)
             if e.ifc_class.startswith("IfcWall") and any(k.startswith("Pset_WallCommon.") for k in e.properties)]
    assert walls
    window.model_tree.group_by.setCurrentText("Class")
    layer.isolate(walls)  # nothing stands in front of the walls
    faces = layer.data["faces"][np.asarray(layer.data["face_element"]) == walls[0]]
    tri = layer.data["vertices"][faces[np.argmax(np.linalg.norm(np.cross(
        layer.data["vertices"][faces[:, 1]] - layer.data["vertices"][faces[:, 0]],
        layer.data["vertices"][faces[:, 2]] - layer.data["vertices"][faces[:, 0]]), axis=1))]]
    centre, normal = tri.mean(0), np.cross(tri[1] - tri[0], tri[2] - tri[0])
    normal /= np.linalg.norm(normal)
    from app.model.scene import Camera

    window.canvas.set_camera(Camera(tuple(centre + normal * 25), tuple(centre), (0.0, 0.0, 1.0)))  # face the wall
    window.canvas.render()
    coord = vtk.vtkCoordinate()
    coord.SetCoordinateSystemToWorld()
    coord.SetValue(*centre)
    x, y = coord.GetComputedDisplayValue(window.canvas.plotter.renderer)
    ratio = window.view.devicePixelRatioF()
    qtbot.mouseClick(window.view, Qt.MouseButton.LeftButton, pos=QPoint(int(x / ratio), int(window.view.height() - y / ratio)))
    props = window.properties
    assert props.value("GlobalId") == layer.elements[walls[0]].id
    assert any(key.startswith("Pset_WallCommon.") for key in props.keys())
