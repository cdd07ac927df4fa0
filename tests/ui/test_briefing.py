"""Briefing mode as a presenter drives it: F11, the title card, PageDown/PageUp through a tour,
the laser dot, errors that never pop up over the audience, Esc back to the desk."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.model.scene import Bookmark, Camera
from tests.ui.conftest import wait_loaded, write_las


def _key(qtbot, win, key: Qt.Key) -> None:
    """A key as a keyboard or a presentation clicker sends it, to the window's focused view."""
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)  # shortcuts go to the active window
    qtbot.keyClick(win.view, key)
    qtbot.wait(10)


def _visible_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


@pytest.fixture
def briefing(qtbot, window):
    yield window
    window.briefing.leave()


def test_f11_enters_briefing_and_esc_restores_the_desk(qtbot, briefing) -> None:
    win = briefing
    font = QApplication.font().pointSizeF()
    assert win.layer_tree.isVisible() and win.menuBar().isVisible()
    win.stats_action.setChecked(True)
    _key(qtbot, win, Qt.Key.Key_F11)
    assert win.briefing.active and win.briefing.action.isChecked()
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    assert not win.layer_tree.isVisible() and not win.properties.isVisible()
    assert not win.menuBar().isVisible() and not win.statusBar().isVisible()
    assert QApplication.font().pointSizeF() >= 1.5 * font
    assert win.canvas.font_scale == 1.5 and win.canvas.legends.scale == 1.5 and win.canvas.scale_bar.scale == 1.5
    assert not win.stats_action.isChecked() and not win.canvas.stats_overlay.visible  # no debug overlays
    card = win.briefing.card
    assert card.isVisible() and card.geometry() == win.view.rect() and card.title == "Twinscape"
    _key(qtbot, win, Qt.Key.Key_Escape)
    assert not win.briefing.active and not win.briefing.action.isChecked()
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)
    assert win.layer_tree.isVisible() and win.properties.isVisible() and win.menuBar().isVisible()
    assert QApplication.font().pointSizeF() == font and win.canvas.font_scale == 1.0
    assert win.stats_action.isChecked()  # as it was


def test_bigger_texts_over_the_scene(qtbot, briefing) -> None:
    from viewers.legends import Legend

    legend = Legend("Classes", entries=(("Ground", (150, 100, 50)), ("Building", (200, 50, 50))))
    small = legend.size(scale=1.0)
    win = briefing
    win.briefing.enter()
    assert legend.size(scale=win.canvas.font_scale)[1] >= 1.45 * small[1]
    win.canvas.render()
    assert win.canvas.scale_bar.text.GetTextProperty().GetFontSize() >= 22  # 15 px at 1x


def _tour_scene(win) -> list[Camera]:
    from app.model.tours import Tour, TourStop

    cams = [Camera(position=(200.0, -200.0, 150.0)), Camera(position=(-120.0, 90.0, 60.0), focal_point=(5.0, 5.0, 0.0))]
    win.scene.bookmarks.extend([Bookmark("Overview", cams[0]), Bookmark("Site", cams[1])])
    win.scene.tours.append(Tour("Story", [TourStop("Overview", transition=0.0), TourStop("Site", transition=0.0)]))
    return cams


def test_pagedown_steps_the_tour_and_pageup_goes_back(qtbot, briefing) -> None:
    win = briefing
    cams = _tour_scene(win)
    win.briefing.enter()
    assert win.briefing.tour.name == "Story" and "2 stops" in win.briefing.card.subtitle
    _key(qtbot, win, Qt.Key.Key_PageDown)  # the clicker's "next": the title card goes, the first stop comes
    assert win.briefing.index == 0 and not win.briefing.card.isVisible()
    qtbot.waitUntil(lambda: np.allclose(win.canvas.get_camera().position, cams[0].position, atol=1e-3), timeout=3000)
    _key(qtbot, win, Qt.Key.Key_Right)
    assert win.briefing.index == 1
    qtbot.waitUntil(lambda: np.allclose(win.canvas.get_camera().position, cams[1].position, atol=1e-3), timeout=3000)
    _key(qtbot, win, Qt.Key.Key_PageDown)  # past the last stop: stays
    assert win.briefing.index == 1
    _key(qtbot, win, Qt.Key.Key_PageUp)
    assert win.briefing.index == 0
    _key(qtbot, win, Qt.Key.Key_Left)
    assert win.briefing.index == -1 and win.briefing.card.isVisible()


def test_laser_dot_follows_the_mouse(qtbot, briefing) -> None:
    win = briefing
    win.briefing.enter()
    win.briefing.next()  # off the title card, onto the view
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    laser = win.briefing.laser
    local = QPointF(120, 90)  # a move event as the view gets it (Xvfb has no window manager to place real ones)
    QApplication.sendEvent(win.view, QMouseEvent(QEvent.Type.MouseMove, local, win.view.mapToGlobal(local),
                                                 Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    assert laser.isVisible() and laser.centre() == (120, 90)
    assert laser.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # clicks still reach the view


def test_errors_during_briefing_go_to_the_indicator_never_a_box(qtbot, briefing, tmp_path: Path) -> None:
    win = briefing
    win.briefing.enter()
    bad = tmp_path / "broken.las"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    win.open_paths([str(bad)])
    wait_loaded(qtbot, win)
    assert win.errors and "broken.las" in win.errors[-1]
    assert win.message_box is None and _visible_boxes() == []
    indicator = win.briefing.indicator
    assert indicator.isVisible() and len(indicator.problems) == 1 and "broken.las" in indicator.toolTip()
    # any warning box that background work opens is kept off the screen and counted too
    box = QMessageBox(QMessageBox.Icon.Warning, "Feed", "broker refused the login", QMessageBox.StandardButton.Ok, win)
    box.setModal(False)
    box.show()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=2000)
    assert len(indicator.problems) == 2 and "broker refused" in indicator.toolTip()
    assert win.briefing.active and win.isFullScreen()  # the briefing goes on
    win.briefing.leave()
    assert "2 problem(s) during the briefing" in win.statusBar().currentMessage()


def test_notices_and_docks_wait_until_the_briefing_ends(qtbot, briefing) -> None:
    win = briefing
    win.briefing.enter()
    win.notices.area.add("far", "scan is 12,000 km from the scene origin")
    assert not win.notices.area.is_shown() and "12,000 km" in win.briefing.indicator.toolTip()
    win.timeline.show()  # a time-aware layer arriving would bring the timeline dock
    qtbot.waitUntil(lambda: not win.timeline.isVisible(), timeout=2000)
    win.briefing.leave()
    assert win.notices.area.is_shown() and win.timeline.isVisible()


class _SensorLike:
    """What briefing mode asks of a sensor layer (app/model/sensors.py): a privacy density switch."""

    def __init__(self) -> None:
        self.privacy_density = False

    def set_privacy_density(self, on: bool) -> None:
        self.privacy_density = on


def test_sensor_layers_show_density_while_briefing(qtbot, briefing, tmp_path: Path, monkeypatch) -> None:
    win = briefing
    win.open_paths([str(write_las(tmp_path / "scan.las", n=2000))])
    wait_loaded(qtbot, win)
    layer = win.scene.layers[0]
    sensor = _SensorLike()
    monkeypatch.setattr(layer, "set_privacy_density", sensor.set_privacy_density, raising=False)
    win.briefing.enter()
    assert sensor.privacy_density is True
    win.briefing.leave()
    assert sensor.privacy_density is False
