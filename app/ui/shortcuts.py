"""Help > Keyboard shortcuts: every menu action that has a shortcut, read from the menus
themselves, so the list can never disagree with what the keys do."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QLabel, QMenu, QMenuBar, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)
from app.ui.i18n import tr


def _label(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("\u2026", "...").rstrip(".").strip()


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu path, action, keys) for every action with a shortcut, in menu order."""
    out: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} > {_label(action.text())}")
            elif action.shortcuts():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                out.append((path, _label(action.text()), keys))

    for action in bar.actions():
        if action.menu() is not None:
            walk(action.menu(), _label(action.text()))
    return out


class ShortcutsDialog(QDialog):
    def __init__(self, bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Keyboard shortcuts"))
        rows = menu_shortcuts(bar)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels([tr("Keys"), tr("Action"), tr("Menu")])
        for r, (menu, action, keys) in enumerate(rows):
            for c, text in enumerate((keys, action, menu)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        note = (tr("Mouse in the 3D view: left drag orbits, middle or Shift+left drag pans, the wheel zooms toward the "
                "cursor, right drag zooms; a click picks."))
        label = QLabel(note)
        label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(label)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]  # type: ignore[misc]


def about_text() -> str:
    """Versions for a bug report: Twinscape, Qt, PySide6, VTK, Python."""
    import platform

    import PySide6
    import vtk
    from PySide6.QtCore import qVersion

    from app import __version__

    return (f"<b>Twinscape {__version__}</b><br>3D Tiles, point clouds and BIM in one georeferenced scene.<br><br>"
            f"Qt {qVersion()}<br>PySide6 {PySide6.__version__}<br>VTK {vtk.vtkVersion.GetVTKVersion()}<br>"
            f"Python {platform.python_version()}")
