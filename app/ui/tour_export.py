"""Present > Export tour as video...: `twinscape video` run as a child process on the saved project.

Why a child process: the export renders off-screen with its own VTK window and takes a while;
in the GUI's process it would either block the window or touch VTK from a second thread (which
pyvistaqt does not survive). The child reads the project as saved, so unsaved changes are saved
first (with the user's consent); its progress lines drive the status bar, and its one `error:`
line is shown if it fails.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QProcess
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.model.tours import find_tour
from app.ui.i18n import tr
from app.video import check_video_output
from loaders.base import LoadError

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

DEFAULT_SIZE = "1280x720"
DEFAULT_FPS = 30
_PROGRESS = re.compile(r"(\d+)% frame (\d+)/(\d+)")


class TourExport(QObject):
    """One export at a time (win.tour_export)."""

    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.process: QProcess | None = None
        self.output = ""
        self.errors: list[str] = []
        self.box: QMessageBox | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def _tell(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> None:
        self.errors.append(text)
        self.box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.win)
        self.box.setModal(False)
        self.box.show()

    def ask(self) -> None:
        """The menu action: choose the tour (the one in the Tours tab), the project, the file."""
        win = self.win
        tour = win.bookmarks_dock.tours.current_tour() or find_tour(win.scene.tours, None)
        if tour is None:
            self._tell(tr("Export tour as video"), tr("The project has no tour yet: make one in Present > Bookmarks and tours."),
                       QMessageBox.Icon.Information)
            return
        files = win.project_files
        if files.path is None or win.scene.dirty:
            answer = QMessageBox.question(win, tr("Export tour as video"),
                                          tr("The video is made from the saved project. Save the project now?"))
            if answer != QMessageBox.StandardButton.Yes or not files.save():
                return
        start = os.path.join(os.path.dirname(files.path or ""), f"{tour.name}.mp4")
        output, _ = QFileDialog.getSaveFileName(win, tr("Export tour as video"), start, tr("MP4 video (*.mp4)"))
        if output:
            self.start(str(files.path), tour.name, output)

    def start(self, project: str, tour: str, output: str, size: str = DEFAULT_SIZE, fps: int = DEFAULT_FPS) -> bool:
        """Run the export; False (with a message) when the output cannot be written or one is running."""
        if self.running:
            self._tell(tr("Export tour as video"), tr("A video is being exported already; wait for it to finish."))
            return False
        try:
            output = check_video_output(output)
        except LoadError as exc:
            self._tell(tr("Could not export the video"), f"{Path(exc.path).name}: {exc.reason}")
            return False
        self.output = output
        self._stderr = ""
        process = QProcess(self)
        program, *arguments = self.command(project, tour, output, size, fps)
        process.setProgram(program)
        process.setArguments(arguments)
        process.setWorkingDirectory(str(Path(__file__).resolve().parents[2]))
        process.readyReadStandardError.connect(self._progress)
        process.finished.connect(self._finished)
        self.process = process
        self.win.statusBar().showMessage(tr("Exporting tour '{tour}' to {file}\u2026").format(tour=tour, file=Path(output).name))
        process.start()
        return True

    @staticmethod
    def command(project: str, tour: str, output: str, size: str, fps: int) -> list[str]:
        """`twinscape video` with this interpreter (the same environment as the window)."""
        return [sys.executable, "-m", "app", "video", project, "--tour", tour, "-o", output, "--size", size, "--fps", str(fps)]

    def _progress(self) -> None:
        assert self.process is not None
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        self._stderr += text
        found = _PROGRESS.findall(text)
        if found:
            pct, done, total = found[-1]
            self.win.statusBar().showMessage(tr("Exporting {file}: {pct}% (frame {done} of {total})").format(
                file=Path(self.output).name, pct=pct, done=done, total=total))

    def _finished(self, code: int, _status: object) -> None:
        if code == 0:
            self.win.statusBar().showMessage(tr("Exported {file}").format(file=self.output), 10_000)
            return
        lines = [line for line in self._stderr.splitlines() if line.startswith("error:")]
        self.win.statusBar().clearMessage()
        self._tell(tr("Could not export the video"), "\n".join(lines) or tr("the export stopped (exit code {code})").format(code=code))

    def cancel(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.waitForFinished(3000)
