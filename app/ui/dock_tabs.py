"""Docks that open as tabs beside another dock, not as a new slice of the window.

Why on first show: tabifying docks that are still hidden (the alerts, the sensor chart, the
comparison's docks) left Qt's tab bar for the group drawn at a stale place over the timeline.
Joining the group when the dock is first shown gives the same tabs without the stray bar."""
from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QMainWindow


def tab_beside_when_shown(win: QMainWindow, anchor: QDockWidget, dock: QDockWidget) -> None:
    """The first time `dock` becomes visible it joins `anchor`'s tabs (when `anchor` is shown too)."""
    def joined(visible: bool) -> None:
        if not visible or getattr(dock, "_tabbed", False):
            return
        dock._tabbed = True  # type: ignore[attr-defined]
        if anchor.isVisible() and win.dockWidgetArea(anchor) == win.dockWidgetArea(dock) and not anchor.isFloating():
            win.tabifyDockWidget(anchor, dock)
            dock.raise_()

    dock.visibilityChanged.connect(joined)
