"""The Construction progress dock's "Schedule" tab: planned versus actual at the clock's time, by task
and by storey (ahead / on time / behind / not planned counts), for every compared BIM layer a schedule
is linked to (app.model.schedule_progress; the same rule as `twinscape compare --schedule`).

It follows the clock and the scene by events; a burst of clock steps (playing) gives one refill on the
next turn of the event loop, and none while the tab is not shown (it refills when shown). Clicking a
task row highlights that task's elements in the 3D view, as the Gantt dock does.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTableWidget, QTabWidget, QVBoxLayout, QWidget

from app.analysis.schedule_status import SCHEDULE_STATUSES
from app.model.clock import iso_label
from app.model.layers import MeshLayer
from app.model.scene import Scene
from app.model.schedule_layer import ScheduleLayer
from app.model.schedule_progress import LABELS, RGB, element_statuses, pairs, summaries
from app.ui.comparison_dock import _item, _table  # the progress tables' look: formatted, sortable numbers
from app.ui.i18n import QT_TR_NOOP, tr

COUNT_HEADERS = [LABELS[s].split(" /")[0] for s in SCHEDULE_STATUSES]  # ahead, on time, behind, not planned
TASK_COLUMNS = ["task", "start", "finish", "planned", "elements", *COUNT_HEADERS]
STOREY_COLUMNS = ["storey", "elements", *COUNT_HEADERS]
HINT = (QT_TR_NOOP("Planned versus actual needs a comparison of a scan with a BIM model (Analysis \u203a Compare scan with "
        "design\u2026) and a schedule linked to that model (Gantt dock \u203a Link\u2026)."))


class ScheduleStatusTab(QWidget):
    """Summaries by task and by storey of each element's schedule status at the clock's time."""

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.label = QLabel(HINT)
        self.label.setWordWrap(True)
        self.by_task = _table(TASK_COLUMNS)
        self.by_storey = _table(STOREY_COLUMNS)
        self.by_task.cellClicked.connect(self._on_task_clicked)
        for table in (self.by_task, self.by_storey):  # schedule and storey order until a header is clicked
            table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.tables = QTabWidget()
        self.tables.addTab(self.by_task, tr("By task"))
        self.tables.addTab(self.by_storey, tr("By storey"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.tables, 1)
        self.shown_pairs: list[tuple[MeshLayer, ScheduleLayer]] = []
        self._watched: list[Any] = []
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        self._stale = True
        scene.clock.time_changed.connect(self.request_refresh)
        scene.layers.inserted.connect(self.request_refresh)
        scene.layers.removed.connect(self.request_refresh)
        self._watch()

    # --- when to refill -------------------------------------------------------------------------------
    def request_refresh(self, *_args: Any) -> None:
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            self._timer.start()

    def _watch(self) -> None:
        """Follow each model's data (a comparison applied or taken off) and each schedule's links."""
        for signal in self._watched:
            signal.disconnect(self.request_refresh)
        self._watched = []
        for layer in self.scene.layers:
            signal = layer.states_changed if isinstance(layer, ScheduleLayer) else layer.data_changed \
                if isinstance(layer, MeshLayer) else None
            if signal is not None:
                signal.connect(self.request_refresh)
                self._watched.append(signal)
        for layer in self.scene.layers:
            if isinstance(layer, ScheduleLayer):
                layer.events.visible.connect(self.request_refresh)
                self._watched.append(layer.events.visible)

    def detach(self) -> None:
        """Disconnect from the scene (the window closes)."""
        for signal in self._watched:
            signal.disconnect(self.request_refresh)
        self._watched = []
        self.scene.clock.time_changed.disconnect(self.request_refresh)
        self.scene.layers.inserted.disconnect(self.request_refresh)
        self.scene.layers.removed.disconnect(self.request_refresh)

    # --- the refill -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._stale = False
        self._watch()
        for table in (self.by_task, self.by_storey):
            table.setSortingEnabled(False)
            table.setRowCount(0)
        when, zone = self.scene.clock.time, self.scene.clock.zone
        found = [(m, s, element_statuses(m, s, when)) for m, s in pairs(self.scene.layers)]
        found = [(m, s, st) for m, s, st in found if st is not None]
        self.shown_pairs = [(m, s) for m, s, _ in found]
        if not found:
            self.label.setText(HINT)
            return
        lines, tasks, storeys = [], [], []
        for mesh, schedule, statuses in found:
            parts = summaries(mesh, schedule, statuses, when)
            counts = ", ".join(f"{parts['counts'][s]} {LABELS[s].split(' /')[0]}" for s in SCHEDULE_STATUSES)
            lines.append(f"<b>{mesh.name}</b> against <b>{schedule.name}</b>: {counts}")
            prefix = f"{mesh.name}: " if len(found) > 1 else ""
            tasks += [(prefix + key, schedule, row) for key, row in parts["by_task"].items()]
            storeys += [(prefix + (key or tr("(none)")), row) for key, row in parts["by_storey"].items()]
        self.label.setText(tr('At {v0}<br>').format(v0=iso_label(when, zone)) + "<br>".join(lines))
        self._fill_tasks(tasks)
        self._fill_storeys(storeys)

    def _fill_tasks(self, rows: list[tuple[str, ScheduleLayer, dict]]) -> None:
        self.by_task.setRowCount(len(rows))
        self._task_rows = rows
        for r, (name, _schedule, row) in enumerate(rows):
            first = _item(name)
            first.setData(Qt.ItemDataRole.UserRole, r)
            self.by_task.setItem(r, 0, first)
            for c, key in enumerate(("start", "finish"), start=1):
                self.by_task.setItem(r, c, _item(f"{row[key]:%Y-%m-%d}" if row[key] is not None else "undated"))
            self.by_task.setItem(r, 3, _item(row["planned"].replace("_", " ")))
            self._fill_counts(self.by_task, r, 4, row)
        self.by_task.resizeColumnsToContents()
        self.by_task.setSortingEnabled(True)

    def _fill_storeys(self, rows: list[tuple[str, dict]]) -> None:
        self.by_storey.setRowCount(len(rows))
        for r, (name, row) in enumerate(rows):
            self.by_storey.setItem(r, 0, _item(name))
            self._fill_counts(self.by_storey, r, 1, row)
        self.by_storey.resizeColumnsToContents()
        self.by_storey.setSortingEnabled(True)

    @staticmethod
    def _fill_counts(table: QTableWidget, r: int, column: int, row: dict) -> None:
        """Elements, then one count per status; a non-zero count on its status colour."""
        table.setItem(r, column, _item(float(row["elements"]), True))
        for c, status in enumerate(SCHEDULE_STATUSES, start=column + 1):
            item = _item(float(row[status]), True)
            if row[status]:
                item.setBackground(QBrush(QColor(*RGB[status])))
                item.setForeground(QBrush(QColor("white")))
            table.setItem(r, c, item)

    def _on_task_clicked(self, row: int, _column: int) -> None:
        """Highlight the task's elements in the 3D view (the schedule layer tells its visual)."""
        item = self.by_task.item(row, 0)
        if item is None:
            return
        _name, schedule, data = self._task_rows[int(item.data(Qt.ItemDataRole.UserRole))]
        index = next((i for i, t in enumerate(schedule.schedule.tasks) if t.uid == data["uid"]), None)
        if index is not None:
            schedule.highlight_tasks([index])
