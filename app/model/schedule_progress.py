"""Planned versus actual in the scene (issue 11 item 4, GUI half): each element of a compared BIM layer
that a schedule links to gets its `schedule_status` at the clock's time. No Qt, no VTK.

The rule is app.analysis.schedule_status's, the one `twinscape compare --schedule` uses (observed
progress from the comparison against planned progress from the planned dates); this module only finds
the pairs (a BIM layer with comparison results and a visible ScheduleLayer linked to it), feeds the rule
the scene's data and groups the answer by task and storey. Planned progress always reads the planned
dates, whichever dates the schedule layer's 4D view shows. Two differences from the command, both
because the GUI has the exact time: the clock's moment is used as it is (the command takes the end of a
day), and an element the comparison did not judge (a space, an element left out of the comparison) has
no observed progress: it is counted with the grey `not_planned`, never called behind.

The statuses live in the BIM layer's `data["schedule_status"]` (one per element, like
`comparison_status`): their presence offers the colour mode "schedule_status", and the visual recolours
from them in place as the clock moves.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

import numpy as np

from app.analysis.schedule_status import (
    SCHEDULE_RGB, SCHEDULE_STATUSES, _task_label, _task_planned, observed_progress, planned_progress, schedule_status,
)
from app.model.comparison import NOT_JUDGED
from app.model.layers import Layer, MeshLayer
from app.model.schedule_layer import ScheduleLayer

SCHEDULE_STATUS_MODE = "schedule_status"
STATUS_KEY = "schedule_status"  # in the BIM layer's data: (n_elements,) object array of SCHEDULE_STATUSES
TIME_KEY = "schedule_status_time"  # the aware datetime those statuses are for
LABELS = {"ahead": "ahead", "on_time": "on time", "behind": "behind", "not_planned": "not planned / not linked"}
RGB = SCHEDULE_RGB  # ahead blue, on time green, behind red, not planned grey: the report's colours


def linked_schedule(layers: Iterable[Layer], mesh: MeshLayer) -> ScheduleLayer | None:
    """The first visible schedule layer linked into `mesh` (a hidden schedule switches its 4D off, and this too)."""
    for layer in layers:
        if isinstance(layer, ScheduleLayer) and layer.visible and layer.links is not None and layer.target_layer is mesh:
            return layer
    return None


def pairs(layers: Iterable[Layer]) -> list[tuple[MeshLayer, ScheduleLayer]]:
    """(BIM layer with comparison results, the schedule linked to it), in layer order."""
    layers = list(layers)
    out = []
    for mesh in layers:
        if isinstance(mesh, MeshLayer) and mesh.data.get("comparison_status") is not None:
            schedule = linked_schedule(layers, mesh)
            if schedule is not None:
                out.append((mesh, schedule))
    return out


def element_statuses(mesh: MeshLayer, schedule: ScheduleLayer, when: datetime) -> np.ndarray | None:
    """(n_elements,) object array of ahead / on_time / behind / not_planned at `when` (aware), or None
    when the layer has no comparison results or the schedule no links into it."""
    observed_status = mesh.data.get("comparison_status")
    n = len(mesh.elements)
    if observed_status is None or len(observed_status) != n or schedule.links is None or when is None:
        return None
    planned, planned_mask = planned_progress(schedule.schedule, schedule.links, n, when)
    observed, judged = _observed(observed_status)
    return np.array(schedule_status(observed, planned, planned_mask & judged), dtype=object)


_OBSERVED_CACHE: list = [None, None]  # [the comparison's status array, (observed progress, judged)]


def _observed(status: Any) -> tuple[np.ndarray, np.ndarray]:
    """Observed progress and the judged mask, kept for the status array last seen: the comparison does
    not change while the clock moves (a new comparison brings a new array)."""
    if _OBSERVED_CACHE[0] is not status:
        _OBSERVED_CACHE[:] = [status, (observed_progress(list(status)), np.asarray(status, dtype=object) != NOT_JUDGED)]
    return _OBSERVED_CACHE[1]


def apply_statuses(mesh: MeshLayer, statuses: np.ndarray, when: datetime) -> str:
    """Store the statuses on the layer: "new" when the colour mode just became available (then
    `data_changed` was emitted, so the layer dock offers it), "changed" when some element's status
    changed, "" when none did (the visual then only retitles its legend)."""
    before = mesh.data.get(STATUS_KEY)
    mesh.data[TIME_KEY] = when
    if before is not None and len(before) == len(statuses) and (before == statuses).all():
        return ""
    mesh.data[STATUS_KEY] = statuses
    if before is None:
        mesh.data_changed.emit()
        return "new"
    return "changed"


def clear_statuses(mesh: MeshLayer) -> bool:
    """Take the statuses off (schedule unlinked or hidden, comparison removed); the colour mode stays
    as set and draws the layer's plain colours, as "status" does without its comparison."""
    if mesh.data.get(STATUS_KEY) is None:
        return False
    mesh.data.pop(STATUS_KEY, None)
    mesh.data.pop(TIME_KEY, None)
    mesh.data_changed.emit()
    return True


def status_counts(statuses: Iterable[Any], shown: np.ndarray | None = None) -> dict[str, int]:
    """Elements per status (only `shown` ones when given: spaces hidden by default are not counted)."""
    values = np.asarray(list(statuses), dtype=object)
    if shown is not None and len(shown) == len(values):
        values = values[shown]
    return {s: int(np.count_nonzero(values == s)) for s in SCHEDULE_STATUSES}


def summaries(mesh: MeshLayer, schedule: ScheduleLayer, statuses: np.ndarray, when: datetime) -> dict[str, Any]:
    """By task (name, dates, planned state at `when`, elements and counts per status; an element in
    several tasks counts in each) and by storey (each element once), as the report groups them."""
    index = {s: i for i, s in enumerate(SCHEDULE_STATUSES)}
    code = np.array([index[str(s)] for s in statuses], dtype=np.int64)
    tasks = schedule.schedule.tasks
    element, task = np.asarray(schedule.links.element, dtype=np.int64), np.asarray(schedule.links.task, dtype=np.int64)
    per_task = np.zeros((len(tasks), len(SCHEDULE_STATUSES)), dtype=np.int64)
    np.add.at(per_task, (task, code[element]), 1)
    planned = _task_planned(schedule.schedule, when)
    by_task: dict[str, dict[str, Any]] = {}
    for t in sorted(set(task.tolist())):
        row = tasks[t]
        by_task[f"{_task_label(row)} [{row.uid}]"] = {
            "uid": row.uid, "name": _task_label(row), "start": row.start, "finish": row.finish, "planned": planned[t],
            "elements": int(per_task[t].sum()), **{s: int(per_task[t, i]) for i, s in enumerate(SCHEDULE_STATUSES)}}
    by_storey: dict[str, dict[str, int]] = {}
    names, storey = np.unique(np.array([e.storey or "" for e in mesh.elements], dtype=object), return_inverse=True)
    per_storey = np.zeros((len(names), len(SCHEDULE_STATUSES)), dtype=np.int64)
    np.add.at(per_storey, (storey.reshape(-1), code), 1)
    for k, name in enumerate(names):
        by_storey[str(name)] = {"elements": int(per_storey[k].sum()),
                                **{s: int(per_storey[k, i]) for i, s in enumerate(SCHEDULE_STATUSES)}}
    return {"by_task": by_task, "by_storey": by_storey, "counts": status_counts(statuses)}
