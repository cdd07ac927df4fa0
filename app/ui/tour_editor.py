"""The Tours tab of the Bookmarks dock: a tour is a list of stops (bookmark, pause, transition),
each optionally switching layers on/off (a snapshot of the layer list) and setting the clock.

Edits change the Tour objects in `scene.tours` and re-set the list item, so `tours_changed`
fires and the project is marked changed. Playing goes through win.tour_player.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.model.tours import DEFAULT_PAUSE_S, MAX_PAUSE_S, MAX_TRANSITION_S, Tour, TourStop, find_tour
from app.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from app.ui.bookmarks_dock import BookmarksDock
    from app.ui.main_window import MainWindow

COLUMNS = (QT_TR_NOOP("Bookmark"), QT_TR_NOOP("Pause (s)"), QT_TR_NOOP("Flight (s)"), QT_TR_NOOP("Layers"), QT_TR_NOOP("Clock"))
AUTO = -1.0  # the transition spin box's "auto" (duration by distance)


class TourEditor(QWidget):
    def __init__(self, win: "MainWindow", dock: "BookmarksDock") -> None:
        super().__init__(dock)
        self.win = win
        self.dock = dock
        self.scene = win.scene
        self.combo = QComboBox()
        self.combo.currentIndexChanged.connect(lambda _=0: self._show_tour())
        head = QHBoxLayout()
        head.addWidget(QLabel(tr("Tour")))
        head.addWidget(self.combo, 1)
        self.new_button = self._button(head, tr("New"), self.new_tour)
        self.rename_button = self._button(head, tr("Rename"), self.ask_rename)
        self.delete_tour_button = self._button(head, tr("Delete"), self.delete_tour)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        grid = QGridLayout()
        self.add_stop_button = self._button(grid, tr("Add current bookmark"), self.add_stop, 0, 0)
        self.remove_stop_button = self._button(grid, tr("Remove stop"), self.remove_stop, 0, 1)
        self.up_button = self._button(grid, tr("Up"), lambda: self.move_stop(-1), 0, 2)
        self.down_button = self._button(grid, tr("Down"), lambda: self.move_stop(1), 0, 3)
        self.layers_button = self._button(grid, tr("Snapshot layers"), self.snapshot_layers, 1, 0)
        self.clock_button = self._button(grid, tr("Use clock time"), self.use_clock_time, 1, 1)
        self.clear_button = self._button(grid, tr("Clear both"), self.clear_extras, 1, 2)
        self.play_button = self._button(grid, tr("Play"), self.play, 2, 0)
        self.stop_button = self._button(grid, tr("Stop"), lambda: self.win.tour_player.stop(), 2, 1)
        self.layers_button.setToolTip(tr("This stop shows the layers visible now and hides the others"))
        self.clock_button.setToolTip(tr("This stop sets the scene clock to its current time"))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        self.scene.tours_changed.connect(self.refresh)
        win.tour_player.message.connect(self.status.setText)
        self.refresh()

    @staticmethod
    def _button(layout: object, text: str, slot: object, row: int = -1, col: int = -1) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda _=False: slot())  # type: ignore[operator]
        if row >= 0:
            layout.addWidget(button, row, col)  # type: ignore[attr-defined]
        else:
            layout.addWidget(button)  # type: ignore[attr-defined]
        return button

    # --- which tour -----------------------------------------------------------------------------
    def current_tour(self) -> Tour | None:
        i = self.combo.currentIndex()
        return self.scene.tours[i] if 0 <= i < len(self.scene.tours) else None

    def refresh(self) -> None:
        current = self.current_tour()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems([t.name for t in self.scene.tours])
        index = next((i for i, t in enumerate(self.scene.tours) if t is current), 0)
        self.combo.setCurrentIndex(index if len(self.scene.tours) else -1)
        self.combo.blockSignals(False)
        self._show_tour()

    def refresh_bookmarks(self) -> None:
        """Bookmarks renamed or deleted: the stops' names and the missing marks follow."""
        self._show_tour()

    def _show_tour(self) -> None:
        tour = self.current_tour()
        row = self.table.currentRow()
        stops = tour.stops if tour is not None else []
        self.table.setRowCount(len(stops))
        known = {b.name.strip().casefold() for b in self.scene.bookmarks}
        for r, stop in enumerate(stops):
            missing = stop.bookmark.strip().casefold() not in known
            name = QTableWidgetItem(stop.bookmark + ("  (missing)" if missing else ""))
            self.table.setItem(r, 0, name)
            self.table.setCellWidget(r, 1, self._spin(stop.pause, 0.0, MAX_PAUSE_S, lambda v, s=stop: self._set(s, "pause", v)))
            self.table.setCellWidget(r, 2, self._spin(AUTO if stop.transition is None else stop.transition, AUTO,
                                                      MAX_TRANSITION_S, lambda v, s=stop: self._set(s, "transition", None if v <= AUTO else v),
                                                      special=tr("auto")))
            on = sum(1 for v in (stop.layers or {}).values() if v)
            layers = tr("{on} on, {off} off").format(on=on, off=len(stop.layers) - on) if stop.layers else "\u2013"
            item = QTableWidgetItem(layers)
            item.setToolTip("\n".join((tr("on: {layer}") if v else tr("off: {layer}")).format(layer=k)
                                       for k, v in (stop.layers or {}).items()))
            self.table.setItem(r, 3, item)
            self.table.setItem(r, 4, QTableWidgetItem(stop.time or "\u2013"))
        if stops:
            self.table.selectRow(min(max(row, 0), len(stops) - 1))
        missing = tour.missing_stops(self.scene.bookmarks) if tour is not None else []
        self.status.setText(tr("no bookmark named {names}: skipped when played").format(
            names=", ".join(repr(m) for m in missing)) if missing else "")

    @staticmethod
    def _spin(value: float, low: float, high: float, changed: object, special: str = "") -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(1)
        spin.setSingleStep(0.5)
        if special:
            spin.setSpecialValueText(special)
        spin.setValue(value)
        spin.valueChanged.connect(changed)  # type: ignore[arg-type]
        return spin

    def _set(self, stop: TourStop, field: str, value: object) -> None:
        setattr(stop, field, value)
        self.win.undo.set_dirty(True)

    def _changed(self, tour: Tour) -> None:
        """A tour's stops changed in place: say so (the table is rebuilt, the project is changed)."""
        self.scene.tours_changed.emit()
        self.win.undo.set_dirty(True)

    # --- editing --------------------------------------------------------------------------------
    def new_tour(self) -> Tour:
        taken = {t.name.casefold() for t in self.scene.tours}
        n = 1
        while tr("Tour {n}").format(n=n).casefold() in taken:
            n += 1
        tour = Tour(tr("Tour {n}").format(n=n))
        self.scene.tours.append(tour)
        self.combo.setCurrentIndex(len(self.scene.tours) - 1)
        self.win.undo.set_dirty(True)
        return tour

    def ask_rename(self) -> None:
        tour = self.current_tour()
        if tour is not None:
            name, ok = QInputDialog.getText(self, tr("Rename tour"), tr("Name of the tour:"), text=tour.name)
            if ok:
                self.rename_tour(tour, name)

    def rename_tour(self, tour: Tour, name: str) -> bool:
        """False (with the reason shown) for an empty name or one another tour has."""
        name = name.strip()
        if not name or any(t is not tour and t.name.casefold() == name.casefold() for t in self.scene.tours):
            self.status.setText(tr("a tour named '{name}' already exists").format(name=name) if name else tr("a tour needs a name"))
            return False
        tour.name = name
        self._changed(tour)
        return True

    def delete_tour(self) -> None:
        tour = self.current_tour()
        if tour is not None:
            self.scene.tours.remove(tour)
            self.win.undo.set_dirty(True)

    def add_stop(self) -> None:
        """The bookmark selected in the Bookmarks tab becomes the tour's next stop."""
        row = self.dock.list.currentRow()
        if not 0 <= row < len(self.scene.bookmarks):
            self.status.setText(tr("select a bookmark in the Bookmarks tab first (or add the current view there)"))
            return
        tour = self.current_tour() or self.new_tour()
        tour.stops.append(TourStop(self.scene.bookmarks[row].name, DEFAULT_PAUSE_S))
        self._changed(tour)
        self.table.selectRow(len(tour.stops) - 1)

    def _selected(self) -> tuple[Tour, int] | None:
        tour, row = self.current_tour(), self.table.currentRow()
        return (tour, row) if tour is not None and 0 <= row < len(tour.stops) else None

    def remove_stop(self) -> None:
        if (sel := self._selected()) is not None:
            del sel[0].stops[sel[1]]
            self._changed(sel[0])

    def move_stop(self, delta: int) -> None:
        if (sel := self._selected()) is not None and 0 <= sel[1] + delta < len(sel[0].stops):
            tour, row = sel
            tour.stops.insert(row + delta, tour.stops.pop(row))
            self._changed(tour)
            self.table.selectRow(row + delta)

    def snapshot_layers(self) -> None:
        if (sel := self._selected()) is not None:
            sel[0].stops[sel[1]].layers = {layer.name: bool(layer.visible) for layer in self.scene.layers}
            self._changed(sel[0])

    def use_clock_time(self) -> None:
        if (sel := self._selected()) is not None:
            sel[0].stops[sel[1]].time = self.scene.clock.time.isoformat()
            self._changed(sel[0])

    def clear_extras(self) -> None:
        if (sel := self._selected()) is not None:
            stop = sel[0].stops[sel[1]]
            stop.layers, stop.time = None, None
            self._changed(sel[0])

    def play(self) -> None:
        tour = self.current_tour() or find_tour(self.scene.tours, None)
        if tour is None:
            self.status.setText(tr("no tour yet: press New, then add bookmarks as stops"))
            return
        self.win.tour_player.play(tour)

    def detach(self) -> None:
        self.scene.tours_changed.disconnect(self.refresh)
