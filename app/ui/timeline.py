"""Timeline dock: the SceneClock's controls. A slider with ISO date ticks, play/pause, speed,
step size and step buttons, the current time with its zone, and a "Set time..." editor.

Why it is shaped so: the clock is the model (app/model/clock.py, no Qt, no timer); this dock only
edits it and reacts to its events (nothing polls it). While the clock plays, a 20 Hz GUI QTimer
calls `clock.advance(real seconds since the last tick)`; paused, the timer does not run at all.
Keys (listed under Time in Help > Keyboard shortcuts) act while the dock has the focus, so
Left/Right/Home/End/Space keep their usual meaning in the 3D view and text fields.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QElapsedTimer, QPoint, QRect, Qt, QTime, QTimer
from PySide6.QtGui import QAction, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QDockWidget, QFormLayout, QHBoxLayout, QLabel, QSlider,
    QStyle, QStyleOptionSlider, QToolButton, QVBoxLayout, QWidget,
)

from app.model.clock import SPEED_PRESETS, STEPS, SceneClock, shifted
from app.ui.i18n import QT_TR_NOOP, tr

SLIDER_STEPS = 10_000
TICK_HZ = 20
TICK_GAP_PX = 24  # free space between two tick labels
# tick spacings, finest first: (step, count, label format)
TICK_UNITS: tuple[tuple[str, int, str], ...] = (
    ("hour", 1, "%Y-%m-%d %H:%M"), ("hour", 3, "%Y-%m-%d %H:%M"), ("hour", 6, "%Y-%m-%d %H:%M"),
    ("hour", 12, "%Y-%m-%d %H:%M"), ("day", 1, "%Y-%m-%d"), ("day", 2, "%Y-%m-%d"), ("week", 1, "%Y-%m-%d"),
    ("week", 2, "%Y-%m-%d"), ("month", 1, "%Y-%m"), ("month", 3, "%Y-%m"), ("month", 6, "%Y-%m"),
    ("year", 1, "%Y"), ("year", 5, "%Y"), ("year", 10, "%Y"), ("year", 50, "%Y"), ("year", 100, "%Y"),
)


def _floor(t: datetime, step: str, count: int) -> datetime:
    """The tick at or before `t` on a round boundary of the unit (midnight, 1st of the month...)."""
    if step == "hour":
        return t.replace(hour=t.hour - t.hour % count, minute=0, second=0, microsecond=0)
    t = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if step == "week":
        return shifted(t, "day", -t.weekday())  # Mondays, as ISO weeks
    if step == "month":
        return t.replace(day=1, month=t.month - (t.month - 1) % count)
    if step == "year":
        return t.replace(day=1, month=1, year=t.year - t.year % count)
    return t


def date_ticks(start: datetime, end: datetime, max_ticks: int) -> list[tuple[datetime, str]]:
    """Round ISO-labelled times inside [start, end]: the finest spacing that gives at most
    `max_ticks` (hours for a day, days for a week, months for a year...)."""
    span = (end - start).total_seconds()
    if span <= 0 or max_ticks < 1:
        return []
    approx = {"hour": 3600.0, "day": 86400.0, "week": 604800.0, "month": 2629746.0, "year": 31556952.0}
    for step, count, fmt in TICK_UNITS:
        if span / (approx[step] * count) <= max_ticks or (step, count) == TICK_UNITS[-1][:2]:
            break
    out: list[tuple[datetime, str]] = []
    t = _floor(start, step, count)
    for _ in range(max_ticks + 2):  # bounded: never more ticks than fit
        if t > end:
            break
        if t >= start:
            out.append((t, t.strftime(fmt)))
        t = shifted(_floor(t, step, count), step, count)
    return out


class DateTicks(QWidget):
    """Tick marks and ISO labels under the slider, at the slider's own positions."""

    def __init__(self, clock: SceneClock, slider: QSlider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock, self.slider = clock, slider
        self.setMinimumHeight(self.fontMetrics().height() + 8)

    def _groove(self) -> tuple[int, int]:
        """Pixel x of the slider's minimum and maximum handle centres, in this widget."""
        opt = QStyleOptionSlider()
        self.slider.initStyleOption(opt)
        handle = self.slider.style().pixelMetric(QStyle.PixelMetric.PM_SliderLength, opt, self.slider)
        left = self.mapFromGlobal(self.slider.mapToGlobal(QPoint(0, 0))).x() + handle // 2
        return left, left + max(1, self.slider.width() - handle)

    def labels(self) -> list[tuple[int, str]]:
        """(x, text) of every tick drawn now."""
        left, right = self._groove()
        ticks: list[tuple[datetime, str]] = []
        for sample in ("0000", "0000-00", "0000-00-00", "0000-00-00 00:00"):  # short labels fit more ticks
            ticks = date_ticks(self.clock.start, self.clock.end,
                               max(1, (right - left) // (self.fontMetrics().horizontalAdvance(sample) + TICK_GAP_PX)))
            if all(len(text) <= len(sample) for _, text in ticks):
                break
        span = (self.clock.end - self.clock.start).total_seconds() or 1.0
        return [(round(left + (right - left) * (t - self.clock.start).total_seconds() / span), text) for t, text in ticks]

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        metrics = self.fontMetrics()
        for x, text in self.labels():
            painter.drawLine(x, 0, x, 4)
            w = metrics.horizontalAdvance(text)
            painter.drawText(QRect(min(max(0, x - w // 2), self.width() - w), 5, w, metrics.height()),
                             Qt.AlignmentFlag.AlignCenter, text)
        painter.end()


STEP_WORDS = (QT_TR_NOOP("minute"), QT_TR_NOOP("hour"), QT_TR_NOOP("day"), QT_TR_NOOP("week"), QT_TR_NOOP("month"),
              QT_TR_NOOP("year"))  # the clock's step keys (app.model.clock.STEPS), shown translated


class SetTimeDialog(QDialog):
    """Type a date and time (wall-clock time in the clock's zone), within the clock's range."""

    def __init__(self, clock: SceneClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setWindowTitle(tr("Set time"))
        self.editor = QDateTimeEdit(_qt(clock.time))
        self.editor.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.editor.setCalendarPopup(True)
        self.editor.setDateTimeRange(_qt(clock.start), _qt(clock.end))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        form = QFormLayout(self)
        form.addRow(tr('Time ({v0}):').format(v0=clock.zone), self.editor)
        form.addRow(buttons)

    def accept(self) -> None:
        d, t = self.editor.dateTime().date(), self.editor.dateTime().time()
        self.clock.set_time(datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()))  # wall time in its zone
        super().accept()


def _qt(t: datetime) -> QDateTime:
    """The wall-clock fields as Qt shows them, with no zone conversion by Qt."""
    return QDateTime(QDate(t.year, t.month, t.day), QTime(t.hour, t.minute, t.second))


def _speed_text(speed: float) -> str:
    for label, value in SPEED_PRESETS.items():
        if value == speed:
            return label
    return f"{speed:,.0f}x" if speed < 86400 else tr('{v0:,.3g} days per second').format(v0=speed / 86400)


class TimelineDock(QDockWidget):
    def __init__(self, clock: SceneClock, parent: QWidget | None = None) -> None:
        super().__init__(tr("Timeline"), parent)
        self.setObjectName("TimelineDock")
        self.clock = clock
        body = QWidget(self)
        body.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click anywhere in the dock gives it the keys
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slider.valueChanged.connect(self._on_slider)
        self.ticks = DateTicks(clock, self.slider, body)
        self.time_label = QLabel()
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.speed_box = QComboBox()
        self.speed_box.setToolTip(tr("Simulated time per real second while playing"))
        for label, value in SPEED_PRESETS.items():
            self.speed_box.addItem(label, value)
        self.speed_box.activated.connect(lambda i: self.clock.set_speed(float(self.speed_box.itemData(i))))
        self.step_box = QComboBox()
        self.step_box.setToolTip(tr("How far the step buttons and Left/Right move"))
        for step in STEPS:  # shown translated, the clock's key as item data
            self.step_box.addItem(tr(step), step)
        self.step_box.activated.connect(lambda i: self.clock.set_step(self.step_box.itemData(i)))
        self._build_actions()
        self.buttons: dict[str, QToolButton] = {}
        row = QHBoxLayout()
        icons = {"start": "SP_MediaSkipBackward", "back": "SP_MediaSeekBackward", "play": "SP_MediaPlay",
                 "forward": "SP_MediaSeekForward", "end": "SP_MediaSkipForward"}
        for key in ("start", "back", "play", "forward", "end"):
            button = QToolButton()
            button.setDefaultAction(self.actions_by_key[key])
            button.setIcon(self.style().standardIcon(getattr(QStyle.StandardPixmap, icons[key])))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.buttons[key] = button
            row.addWidget(button)
        row.addWidget(self.time_label, 1)
        set_button = QToolButton()
        set_button.setDefaultAction(self.set_time_action)
        set_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(set_button)
        row.addWidget(QLabel(tr("Step")))
        row.addWidget(self.step_box)
        row.addWidget(QLabel(tr("Speed")))
        row.addWidget(self.speed_box)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(row)
        layout.addWidget(self.slider)
        layout.addWidget(self.ticks)
        self.setWidget(body)
        self.time_dialog: SetTimeDialog | None = None

        self._timer = QTimer(self, interval=1000 // TICK_HZ, timeout=self._tick)
        self._elapsed = QElapsedTimer()
        self._connections = [(clock.time_changed, self._on_time), (clock.range_changed, self._on_range),
                             (clock.playing_changed, self._on_playing), (clock.speed_changed, self._on_speed),
                             (clock.step_changed, self._on_step), (clock.zone_changed, self._on_zone)]
        for signal, slot in self._connections:
            signal.connect(slot)
        self._on_time(clock.time)
        self._on_speed(clock.speed)
        self._on_step(clock.step)
        self._on_playing(clock.playing)

    def _build_actions(self) -> None:
        specs = {  # key: (text, shortcut, slot, tooltip)
            "play": (tr("&Play"), "Space", self.clock.toggle, tr("Play or pause the scene clock")),
            "back": (tr("Step &Back"), "Left", lambda: self.clock.step_by(-1), tr("One step back")),
            "forward": (tr("Step &Forward"), "Right", lambda: self.clock.step_by(1), tr("One step forward")),
            "start": (tr("Go to &Start"), "Home", self.clock.to_start, tr("The start of the range")),
            "end": (tr("Go to &End"), "End", self.clock.to_end, tr("The end of the range")),
        }
        self.actions_by_key: dict[str, QAction] = {}
        for key, (text, keys, slot, tip) in specs.items():
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # only while the dock has focus
            action.setToolTip(tr('{tip} ({keys}, while the timeline has the focus)').format(tip=tip, keys=keys))
            action.triggered.connect(lambda _=False, s=slot: s())
            self.addAction(action)
            self.actions_by_key[key] = action
        self.play_action = self.actions_by_key["play"]
        self.set_time_action = QAction(tr("Set &Time\u2026"), self)
        self.set_time_action.setToolTip(tr("Type a date and time"))
        self.set_time_action.triggered.connect(lambda _=False: self.open_set_time())

    def time_actions(self) -> list[QAction]:
        """For the Time menu: Play, steps, start/end, Set time."""
        return [self.actions_by_key[k] for k in ("play", "back", "forward", "start", "end")] + [self.set_time_action]

    def open_set_time(self) -> SetTimeDialog:
        self.time_dialog = SetTimeDialog(self.clock, self)
        self.time_dialog.open()
        return self.time_dialog

    def detach(self) -> None:
        """Stop the timer and stop listening: the clock (the scene's) may outlive this dock."""
        self._timer.stop()
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []

    # --- the clock's events ---------------------------------------------------------------------
    def _on_time(self, _t: datetime) -> None:
        self.time_label.setText(self.clock.label())
        self.slider.blockSignals(True)
        self.slider.setValue(round(self.clock.fraction() * SLIDER_STEPS))
        self.slider.blockSignals(False)

    def _on_range(self, _start: datetime, _end: datetime) -> None:
        self.ticks.update()
        self._on_time(self.clock.time)

    def _on_zone(self, _zone: str) -> None:
        self.ticks.update()

    def _on_playing(self, playing: bool) -> None:
        self.play_action.setText(tr("&Pause") if playing else tr("&Play"))
        self.buttons["play"].setText(tr("Pause") if playing else tr("Play"))
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.buttons["play"].setIcon(self.style().standardIcon(icon))
        if playing:
            self._elapsed.start()
            self._timer.start()
        else:
            self._timer.stop()

    def _on_speed(self, speed: float) -> None:
        index = self.speed_box.findData(speed)
        if index < 0:
            self.speed_box.addItem(_speed_text(speed), speed)
            index = self.speed_box.count() - 1
        self.speed_box.setCurrentIndex(index)

    def _on_step(self, step: str) -> None:
        self.step_box.setCurrentIndex(max(0, self.step_box.findData(step)))

    # --- the user and the timer -----------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        self.clock.set_time(self.clock.at_fraction(value / SLIDER_STEPS))

    def _tick(self) -> None:
        self.clock.advance(self._elapsed.restart() / 1000.0)
