"""Briefing mode as a presenter drives it: F11, the title card, PageDown/PageUp through a tour,
the laser dot, errors that never pop up over the audience, Esc back to the desk."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.model.scene import Bookmark, Camera
from tests.ui.conftest import wait_loaded


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


class _SensorLike:
    """What briefing mode asks of a sensor layer (app/model/sensors.py): a privacy density switch."""

    def __init__(self) -> None:
        self.privacy_density = False

    def set_privacy_density(self, on: bool) -> None:
        self.privacy_density = on


def test_f11_enters_briefing_and_esc_restores_the_desk(qtbot, briefing, monkeypatch) -> None:
    from tests.viewers.test_legends import _cloud
    from viewers.legends import Legend

    win = briefing
    layer = _cloud("Sensors", "elevation")
    sensor = _SensorLike()
    monkeypatch.setattr(layer, "set_privacy_density", sensor.set_privacy_density, raising=False)
    win.scene.layers.append(layer)
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
    legend = Legend("Classes", entries=(("Ground", (150, 100, 50)), ("Building", (200, 50, 50))))
    assert legend.size(scale=win.canvas.font_scale)[1] >= 1.45 * legend.size()[1]
    win.canvas.render()
    assert win.canvas.scale_bar.text.GetTextProperty().GetFontSize() >= 22  # 15 px at 1x
    assert not win.stats_action.isChecked() and not win.canvas.stats_overlay.visible  # no debug overlays
    assert sensor.privacy_density is True  # sensors as density, never individuals, in front of an audience
    card = win.briefing.card
    assert card.isVisible() and card.geometry() == win.view.rect() and card.title == "Twinscape"
    _key(qtbot, win, Qt.Key.Key_PageDown)  # no tour: one step, the view as it is
    assert not card.isVisible()
    laser = win.briefing.laser
    local = QPointF(120, 90)  # a move event as the view gets it (Xvfb has no window manager to place real ones)
    QApplication.sendEvent(win.view, QMouseEvent(QEvent.Type.MouseMove, local, win.view.mapToGlobal(local),
                                                 Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    assert laser.isVisible() and laser.centre() == (120, 90)
    assert laser.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # clicks still reach the view
    _key(qtbot, win, Qt.Key.Key_Escape)
    assert not win.briefing.active and not win.briefing.action.isChecked()
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)
    assert win.layer_tree.isVisible() and win.properties.isVisible() and win.menuBar().isVisible()
    assert QApplication.font().pointSizeF() == font and win.canvas.font_scale == 1.0
    assert win.stats_action.isChecked() and sensor.privacy_density is False  # as they were
    assert win.briefing.laser is None and win.view.cursor().shape() != Qt.CursorShape.BlankCursor


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
    assert win.briefing.tour.name == "Story" and win.briefing.card.subtitle == "Story \u00b7 2 stops"
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
    qtbot.mouseClick(win.briefing.card, Qt.MouseButton.LeftButton)  # a click on the card begins too
    assert win.briefing.index == 0 and not win.briefing.card.isVisible()


def test_nothing_pops_up_over_the_audience(qtbot, briefing, tmp_path: Path, monkeypatch) -> None:
    from app.sources.readings import FeedStats

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
    question = QMessageBox(QMessageBox.Icon.Question, "Save?", "Save the changes?", QMessageBox.StandardButton.Yes, win)
    question.show()  # a question needs its answer: it is not swallowed
    assert question.isVisible() and len(indicator.problems) == 2
    question.close()
    # a notice (a far layer) and a dock that would appear wait for the end of the briefing
    win.notices.area.add("far", "scan is 12,000 km from the scene origin")
    assert not win.notices.area.is_shown() and "12,000 km" in indicator.toolTip()
    win.timeline.show()  # a time-aware layer arriving would bring the timeline dock
    qtbot.waitUntil(lambda: not win.timeline.isVisible(), timeout=2000)
    # the broker stopped (network cable pulled): the feed reconnects on its own, counted once
    stats = FeedStats(state="reconnecting", message="connection lost, reconnecting")
    hub = SimpleNamespace(feed=SimpleNamespace(url="mqtt://broker:1883/city/#", stats=stats), layers=[])
    monkeypatch.setattr(win.live, "hubs", {"city": hub})
    win.briefing._watch_feeds()
    win.briefing._watch_feeds()
    assert len(indicator.problems) == 4 and "mqtt://broker:1883/city/#: connection lost" in indicator.problems[-1]
    assert win.briefing.active and win.isFullScreen()  # the briefing goes on
    monkeypatch.setattr(win.live, "hubs", {})
    win.briefing.leave()
    assert "4 problem(s) during the briefing" in win.statusBar().currentMessage()
    assert win.notices.area.is_shown() and win.timeline.isVisible()
