"""The "schedule_status" colour mode of a BIM layer: planned versus actual at the clock's time.

Two parts. The colouring (`colour_by_schedule_status`, `recolour`) fills a MeshVisual's per-cell RGBA
array from the layer's `data["schedule_status"]` (ahead blue, on time green, behind red, not planned
grey) and gives it a legend with counts; `recolour` refills the same VTK array in place and marks it
Modified(): the actor stays. The follower (`ScheduleStatusFollower`, owned by the schedule layer's
visual) recomputes the statuses with app.model.schedule_progress when the clock moves, the links
change or the comparison arrives or goes, and asks for that in-place recolouring.

In this mode the 4D appearance is left out (MeshVisual ignores the element states): an element built
ahead of plan is exactly one the 4D view would hide, and here it must show blue.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from app.model.clock import iso_label
from app.model.layers import MeshLayer
from app.model.schedule_progress import (
    LABELS, RGB, SCHEDULE_STATUS_MODE, STATUS_KEY, TIME_KEY, apply_statuses, clear_statuses, element_statuses,
    linked_schedule, status_counts,
)
from viewers.text import tr
from viewers.legends import Legend

if TYPE_CHECKING:
    from app.model.schedule_layer import ScheduleLayer
    from viewers.canvas import Canvas
    from viewers.visuals import MeshVisual


def has_statuses(layer: MeshLayer) -> bool:
    d = layer.data
    return d.get(STATUS_KEY) is not None and d.get("face_element") is not None and len(d[STATUS_KEY]) == len(layer.elements)


def face_rgba(layer: MeshLayer) -> np.ndarray:
    """(F,4) uint8 per face of the layer: its element's status colour; faces of no element grey."""
    status = np.asarray(layer.data[STATUS_KEY], dtype=object)
    fe = np.asarray(layer.data["face_element"])
    lut = np.empty((len(status) + 1, 3), dtype=np.uint8)
    lut[:] = RGB["not_planned"]
    for name, rgb in RGB.items():  # four comparisons, no per-element Python loop
        lut[:-1][status == name] = rgb
    rgba = np.full((len(fe), 4), 255, dtype=np.uint8)
    rgba[:, :3] = lut[np.where((fe >= 0) & (fe < len(status)), fe, len(status))]
    return rgba


def legend(layer: MeshLayer, zone: str) -> Legend:
    """Counts per status (spaces hidden by default not counted), titled with the moment they are for."""
    shown = ~np.fromiter((e.hidden_by_default for e in layer.elements), bool, len(layer.elements))
    counts = status_counts(layer.data[STATUS_KEY], shown)
    when = layer.data.get(TIME_KEY)
    title = f"{layer.name}: " + (tr("Schedule status at {time}").format(time=iso_label(when, zone)) if when is not None
                                 else tr("Schedule status"))
    return Legend(title, tuple((f"{tr(LABELS[s])} ({counts[s]})", RGB[s]) for s in LABELS))


def colour_by_schedule_status(visual: "MeshVisual", mesh: Any, kwargs: dict[str, Any]) -> None:
    """Build time: the drawn faces' RGBA cell array from the statuses, and the legend."""
    visual.face_rgba = face_rgba(visual.layer)
    visual.base_colors = visual.face_rgba[visual.face_ids]
    mesh.cell_data["RGBA"] = visual.base_colors.copy()
    kwargs.update(scalars="RGBA", rgba=True)
    visual.legend = legend(visual.layer, visual.canvas.scene.clock.zone)


