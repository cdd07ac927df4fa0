"""Navigation in the 3D view as a user drives it: a turntable that never rolls, and no raw VTK keys."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt

from tests.ui.conftest import wait_loaded, write_las


def _loaded(qtbot, window, tmp_path: Path):
    window.open_paths([str(write_las(tmp_path / "scan.las", n=5000))])
    wait_loaded(qtbot, window)
    window.canvas.render()
    return window.scene.layers[0]


def _drag(qtbot, view, path: list[tuple[int, int]], button=Qt.MouseButton.LeftButton,
          modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mousePress(view, button, modifier, QPoint(*path[0]))
    for x, y in path[1:]:
        qtbot.mouseMove(view, QPoint(x, y))
    qtbot.mouseRelease(view, button, modifier, QPoint(*path[-1]))


def _camera(window) -> tuple:
    c = window.canvas.plotter.camera
    return tuple(np.round(c.position, 6)), tuple(np.round(c.focal_point, 6)), tuple(np.round(c.up, 6))


def test_vtk_keys_do_nothing_in_the_view(qtbot, window, tmp_path: Path) -> None:
    """w (wireframe), s (surface), 3 (red/blue stereo), r (reset onto the ground grid), e and q
    (quit), p (pick), j/t (styles), v, + and -: none of VTK's or pyvista's keys reach the view."""
    layer = _loaded(qtbot, window, tmp_path)
    actors = [window.canvas.visuals[id(layer)].actor, window.canvas._ground]
    before = ([a.GetProperty().GetRepresentation() for a in actors], [a.GetProperty().GetPointSize() for a in actors],
              _camera(window), window.canvas.plotter.render_window.GetStereoRender())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)  # shortcuts go to the active window
    window.view.setFocus()
    for key in (Qt.Key.Key_W, Qt.Key.Key_S, Qt.Key.Key_3, Qt.Key.Key_R, Qt.Key.Key_Q, Qt.Key.Key_P, Qt.Key.Key_J,
                Qt.Key.Key_U, Qt.Key.Key_V, Qt.Key.Key_Plus, Qt.Key.Key_Minus, Qt.Key.Key_Up):
        qtbot.keyClick(window.view, key)
    qtbot.wait(50)
    after = ([a.GetProperty().GetRepresentation() for a in actors], [a.GetProperty().GetPointSize() for a in actors],
             _camera(window), window.canvas.plotter.render_window.GetStereoRender())
    assert after == before
    assert window.isVisible() and window.canvas.plotter.render_window is not None
    qtbot.keyClick(window.view, Qt.Key.Key_E)  # the app's own shortcut: View > Eye-dome lighting, not VTK's quit
    assert window.isVisible() and window.canvas.eye_dome_lighting


def test_terrain_orbit_keeps_the_horizon_level(qtbot, window, tmp_path: Path) -> None:
    _loaded(qtbot, window, tmp_path)
    assert window.canvas.navigation == "terrain"
    view = window.view
    cx, cy = view.width() // 2, view.height() // 2
    start = _camera(window)
    _drag(qtbot, view, [(cx, cy), (cx + 20, cy + 15), (cx + 40, cy - 30), (cx + 80, cy + 40), (cx + 120, cy - 60)])
    c = window.canvas.plotter.camera
    assert _camera(window)[0] != start[0]  # the drag did orbit
    assert np.allclose(c.up, (0, 0, 1))
    vtk_cam = window.canvas.plotter.renderer.GetActiveCamera()
    right = np.cross(np.array(vtk_cam.GetDirectionOfProjection()), np.array(vtk_cam.GetViewUp()))
    assert abs(right[2]) < 1e-9  # the screen's horizontal stays horizontal: no roll


def test_pan_and_zoom_move_without_rolling(qtbot, window, tmp_path: Path) -> None:
    _loaded(qtbot, window, tmp_path)
    view = window.view
    cx, cy = view.width() // 2, view.height() // 2
    cam = window.canvas.plotter.camera
    direction = np.subtract(cam.focal_point, cam.position)
    start = np.array(cam.position)
    _drag(qtbot, view, [(cx, cy), (cx + 30, cy), (cx + 60, cy + 20)], Qt.MouseButton.MiddleButton)
    moved = np.array(cam.position)
    assert np.linalg.norm(moved - start) > 0.1
    assert np.allclose(np.subtract(cam.focal_point, cam.position), direction)  # a pan does not turn
    distance = cam.distance
    _drag(qtbot, view, [(cx, cy), (cx, cy - 20), (cx, cy - 40)], Qt.MouseButton.RightButton)  # drag up: closer
    assert cam.distance < distance and np.allclose(cam.up, (0, 0, 1))


def test_wheel_zooms_toward_the_point_under_the_cursor(qtbot, window, tmp_path: Path) -> None:
    _loaded(qtbot, window, tmp_path)
    style = window.canvas.plotter.iren.style
    ren = window.canvas.plotter.renderer
    iren = window.canvas.plotter.iren.interactor
    w, h = ren.GetSize()
    x, y = int(w * 0.7), int(h * 0.6)
    iren.SetEventPosition(x, y)
    style.FindPokedRenderer(x, y)
    target = style.point_under(x, y)
    assert target is not None  # the cloud is under the cursor
    distance = window.canvas.plotter.camera.distance
    iren.MouseWheelForwardEvent()
    assert window.canvas.plotter.camera.distance < distance
    ren.SetWorldPoint(*target, 1.0)
    ren.WorldToDisplay()
    assert np.allclose(ren.GetDisplayPoint()[:2], (x, y), atol=1.0)  # that point stayed under the cursor


def test_trackball_is_an_option_saved_in_settings(qtbot, window, tmp_path: Path) -> None:
    from app.ui.main_window import MainWindow

    actions = {a.text().replace("&", ""): a for a in window.navigation_menu.actions()}
    assert actions["Terrain"].isChecked() and not actions["Trackball"].isChecked()
    actions["Trackball"].trigger()
    assert window.canvas.navigation == "trackball"
    _loaded(qtbot, window, tmp_path)
    view = window.view
    cx, cy = view.width() // 2, view.height() // 2
    _drag(qtbot, view, [(cx, cy), (cx + 10, cy - 40), (cx + 60, cy - 80)])
    assert not np.allclose(window.canvas.plotter.camera.up, (0, 0, 1))  # a trackball tilts the up vector
    actor = window.canvas.visuals[id(window.scene.layers[0])].actor
    representation = actor.GetProperty().GetRepresentation()
    for key in (Qt.Key.Key_W, Qt.Key.Key_S, Qt.Key.Key_3):
        qtbot.keyClick(window.view, key)  # VTK's keys are off in the trackball too
    assert actor.GetProperty().GetRepresentation() == representation
    assert not window.canvas.plotter.render_window.GetStereoRender()
    again = MainWindow(settings=window.settings)
    qtbot.addWidget(again)
    try:
        assert again.canvas.navigation == "trackball"  # remembered
        assert [a.text() for a in again.navigation_menu.actions() if a.isChecked()] == ["Trackball"]
    finally:
        again.close()
