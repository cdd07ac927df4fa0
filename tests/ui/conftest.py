"""GUI fixtures: a small main window with throw-away settings, and seeded LAS files."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import write_las  # noqa: F401 - re-exported for the GUI tests


@pytest.fixture
def window(qtbot, tmp_path: Path):
    from PySide6.QtCore import QSettings

    from app.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(900, 520)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    win.view.close()  # idempotent: the window's closeEvent closes it too


def wait_loaded(qtbot, win, timeout: int = 90_000) -> None:
    qtbot.waitUntil(lambda: not win.tasks.tasks, timeout=timeout)
    qtbot.wait(50)
