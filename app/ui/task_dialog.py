"""The run / progress / cancel steps the analysis dialogs share (change between scans, ICP,
sunlight hours). Each dialog keeps `task`, `bar` (its own progress bar), `run_button`, `_timer`
(a 100 ms QTimer calling its progress slot) and `_finish(task)`; these functions drive them and the
window's status-bar progress and Cancel, so the three dialogs behave alike."""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import QLabel

from app.ui.i18n import tr


def start_task(dialog: Any, window: Any, label: str, work: Callable[[Any], Any], status: QLabel, text: str,
               progress_format: str) -> Any:
    """Submit `work` as a window task whose end calls `dialog._finish`; show the progress."""
    task = window.tasks.submit(label, work)
    task.on_done = dialog._finish
    dialog.task = task
    dialog.run_button.setEnabled(False)
    status.setText(text)
    dialog.bar.setValue(0)
    dialog.bar.show()
    window.progress.setValue(0)
    window.progress.setFormat(progress_format)
    window.progress.show()
    window.cancel_button.show()
    dialog._timer.start()
    return task


def show_task_progress(dialog: Any, messages: QLabel | None = None) -> None:
    """The timer's slot: the bar follows the task (and its messages go to `messages`)."""
    if dialog.task is not None:
        dialog.bar.setValue(int(dialog.task.progress * 100))
        if messages is not None and dialog.task.message:
            messages.setText(dialog.task.message)


def cancel_running(dialog: Any, status: QLabel) -> bool:
    """Cancel a running task (True), or nothing runs (False: the caller closes the dialog)."""
    if dialog.task is not None and not dialog.task.done:
        dialog.task.cancel()
        status.setText(tr("Cancelling\u2026"))
        return True
    return False


def end_task(dialog: Any) -> None:
    """First step of `_finish`: the dialog can run again."""
    dialog._timer.stop()
    dialog.task = None
    dialog.bar.hide()
    dialog.run_button.setEnabled(True)
