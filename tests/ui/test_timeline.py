"""Timeline dock: play advances the scene clock, the slider, step buttons, keys, Set time, date ticks."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QPoint, Qt, QTime

from app.model.layers import PointCloudLayer
from app.ui.shortcuts import menu_shortcuts
from app.ui.timeline import date_ticks

AMS = ZoneInfo("Europe/Amsterdam")
ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? [+-]\d\d:\d\d Europe/Amsterdam$")


def _shown(qtbot, window):
    clock = window.scene.clock
    clock.set_zone("Europe/Amsterdam")
    clock.set_range("2015-02-18", "2015-12-17")
    clock.set_time("2015-03-01 14:00")
    window.timeline.show()
    qtbot.waitExposed(window.timeline)
    return window.timeline, clock


def test_hidden_until_asked_for_or_a_time_aware_layer_arrives(qtbot, window) -> None:
    @dataclass(eq=False)
    class TimedLayer(PointCloudLayer):  # drawn as a cloud; its class says it reads the clock
        time_aware: ClassVar[bool] = True

    assert not window.timeline.isVisible()
    toggle = window.timeline.toggleViewAction()
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert toggle.text() == "Timeline" and toggle in view.actions()  # View > Timeline
    window.scene.layers.append(PointCloudLayer(name="plain"))
    assert not window.timeline.isVisible()
    window.scene.layers.append(TimedLayer(name="schedule"))
    assert window.timeline.isVisible()


def test_play_advances_the_clock_and_the_label_shows_iso_time_with_its_zone(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    assert dock.time_label.text() == "2015-03-01 14:00 +01:00 Europe/Amsterdam"
    start = clock.time
    qtbot.mouseClick(dock.buttons["play"], Qt.MouseButton.LeftButton)
    assert clock.playing and dock.buttons["play"].text() == "Pause"
    qtbot.waitUntil(lambda: clock.time >= start + timedelta(days=1), timeout=10_000)  # a day per second
    qtbot.mouseClick(dock.buttons["play"], Qt.MouseButton.LeftButton)
    assert not clock.playing and not dock._timer.isActive() and dock.buttons["play"].text() == "Play"
    paused_at = clock.time
    qtbot.wait(150)
    assert clock.time == paused_at  # paused: the timer does not run
    assert ISO_WITH_ZONE.match(dock.time_label.text()) and dock.time_label.text() == clock.label()
    assert dock.slider.value() == round(clock.fraction() * 10_000)


def test_speed_and_step_boxes_set_the_clock(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    dock.speed_box.setCurrentIndex(dock.speed_box.findText("1 week per second"))
    dock.speed_box.activated.emit(dock.speed_box.currentIndex())
    assert clock.speed == 7 * 86400.0
    clock.set_speed(12345.0)  # set elsewhere: the box follows
    assert dock.speed_box.currentText() == "12,345x"
    dock.step_box.setCurrentText("month")
    dock.step_box.activated.emit(dock.step_box.currentIndex())
    assert clock.step == "month"


def test_dragging_the_slider_moves_the_clock(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    slider = dock.slider
    clock.to_start()
    handle = QPoint(8, slider.height() // 2)
    target = QPoint(slider.width() // 2, slider.height() // 2)
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=handle)
    qtbot.mouseMove(slider, pos=target)
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=target)
    assert 0.3 < clock.fraction() < 0.7  # about the middle of Feb..Dec 2015
    assert clock.start.month < clock.time.month < clock.end.month
    assert dock.time_label.text() == clock.label()


def test_step_buttons_move_by_the_step_size(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    clock.set_step("month")
    qtbot.mouseClick(dock.buttons["forward"], Qt.MouseButton.LeftButton)
    assert clock.time == datetime(2015, 4, 1, 14, 0, tzinfo=AMS)  # across the DST change: still 14:00
    qtbot.mouseClick(dock.buttons["back"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dock.buttons["back"], Qt.MouseButton.LeftButton)
    assert clock.time == datetime(2015, 2, 18, tzinfo=AMS)  # clamped to the start
    qtbot.mouseClick(dock.buttons["end"], Qt.MouseButton.LeftButton)
    assert clock.time == clock.end and dock.slider.value() == 10_000


def test_keys_work_while_the_timeline_has_the_focus_and_are_listed_in_help(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    clock.set_step("day")
    window.activateWindow()
    qtbot.waitActive(window)
    dock.slider.setFocus()
    qtbot.waitUntil(dock.slider.hasFocus)
    qtbot.keyClick(dock.slider, Qt.Key.Key_Right)
    assert clock.time == datetime(2015, 3, 2, 14, 0, tzinfo=AMS)
    qtbot.keyClick(dock.slider, Qt.Key.Key_Left)
    qtbot.keyClick(dock.slider, Qt.Key.Key_Left)
    assert clock.time == datetime(2015, 2, 28, 14, 0, tzinfo=AMS)
    qtbot.keyClick(dock.slider, Qt.Key.Key_End)
    assert clock.time == clock.end
    qtbot.keyClick(dock.slider, Qt.Key.Key_Home)
    assert clock.time == clock.start
    qtbot.keyClick(dock.slider, Qt.Key.Key_Space)
    assert clock.playing
    qtbot.keyClick(dock.slider, Qt.Key.Key_Space)
    assert not clock.playing
    rows = {(menu, action): keys for menu, action, keys in menu_shortcuts(window.menuBar())}
    assert rows[("View > Time", "Play")] == "Space" and rows[("View > Time", "Step Forward")] == "Right"
    assert rows[("View > Time", "Go to Start")] == "Home" and rows[("View > Time", "Go to End")] == "End"
    window.view.setFocus()  # elsewhere the keys are not the timeline's
    qtbot.waitUntil(window.view.hasFocus)
    qtbot.keyClick(window.view, Qt.Key.Key_End)
    assert clock.time == clock.start


def test_set_time_dialog_sets_wall_time_in_the_clock_zone(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    dock.set_time_action.trigger()
    dialog = dock.time_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.editor.setDateTime(QDateTime(QDate(2015, 6, 1), QTime(14, 0)))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dock.time_label.text() == "2015-06-01 14:00 +02:00 Europe/Amsterdam"
    dock.set_time_action.trigger()
    dock.time_dialog.editor.setDateTime(QDateTime(QDate(2030, 1, 1), QTime(0, 0)))  # past the range: held at its end
    qtbot.mouseClick(dock.time_dialog.ok_button, Qt.MouseButton.LeftButton)
    assert clock.time == clock.end


def test_date_ticks_adapt_to_the_range(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    labels = dock.ticks.labels()
    assert len(labels) >= 2 and [x for x, _ in labels] == sorted(x for x, _ in labels)
    assert all(re.fullmatch(r"\d{4}-\d\d(-\d\d)?", text) for _, text in labels)
    year = date_ticks(clock.start, clock.end, 12)
    assert [text for _, text in year][:3] == ["2015-03", "2015-04", "2015-05"]
    day = date_ticks(datetime(2015, 6, 1, tzinfo=AMS), datetime(2015, 6, 2, tzinfo=AMS), 8)
    assert [text for _, text in day][:2] == ["2015-06-01 00:00", "2015-06-01 03:00"]
    decade = date_ticks(datetime(2001, 5, 1, tzinfo=AMS), datetime(2011, 1, 1, tzinfo=AMS), 4)
    assert [text for _, text in decade] == ["2005", "2010"]
    clock.set_range("2015-06-01", "2015-06-08")  # a week: the ticks follow at once
    assert all(text.startswith("2015-06-") for _, text in dock.ticks.labels())


def test_close_project_resets_the_clock(qtbot, window) -> None:
    dock, clock = _shown(qtbot, window)
    qtbot.mouseClick(dock.buttons["play"], Qt.MouseButton.LeftButton)
    assert window.project_files.close_project()
    assert not clock.playing and not dock._timer.isActive()
    assert clock.zone == "UTC" and clock.start.year != 2015
    assert dock.time_label.text() == clock.label() and clock.label().endswith(" +00:00 UTC")


def test_the_bookmarks_menu_follows_the_scene_events(qtbot, window) -> None:
    from app.model.scene import Bookmark, Camera

    window.scene.bookmarks.append(Bookmark("gate", Camera((50.0, 0.0, 20.0))))
    assert [a.text() for a in window.bookmark_menu.actions()] == ["gate"]
    window.scene.bookmarks.clear()
    assert window.bookmark_menu.actions() == []
