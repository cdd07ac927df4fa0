"""Measuring, the section box and labels as a user drives them: clicks on a known box, keys, the
Measurements dock, the project file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from app.model import BimLayer
from app.model.annotations import Annotation, Section
from app.model.project import read_project, write_project
from tests.ui.conftest import wait_loaded


def _box(win) -> BimLayer:
    box = pv.Box((-10, 10, -10, 10, 0, 20)).triangulate()
    layer = BimLayer(name="box", data={"vertices": np.asarray(box.points, float), "faces": box.faces.reshape(-1, 4)[:, 1:]})
    win.scene.layers.append(layer)
    win.canvas.zoom_to(view="top")
    win.canvas.render()
    return layer


def _screen(win, p, inward=(0.0, 0.0)) -> QPoint:
    """Where a world point is in the view's Qt coordinates, nudged a few pixels (onto the roof)."""
    r = win.canvas.plotter.renderer
    r.SetWorldPoint(*p, 1.0)
    r.WorldToDisplay()
    x, y, _ = r.GetDisplayPoint()
    ratio = win.view.devicePixelRatioF()
    return QPoint(int(round(x / ratio + inward[0])), int(round(win.view.height() - y / ratio + inward[1])))


def _click(qtbot, win, pos: QPoint) -> None:
    qtbot.mouseClick(win.view, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.wait(20)


def test_distance_between_two_clicks(qtbot, window) -> None:
    _box(window)
    window.measure.mode_actions["distance"].trigger()
    assert window.measure.tool.mode == "distance" and window.view.cursor().shape() == Qt.CursorShape.CrossCursor
    _click(qtbot, window, _screen(window, (-10, -10, 20), (3, -3)))  # near a roof corner: snaps to it
    assert window.measure.tool.last_snap == "vertex"
    _click(qtbot, window, _screen(window, (10, -10, 20), (-3, -3)))
    dock = window.measure.dock
    assert dock.isVisible() and dock.measurements.rowCount() == 1
    assert dock.measurements.item(0, 1).text() == "20.00 m"
    assert "horizontal 20.00 m" in dock.measurements.item(0, 2).text()
    assert window.scene.selection.layer is None  # measuring clicks do not select
    dock.measurements.selectRow(0)
    dock.copy_selected()
    assert QGuiApplication.clipboard().text() == "Distance: 20.00 m; horizontal 20.00 m; vertical +0.00 m"
    window.measure.cancel_action.trigger()  # Esc
    assert window.measure.tool.mode == "" and not window.measure.mode_actions["distance"].isChecked()


def test_polygon_area_finished_with_enter(qtbot, window) -> None:
    _box(window)
    window.measure.mode_actions["polygon"].trigger()
    for corner, nudge in (((-10, -10, 20), (3, -3)), ((10, -10, 20), (-3, -3)), ((10, 10, 20), (-3, 3))):
        _click(qtbot, window, _screen(window, corner, nudge))
    assert window.scene.annotations == [] and len(window.measure.tool.points) == 3
    assert window.canvas.annotations.pending  # the rubber band
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert len(window.scene.annotations) == 1
    assert window.measure.dock.measurements.item(0, 1).text() == "200.0 m\u00b2"
    assert window.measure.tool.mode == "polygon"  # ready for the next one


def test_height_above_ground(qtbot, window) -> None:
    _box(window)
    window.measure.mode_actions["height"].trigger()
    _click(qtbot, window, _screen(window, (0, 0, 20)))
    assert window.measure.dock.measurements.item(0, 1).text() == "20.00 m"  # roof over the box's base


def test_section_box_hides_the_outside_and_is_saved(qtbot, window, tmp_path: Path) -> None:
    _box(window)
    left = _screen(window, (-6, 0, 20))
    ratio = window.view.devicePixelRatioF()

    def pixel(pos: QPoint) -> np.ndarray:
        window.canvas.render()
        img = window.view.grab().toImage()
        c = img.pixelColor(int(pos.x() * ratio), int(pos.y() * ratio))
        return np.array([c.red(), c.green(), c.blue()])

    roof = pixel(left)
    window.measure.box_action.trigger()
    assert window.scene.section is not None and window.scene.section.kind == "box"
    assert window.canvas.section.widget is not None  # draggable handles
    window.scene.section = Section.box_from_bounds((0, -30, -5), (30, 30, 40))  # as if its -x face were dragged
    cut = pixel(left)
    assert cut[2] > cut[0] + 20 and abs(int(roof[0]) - int(cut[0])) > 20, (roof, cut)
    path = tmp_path / "p.twin"
    write_project(window.scene, path)
    spec = read_project(path)
    assert spec.section.kind == "box" and np.allclose(spec.section.origin, (15, 0, 17.5))
    window.measure.box_action.trigger()  # off again
    assert window.scene.section is None
    assert abs(int(pixel(left)[0]) - int(roof[0])) < 20


def test_label_added_listed_saved_and_reopened(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    from app.ui import measure_tool

    _box(window)
    monkeypatch.setattr(measure_tool.QInputDialog, "getText", staticmethod(lambda *a, **k: ("Main entrance", True)))
    window.measure.label_action.trigger()
    _click(qtbot, window, _screen(window, (0, 0, 20)))
    items = [i for i in window.scene.annotations if isinstance(i, Annotation)]
    assert len(items) == 1 and items[0].text == "Main entrance" and items[0].anchor[2] == pytest.approx(20.0)
    dock = window.measure.dock
    assert dock.tabs.currentIndex() == 1 and dock.labels.item(0, 0).text() == "Main entrance"
    assert "Main entrance" in window.canvas.annotations.labels
    dock.labels.cellWidget(0, 1).setCurrentText("warning")  # the marker, edited in the dock
    assert window.scene.annotations[0].marker == "warning"
    path = tmp_path / "labels.twin"
    write_project(window.scene, path)
    window.project_files.close_project()
    assert len(window.scene.annotations) == 0 and dock.labels.rowCount() == 0
    window.open_paths([str(path)])
    wait_loaded(qtbot, window)
    assert dock.labels.rowCount() == 1 and dock.labels.item(0, 0).text() == "Main entrance"
    assert window.scene.annotations[0].marker == "warning"


def test_every_tool_key_is_listed_in_help(window) -> None:
    from app.ui.shortcuts import menu_shortcuts

    rows = {(action, keys) for _menu, action, keys in menu_shortcuts(window.menuBar())}
    for action, keys in (("Distance", "M"), ("Polygon area", "Ctrl+M"), ("Section box", "B"), ("Add label", "N"),
                         ("Cancel measurement", "Esc")):
        assert (action, keys) in rows, (action, keys)


def test_polyline_finished_by_double_click_and_point_coordinates(qtbot, window) -> None:
    window.scene.frame.origin_lla = (30.6, 114.3, 20.0)
    window.scene.frame.display_crs = "EPSG:4547"
    _box(window)
    window.measure.mode_actions["polyline"].trigger()
    a, b = _screen(window, (-10, -10, 20), (3, -3)), _screen(window, (10, -10, 20), (-3, -3))
    _click(qtbot, window, a)
    _click(qtbot, window, b)
    qtbot.mouseDClick(window.view, Qt.MouseButton.LeftButton, pos=b)
    qtbot.wait(20)
    assert len(window.scene.annotations) == 1
    assert window.scene.annotations[0].values()[0][1] == pytest.approx(20.0)
    window.measure.mode_actions["point"].trigger()
    _click(qtbot, window, _screen(window, (-10, -10, 20), (3, -3)))
    dock = window.measure.dock
    assert [i.kind for i in window.scene.annotations] == ["polyline", "point"], window.statusBar().currentMessage()
    dock.measurements.selectRow(1)
    dock.copy_selected()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("Point: E -10.000 m; N -10.000 m; U 20.000 m; EPSG:4547 ")
    assert "lat 30.59" in text and "lon 114.29" in text


def test_dragging_a_box_handle_moves_its_face(qtbot, window) -> None:
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    _box(window)
    window.scene.section = Section.box_from_bounds((-5, -5, -1), (5, 5, 25))
    window.canvas.render()
    camera = window.canvas.get_camera()
    a, b = QPointF(_screen(window, (5, 0, 12))), QPointF(_screen(window, (9, 0, 12)))  # the +x face's handle

    def send(kind, pos: QPointF, button, buttons) -> None:
        QApplication.sendEvent(window.view, QMouseEvent(kind, pos, window.view.mapToGlobal(pos), button, buttons,
                                                        Qt.KeyboardModifier.NoModifier))
        qtbot.wait(10)

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseMove, a, none, none)
    send(QEvent.Type.MouseButtonPress, a, left, left)
    for t in np.linspace(0.2, 1.0, 5):
        send(QEvent.Type.MouseMove, QPointF(a.x() + (b.x() - a.x()) * t, a.y()), none, left)
    send(QEvent.Type.MouseButtonRelease, b, left, none)
    section = window.scene.section
    lo = np.asarray(section.origin) - section.half_size
    hi = np.asarray(section.origin) + section.half_size
    assert hi[0] == pytest.approx(9.0, abs=0.5) and lo[0] == pytest.approx(-5.0, abs=1e-6)  # only that face moved
    assert window.canvas.get_camera().position == pytest.approx(camera.position)  # the drag did not orbit


def test_a_new_window_is_clean_and_a_measurement_is_an_unsaved_change(qtbot, window) -> None:
    assert window.scene.dirty is False
    window.scene.annotations.append(Annotation("Gate", (0.0, 0.0, 0.0)))
    assert window.scene.dirty is True
