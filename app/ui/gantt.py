"""Gantt dock: the schedule's tasks as rows (summary tasks group their subtasks), a painted bar per
task over the schedule's range and a vertical line at the clock's time.

Linked both ways with the 3D view: choosing tasks highlights their elements in the linked model
(ScheduleLayer.highlight_tasks) and "Go to start" moves the clock; picking an element in the 3D
view selects its task rows. Everything follows events (clock, scene selection, layer list).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QAction, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QDockWidget, QHBoxLayout, QPushButton, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)

from app.model.scene import Scene, Selection
from app.model.schedule_layer import ScheduleLayer
from app.ui.i18n import tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

TASK_ROLE = Qt.ItemDataRole.UserRole + 1
BAR_COLUMN = 3
BAR_RGB, SUMMARY_RGB, DONE_RGB, NOW_RGB = (70, 120, 200), (40, 40, 40), (110, 170, 110), (220, 40, 40)


class _BarDelegate(QStyledItemDelegate):
    """Paints a task's bar in the Schedule column and the clock's line across every row."""

    def __init__(self, dock: "GanttDock") -> None:
        super().__init__(dock)
        self.dock = dock

    def x_of(self, when: datetime | None, rect: QRect) -> int | None:
        span = self.dock.span()
        if when is None or span is None:
            return None
        start, end = span
        total = max((end - start).total_seconds(), 1.0)
        return rect.left() + int(round((when - start).total_seconds() / total * rect.width()))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        layer, task_i = self.dock.layer, index.data(TASK_ROLE)
        if layer is None or task_i is None:
            return
        task, rect = layer.schedule.tasks[int(task_i)], option.rect.adjusted(2, 0, -2, 0)
        x0, x1 = self.x_of(task.start, rect), self.x_of(task.finish, rect)
        painter.save()
        if x0 is not None and x1 is not None:
            now = self.dock.scene.clock.time
            done = task.finish is not None and task.finish <= now
            rgb = SUMMARY_RGB if task.summary else DONE_RGB if done else BAR_RGB
            h = rect.height() // 3 if task.summary else rect.height() // 2
            painter.fillRect(QRect(x0, rect.center().y() - h // 2, max(2, x1 - x0), h), QColor(*rgb))
        x = self.x_of(self.dock.scene.clock.time, rect)
        if x is not None and rect.left() <= x <= rect.right():
            painter.setPen(QPen(QColor(*NOW_RGB), 2))
            painter.drawLine(x, option.rect.top(), x, option.rect.bottom())
        painter.restore()


class GanttDock(QDockWidget):
    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(tr("Gantt"), parent)
        self.setObjectName("GanttDock")
        self.scene = scene
        self.layer: ScheduleLayer | None = None
        self._rows: dict[int, QTreeWidgetItem] = {}
        self._syncing = False
        body = QWidget(self)
        box = QVBoxLayout(body)
        box.setContentsMargins(2, 2, 2, 2)
        buttons = QHBoxLayout()
        self.link_button = QPushButton(tr("Link to model..."))
        self.start_button = QPushButton(tr("Go to start"))
        self.start_button.setToolTip(tr("Move the clock to the chosen task's start"))
        self.start_button.setEnabled(False)
        buttons.addWidget(self.link_button)
        buttons.addWidget(self.start_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.tree = QTreeWidget(body)
        self.tree.setHeaderLabels([tr("Task"), tr("Start"), tr("Finish"), tr("Schedule")])
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setItemDelegateForColumn(BAR_COLUMN, _BarDelegate(self))
        self.tree.setColumnWidth(0, 220)
        self.tree.setColumnWidth(BAR_COLUMN, 360)
        box.addWidget(self.tree)
        self.setWidget(body)
        self.link_action = QAction(tr("&Link schedule to model..."), self, triggered=self.open_link_dialog)
        self.link_button.clicked.connect(self.open_link_dialog)
        self.start_button.clicked.connect(self.go_to_start)
        self.tree.itemSelectionChanged.connect(self._on_rows_chosen)
        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)
        scene.selection_changed.connect(self._on_scene_selection)
        scene.clock.time_changed.connect(self._on_time)
        self.link_dialog = None
        self.on_linked = None  # called after a link is made (the window marks the scene unsaved)
        for layer in scene.layers:
            self._on_inserted(0, layer)

    # --- which schedule ------------------------------------------------------------------------
    def span(self) -> tuple[datetime, datetime] | None:
        if self.layer is None:
            return None
        s = self.layer.schedule
        start, finish = s.start(), s.finish()
        return (start, finish) if start is not None and finish is not None else None

    def set_layer(self, layer: ScheduleLayer | None) -> None:
        """Show this schedule's tasks (the newest schedule in the scene by default)."""
        if self.layer is not None:
            self.layer.data_changed.disconnect(self._fill)
        self.layer = layer
        if layer is not None:
            layer.data_changed.connect(self._fill)
        self._fill()

    def _on_inserted(self, _index: int, layer: object) -> None:
        if isinstance(layer, ScheduleLayer):
            self.set_layer(layer)
            self.show()
            self.raise_()

    def _fit_clock(self) -> None:
        """The clock's range takes the schedule's when it does not cover it (a saved clock that does stays)."""
        span, clock = self.span(), self.scene.clock
        if span is not None and not (clock.start <= span[0] and span[1] <= clock.end):
            clock.set_range(span[0], span[1])
            clock.set_time(span[0])

    def _on_removed(self, _index: int, layer: object) -> None:
        if layer is self.layer:
            self.set_layer(next((la for la in reversed(list(self.scene.layers)) if isinstance(la, ScheduleLayer)), None))

    def _fill(self) -> None:
        """Rows by outline level: a task's parent is the nearest summary task above it with a lower level."""
        self._fit_clock()
        self._syncing = True
        self.tree.clear()
        self._rows = {}
        tasks = self.layer.schedule.tasks if self.layer is not None else []
        parents: list[tuple[int, QTreeWidgetItem]] = []
        for i, t in enumerate(tasks):
            while parents and parents[-1][0] >= t.outline_level:
                parents.pop()
            texts = [t.name or f"({t.uid})", t.start.strftime("%Y-%m-%d") if t.start else "",
                     t.finish.strftime("%Y-%m-%d") if t.finish else "", ""]
            item = QTreeWidgetItem(parents[-1][1] if parents else self.tree, texts)
            item.setData(0, TASK_ROLE, i)
            item.setData(BAR_COLUMN, TASK_ROLE, i)
            item.setToolTip(0, tr('UID {v0}  WBS {v1}  {v2}').format(v0=t.uid, v1=t.wbs, v2=t.task_type))
            if t.summary:
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
                parents.append((t.outline_level, item))
            self._rows[i] = item
        self.tree.expandAll()
        self._syncing = False
        self.setWindowTitle(tr('Gantt: {v0}').format(v0=self.layer.name) if self.layer is not None else tr("Gantt"))

    # --- both ways with the 3D view ---------------------------------------------------------------
    def chosen_tasks(self) -> list[int]:
        return sorted(int(item.data(0, TASK_ROLE)) for item in self.tree.selectedItems())

    def _on_rows_chosen(self) -> None:
        tasks = self.chosen_tasks()
        self.start_button.setEnabled(bool(tasks))
        if self._syncing or self.layer is None:
            return
        self.layer.highlight_tasks(tasks)

    def select_tasks(self, tasks: list[int]) -> None:
        """Select these rows (and highlight their elements) and scroll to the first."""
        self.tree.clearSelection()
        for t in tasks:
            if t in self._rows:
                self._rows[t].setSelected(True)
        if tasks and tasks[0] in self._rows:
            self.tree.scrollToItem(self._rows[tasks[0]])

    def _on_scene_selection(self, sel: Selection) -> None:
        layer = self.layer
        if layer is None or sel.layer is None or sel.layer is not layer.target_layer or sel.index < 0:
            return
        tasks = layer.tasks_of(sel.index)
        if tasks:
            self.select_tasks(tasks)

    def go_to_start(self) -> None:
        tasks = self.chosen_tasks()
        if self.layer is None or not tasks:
            return
        starts = [s for s in (self.layer.schedule.tasks[t].start for t in tasks) if s is not None]
        if starts:
            clock = self.scene.clock
            when = min(starts)
            if not clock.start <= when <= clock.end:
                clock.set_range(min(clock.start, when), max(clock.end, when))
            clock.set_time(when)

    def _on_time(self, _t: datetime) -> None:
        self.tree.viewport().update()

    # --- linking ----------------------------------------------------------------------------------
    def open_link_dialog(self):
        """The Link to model dialog for the shown schedule (non-modal; the report shows in it)."""
        from app.ui.link_dialog import LinkDialog

        if self.layer is None:
            return None
        self.link_dialog = LinkDialog(self.scene, self.layer, self)
        self.link_dialog.on_linked = self.on_linked
        self.link_dialog.show()
        return self.link_dialog

    def detach(self) -> None:
        self.scene.layers.inserted.disconnect(self._on_inserted)
        self.scene.layers.removed.disconnect(self._on_removed)
        self.scene.selection_changed.disconnect(self._on_scene_selection)
        self.scene.clock.time_changed.disconnect(self._on_time)
        if self.layer is not None:
            self.layer.data_changed.disconnect(self._fill)


def install_gantt(window: "MainWindow") -> GanttDock:
    """The Gantt dock below the view, tabbed with the timeline, hidden until a schedule is opened;
    View > Gantt and View > Link schedule to model."""
    dock = GanttDock(window.scene, window)
    dock.on_linked = lambda: window.undo.set_dirty(True)  # like opening a file: unsaved, not an undo step
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.splitDockWidget(window.timeline, dock, Qt.Orientation.Vertical)  # under the timeline, the window's width
    dock.hide()
    if window.scene.layers and any(isinstance(la, ScheduleLayer) for la in window.scene.layers):
        dock.show()
    view_menu = getattr(window, "view_menu", None)  # the title is translated: never look a menu up by its text
    if view_menu is not None:
        view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(dock.link_action)
    return dock
