"""View > Side by side: single view, split view, swipe; which layers each side shows; dragging the
swipe line; View > Full screen. The drawing lives in viewers/split.py (no Qt); this is the Qt side."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QMenu, QVBoxLayout

from viewers.split import CHOICES, default_side
from app.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

GRAB_PX = 8  # how near the swipe line (in widget pixels) a press grabs it
MODE_ACTIONS = (("single", QT_TR_NOOP("&Single view"), "Ctrl+1"), ("split", QT_TR_NOOP("S&plit view"), "Ctrl+2"), ("swipe", QT_TR_NOOP("S&wipe"), "Ctrl+3"))
SIDE_LABELS = {"left": QT_TR_NOOP("Left"), "right": QT_TR_NOOP("Right"), "both": QT_TR_NOOP("Both")}


def choice_label(layer: Any, choice: str) -> str:
    """"Left"..., or for "auto" the side it gives this layer now: "Automatic (Right)"."""
    return tr("Automatic ({side})").format(side=tr(SIDE_LABELS[default_side(layer)])) if choice == "auto" else tr(SIDE_LABELS[choice])


class SplitControls(QObject):
    """The menu actions and the swipe-line drag for one main window."""

    def __init__(self, win: "MainWindow", view_menu: QMenu) -> None:
        super().__init__(win)
        self.win = win
        self.split = win.canvas.side_by_side
        self.dragging = False
        self.menu = view_menu.addMenu(tr("Side &by side"))
        group = QActionGroup(self.menu)
        self.mode_actions: dict[str, QAction] = {}
        tips = {"single": tr("One view with every layer"),
                "split": tr("Two halves with one linked camera: each side shows its own layers (Sides...)"),
                "swipe": tr("One view; drag the vertical line: left-side layers to its left, right-side layers to its right")}
        for mode, text, key in MODE_ACTIONS:
            action = QAction(tr(text), self.menu, checkable=True, shortcut=QKeySequence(key))
            action.setToolTip(tips[mode])
            action.setChecked(mode == self.split.mode)
            action.triggered.connect(lambda _=False, m=mode: self.set_mode(m))
            group.addAction(action)
            self.menu.addAction(action)
            self.mode_actions[mode] = action
        self.menu.addSeparator()
        self.sides_action = QAction(tr("S&ides\u2026"), self.menu, triggered=lambda: self.show_sides())
        self.sides_action.setToolTip(tr("Which layers the left and the right side show"))
        self.menu.addAction(self.sides_action)
        self.full_screen_action = QAction(tr("&Full screen"), win, checkable=True, shortcut=QKeySequence("Ctrl+Shift+F"))
        self.full_screen_action.toggled.connect(self.set_full_screen)
        view_menu.addAction(self.full_screen_action)
        win.addAction(self.full_screen_action)  # its key still works in full screen with the menu bar hidden
        self.dialog: SidesDialog | None = None
        win.view.installEventFilter(self)  # after the window's own filter: called first, so a drag is not a pick

    def set_mode(self, mode: str) -> None:
        self.split.set_mode(mode)
        self.mode_actions[mode].setChecked(True)
        self.win.statusBar().showMessage(
            {"single": "", "split": tr("Split view: Side by side > Sides... chooses each side's layers"),
             "swipe": tr("Swipe: drag the vertical line")}[mode], 5000)

    def set_full_screen(self, on: bool) -> None:
        """The view fills the screen (split and swipe stay as they are: they live in the render window)."""
        if on:
            self.win.menuBar().hide()
            self.win.showFullScreen()
        else:
            self.win.menuBar().show()
            self.win.showNormal()

    def show_sides(self) -> "SidesDialog":
        if self.dialog is not None:  # one dialog: the old one stops following the scene
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = SidesDialog(self.win.scene, self.split, self.win)
        self.dialog.show()
        return self.dialog

    # --- dragging the swipe line ----------------------------------------------------------------
    def _line_widget_x(self) -> float | None:
        x = self.split.line_x()
        return None if x is None else x / max(self.win.view.devicePixelRatioF(), 1e-6)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is not self.win.view:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            x = self._line_widget_x()
            if x is not None and abs(event.position().x() - x) <= GRAB_PX:
                self.dragging = True
                return True
        elif kind == QEvent.Type.MouseMove:
            x = self._line_widget_x()
            if self.dragging:
                self._drag_to(event.position().x())
                return True
            near = x is not None and abs(event.position().x() - x) <= GRAB_PX
            if near:
                self.win.view.setCursor(Qt.CursorShape.SplitHCursor)
            elif self.win.view.cursor().shape() == Qt.CursorShape.SplitHCursor:
                self.win.view.unsetCursor()
        elif kind == QEvent.Type.MouseButtonRelease and self.dragging:
            self._drag_to(event.position().x())
            self.dragging = False
            return True
        return False

    def _drag_to(self, x: float) -> None:
        self.split.set_swipe_fraction(x / max(self.win.view.width(), 1))


class SidesDialog(QDialog):
    """One row per layer: show it on the Left, the Right, Both, or Automatic (design left, scan
    right, city tiles both). The choice is the layer's `view_side` field: saved with the project,
    undoable. The rows follow layers added, removed or renamed while the dialog is open, and a
    side set elsewhere (undo, a project, a script)."""

    def __init__(self, scene: Any, split: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.scene, self.split = scene, split
        self.setWindowTitle(tr("Side by side: layers per side"))
        self.setModal(False)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Each layer shows on the left, the right or both sides\n"
                                "(split view: the two halves; swipe: the two sides of the line).")))
        self.form = QFormLayout()
        layout.addLayout(self.form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.combos: dict[str, QComboBox] = {}
        self._watched: list[Any] = []  # layers whose name/view_side signals we listen to
        scene.layers.inserted.connect(self._rebuild)
        scene.layers.removed.connect(self._rebuild)
        self.finished.connect(self._disconnect)
        self._rebuild()

    def _rebuild(self, *_: Any) -> None:
        """One row per layer open now (called again whenever the layer list changes)."""
        self._unwatch()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.combos = {}
        for layer in self.scene.layers:
            combo = QComboBox()
            for choice in CHOICES:
                combo.addItem(choice_label(layer, choice), choice)
            combo.setCurrentIndex(combo.findData(getattr(layer, "view_side", "auto")))
            combo.currentIndexChanged.connect(lambda _i, c=combo, lay=layer: self._chosen(lay, c))
            self.form.addRow(layer.name or tr("(unnamed)"), combo)
            self.combos[layer.name] = combo
            layer.events.view_side.connect(self._on_side)
            layer.events.name.connect(self._rebuild)
            self._watched.append(layer)
        if not len(self.scene.layers):
            self.form.addRow(QLabel(tr("No layers open.")))

    def _chosen(self, layer: Any, combo: QComboBox) -> None:
        if combo.currentData() != layer.view_side:
            self.split.set_side(layer, combo.currentData())

    def _on_side(self, *_: Any) -> None:
        """A side set elsewhere (undo, a project reopened): the combos show what is in force."""
        for layer in self._watched:
            combo = self.combos.get(layer.name)
            if combo is not None and combo.currentData() != layer.view_side:
                combo.blockSignals(True)
                combo.setCurrentIndex(combo.findData(layer.view_side))
                combo.blockSignals(False)

    def _unwatch(self) -> None:
        for layer in self._watched:
            layer.events.view_side.disconnect(self._on_side)
            layer.events.name.disconnect(self._rebuild)
        self._watched = []

    def _disconnect(self, *_: Any) -> None:
        """Closed: stop following the scene (a closed dialog must not rebuild, nor keep layers alive)."""
        self._unwatch()
        for signal in (self.scene.layers.inserted, self.scene.layers.removed):
            signal.disconnect(self._rebuild)
