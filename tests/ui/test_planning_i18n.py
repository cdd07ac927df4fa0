"""Analysis > Planning in another language: FLOOD's and SUN's tools share one submenu, found by its
object name (its title is translated), and the flood dialog's datum words are translated for display
while the run's parameters keep the English label."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu, QMenuBar

from app.ui.flood_dialog import PLANNING_MENU, datum_label, planning_menu


class _Win:
    def __init__(self) -> None:
        self.bar = QMenuBar()
        self.analysis_menu = self.bar.addMenu("Analysis")


def test_the_planning_menu_is_found_by_its_object_name_whatever_its_title(qtbot) -> None:
    win = _Win()
    qtbot.addWidget(win.bar)
    menu = planning_menu(win)
    assert menu.objectName() == PLANNING_MENU and menu.title() == "&Planning"
    menu.setTitle("规划(&P)")  # as the Chinese interface shows it
    assert planning_menu(win) is menu
    assert len([a for a in win.analysis_menu.actions() if isinstance(a.menu(), QMenu)]) == 1


def test_datum_labels_keep_their_unit_and_named_datums() -> None:
    assert datum_label("m, local") == "m, local"  # English interface: unchanged
    assert datum_label("m, ellipsoidal") == "m, ellipsoidal"
    assert datum_label("m, 1985 National Height Datum") == "m, 1985 National Height Datum"
