"""The window's File, Edit, View > Navigation, View > Time, Analysis and Help menus. Every shortcut of the app is a menu
action, so Help > Keyboard shortcuts (generated from the menus) lists them all."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from viewers.navigation import DEFAULT_NAVIGATION, NAVIGATION_MODES
from app.ui.i18n import tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

Keys = QKeySequence.StandardKey


def _action(win: "MainWindow", text: str, triggered: Callable, shortcut: object = None) -> QAction:
    action = QAction(text, win)
    action.triggered.connect(lambda _=False: triggered())
    if isinstance(shortcut, (list, tuple)):
        action.setShortcuts([QKeySequence(k) for k in shortcut])
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    return action


def build_file_menu(win: "MainWindow") -> QMenu:
    files = win.project_files
    menu = win.menuBar().addMenu(tr("&File"))
    menu.addAction(_action(win, tr("&New Project"), files.close_project, Keys.New))
    menu.addAction(_action(win, tr("&Open\u2026"), win.open_dialog, Keys.Open))
    menu.addAction(_action(win, tr("Open &URL\u2026"), win.open_url_dialog))
    win.recent_menu = menu.addMenu(tr("Open &Recent"))
    win._refresh_recent()
    menu.addSeparator()
    win.save_action = _action(win, tr("&Save"), files.save, Keys.Save)
    menu.addAction(win.save_action)
    menu.addAction(_action(win, tr("Save &As\u2026"), files.save_as, "Ctrl+Shift+S"))
    menu.addAction(_action(win, tr("&Close Project"), files.close_project, "Ctrl+W"))
    menu.addSeparator()
    menu.addAction(_action(win, tr("&Quit"), win.close, Keys.Quit))
    return menu


def _step_text(verb: str, text: tuple[str, dict[str, str]] | None) -> str:
    """ "&Undo Opacity of scan.laz", its parts translated (layer names are data and stay as they are)."""
    if text is None:
        return verb
    template, values = text
    shown = {k: tr(v) if k == "field" else v for k, v in values.items()}
    return f"{verb} {tr(template).format(**shown)}".strip()


def build_edit_menu(win: "MainWindow") -> QMenu:
    menu = win.menuBar().addMenu(tr("&Edit"))
    win.undo_action = _action(win, tr("&Undo"), win.undo.undo, Keys.Undo)
    win.redo_action = _action(win, tr("&Redo"), win.undo.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
    menu.addAction(win.undo_action)
    menu.addAction(win.redo_action)

    def refresh() -> None:
        win.undo_action.setEnabled(win.undo.can_undo())
        win.undo_action.setText(_step_text(tr("&Undo"), win.undo.undo_text()))
        win.redo_action.setEnabled(win.undo.can_redo())
        win.redo_action.setText(_step_text(tr("&Redo"), win.undo.redo_text()))

    win.undo.changed.connect(refresh)
    refresh()
    return menu


def add_navigation_menu(win: "MainWindow", view_menu: QMenu) -> QMenu:
    """View > Navigation: Terrain (turntable, the horizon stays level) or Trackball; remembered."""
    menu = view_menu.addMenu(tr("&Navigation"))
    group = QActionGroup(menu)
    saved = str(win.settings.value("navigation", DEFAULT_NAVIGATION))
    mode = saved if saved in NAVIGATION_MODES else DEFAULT_NAVIGATION
    tips = {"terrain": tr("Orbit about the vertical: the horizon stays level (drag: orbit, middle/Shift: pan, wheel: zoom)"),
            "trackball": tr("Free rotation: the horizon may roll")}
    for name in NAVIGATION_MODES:
        action = QAction(name.title(), menu, checkable=True)
        action.setToolTip(tips[name])
        action.setChecked(name == mode)
        action.triggered.connect(lambda _=False, n=name: set_navigation(win, n))
        group.addAction(action)
        menu.addAction(action)
    win.canvas.set_navigation(mode)
    win.navigation_menu = menu
    return menu


def set_navigation(win: "MainWindow", mode: str) -> None:
    win.canvas.set_navigation(mode)
    win.settings.setValue("navigation", mode)


def build_time_menu(win: "MainWindow", view_menu: QMenu) -> QMenu:
    """View > Time: the timeline's play/step actions (their keys work while the timeline has the focus)."""
    menu = view_menu.addMenu(tr("T&ime"))
    for action in win.timeline.time_actions():
        menu.addAction(action)
    return menu


def build_analysis_menu(win: "MainWindow") -> QMenu:
    """Analysis: scan versus design (app/ui/compare_dialog.py), its report, change between scans and
    ICP refinement (app/ui/change_dialog.py, registration_dialog.py: imported when chosen)."""
    from app.ui.comparison_controller import install_comparisons

    win.comparisons = install_comparisons(win)
    menu = win.menuBar().addMenu(tr("&Analysis"))
    win.layer_tree.refine_alignment = lambda layer: open_registration(win, layer)  # its context menu, point clouds
    menu.addAction(_action(win, tr("&Compare scan with design\u2026"), lambda: open_compare(win)))
    win.export_report_action = _action(win, tr("&Export comparison report\u2026"), lambda: win.comparisons.export_report())
    menu.addAction(win.export_report_action)
    menu.addSeparator()
    menu.addAction(_action(win, tr("C&hange between scans\u2026"), lambda: open_change(win)))
    menu.addAction(_action(win, tr("&Refine alignment (ICP)\u2026"), lambda: open_registration(win, win.layer_tree.current_layer())))
    menu.addSeparator()
    menu.addAction(win.comparisons.deviation_dock.toggleViewAction())
    menu.addAction(win.comparisons.comparison_dock.toggleViewAction())
    win.analysis_menu = menu
    return menu


def open_compare(win: "MainWindow") -> None:
    from app.ui.compare_dialog import open_compare_dialog

    open_compare_dialog(win)


def open_change(win: "MainWindow") -> None:
    from app.ui.change_dialog import open_change_dialog  # H3's dialog, loaded when first used

    open_change_dialog(win)


def open_registration(win: "MainWindow", layer: object) -> None:
    from app.model.layers import PointCloudLayer

    if not isinstance(layer, PointCloudLayer):
        box = QMessageBox(QMessageBox.Icon.Information, tr("Refine alignment (ICP)"),
                          tr("Select the point cloud to align in the Layers dock first."), QMessageBox.StandardButton.Ok, win)
        box.setModal(False)
        box.show()
        win.message_box = box
        return
    from app.ui.registration_dialog import open_registration_dialog

    open_registration_dialog(win, layer)


def build_help_menu(win: "MainWindow") -> QMenu:
    menu = win.menuBar().addMenu(tr("&Help"))
    menu.addAction(_action(win, tr("&Keyboard Shortcuts"), lambda: show_shortcuts(win), Keys.HelpContents))
    menu.addAction(_action(win, tr("&About Twinscape"), lambda: show_about(win)))
    return menu


def show_shortcuts(win: "MainWindow") -> None:
    from app.ui.shortcuts import ShortcutsDialog

    win.shortcuts_dialog = ShortcutsDialog(win.menuBar(), win)
    win.shortcuts_dialog.show()


def show_about(win: "MainWindow") -> None:
    from app.ui.shortcuts import about_text

    box = QMessageBox(QMessageBox.Icon.Information, tr("About Twinscape"), about_text(), QMessageBox.StandardButton.Ok, win)
    box.setModal(False)
    box.show()
    win.about_box = box
