"""The window as a desktop program: menus, Help, save and quit, small sizes, dialogs' folders, settings kept apart."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.ui.conftest import wait_loaded, write_las


def _menu(window, title: str):
    return next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)


def _texts(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def _real_config_files() -> dict[str, float]:
    folder = Path(os.path.expanduser("~")) / ".config" / "Twinscape"
    return {str(p): p.stat().st_mtime for p in folder.glob("*")} if folder.is_dir() else {}


def test_default_settings_never_touch_the_users_own(qtbot, tmp_path: Path) -> None:
    """Open Recent listed the test suite's temporary files: tests wrote the real QSettings."""
    from app.ui.main_window import MainWindow

    before = _real_config_files()
    window = MainWindow()  # the default settings, as the app makes them
    qtbot.addWidget(window)
    try:
        las = write_las(tmp_path / "recent.las", n=500)
        window.open_paths([str(las)])
        wait_loaded(qtbot, window)
        window.settings.sync()
        assert str(las) in window.recent_files()
        home_config = Path(os.path.expanduser("~")) / ".config"
        assert not Path(window.settings.fileName()).resolve().is_relative_to(home_config.resolve())
        assert _real_config_files() == before
    finally:
        window.close()


def test_file_edit_view_help_menus(window) -> None:
    assert [a.text().replace("&", "") for a in window.menuBar().actions()] == ["File", "Edit", "View", "Analysis", "Tools",
                                                                             "Present", "Live", "Help"]
    file_items = _texts(_menu(window, "File"))
    for item in ("New Project", "Open\u2026", "Open URL\u2026", "Open Recent", "Save", "Save As\u2026", "Close Project", "Quit"):
        assert item in file_items
    save = next(a for a in _menu(window, "File").actions() if a.text() == "&Save")
    assert save.shortcut().toString() == "Ctrl+S"
    edit = {a.text().replace("&", "").split()[0]: a for a in _menu(window, "Edit").actions()}
    assert edit["Undo"].shortcut().toString() == "Ctrl+Z"
    assert [k.toString() for k in edit["Redo"].shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    assert _texts(_menu(window, "Help")) == ["Keyboard Shortcuts", "About Twinscape"]


def test_keyboard_shortcuts_lists_every_shortcut_of_the_menus(qtbot, window) -> None:
    help_menu = _menu(window, "Help")
    next(a for a in help_menu.actions() if "Shortcuts" in a.text()).trigger()
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    rows = dialog.rows()
    listed = {(action, keys) for keys, action, _menu_path in rows}
    expected = set()

    def walk(menu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            elif action.shortcuts():
                expected.add((action.text().replace("&", "").replace("\u2026", "...").rstrip(".").strip(),
                              ", ".join(k.toString() for k in action.shortcuts())))

    for top in window.menuBar().actions():
        walk(top.menu())
    assert listed == expected and len(listed) >= 10
    keys = {k for k, _a, _m in rows}
    assert {"Ctrl+S", "Ctrl+Z", "F", "E", "F3"} <= keys
    # every window-wide shortcut is a menu action: nothing bound that Help does not show
    in_menus = {id(a) for top in window.menuBar().actions() for a in _all_actions(top.menu())}
    hidden = [a.text() for a in window.findChildren(QAction) if a.shortcuts() and id(a) not in in_menus
              and a.shortcutContext() != Qt.ShortcutContext.WidgetShortcut and a.parent() is window]
    assert not hidden
    dialog.close()


def _all_actions(menu) -> list:
    out = []
    for action in menu.actions():
        out.append(action)
        if action.menu() is not None:
            out.extend(_all_actions(action.menu()))
    return out


def test_about_shows_the_versions(window) -> None:
    import platform

    import PySide6
    import vtk
    from PySide6.QtCore import qVersion

    from app import __version__

    next(a for a in _menu(window, "Help").actions() if "About" in a.text()).trigger()
    text = window.about_box.text()
    assert window.about_box.isVisible()
    for version in (__version__, qVersion(), PySide6.__version__, vtk.vtkVersion.GetVTKVersion(), platform.python_version()):
        assert version in text
    window.about_box.close()


def test_a_small_window_keeps_the_3d_view(qtbot, window) -> None:
    window.resize(400, 300)
    qtbot.wait(100)
    assert window.view.width() >= 200 and window.view.height() >= 150
    for dock in (window.layer_tree, window.properties, window.model_tree):  # docks never cover the view
        if dock.isVisible() and not dock.isFloating():
            assert not dock.geometry().intersects(window.view.geometry()), dock.objectName()


def test_save_asks_once_then_saves_in_place_and_quit_asks_about_changes(qtbot, window, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.project_files import ProjectFiles

    window.open_paths([str(write_las(tmp_path / "scan.las", n=500))])
    wait_loaded(qtbot, window)
    assert window.scene.dirty and window.isWindowModified()
    asked: list[str] = []
    target = tmp_path / "out" / "site"
    target.parent.mkdir()

    def save_dialog(parent, title, start, filters):
        asked.append(start)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(window.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S the first time: where?
    saved = tmp_path / "out" / "site.twin"
    assert saved.is_file() and len(asked) == 1
    assert not window.scene.dirty and window.windowTitle().startswith("site")
    window.scene.layers[0].opacity = 0.5
    assert window.scene.dirty
    qtbot.keyClick(window.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # then in place, no question
    assert len(asked) == 1 and '"opacity": 0.5' in saved.read_text()
    assert not window.scene.dirty

    window.scene.layers[0].visible = False
    answers = [QMessageBox.StandardButton.Cancel]
    questions: list[bool] = []

    def ask(self):
        questions.append(True)
        return answers.pop(0)

    monkeypatch.setattr(ProjectFiles, "ask_save_changes", ask)
    window.close()  # File > Quit: unsaved changes -> asked; Cancel keeps the window
    assert questions and window.isVisible()
    answers.append(QMessageBox.StandardButton.Save)
    window.close()
    assert not window.isVisible() and '"visible": false' in saved.read_text()


def test_new_and_close_project_ask_and_empty_the_window(qtbot, window, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.project_files import ProjectFiles

    window.open_paths([str(write_las(tmp_path / "scan.las", n=500))])
    wait_loaded(qtbot, window)
    monkeypatch.setattr(ProjectFiles, "ask_save_changes", lambda self: QMessageBox.StandardButton.Cancel)
    close = next(a for a in _menu(window, "File").actions() if a.text() == "&Close Project")
    close.trigger()
    assert len(window.scene.layers) == 1  # cancelled
    monkeypatch.setattr(ProjectFiles, "ask_save_changes", lambda self: QMessageBox.StandardButton.Discard)
    next(a for a in _menu(window, "File").actions() if a.text() == "&New Project").trigger()
    assert len(window.scene.layers) == 0 and window.layer_tree.tree.topLevelItemCount() == 0
    assert not window.scene.dirty and not window.scene.frame.is_set and window.windowTitle().startswith("Untitled")
    assert not window.undo.can_undo()


def test_reopened_project_shows_its_opacity_in_the_slider(qtbot, window, tmp_path: Path) -> None:
    """The layer rendered at 0.9 while the slider said 1.0: a streamed IFC's state arrives after it is shown."""
    from app.model.project import write_project
    from app.model.scene import Scene
    from app.ui.main_window import MainWindow
    from tests.loaders.builders import make_ifc

    ifc = tmp_path / "wall.ifc"
    make_ifc(ifc, georef="site")
    window.open_paths([str(ifc)])
    wait_loaded(qtbot, window)
    window.scene.layers[0].opacity = 0.9
    project = tmp_path / "p.twin"
    write_project(window.scene, project)
    again = MainWindow(scene=Scene(), settings=QSettings(str(tmp_path / "again.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    try:
        again.open_paths([str(project)])
        wait_loaded(qtbot, again)
        layer = again.scene.layers[0]
        assert layer.opacity == 0.9
        assert again.layer_tree.current_layer() is layer and again.layer_tree.opacity.value() == 90
        assert again.canvas.visuals[id(layer)].actor.GetProperty().GetOpacity() == pytest.approx(0.9)
        assert not again.scene.dirty and again.project_files.path == str(project)  # just opened: nothing to save
    finally:
        again.close()


def test_file_dialogs_start_in_a_writable_folder(qtbot, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never in a read-only data folder (the corpus) nor in the app's cache (the demo data)."""
    import app.ui.project_files as project_files
    from app.ui.project_files import home_dir

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    las = write_las(corpus / "scan.las", n=300)
    corpus.chmod(stat.S_IRUSR | stat.S_IXUSR)  # a read-only data folder
    real_access = os.access
    monkeypatch.setattr(project_files.os, "access",  # as for a user (root may write anywhere)
                        lambda path, mode: False if Path(path) == corpus and mode & os.W_OK else real_access(path, mode))
    cache = Path(os.environ["TWINSCAPE_CACHE"]) / "demo-like"
    cache.mkdir(exist_ok=True)
    cached = write_las(cache / "cached.las", n=300)
    try:
        starts: list[str] = []
        chosen = [str(las), str(cached)]
        monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                            lambda parent, title, start, filters: (starts.append(start) or [chosen.pop(0)], filters))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, start, filters: (starts.append(start) or "", filters))
        window.open_dialog()
        wait_loaded(qtbot, window)
        window.open_dialog()
        wait_loaded(qtbot, window)
        window.project_files.save_as()
        assert starts == [home_dir()] * 3  # neither the read-only corpus nor the cache is offered
        work = tmp_path / "work"
        work.mkdir()
        window.project_files.remember_dir(str(work / "a.twin"))
        window.project_files.save_as()
        assert starts[-1] == str(work)
    finally:
        corpus.chmod(stat.S_IRWXU)


def test_the_demo_opens_clean_and_save_asks_where(qtbot, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo is a template: opened, nothing is unsaved; Ctrl+S never writes into the app's assets."""
    from app.demo import demo_project_path

    demo = demo_project_path()
    before = demo.read_bytes()
    window.open_paths([str(demo)])
    wait_loaded(qtbot, window)
    files = [layer for layer in window.scene.layers if layer.kind != "sensors"]  # besides the live sensor layers
    assert len(files) == 7 and not window.scene.dirty  # 7: with the comparison, DEM, flood series and sunlight hours
    assert window.windowTitle().startswith("demo") and window.project_files.path is None
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, filters: (asked.append(start) or str(tmp_path / "mine.twin"), filters))
    window.save_action.trigger()
    assert len(asked) == 1 and asked[0] != str(demo.parent) and (tmp_path / "mine.twin").is_file()
    assert demo.read_bytes() == before and window.project_files.path == str(tmp_path / "mine.twin")
