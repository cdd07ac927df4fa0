"""A schedule in the scene: its tasks, their links to one model layer's elements, and the 4D state of
those elements at the clock's time (no Qt, no VTK).

The layer draws nothing itself: its visual (viewers/schedule_visual.py) follows the scene clock, asks
`set_time` for the element states and hands them to the target model's visual, which changes its
arrays in place. The state saved in a project names the target layer and the link source (a link
table's path, a `Pset.Property`, or "ifc" for the model's own 4D), so reopening links again.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Iterable

import numpy as np
from psygnal import Signal

from app.model.fourd import FourD
from app.model.layers import Layer, MeshLayer
from app.model.schedule_links import LinkReport, TaskLinks, links_from_ifc, links_from_property, read_link_table
from loaders.base import LoadError
from loaders.schedule import Schedule, ScheduleData

LINK_KINDS = ("table", "property", "ifc")


class LinkError(ValueError):
    """Links could not be made; the message says why in plain words."""


@dataclass(eq=False)
class ScheduleLayer(Layer):
    """data: {"schedule": loaders.schedule.Schedule}. `target` names the model layer the links point
    into; `link_kind`/`link_source` say how they were made (see module doc); `dates` picks planned,
    actual or baseline dates for the 4D view."""

    target: str = ""
    link_kind: str = ""
    link_source: str = ""
    dates: str = "planned"

    kind: ClassVar[str] = "schedule"
    time_aware: ClassVar[bool] = True
    states_changed: ClassVar[Signal] = Signal()  # new element states (after set_time or a new link)
    highlight_changed: ClassVar[Signal] = Signal(object)  # element indices of the chosen task(s)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data is None:
            self.data = {"schedule": Schedule([])}
        if self.dates not in ("planned", "actual", "baseline"):
            self.dates = "planned"
        self.target_layer: MeshLayer | None = None
        self.links: TaskLinks | None = None
        self.fourd: FourD | None = None
        self.states: np.ndarray | None = None  # (n_elements,) int8 of app.model.fourd states, or None unlinked
        self.time: datetime | None = None
        self.highlight: tuple[int, ...] = ()

    @property
    def schedule(self) -> Schedule:
        return self.data["schedule"]

    def counts(self) -> dict[str, int]:
        out = {"tasks": len(self.schedule.tasks)}
        if self.links is not None:
            out["linked elements"] = self.links.report.elements_linked
        return out

    # --- links --------------------------------------------------------------------------------------
    def link(self, target: MeshLayer, kind: str, source: str = "") -> LinkReport:
        """Link tasks to `target`'s elements from a link table (kind "table", source its path), an element
        property ("property", source 'Pset.Property') or the IFC's own 4D ("ifc"). Raises LinkError."""
        if kind not in LINK_KINDS:
            raise LinkError(f"unknown link kind '{kind}' (one of {', '.join(LINK_KINDS)})")
        elements = target.elements
        if not elements:
            raise LinkError(f"layer '{target.name}' has no elements to link tasks to")
        ids = [e.id for e in elements]
        replaced = None
        try:
            if kind == "table":
                links = read_link_table(source, self.schedule, ids)
            elif kind == "property":
                if "." not in source.strip(".") and source.strip():
                    raise LinkError(f"'{source}' is not a property name of the form Pset.Property")
                links = links_from_property(elements, self.schedule, source.strip())
            else:
                path = (target.source or {}).get("path") or source
                if not path:
                    raise LinkError(f"layer '{target.name}' has no IFC file to read its 4D from")
                schedule, links = links_from_ifc(path, ids)
                if schedule.tasks:  # the IFC's tasks are the schedule now (the Gantt follows data_changed)
                    replaced = {"schedule": schedule}
                    source = path
        except LoadError as exc:
            raise LinkError(exc.reason) from None
        except OSError as exc:
            raise LinkError(f"cannot read {source}: {exc.strerror or exc}") from None
        if replaced is not None:
            self.data = replaced
        self.set_links(target, links)
        if replaced is not None:
            self.data_changed.emit()
        with self.events.blocked():  # like opening a file: not an undo step (the UI marks the scene unsaved)
            self.target, self.link_kind, self.link_source = target.name, kind, source
        return links.report

    def set_links(self, target: MeshLayer, links: TaskLinks) -> None:
        """Use ready links (e.g. built by a test or the CLI) into `target`."""
        self.target_layer, self.links = target, links
        self.fourd = FourD.from_links(self.schedule, links, len(target.elements), dates=self.dates)
        self.states = None
        if self.time is not None:
            self.set_time(self.time, force=True)

    def unlink(self) -> None:
        self.target_layer = self.links = self.fourd = self.states = None
        self.highlight = ()
        self.states_changed.emit()

    def needs_relink(self) -> bool:
        """Saved with a link (a project) but not linked yet in this session."""
        return bool(self.target and self.link_kind) and self.links is None

    def relink(self, layers: Iterable[Layer]) -> LinkReport | None:
        """Link again to the layer named `target` among `layers`, as the saved state says; a failure
        becomes a warning on the layer. None when the target is not (yet) among them."""
        target = next((la for la in layers if isinstance(la, MeshLayer) and la.name == self.target), None)
        if target is None:
            return None
        source = self.link_source
        if self.link_kind == "table" and not os.path.exists(source) and self.source and self.source.get("path"):
            beside = os.path.join(os.path.dirname(str(self.source["path"])), os.path.basename(source))
            source = beside if os.path.exists(beside) else source  # moved with the schedule (a copied project folder)
        try:
            return self.link(target, self.link_kind, source)
        except LinkError as exc:
            self.warnings.append(f"4D links to '{self.target}' not made: {exc}")
            with self.events.blocked():
                self.link_kind = ""
            return None

    # --- time ---------------------------------------------------------------------------------------
    def set_time(self, when: datetime, *, force: bool = False) -> np.ndarray | None:
        """The element states at `when` (aware); emits `states_changed` when they changed."""
        same_time = self.time == when
        self.time = when
        if self.fourd is None or (same_time and not force and self.states is not None):
            return self.states
        states = self.fourd.states(when)
        if self.states is None or force or not np.array_equal(states, self.states):
            self.states = states
            self.states_changed.emit()
        return self.states

    # --- tasks and elements ----------------------------------------------------------------------
    def elements_of(self, tasks: Iterable[int]) -> list[int]:
        if self.links is None:
            return []
        return sorted(set(self.links.element[np.isin(self.links.task, list(tasks))].tolist()))

    def tasks_of(self, element: int) -> list[int]:
        return [] if self.links is None else self.links.tasks_of(element)

    def highlight_tasks(self, tasks: Iterable[int]) -> list[int]:
        """Highlight the elements of these tasks in the 3D view; returns them."""
        elements = self.elements_of(tasks)
        self.highlight = tuple(elements)
        self.highlight_changed.emit(self.highlight)
        return elements


def schedule_layer_from(data: ScheduleData) -> ScheduleLayer:
    """Loader output -> layer; the info the layer tree shows."""
    s = data.schedule
    layer = ScheduleLayer(name=data.name, data={"schedule": s})
    start, finish = s.start(), s.finish()
    layer.info = {"format": data.format, "kind": "schedule", "tasks": len(s.tasks), "time_zone": s.time_zone,
                  "start": start.isoformat() if start else None, "finish": finish.isoformat() if finish else None}
    layer.warnings = list(data.warnings)
    return layer


def model_layers(layers: Iterable[Layer]) -> list[MeshLayer]:
    """Layers a schedule can link into: models with elements."""
    return [la for la in layers if isinstance(la, MeshLayer) and la.elements]


def link_kind_from(text: Any) -> str:
    return str(text) if text in LINK_KINDS else ""
