"""File > Export image...: the view at 2x-4x the window's pixels as a PNG, with an optional title,
legends, north arrow, scale bar and date (the scene clock's time). The drawing is viewers/hires.py;
this is the dialog. Problems (a folder that cannot be written, a size too large) are said in the
dialog itself, never in a box on top of it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMenu,
    QPushButton, QVBoxLayout,
)

from app.ui.i18n import tr
from viewers.hires import SCALES, ExportError, ExportOptions, export_size, render_hires, save_png

if TYPE_CHECKING:
    from app.model.clock import SceneClock
    from app.ui.main_window import MainWindow

SETTINGS = "export_image"


def clock_text(clock: "SceneClock") -> str:
    """The scene clock's time for a picture: ISO 8601 with its offset, then the zone's name."""
    return f"{clock.time.isoformat(timespec='minutes')} {clock.zone}"


def checked_png(path: str) -> str:
    """The PNG path that will be written, or ValueError saying why it cannot be."""
    from app.render import check_output
    from loaders.base import LoadError

    path = path.strip()
    if not path:
        raise ValueError("choose a file to export to")
    ext = os.path.splitext(path)[1].lower()
    if ext and ext != ".png":
        raise ValueError(f"images are exported as PNG: use a .png name, not '{ext}'")
    try:
        return check_output(path if ext else path + ".png")
    except LoadError as exc:
        raise ValueError(exc.reason) from None


class ExportImageDialog(QDialog):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.setWindowTitle(tr("Export image"))
        self.written: str | None = None
        settings = win.settings
        form = QFormLayout()
        self.scale = QComboBox()
        for k in SCALES:
            self.scale.addItem(f"{k}x", k)
        self.scale.setCurrentIndex(max(0, self.scale.findData(int(settings.value(f"{SETTINGS}/scale", 2) or 2))))
        self.scale.currentIndexChanged.connect(self._show_size)
        self.size_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.scale)
        row.addWidget(self.size_label, 1)
        form.addRow(tr("Size"), row)
        self.title = QLineEdit(win.project_files.name if win.project_files.name != "Untitled" else "")  # i18n: not shown (ProjectFiles' key)
        self.title.setPlaceholderText(tr("No title"))
        form.addRow(tr("Title"), self.title)
        self.legend = QCheckBox(tr("Legends"))
        self.north_arrow = QCheckBox(tr("North arrow"))
        self.scale_bar = QCheckBox(tr("Scale bar"))
        self.date = QCheckBox(tr("Date: {time}").format(time=clock_text(win.scene.clock)))
        for box, key in ((self.legend, "legend"), (self.north_arrow, "north_arrow"), (self.scale_bar, "scale_bar"),
                         (self.date, "date")):
            box.setChecked(str(settings.value(f"{SETTINGS}/{key}", "true")).lower() == "true")
            form.addRow("", box)
        self.path = QLineEdit(self._default_path())
        browse = QPushButton(tr("Browse\u2026"))
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow(tr("File"), row)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._show_size()

    def _default_path(self) -> str:
        name = self.win.project_files.name or "view"
        folder = str(self.win.settings.value(f"{SETTINGS}/dir", "") or "") or self.win.project_files.start_dir()
        return os.path.join(folder, f"{name}.png")

    def _show_size(self) -> None:
        try:
            w, h = export_size(self.win.canvas, int(self.scale.currentData()))
            self.size_label.setText(f"{w:,} x {h:,} px")
            self.export_button.setEnabled(True)
        except ExportError as exc:
            self.size_label.setText(str(exc))
            self.export_button.setEnabled(False)

    def browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export image"), self.path.text(), tr("PNG image (*.png)"))
        if path:
            self.path.setText(path)

    def options(self) -> ExportOptions:
        return ExportOptions(scale=int(self.scale.currentData()), title=self.title.text(), legend=self.legend.isChecked(),
                             north_arrow=self.north_arrow.isChecked(), scale_bar=self.scale_bar.isChecked(),
                             date=clock_text(self.win.scene.clock) if self.date.isChecked() else "")

    def export(self) -> bool:
        """Render and write; on a problem the dialog stays open and says it."""
        try:
            path = checked_png(self.path.text())
            pixels, _ = render_hires(self.win.canvas, self.options())
            save_png(pixels, path)
        except (ValueError, OSError) as exc:
            self.problem.setText(tr("Could not export: {reason}").format(reason=getattr(exc, "strerror", None) or exc))
            return False
        self.written = path
        self._remember(path)
        h, w = pixels.shape[:2]
        self.win.statusBar().showMessage(tr("Exported {w:,} x {h:,} px to {path}").format(w=w, h=h, path=path), 8000)
        self.accept()
        return True

    def _remember(self, path: str) -> None:
        settings = self.win.settings
        settings.setValue(f"{SETTINGS}/scale", int(self.scale.currentData()))
        settings.setValue(f"{SETTINGS}/dir", str(Path(path).parent))
        for box, key in ((self.legend, "legend"), (self.north_arrow, "north_arrow"), (self.scale_bar, "scale_bar"),
                         (self.date, "date")):
            settings.setValue(f"{SETTINGS}/{key}", "true" if box.isChecked() else "false")


def file_menu(win: "MainWindow") -> QMenu | None:
    for action in win.menuBar().actions():
        if action.menu() is not None and action.text() == tr("&File"):
            return action.menu()
    return None


def install_export_image(win: "MainWindow") -> QAction:
    """File > Export image... (Ctrl+Shift+E), before Quit."""
    action = QAction(tr("&Export image\u2026"), win, shortcut=QKeySequence("Ctrl+Shift+E"))
    action.setToolTip(tr("Save the view as a PNG at 2-4x the window's size, with title, legends and date"))

    def show() -> ExportImageDialog:
        dialog = ExportImageDialog(win)
        win.export_image_dialog = dialog
        dialog.open()
        return dialog

    action.triggered.connect(show)
    menu = file_menu(win)
    if menu is not None:
        quit_action = next((a for a in menu.actions() if a.text() == tr("&Quit")), None)
        before = quit_action
        actions = menu.actions()
        if quit_action is not None and actions.index(quit_action) > 0 and actions[actions.index(quit_action) - 1].isSeparator():
            before = actions[actions.index(quit_action) - 1]
        menu.insertAction(before, action) if before is not None else menu.addAction(action)
    win.addAction(action)
    return action
