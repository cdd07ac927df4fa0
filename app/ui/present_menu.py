"""The top-level "Present" menu shared by tours, briefing mode, screenshots and measuring.

Several installers add to it in whatever order they run; this finds it by object name so
there is only ever one, placed before Help when Help already exists."""
from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QMenu

from app.ui.i18n import tr

OBJECT_NAME = "present_menu"


def present_menu(win: QMainWindow) -> QMenu:
    """Return the window's "&Present" menu, creating it (once) on first use."""
    bar = win.menuBar()
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and menu.objectName() == OBJECT_NAME:
            return menu
    menu = QMenu(tr("&Present"), bar)
    menu.setObjectName(OBJECT_NAME)
    help_titles = {"&Help", tr("&Help")}  # i18n: not shown (found by its title, translated or not)
    help_action = next((a for a in bar.actions() if a.menu() is not None and a.text() in help_titles), None)
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)
    return menu
