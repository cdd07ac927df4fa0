"""Drawing a height-limit zone in the view: each click on the scene adds a corner, Enter (or Done)
closes the polygon, Escape drops it. The corners show as a small result layer (markers), so the
shell never touches VTK; that layer is removed when the drawing ends."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt

from app.model.results import ResultLayer
from app.ui.i18n import tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

CLICK_SLOP_PX = 4


class ZoneDrawer(QObject):
    """Collects scene points clicked in the view; `on_done(points (N,3) | None)` when finished."""

    def __init__(self, win: "MainWindow", on_done: Callable[[np.ndarray | None], None]) -> None:
        super().__init__(win)
        self.win = win
        self.on_done = on_done
        self.points: list[np.ndarray] = []
        self.marker: ResultLayer | None = None
        self._press: tuple[float, float] | None = None
        win.view.installEventFilter(self)

    def add(self, point: Any) -> None:
        """One corner (scene ENU); the markers follow."""
        self.points.append(np.asarray(point, dtype=np.float64).reshape(3))
        pts = np.array(self.points)
        data = {"vertices": pts, "up": np.array([0.0, 0.0, 1.0]), "grid_shape": None, "cells": None, "cell_types": None,
                "steps": [{"corner": np.arange(1.0, len(pts) + 1.0)}], "cell_arrays": set(), "times": None,
                "times_absolute": False, "units": {}}
        if self.marker is None:
            self.marker = ResultLayer(name=tr("Zone being drawn"), data=data, cmap="turbo")
            self.marker.info = {"crs": "EPSG:4979", "drawing": True}  # i18n: not shown (scene coordinates: never "unplaced")
            self.win.scene.layers.append(self.marker)
        else:
            self.marker.data = data
            self.marker.data_changed.emit()

    def finish(self) -> None:
        pts = np.array(self.points) if len(self.points) >= 3 else None
        self._end()
        self.on_done(pts)

    def cancel(self) -> None:
        self._end()
        self.on_done(None)

    def _end(self) -> None:
        self.win.view.removeEventFilter(self)
        if self.marker is not None and any(self.marker is layer for layer in self.win.scene.layers):
            self.win.scene.layers.remove(self.marker)
        self.marker = None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is not self.win.view:
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            self.cancel() if event.key() == Qt.Key.Key_Escape else self.finish()
            return True
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._press = (event.position().x(), event.position().y())
        elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton and self._press:
            dx, dy = event.position().x() - self._press[0], event.position().y() - self._press[1]
            self._press = None
            if abs(dx) + abs(dy) <= CLICK_SLOP_PX:  # a click, not an orbit
                world = self.win.canvas.world_position(*self.win._vtk_xy(event.position()))
                if world is not None:
                    self.add(world)
        return False
