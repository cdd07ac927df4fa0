"""Point clouds in the window as a user meets them: the view keeps turning while a large scan
is organised into an octree, detail follows a drag, and the point budget is a setting."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.model.scene import OCTREE_MIN_POINTS
from app.ui.point_budget import GPU_POINT_BUDGET, budget_for_renderer
from viewers.canvas import DEFAULT_POINT_BUDGET
from tests.ui.conftest import wait_loaded, write_las


def _mouse(view, kind: QEvent.Type, x: float, y: float, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    pos = QPointF(x, y)
    QApplication.sendEvent(view, QMouseEvent(kind, pos, view.mapToGlobal(pos), button, buttons,
                                             Qt.KeyboardModifier.NoModifier))


def _drag_step(view, x: float, y: float) -> None:
    _mouse(view, QEvent.Type.MouseMove, x, y, Qt.MouseButton.LeftButton)


def _press(view, x: float, y: float) -> None:
    _mouse(view, QEvent.Type.MouseButtonPress, x, y, Qt.MouseButton.LeftButton)


def _release(view, x: float, y: float) -> None:
    _mouse(view, QEvent.Type.MouseButtonRelease, x, y, Qt.MouseButton.NoButton)


def test_view_keeps_turning_while_an_octree_builds(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    import app.model.octree as octree

    window.open_paths([str(write_las(tmp_path / "small.las", n=5_000))])
    wait_loaded(qtbot, window)
    big = write_las(tmp_path / "big.las", n=OCTREE_MIN_POINTS * 3, seed=9, z_spread=30.0)
    # The real build runs in the loading worker; the gate only keeps it from finishing before
    # the test has dragged (a fast machine would otherwise build it between two mouse moves).
    gate, building, real_build = threading.Event(), threading.Event(), octree.build_octree

    def gated_build(*args, **kwargs):
        building.set()
        tree = real_build(*args, **kwargs)
        gate.wait(60)
        return tree

    monkeypatch.setattr(octree, "build_octree", gated_build)
    frames = []
    window.canvas.plotter.render_window.AddObserver("EndEvent", lambda *_: frames.append(1))
    task = window.open_paths([str(big)])
    view, cx, cy = window.view, window.view.width() / 2, window.view.height() / 2
    positions, moves_while_loading = [], 0
    qtbot.waitUntil(building.is_set, timeout=30_000)
    _press(view, cx, cy)
    for step in range(12):
        _drag_step(view, cx + 10 * step, cy)
        qtbot.wait(20)  # the event loop runs: renders, timers, the progress bar
        positions.append(tuple(window.canvas.plotter.camera.position))
        moves_while_loading += not task.done
    _release(view, cx, cy)
    gate.set()
    assert moves_while_loading == 12, "the load finished before the camera could be moved"
    assert len(set(positions)) >= 3, "the camera did not follow the drag while the octree was built"
    assert len(frames) >= 3, "no frames were drawn while the octree was built"
    wait_loaded(qtbot, window)
    layer = window.scene.layers[-1]
    assert layer.name == "big.las" and layer.data.get("octree") is not None
    assert layer.data["octree"].num_points == OCTREE_MIN_POINTS * 3


def test_detail_follows_a_drag_before_the_button_is_released(qtbot, window, tmp_path: Path) -> None:
    window.point_budget.set_budget(100_000)  # as the user does; a renderer default never overrides it
    window.open_paths([str(write_las(tmp_path / "big.las", n=OCTREE_MIN_POINTS + 100_000, seed=4, z_spread=20.0))])
    wait_loaded(qtbot, window)
    visual = next(iter(window.canvas.visuals.values()))
    window.canvas.zoom_to(view="top")
    window.canvas.plotter.camera.zoom(6.0)  # close to one corner's worth of cells
    window.canvas.update_lod()
    before = np.array(visual.nodes)
    view, cx, cy = window.view, window.view.width() / 2, window.view.height() / 2
    _press(view, cx, cy)
    changed = False
    for step in range(30):
        _drag_step(view, cx + 8 * step, cy + 6 * step)
        qtbot.wait(60)
        now = np.array(visual.nodes)
        if len(now) != len(before) or (now != before).any():
            changed = True
            break
    _release(view, cx, cy)
    assert changed, "the octree selection did not change during the drag"


def test_point_budget_menu_sets_and_remembers_the_budget(qtbot, window, tmp_path: Path) -> None:
    from app.ui.main_window import MainWindow

    action = next(a for a in window.menuBar().actions() if a.text() == "&View").menu().actions()
    entry = next(a for a in action if a.text().startswith("Point &budget"))
    entry.trigger()
    dialog = window.point_budget.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setIntValue(450_000)
    dialog.accept()
    assert window.canvas.point_budget == 450_000
    assert "450,000" in (window._update_stats() or window.drawn_label.toolTip())
    settings = QSettings(window.settings.fileName(), QSettings.Format.IniFormat)
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    try:
        assert again.canvas.point_budget == 450_000  # the user's choice beats the renderer default
    finally:
        again.close()


def test_default_budget_follows_the_renderer() -> None:
    assert budget_for_renderer("llvmpipe (LLVM 15.0.6, 256 bits)") == DEFAULT_POINT_BUDGET
    assert budget_for_renderer("") == DEFAULT_POINT_BUDGET
    assert budget_for_renderer("NVIDIA H100 80GB HBM3/PCIe/SSE2") == GPU_POINT_BUDGET
    assert budget_for_renderer("AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 17.0.6, DRM 3.54)") == GPU_POINT_BUDGET


def test_a_scan_without_crs_gets_its_epsg_code_from_the_place_dialog(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer

    from app.ui.place_dialog import PlaceDialog
    from tests.model.test_placement import _las_without_crs

    window.open_paths([str(write_las(tmp_path / "ref.las", n=500))])  # EPSG:4547: sets the scene frame
    wait_loaded(qtbot, window)
    window.open_paths([str(_las_without_crs(tmp_path / "nocrs.las"))])
    wait_loaded(qtbot, window)
    dock = window.layer_tree
    layer = window.scene.layers[-1]
    dock.tree.setCurrentItem(dock.item_for(layer))
    assert "\u26a0" in dock.item_for(layer).text(0)  # the missing CRS is visible in the tree
    assert dock.place_button.isEnabled()
    dialog = PlaceDialog(layer.name, (0.0, 0.0, 0.0), window)
    seen: list[str] = []

    def type_bad_then_good() -> None:
        qtbot.keyClicks(dialog.crs, "EPSG:99999999")
        dialog.accept()  # refused: the dialog stays open and says why
        seen.append(dialog.error.text())
        assert dialog.isVisible() and not dialog.lat.isEnabled()
        dialog.crs.clear()
        qtbot.keyClicks(dialog.crs, "4547")
        dialog.accept()

    QTimer.singleShot(100, type_bad_then_good)
    dock.place_current(dialog)
    assert seen and "not a coordinate reference system" in seen[0]
    assert layer.info["crs"] == "EPSG:4547"
    centre = layer.bounds().mean(0)
    lat, lon, _ = window.scene.frame.enu_to_lla(centre)[0]
    ref_lat, ref_lon, _ = window.scene.frame.enu_to_lla(window.scene.layers[0].bounds().mean(0))[0]
    assert abs(lat - ref_lat) < 5e-4 and abs(lon - ref_lon) < 5e-4  # both scans stand on the same block
