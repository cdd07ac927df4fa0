"""New, Save, Save As and Close Project, as a desktop program does them: Ctrl+S saves to the
project's file (asking where the first time), and nothing unsaved is lost without a question.

File dialogs start in the last folder the user could write to, else Documents or home: never in
a read-only data folder (the public corpus, a mounted share) or the app's own cache (the demo).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.model.project import write_project
from app.model.scene import Camera, Selection
from app.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

PROJECT_FILTER = QT_TR_NOOP("Twinscape project (*.twin)")
Button = QMessageBox.StandardButton


def _cache_root() -> Path:
    from assets.demo.generate import default_cache_root

    return default_cache_root()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError):
        return False


def usable_dir(folder: str | os.PathLike | None) -> bool:
    """A folder a dialog may start in: it exists, the user can write there, and it is not the
    app's cache (the demo data and octrees live there, writable but not the user's)."""
    if not folder or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        return False
    return not _inside(Path(folder), _cache_root())


def home_dir() -> str:
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return docs if usable_dir(docs) else os.path.expanduser("~")


class ProjectFiles:
    """The window's project: its file, and the questions before its changes are lost."""

    def __init__(self, window: "MainWindow") -> None:
        self.window = window
        self.path: str | None = None
        self.name = tr("Untitled")  # shown in the title; the demo keeps its name but has no path (Save asks where)
        window.undo.changed.connect(self.update_title)
        self.update_title()

    # --- folders ------------------------------------------------------------------------------
    def start_dir(self) -> str:
        last = str(self.window.settings.value("last_dir", "") or "")
        return last if usable_dir(last) else home_dir()

    def remember_dir(self, path: str) -> None:
        folder = os.path.dirname(os.path.abspath(path))
        if usable_dir(folder):
            self.window.settings.setValue("last_dir", folder)

    # --- questions ----------------------------------------------------------------------------
    def ask_save_changes(self) -> Button:
        """Save, Discard or Cancel (tests replace this method to answer)."""
        name = Path(self.path).name if self.path else tr("the untitled project")
        return QMessageBox.question(self.window, tr("Unsaved changes"), tr('Save the changes to {name} before closing it?').format(name=name),
                                    Button.Save | Button.Discard | Button.Cancel, Button.Save)

    def maybe_save(self) -> bool:
        """True when the caller may go on (saved, discarded, or nothing to save)."""
        scene = self.window.scene
        if not scene.dirty or (not len(scene.layers) and not self.path):  # nothing that could be saved
            return True
        answer = self.ask_save_changes()
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    # --- actions ------------------------------------------------------------------------------
    def save(self) -> bool:
        return self._write(self.path) if self.path else self.save_as()

    def save_as(self) -> bool:
        start = self.path if self.path and usable_dir(os.path.dirname(self.path)) else self.start_dir()
        path, _ = QFileDialog.getSaveFileName(self.window, tr("Save project"), start, tr(PROJECT_FILTER))
        if not path:
            return False
        if not path.lower().endswith(".twin"):
            path += ".twin"
        return self._write(path)

    def _write(self, path: str) -> bool:
        window = self.window
        window.scene.camera = window.canvas.get_camera()
        try:
            write_project(window.scene, path)
        except OSError as exc:
            QMessageBox.warning(window, tr("Could not save"), tr('{v0}: {v1}').format(v0=Path(path).name, v1=exc.strerror or exc))
            return False
        self.path = path
        self.name = Path(path).stem
        self.remember_dir(path)
        window._add_recent(path)
        window.undo.mark_clean()
        self.update_title()
        window.statusBar().showMessage(tr('Saved {path}').format(path=path), 5000)
        return True

    def close_project(self) -> bool:
        """Empty the window (after asking about unsaved changes); False when the user cancelled."""
        if not self.maybe_save():
            return False
        window, scene = self.window, self.window.scene
        window.cancel_loads()
        with window.undo.paused():
            scene.select(Selection())
            scene.layers.clear()
        scene.bookmarks.clear()
        scene.annotations.clear()  # measurements and labels belong to the project closed
        scene.section = None
        scene.tours.clear()
        scene.frame.origin_lla = None
        scene.frame.display_crs = None
        scene.camera = Camera()
        scene.camera_from_project = False
        scene.clock.reset()  # a new project starts paused, at today in UTC
        window._refresh_bookmarks()
        window.undo.clear()
        window.undo.mark_clean()
        self.path = None
        self.name = tr("Untitled")
        self.update_title()
        return True

    def opened(self, path: str) -> None:
        """A project finished opening into an empty window: it is the window's file, unchanged.
        The demo is a template: Save asks where, rather than writing into the app's assets."""
        from app.demo import is_demo_project

        is_demo = is_demo_project(path)  # the demo or its copy in the interface's language
        self.path = None if is_demo else path
        self.name = Path(path).stem
        self.window.undo.clear()
        self.window.undo.mark_clean()
        self.update_title()

    def update_title(self) -> None:
        self.window.setWindowTitle(tr('{v0}[*] — Twinscape').format(v0=self.name))
        self.window.setWindowModified(bool(self.window.scene.dirty))
