"""Tools menu: measuring, the section (box or plane) and labels; the Measurements dock.

`install_measure(win)` is the one call the main window makes. Every key is a menu action, so
Help > Keyboard shortcuts lists them; Finish (Enter) and Cancel (Esc) are enabled only while
measuring, so they take those keys from nobody else the rest of the time.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from app.model.annotations import Section
from app.ui.annotations_dock import AnnotationsDock
from app.ui.i18n import tr
from app.ui.measure_tool import TITLES, MeasureTool

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

MODE_KEYS = {"distance": "M", "height": "H", "polyline": "Shift+M", "polygon": "Ctrl+M", "angle": None, "point": None,
             "label": "N"}


def tools_menu(win: "MainWindow") -> QMenu:
    """The window's top-level "&Tools" menu (found by object name, created once, before Help)."""
    bar = win.menuBar()
    for action in bar.actions():
        if isinstance(action.menu(), QMenu) and action.menu().objectName() == "tools_menu":
            return action.menu()
    menu = QMenu(tr("&Tools"), bar)
    menu.setObjectName("tools_menu")
    titles = {"&Present", "&Help", tr("&Present"), tr("&Help")}  # i18n: not shown (found by title, translated or not)
    before = next((a for a in bar.actions() if a.menu() is not None and a.text() in titles), None)
    if before is not None:
        bar.insertMenu(before, menu)
    else:
        bar.addMenu(menu)
    return menu


class MeasureControls:
    """The Tools menu's actions, the measuring tool and the dock of one window."""

    def __init__(self, win: "MainWindow") -> None:
        self.win = win
        from app.ui.dock_tabs import tab_beside_when_shown

        self.dock = AnnotationsDock(win)
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        tab_beside_when_shown(win, win.properties, self.dock)  # tabs with Properties: the view keeps its room
        self.dock.hide()  # until the first measurement or label
        self.tool = MeasureTool(win, on_mode=self._mode_changed)
        menu = self.menu = tools_menu(win)
        measure_menu = menu.addMenu(tr("&Measure"))
        group = QActionGroup(measure_menu)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.mode_actions: dict[str, QAction] = {}
        for mode, key in MODE_KEYS.items():
            if mode == "label":
                continue
            action = self._action(tr(TITLES[mode]), key, lambda _=False, m=mode: self.toggle(m), checkable=True)
            group.addAction(action)
            measure_menu.addAction(action)
            self.mode_actions[mode] = action
        measure_menu.addSeparator()
        self.finish_action = self._action(tr("&Finish measurement"), "Return", self.tool.finish)
        self.cancel_action = self._action(tr("&Cancel measurement"), "Escape", self.tool.cancel)
        measure_menu.addAction(self.finish_action)
        measure_menu.addAction(self.cancel_action)
        measure_menu.addAction(self.dock.copy_action)
        self.label_action = self._action(tr("Add &label"), MODE_KEYS["label"], lambda _=False: self.toggle("label"), checkable=True)
        group.addAction(self.label_action)
        self.mode_actions["label"] = self.label_action
        menu.addAction(self.label_action)
        section = menu.addMenu(tr("&Section"))
        self.box_action = self._action(tr("Section &box"), "B", lambda on: self.set_section("box" if on else ""), checkable=True)
        self.plane_action = self._action(tr("Clipping &plane"), "Shift+B", lambda on: self.set_section("plane" if on else ""),
                                         checkable=True)
        self.outline_action = self._action(tr("Section &outline"), None, self._set_outline, checkable=True, on_toggle=True)
        self.handles_action = self._action(tr("Section &handles"), None, win.canvas.section.set_handles, checkable=True,
                                           on_toggle=True)
        self.outline_action.setChecked(True)
        self.handles_action.setChecked(True)
        for action in (self.box_action, self.plane_action, self.outline_action, self.handles_action):
            section.addAction(action)
        menu.addAction(self.dock.toggleViewAction())
        self._mode_changed("")
        win.scene.section_changed.connect(self._section_changed)
        win.scene.annotations_changed.connect(self._annotations_changed)
        self._sync_section_actions(win.scene.section)  # a new window is not an unsaved change

    def _action(self, text: str, key: str | None, slot, checkable: bool = False, on_toggle: bool = False) -> QAction:
        action = QAction(text, self.win, checkable=checkable)
        if key:
            action.setShortcut(QKeySequence(key))
        (action.toggled if on_toggle else action.triggered).connect(slot)
        self.win.addAction(action)  # keys work in full screen with the menu bar hidden
        return action

    # --- measuring -------------------------------------------------------------------------------
    def toggle(self, mode: str) -> None:
        if self.tool.mode == mode:
            self.tool.cancel()
        else:
            self.tool.start(mode)

    def _mode_changed(self, mode: str) -> None:
        for name, action in self.mode_actions.items():
            action.setChecked(name == mode)
        self.finish_action.setEnabled(mode in ("polyline", "polygon"))
        self.cancel_action.setEnabled(bool(mode))

    def _annotations_changed(self) -> None:
        if len(self.win.scene.annotations) and not self.dock.isVisible():
            self.dock.show()
        self.win.undo.set_dirty(True)

    # --- section ---------------------------------------------------------------------------------
    def set_section(self, kind: str) -> None:
        """Box: around the middle of what is shown (drag its handles); plane: vertical through the
        middle, facing away from the camera (the near half is cut away). "" removes the section."""
        scene = self.win.scene
        if not kind:
            scene.section = None
            return
        b = scene.local_bounds()
        if b is None:
            b = np.array([[-50.0, -50.0, 0.0], [50.0, 50.0, 50.0]])
        lo, hi = np.asarray(b[0], dtype=float), np.asarray(b[1], dtype=float)
        centre = (lo + hi) / 2
        outline = self.outline_action.isChecked()
        if kind == "box":
            half = (hi - lo) / 2 * np.array([0.5, 0.5, 1.0]) + np.array([0.0, 0.0, 1.0])
            scene.section = Section("box", origin=tuple(centre), half_size=tuple(np.maximum(half, 1.0)), outline=outline)
        else:
            cam = self.win.canvas.get_camera()
            view = np.asarray(cam.focal_point) - np.asarray(cam.position)
            view[2] = 0.0
            normal = view / np.linalg.norm(view) if np.linalg.norm(view) > 1e-9 else np.array([0.0, 1.0, 0.0])
            scene.section = Section("plane", origin=tuple(centre), normal=tuple(normal), outline=outline)

    def _set_outline(self, on: bool) -> None:
        section = self.win.scene.section
        if section is not None and section.outline != on:
            self.win.scene.section = Section(**{**section.__dict__, "outline": bool(on)})

    def _section_changed(self, section: Section | None) -> None:
        self._sync_section_actions(section)
        self.win.undo.set_dirty(True)

    def _sync_section_actions(self, section: Section | None) -> None:
        on = section is not None and section.enabled
        for action, kind in ((self.box_action, "box"), (self.plane_action, "plane")):
            action.blockSignals(True)
            action.setChecked(on and section.kind == kind)
            action.blockSignals(False)
        if section is not None:
            self.outline_action.blockSignals(True)
            self.outline_action.setChecked(section.outline)
            self.outline_action.blockSignals(False)

    def close(self) -> None:
        self.win.scene.section_changed.disconnect(self._section_changed)
        self.win.scene.annotations_changed.disconnect(self._annotations_changed)
        self.dock.detach()


def install_measure(win: "MainWindow") -> MeasureControls:
    win.measure = MeasureControls(win)  # type: ignore[attr-defined]
    return win.measure  # type: ignore[attr-defined]