def recolour(visual: "MeshVisual", colours: bool = True) -> bool:
    """New statuses (or only a new time: `colours` False retitles the legend): the same cells, their
    RGBA array refilled in place. False when the visual is not showing this mode (nothing done)."""
    layer = visual.layer
    if (layer.color_mode != SCHEDULE_STATUS_MODE or visual.actor is None or not has_statuses(layer)
            or visual.face_rgba is None or "RGBA" not in visual.mesh.cell_data):
        return False
    if colours:
        visual.face_rgba = face_rgba(layer)
        visual.base_colors = visual.face_rgba[visual.face_ids]
        array = visual.mesh.GetCellData().GetArray("RGBA")
        if len(visual.face_ids):
            from vtkmodules.util.numpy_support import vtk_to_numpy

            vtk_to_numpy(array)[:] = visual.base_colors
        array.Modified()
        if len(visual.highlighted):
            visual.set_highlight_elements(visual.highlighted)
        visual.mesh.Modified()
    visual.legend = legend(layer, visual.canvas.scene.clock.zone)
    visual.canvas.set_legend(visual, visual.legend)
    return True


class ScheduleStatusFollower:
    """Keeps the schedule's target layer's statuses at the clock's time (see the module note)."""

    def __init__(self, schedule: "ScheduleLayer", canvas: "Canvas") -> None:
        self.schedule = schedule
        self.canvas = canvas
        self.clock = canvas.scene.clock
        self.target: MeshLayer | None = None  # the layer whose data we follow (and may have written to)
        self._busy = False
        self._done: tuple | None = None  # what the statuses on the target were computed from
        self.clock.time_changed.connect(self.refresh)
        schedule.states_changed.connect(self.refresh)  # linked, relinked or unlinked
        schedule.events.visible.connect(self.refresh)
        canvas.scene.layers.inserted.connect(self._on_layers)  # another schedule or the comparison arrives
        canvas.scene.layers.removed.connect(self._on_layers)
        self.refresh()

    def _follow(self, target: MeshLayer | None) -> None:
        if target is self.target:
            return
        if self.target is not None:
            self.target.data_changed.disconnect(self.refresh)
            if linked_schedule(self.canvas.scene.layers, self.target) is None:
                clear_statuses(self.target)
        self.target = target
        if target is not None:
            target.data_changed.connect(self.refresh)  # the comparison applied or taken off

    def refresh(self, *_args: Any) -> None:
        if self._busy:  # storing the statuses emits data_changed on the target: no re-entry
            return
        if self._key() == self._done:  # a clock step announced twice (time_changed, then the 4D states_changed)
            return
        self._busy = True
        try:
            self._refresh()
        finally:
            self._busy = False
        self._done = self._key()

    def _key(self) -> tuple:
        """What the statuses depend on, besides the scene's layers (their changes always recompute)."""
        target = self.schedule.target_layer
        data = target.data if target is not None else {}
        return (self.clock.time, id(self.schedule.links), self.schedule.visible, id(target),
                id(data.get("comparison_status")), data.get(STATUS_KEY) is not None)

    def _on_layers(self, *_args: Any) -> None:
        self._done = None
        self.refresh()

    def _refresh(self) -> None:
        target = self.schedule.target_layer if self.schedule.links is not None else None
        self._follow(target)
        if target is None:
            return
        owner = linked_schedule(self.canvas.scene.layers, target)
        if owner is None:
            clear_statuses(target)
            return
        if owner is not self.schedule:  # another visible schedule on the same model colours it
            return
        statuses = element_statuses(target, self.schedule, self.clock.time)
        if statuses is None:
            clear_statuses(target)
            return
        change = apply_statuses(target, statuses, self.clock.time)
        visual = self.canvas.visuals.get(id(target))
        if change != "new" and visual is not None and recolour(visual, colours=change == "changed"):
            self.canvas.request_render()

    def close(self) -> None:
        self.clock.time_changed.disconnect(self.refresh)
        self.schedule.states_changed.disconnect(self.refresh)
        self.schedule.events.visible.disconnect(self.refresh)
        self.canvas.scene.layers.inserted.disconnect(self._on_layers)
        self.canvas.scene.layers.removed.disconnect(self._on_layers)
        self._follow(None)  # takes the statuses off once no schedule in the scene links the model
