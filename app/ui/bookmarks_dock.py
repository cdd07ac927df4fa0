"""The Bookmarks dock (Present > Bookmarks and tours): views you save with a name and a thumbnail,
rename (F2), reorder (drag or Up/Down), delete, and fly to (double-click, or Ctrl+PageDown /
Ctrl+PageUp for the next / previous one). Its second tab edits tours (app/ui/tour_editor.py).

The list mirrors `scene.bookmarks` (rebuilt on `bookmarks_changed`); every edit goes through
app.model.tours so a name given twice is refused with a free name to use, and tours follow renames.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QObject, QSize, Qt
from PySide6.QtGui import QAction, QIcon, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QDockWidget, QFrame, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
    QScrollArea, QTabWidget, QVBoxLayout, QWidget,
)

from app.model.scene import Bookmark
from app.model.tours import THUMBNAIL_SIZE, BookmarkError, add_bookmark, move_bookmark, rename_bookmark, unique_name
from app.ui.i18n import tr
from app.ui.present_menu import present_menu
from app.ui.tour_editor import TourEditor
from app.ui.tour_player import install_player

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

ICON_SIZE = QSize(96, 54)


def grab_thumbnail(win: "MainWindow") -> bytes | None:
    """The view as a small PNG (160x90, centre-cropped): what the list shows and the project keeps."""
    overlay = getattr(win.canvas, "overlay", None)  # legends, north arrow, scale bar: unreadable at 160x90
    if overlay is not None:
        overlay.DrawOff()
    try:
        win.canvas.render()
        img = np.ascontiguousarray(win.canvas.plotter.screenshot(None, return_img=True)[:, :, :3])
    except (RuntimeError, AttributeError, ValueError):  # no render window yet: no thumbnail, not an error
        return None
    finally:
        if overlay is not None:
            overlay.DrawOn()
            win.canvas.request_render()
    h, w = img.shape[:2]
    qimg = QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    tw, th = THUMBNAIL_SIZE
    scaled = qimg.scaled(tw, th, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation)
    cropped = scaled.copy((scaled.width() - tw) // 2, (scaled.height() - th) // 2, tw, th)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    cropped.save(buffer, "PNG")
    return bytes(data.data())


def _icon(mark: Bookmark) -> QIcon:
    pixmap = QPixmap()
    if mark.thumbnail and pixmap.loadFromData(mark.thumbnail, "PNG"):
        return QIcon(pixmap)
    blank = QPixmap(THUMBNAIL_SIZE[0], THUMBNAIL_SIZE[1])
    blank.fill(Qt.GlobalColor.lightGray)
    return QIcon(blank)


MIN_WIDTH = 200  # px: like the other docks, it gives way to the view in a small window


class BookmarksDock(QDockWidget):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(tr("Bookmarks and tours"), win)
        self.setObjectName("bookmarks_dock")
        self.win = win
        self.scene = win.scene
        page = QWidget()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(tr("Name for the current view"))
        self.name_edit.returnPressed.connect(self.add_current_view)
        self.add_button = QPushButton(tr("Add view"))
        self.add_button.setToolTip(tr("Save the current view as a bookmark (with a thumbnail)"))
        self.add_button.clicked.connect(self.add_current_view)
        top = QHBoxLayout()
        top.addWidget(self.name_edit, 1)
        top.addWidget(self.add_button)
        self.list = QListWidget()
        self.list.setIconSize(ICON_SIZE)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.itemDoubleClicked.connect(lambda item: self.fly_to(self.list.row(item)))
        self.list.itemChanged.connect(self._renamed)
        self.list.model().rowsMoved.connect(self._dragged)
        self.list.installEventFilter(self)
        buttons = QHBoxLayout()
        self.fly_button = self._button(buttons, tr("Fly to"), lambda: self.fly_to(self.list.currentRow()))
        self.rename_button = self._button(buttons, tr("Rename"), self.rename_current)
        self.up_button = self._button(buttons, tr("Up"), lambda: self.move_current(-1))
        self.down_button = self._button(buttons, tr("Down"), lambda: self.move_current(1))
        self.delete_button = self._button(buttons, tr("Delete"), self.delete_current)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #b3261e")
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.tours = TourEditor(win, self)
        self.tabs = QTabWidget()
        self.tabs.addTab(page, tr("Bookmarks"))
        self.tabs.addTab(self.tours, tr("Tours"))
        scroll = QScrollArea()  # the tour editor's rows are wide: scroll rather than widen the window (a small
        scroll.setWidgetResizable(True)  # window keeps its 3D view, VIEW_MIN_SIZE)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.tabs)
        scroll.setMinimumWidth(MIN_WIDTH)
        self.setWidget(scroll)
        self._rebuilding = False
        self.scene.bookmarks_changed.connect(self.refresh)
        self.refresh()

    @staticmethod
    def _button(row: QHBoxLayout, text: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda _=False: slot())  # type: ignore[operator]
        row.addWidget(button)
        return button

    # --- the list mirrors scene.bookmarks ------------------------------------------------------
    def refresh(self) -> None:
        row = self.list.currentRow()
        self._rebuilding = True
        try:
            self.list.clear()
            for mark in self.scene.bookmarks:
                item = QListWidgetItem(_icon(mark), mark.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled)
                item.setToolTip(mark.name)
                self.list.addItem(item)
            if self.list.count():
                self.list.setCurrentRow(min(max(row, 0), self.list.count() - 1))
        finally:
            self._rebuilding = False
        self.name_edit.setPlaceholderText(tr("Name for the current view, e.g. {name}").format(
            name=unique_name(self.scene.bookmarks, tr("View 1"))))
        self.tours.refresh_bookmarks()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        if text:
            self.win.statusBar().showMessage(text, 8000)

    def _changed(self) -> None:
        self.win.undo.set_dirty(True)

    # --- editing --------------------------------------------------------------------------------
    def add_current_view(self) -> Bookmark | None:
        name = self.name_edit.text().strip() or unique_name(self.scene.bookmarks, tr("View 1"))
        try:
            mark = add_bookmark(self.scene.bookmarks, name, self.win.canvas.get_camera(), grab_thumbnail(self.win))
        except BookmarkError as exc:
            self._say(str(exc))
            return None
        self.name_edit.clear()
        self._say("")
        self.list.setCurrentRow(len(self.scene.bookmarks) - 1)
        self._changed()
        return mark

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _renamed(self, item: QListWidgetItem) -> None:
        if self._rebuilding:
            return
        row = self.list.row(item)
        if not 0 <= row < len(self.scene.bookmarks):
            return
        mark = self.scene.bookmarks[row]
        if item.text() == mark.name:
            return
        try:
            rename_bookmark(self.scene.bookmarks, mark, item.text(), self.scene.tours)
        except BookmarkError as exc:
            self._say(str(exc))
            self.refresh()  # the old name back
            return
        self._say("")
        self._changed()

    def move_current(self, delta: int) -> None:
        row = self.list.currentRow()
        to = row + delta
        if 0 <= row < len(self.scene.bookmarks) and 0 <= to < len(self.scene.bookmarks):
            move_bookmark(self.scene.bookmarks, row, to)
            self.list.setCurrentRow(to)
            self._changed()

    def _dragged(self, _parent: object, start: int, _end: int, _dest: object, row: int) -> None:
        if self._rebuilding:
            return
        to = row - 1 if row > start else row
        move_bookmark(self.scene.bookmarks, start, to)
        self.list.setCurrentRow(to)
        self._changed()

    def delete_current(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.scene.bookmarks):
            return
        name = self.scene.bookmarks[row].name
        del self.scene.bookmarks[row]
        users = [t.name for t in self.scene.tours if any(s.bookmark.strip().casefold() == name.strip().casefold()
                                                         for s in t.stops)]
        self._say(tr("deleted '{name}'; tour {tours} will skip that stop").format(
            name=name, tours=", ".join(repr(u) for u in users)) if users else "")
        self._changed()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.list and event.type() == QEvent.Type.KeyPress and self.list.state() != QAbstractItemView.State.EditingState:
            if event.key() == Qt.Key.Key_Delete:
                self.delete_current()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.fly_to(self.list.currentRow())
                return True
        return super().eventFilter(obj, event)

    # --- flying ---------------------------------------------------------------------------------
    def fly_to(self, row: int) -> None:
        """Fly there; a bookmark without a thumbnail (one from a hand-written project) gets one on arrival."""
        if not 0 <= row < len(self.scene.bookmarks):
            return
        mark = self.scene.bookmarks[row]
        self.list.setCurrentRow(row)
        self.win.tour_player.stop()
        if mark.thumbnail is None:
            def arrived(cam: object) -> None:
                self.win.flyer.arrived.disconnect(arrived)
                if cam is not mark.camera:  # another flight took over: this view is not the bookmark's
                    return
                if any(m is mark for m in self.scene.bookmarks) and mark.thumbnail is None:
                    mark.thumbnail = grab_thumbnail(self.win)
                    item = self.list.item(next(i for i, m in enumerate(self.scene.bookmarks) if m is mark))
                    if item is not None:
                        item.setIcon(_icon(mark))

            self.win.flyer.arrived.connect(arrived)
        self.win.flyer.fly_to(mark.camera)

    def step(self, delta: int) -> None:
        """Next (+1) / previous (-1) bookmark, wrapping around."""
        n = len(self.scene.bookmarks)
        if n:
            row = self.list.currentRow()
            self.fly_to((row + delta) % n if row >= 0 else (0 if delta > 0 else n - 1))

    def selected_tour(self) -> object:
        return self.tours.current_tour()

    def detach(self) -> None:
        self.scene.bookmarks_changed.disconnect(self.refresh)
        self.tours.detach()


def refresh_bookmark_menu(win: "MainWindow") -> None:
    """View > Bookmarks: one action per bookmark, flying there."""
    win.bookmark_menu.clear()
    for i, mark in enumerate(win.scene.bookmarks):
        win.bookmark_menu.addAction(QAction(mark.name, win, triggered=lambda _=False, i=i: win.bookmarks_dock.fly_to(i)))


class _CloseGuard(QObject):
    """Flights and tours stop before the window closes its canvas."""

    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        win.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.win and event.type() == QEvent.Type.Close:
            self.win.tour_player._timer.stop()
            self.win.flyer._timer.stop()
            self.win.flyer.flight = None
            export = getattr(self.win, "tour_export", None)
            if export is not None:
                export.cancel()
        return False


def _action(win: "MainWindow", text: str, slot: object, keys: str | None = None) -> QAction:
    action = QAction(text, win)
    if keys:
        action.setShortcut(QKeySequence(keys))
    action.triggered.connect(lambda _=False: slot())  # type: ignore[operator]
    return action


def install_tours(win: "MainWindow") -> BookmarksDock:
    """The flyer, the tour player, the Bookmarks dock and their Present menu actions."""
    install_player(win)
    dock = BookmarksDock(win)
    win.bookmarks_dock = dock  # type: ignore[attr-defined]
    win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    win.tabifyDockWidget(win.model_tree, dock)  # a tab beside Layers and Model: full height, nothing squeezed
    win.layer_tree.raise_()
    win._tours_close_guard = _CloseGuard(win)  # type: ignore[attr-defined]
    menu = present_menu(win)

    def show_dock(tab: int = 0) -> None:
        dock.show()
        dock.raise_()
        dock.tabs.setCurrentIndex(tab)

    menu.addAction(_action(win, tr("&Bookmarks and tours"), show_dock))

    def add() -> None:
        show_dock(0)
        dock.add_current_view()

    win.add_bookmark_action = _action(win, tr("&Add bookmark (current view)"), add, "Ctrl+Shift+B")  # type: ignore[attr-defined]
    win.next_bookmark_action = _action(win, tr("&Next bookmark"), lambda: dock.step(1), "Ctrl+PgDown")  # type: ignore[attr-defined]
    win.previous_bookmark_action = _action(win, tr("&Previous bookmark"), lambda: dock.step(-1), "Ctrl+PgUp")  # type: ignore[attr-defined]
    win.play_tour_action = _action(win, tr("&Play tour"), dock.tours.play, "F5")  # type: ignore[attr-defined]
    win.stop_tour_action = _action(win, tr("&Stop tour"), win.tour_player.stop, "Shift+F5")  # type: ignore[attr-defined]
    for action in (win.add_bookmark_action, win.next_bookmark_action, win.previous_bookmark_action):  # type: ignore[attr-defined]
        menu.addAction(action)
    menu.addSeparator()
    menu.addAction(win.play_tour_action)  # type: ignore[attr-defined]
    menu.addAction(win.stop_tour_action)  # type: ignore[attr-defined]
    from app.ui.tour_export import TourExport

    win.tour_export = TourExport(win)  # type: ignore[attr-defined]
    win.export_tour_action = _action(win, tr("&Export tour as video\u2026"), win.tour_export.ask)  # type: ignore[attr-defined]
    menu.addAction(win.export_tour_action)  # type: ignore[attr-defined]
    return dock
