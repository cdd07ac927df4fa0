"""Analysis > Planning: one submenu shared by the sun tools (sunlight_dialog) and the flood and
height-limit tools (flood_dialog), made by whichever installer runs first and found by object name
(its title is translated)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from app.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

PLANNING_TITLE = QT_TR_NOOP("&Planning")
PLANNING_MENU = "planning_menu"  # i18n: not shown (object name)


def planning_menu(win: "MainWindow") -> QMenu:
    for action in win.analysis_menu.actions():
        menu = action.menu()
        if menu is not None and menu.objectName() == PLANNING_MENU:
            return menu
    menu = win.analysis_menu.addMenu(tr(PLANNING_TITLE))
    menu.setObjectName(PLANNING_MENU)
    return menu
