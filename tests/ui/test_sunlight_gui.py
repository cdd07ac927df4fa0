"""Analysis > Planning as a user drives it: shadows, sunlight hours, line of sight, viewshed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from app.model.layers import MeshLayer
from app.ui.project_files import ProjectFiles
from tests.analysis.test_sunlight import box, ground
from tests.ui.conftest import wait_loaded


@pytest.fixture
def win(window, monkeypatch):
    monkeypatch.setattr(ProjectFiles, "ask_save_changes", lambda self: QMessageBox.StandardButton.Discard)
    clock = window.scene.clock
    clock.set_zone("Asia/Shanghai")
    clock.set_range("2026-12-22T08:00", "2026-12-22T16:00")
    clock.set_time("2026-12-22T10:00")
    for part in (box(-5, -5, 5, 5, 30), box(-20, 20, 20, 23, 6), ground(40)):
        window.scene.layers.append(MeshLayer(name=part.name, data={"vertices": part.vertices, "faces": part.faces}))
    window.canvas.plotter.camera_position = [(0, -1, 160), (0, 0, 0), (0, 1, 0)]  # from above, north up
    window.canvas.render()
    return window


def _planning(win):
    for action in win.analysis_menu.actions():
        if action.menu() is not None and action.menu().title() == "&Planning":
            return {a.text().replace("&", ""): a for a in action.menu().actions() if a.text()}
    raise AssertionError("no Analysis > Planning menu")


def _click_world(qtbot, win, xyz) -> None:
    r = win.canvas.plotter.renderer
    r.SetWorldPoint(*xyz, 1.0)
    r.WorldToDisplay()
    x, y, _ = r.GetDisplayPoint()
    ratio = win.view.devicePixelRatioF()
    qtbot.mouseClick(win.view, Qt.MouseButton.LeftButton, pos=QPoint(int(x / ratio), int(win.view.height() - y / ratio)))


def test_shadows_toggle_in_view_and_planning(qtbot, win) -> None:
    actions = _planning(win)
    shadows = actions["Shadows (sun follows the clock)"]
    assert any(a is shadows for m in win.menuBar().actions() if m.menu() is not None and m.text().replace("&", "") == "View"
               for a in m.menu().actions())
    shadows.trigger()
    assert win.canvas.sun_light.enabled and win.canvas.sun_light.shadowed_cells > 0
    assert "elevation" in win.statusBar().currentMessage() and win.timeline.isVisible()
    before = win.canvas.sun_light.shadowed_cells
    win.scene.clock.set_time("2026-12-22T12:00")  # noon: shorter shadows
    assert win.canvas.sun_light.shadowed_cells < before
    shadows.trigger()
    assert not win.canvas.sun_light.enabled and win.scene.ui_state["sun"] == {"shadows": False}
    win.scene.ui_state["sun"] = {"shadows": True}  # a project saved with shadows on: its clock arrives last
    win.scene.clock.set_range("2026-12-22T09:00", "2026-12-22T15:00")
    assert shadows.isChecked() and win.canvas.sun_light.enabled


def test_sunlight_hours_dialog_adds_heat_map_legend_and_failing_facades(qtbot, win, tmp_path: Path) -> None:
    _planning(win)["Sunlight hours\u2026"].trigger()
    dialog = win.sunlight_dialog
    assert dialog.isVisible() and dialog.day.currentText().startswith("Winter solstice")
    assert dialog.window_box.currentText() == "09:00\u201315:00"
    dialog.day.setCurrentIndex(1)  # Great Cold: the standard's 8-16
    assert dialog.window_box.currentText() == "08:00\u201316:00"
    dialog.day.setCurrentIndex(0)
    dialog.step.setValue(60)
    dialog.grid.setValue(2.0)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, win, timeout=60_000)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    names = [layer.name for layer in win.scene.layers]
    assert any(n.startswith("Sunlight hours 2026-12-22 09:00-15:00 solar time") for n in names)  # GB 50180's solstice window
    assert any(n.startswith("Facades under 2 h") for n in names)
    heat = next(l for l in win.scene.layers if l.name.startswith("Sunlight hours"))
    legends = [lg.title for lg in win.canvas.visible_legends()]
    assert any(t.endswith("Sun hours (h)") for t in legends), legends
    assert "facade points under 2 h" in win.statusBar().currentMessage()
    win.layer_tree.tree.setCurrentItem(win.layer_tree.tree.topLevelItem(names.index(heat.name)))
    if win.layer_tree.current_layer() is not heat:  # the tree lists top layers first in some orders
        for i in range(win.layer_tree.tree.topLevelItemCount()):
            win.layer_tree.tree.setCurrentItem(win.layer_tree.tree.topLevelItem(i))
            if win.layer_tree.current_layer() is heat:
                break
    from app.ui.sunlight_dialog import export_current

    out = export_current(win, str(tmp_path / "hours.csv"))
    assert out and Path(out).read_text(encoding="utf-8").startswith("x_m,y_m,z_m,sun_hours (h)")


def test_bad_settings_show_a_message_not_a_traceback(qtbot, win) -> None:
    _planning(win)["Sunlight hours\u2026"].trigger()
    dialog = win.sunlight_dialog
    dialog.ground.setChecked(False)
    dialog.facades.setChecked(False)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.message.isVisible() and "nothing to compute" in dialog.message.text()
    dialog.ground.setChecked(True)
    dialog.facades.setChecked(True)
    dialog.grid.setValue(0.25)  # a long run (0.5 M samples, 24 steps), cancelled at once
    before = len(win.scene.layers)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.task is not None and not dialog.task.done
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, win, timeout=60_000)
    assert dialog.status.text() == "Cancelled: nothing was added." and len(win.scene.layers) == before
    dialog.close()


def test_line_of_sight_by_two_clicks_and_viewshed_by_one(qtbot, win) -> None:
    actions = _planning(win)
    actions["Line of sight (pick two points)"].trigger()
    _click_world(qtbot, win, (0.0, -30.0, 0.0))  # south of the tower, on the ground
    _click_world(qtbot, win, (0.0, 15.0, 0.0))  # north of it: the tower is in the way
    r = win.sight_tool.result
    assert r is not None and not r.visible and r.hit[1] == pytest.approx(-5.0, abs=0.05)
    assert "blocked" in win.statusBar().currentMessage()
    actions["Line of sight (pick two points)"].trigger()
    _click_world(qtbot, win, (-30.0, -30.0, 0.0))
    _click_world(qtbot, win, (30.0, -30.0, 0.0))  # along the open south side
    assert win.sight_tool.result.visible and "visible" in win.statusBar().currentMessage()
    actions["Viewshed (pick the observer)\u2026"].trigger()
    _click_world(qtbot, win, (0.0, -30.0, 0.0))
    wait_loaded(qtbot, win, timeout=60_000)
    layer = next(l for l in win.scene.layers if l.name.startswith("Viewshed from"))
    assert layer.info["derived"]["analysis"] == "viewshed"
    seen = layer.data["attributes"]["visible (1 = seen)"]
    assert 0 < seen.sum() < len(seen)
    assert "m\u00b2 of ground" in win.statusBar().currentMessage()
