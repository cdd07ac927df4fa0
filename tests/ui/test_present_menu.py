"""The shared Present menu is created once and found again by every installer."""
from PySide6.QtWidgets import QMainWindow, QMenu

from app.ui.present_menu import present_menu


def test_present_menu_created_once_before_help(qtbot) -> None:
    win = QMainWindow()
    qtbot.addWidget(win)
    win.menuBar().addMenu("&File")
    win.menuBar().addMenu("&Help")
    first = present_menu(win)
    second = present_menu(win)
    assert first is second
    assert first.objectName() == "present_menu"
    assert win.findChild(QMenu, "present_menu") is first
    titles = [a.text() for a in win.menuBar().actions()]
    assert titles == ["&File", "&Present", "&Help"]
