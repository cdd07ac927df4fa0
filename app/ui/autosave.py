"""Autosave and recovery after a crash (the Qt side of app/model/recovery.py).

Every N minutes (File > Autosave interval..., default 3; 0 turns it off) the window's project is
written to its session's recovery file when something changed since the last save or autosave:
layers, their state, bookmarks, tours, annotations (a camera move alone is not a change, but the
camera is saved with every autosave). Saving the project, or closing it, drops the recovery copy;
a clean exit marks the session clean. At start, a recovery file a crashed session left is offered
in a non-modal question (Recover / Discard / Later): recovering opens it like a project, as
unsaved changes of the project it came from.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from app.ui.i18n import tr
from app.logs import log_dir
from app.model.recovery import RECOVERY_DIR, RecoverySession, RecoveryStore, pending_sessions, remove_session

if TYPE_CHECKING:
    from app.tasks import Task
    from app.ui.main_window import MainWindow

DEFAULT_MINUTES = 3.0
SETTING = "autosave/minutes"
EXTRA_SIGNALS = ("bookmarks_changed", "tours_changed", "annotations_changed", "section_changed")
log = logging.getLogger(__name__)


def recovery_root() -> Path:
    """Beside the log file: $TWINSCAPE_STATE/recovery (tests get a folder of their own)."""
    return log_dir() / RECOVERY_DIR


class Autosave(QObject):
    """One window's autosave timer, its recovery store, and the recovery offer at start."""

    def __init__(self, win: "MainWindow", root: Path | None = None) -> None:
        super().__init__(win)
        self.win = win
        self.store = RecoveryStore(recovery_root() if root is None else root)
        self.changed = False  # something changed since the last save or autosave
        self.finished = False
        self.offer_box: QMessageBox | None = None
        self.offered: RecoverySession | None = None
        self._recovered: RecoverySession | None = None  # removed once this session has its own copy
        self.timer = QTimer(self, timeout=self.tick)
        self.set_interval_minutes(self.interval_minutes(), remember=False)
        scene = win.scene
        win.undo.changed.connect(self._on_undo_changed)
        scene.layers.inserted.connect(self._mark)
        scene.layers.removed.connect(self._mark)
        self._signals: list[Any] | None = [sig for sig in (getattr(scene, name, None) for name in EXTRA_SIGNALS)
                                           if sig is not None]
        for signal in self._signals:
            signal.connect(self._mark)
        win.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.finish)

    # --- the interval -------------------------------------------------------------------------
    def interval_minutes(self) -> float:
        try:
            value = float(self.win.settings.value(SETTING, DEFAULT_MINUTES))
        except (TypeError, ValueError):
            return DEFAULT_MINUTES
        return value if value >= 0 else DEFAULT_MINUTES

    def set_interval_minutes(self, minutes: float, remember: bool = True) -> None:
        """0 turns autosave off; the shortest interval is a tenth of a second (tests)."""
        minutes = max(0.0, float(minutes))
        if remember:
            self.win.settings.setValue(SETTING, minutes)
        if minutes <= 0:
            self.timer.stop()
            return
        self.timer.start(max(100, int(minutes * 60_000)))

    def ask_interval(self) -> None:
        minutes, ok = QInputDialog.getDouble(self.win, tr("Autosave"), tr("Autosave every (minutes, 0 = off):"),
                                             self.interval_minutes(), 0.0, 120.0, 1)
        if ok:
            self.set_interval_minutes(minutes)

    # --- changes and writes -------------------------------------------------------------------
    def _mark(self, *_: Any) -> None:
        self.changed = True

    def _on_undo_changed(self) -> None:
        if self.win.scene.dirty:
            self.changed = True
        elif self.changed or self.store.writes:  # saved, opened or closed: the copy is stale
            self.changed = False
            self.store.discard()
            self._drop_recovered()

    def tick(self) -> bool:
        """Write the recovery file if something changed; True when it wrote. Waits while files
        load (a half-loaded project is not worth recovering) and never asks anything."""
        if not self.changed or self.finished or self.win.tasks.tasks:
            return False
        files = self.win.project_files
        try:
            self.store.write(self.win.scene, self.win.canvas.get_camera(), files.path, files.name)
        except (OSError, ValueError, TypeError) as exc:  # a full disk must not interrupt the user
            log.warning("autosave failed: %s", exc)
            self.win.statusBar().showMessage(tr("Autosave failed: {reason}").format(reason=getattr(exc, "strerror", None) or exc),
                                             10_000)
            return False
        self.changed = False
        self._drop_recovered()
        return True

    def _drop_recovered(self) -> None:
        if self._recovered is not None:
            remove_session(self._recovered)
            self._recovered = None

    def finish(self) -> None:
        """A clean end of this session: nothing to offer at the next start."""
        if self.finished:
            return
        self.finished = True
        self.timer.stop()
        self.store.clean_exit()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.win and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._after_close)  # the window may still refuse (Cancel)
        return False

    def _after_close(self) -> None:
        if not self.win.isVisible():
            self.close()  # a clean end, and the scene (which may outlive the window) no longer calls us

    # --- recovery at start --------------------------------------------------------------------
    def offer_recovery(self) -> QMessageBox | None:
        """If a crashed session left a recovery file, ask (non-modal) what to do with it."""
        sessions = pending_sessions(self.store.root)
        if not sessions:
            return None
        session = self.offered = sessions[0]
        text = tr("Twinscape did not close normally. Recover the autosaved copy of\n{what}?").format(what=self._describe(session))
        if len(sessions) > 1:
            text += "\n\n" + tr("{n} older recovery file(s) will be offered next time.").format(n=len(sessions) - 1)
        box = QMessageBox(QMessageBox.Icon.Question, tr("Recover unsaved work"), text, QMessageBox.StandardButton.NoButton,
                          self.win)
        self.recover_button = box.addButton(tr("Recover"), QMessageBox.ButtonRole.AcceptRole)
        self.discard_button = box.addButton(tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        self.later_button = box.addButton(tr("Later"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.recover_button)
        box.setModal(False)
        box.buttonClicked.connect(lambda button: self._answered(session, button))
        box.show()
        self.offer_box = box
        return box

    @staticmethod
    def _describe(session: RecoverySession) -> str:
        where = session.project_path or tr("an untitled project")
        return tr("{name} ({where}), autosaved {when}").format(name=session.name, where=where,
                                                               when=f"{session.saved_at.astimezone():%Y-%m-%d %H:%M}")

    def _answered(self, session: RecoverySession, button: Any) -> None:
        if button is self.recover_button:
            self.recover(session)
        elif button is self.discard_button:
            remove_session(session)

    def recover(self, session: RecoverySession) -> "Task":
        """Open the recovery file; once loaded it is the project it came from, with unsaved changes."""
        task = self.win.open_paths([str(session.project_file)])
        task.keeps_clean = True  # type: ignore[attr-defined]  # not "opened": the title and path are set here
        self._recovered = session
        poll = QTimer(self, interval=100)

        def done() -> None:
            if not task.done or task in self.win.tasks.tasks:
                return
            poll.stop()
            poll.deleteLater()
            self._after_recovery(session)

        poll.timeout.connect(done)
        poll.start()
        return task

    def _after_recovery(self, session: RecoverySession) -> None:
        win, files = self.win, self.win.project_files
        recent = [p for p in win.recent_files() if Path(p) != session.project_file]
        win.settings.setValue("recent", recent)  # the recovery file is no place to reopen from
        win._refresh_recent()
        files.path = session.project_path if session.project_path and Path(session.project_path).parent.is_dir() else None
        files.name = session.name
        win.undo.set_dirty(True)
        files.update_title()
        self.changed = True
        win.statusBar().showMessage(tr("Recovered {name}: save it to keep the changes").format(name=session.name), 15_000)

    def close(self) -> None:
        """A clean end; disconnect from the scene (the window is going away)."""
        self.finish()
        if self._signals is None:
            return
        scene = self.win.scene
        for signal, slot in ((self.win.undo.changed, self._on_undo_changed), (scene.layers.inserted, self._mark),
                             (scene.layers.removed, self._mark), *((s, self._mark) for s in self._signals)):
            try:
                signal.disconnect(slot)
            except (TypeError, ValueError, RuntimeError):
                pass
        self._signals = None


def install_autosave(win: "MainWindow", file_menu: Any = None) -> Autosave:
    """The window's autosave (win.autosave), File > Autosave interval..., and the recovery offer
    once the window is up."""
    autosave = Autosave(win)
    if file_menu is not None:
        action = QAction(tr("Auto&save interval\u2026"), win, triggered=autosave.ask_interval)
        action.setToolTip(tr("How often unsaved changes are copied to a recovery file (0 = off)"))
        file_menu.addAction(action)
    QTimer.singleShot(0, autosave.offer_recovery)
    return autosave
