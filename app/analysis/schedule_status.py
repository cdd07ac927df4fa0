"""Planned versus actual (issue 11 item 4): each linked element's `schedule_status` at a date.

Pure functions over plain data (no Qt, no VTK), shared by `twinscape compare --schedule` and the GUI.

- observed progress from the comparison's status: built or deviating = complete, partial = started,
  missing = not started;
- planned progress at the moment D from the element's tasks (app.model.fourd.FourD.progress): all
  its tasks finished by D = complete, one started by D = started, else not started;
- `ahead` when observed is further than planned, `behind` when less, else `on_time`;
  `not_planned` for elements linked to no dated task (grey in views).
A date given as a day (YYYY-MM-DD) means the end of that day in the schedule's time zone: a task that
finishes on D counts as complete at D.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Sequence

import numpy as np

from app.model.fourd import COMPLETE, NOT_STARTED, STARTED, FourD

SCHEDULE_STATUSES = ("ahead", "on_time", "behind", "not_planned")
PROGRESS_NAMES = {NOT_STARTED: "not_started", STARTED: "started", COMPLETE: "complete"}
OBSERVED = {"built": COMPLETE, "deviating": COMPLETE, "partial": STARTED, "missing": NOT_STARTED}
SCHEDULE_RGB = {"ahead": (40, 110, 220), "on_time": (46, 160, 67), "behind": (214, 39, 40), "not_planned": (150, 150, 150)}


def end_of_day(day: date, time_zone: str = "UTC") -> datetime:
    """The last second of `day` in the schedule's zone (aware)."""
    from loaders.schedule import resolve_zone

    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=resolve_zone(time_zone)) - timedelta(seconds=1)


def observed_progress(statuses: Sequence[str]) -> np.ndarray:
    """int8 NOT_STARTED/STARTED/COMPLETE per element from comparison statuses (unknown -> not started)."""
    return np.array([OBSERVED.get(s, NOT_STARTED) for s in statuses], dtype=np.int8)


def planned_progress(schedule: Any, links: Any, n_elements: int, when: datetime) -> tuple[np.ndarray, np.ndarray]:
    """(planned progress int8, planned mask: linked to a dated task) per element at `when`."""
    four = FourD.from_links(schedule, links, n_elements)
    return four.progress(when), four.linked & (four.tasks_per_element > 0)


def schedule_status(observed: np.ndarray, planned: np.ndarray, planned_mask: np.ndarray) -> list[str]:
    """ahead / on_time / behind per element, not_planned where no dated task plans it."""
    out = np.where(observed > planned, "ahead", np.where(observed < planned, "behind", "on_time")).astype(object)
    out[~np.asarray(planned_mask, dtype=bool)] = "not_planned"
    return [str(s) for s in out]


def _task_label(task: Any) -> str:
    return task.name or task.wbs or task.id or task.uid


def task_names(schedule: Any, links: Any, n_elements: int) -> list[str]:
    """Each element's task(s) by name ("; " between several, in schedule order), "" when none."""
    names: list[list[int]] = [[] for _ in range(n_elements)]
    for e, t in zip(np.asarray(links.element), np.asarray(links.task)):
        names[int(e)].append(int(t))
    return ["; ".join(_task_label(schedule.tasks[t]) for t in sorted(ts)) for ts in names]


def _task_planned(schedule: Any, when: datetime) -> list[str]:
    out = []
    for t in schedule.tasks:
        if t.start is None:
            out.append("undated")
        elif t.finish is not None and t.finish <= when:
            out.append("complete")
        elif t.start <= when:
            out.append("started")
        else:
            out.append("not_started")
    return out


def schedule_parts(elements: Sequence[Any], statuses: Sequence[str] | None, schedule: Any, links: Any,
                   when: datetime) -> dict:
    """Per element {task, planned, schedule_status} (status only with a comparison) and summaries by
    task and by storey, for the report. `elements`: ElementInfo, in the design's order."""
    n = len(elements)
    planned, mask = planned_progress(schedule, links, n, when)
    names = task_names(schedule, links, n)
    per: list[dict[str, Any]] = []
    status = schedule_status(observed_progress(statuses), planned, mask) if statuses is not None else None
    for i in range(n):
        row: dict[str, Any] = {"task": names[i] or None,
                               "planned": PROGRESS_NAMES[int(planned[i])] if mask[i] else None}
        if status is not None:
            row["schedule_status"] = status[i]
        per.append(row)
    task_state = _task_planned(schedule, when)
    by_task: dict[str, dict[str, Any]] = {}
    for e, t in sorted(zip(np.asarray(links.element).tolist(), np.asarray(links.task).tolist()), key=lambda p: (p[1], p[0])):
        task = schedule.tasks[t]
        key = f"{_task_label(task)} [{task.uid}]"
        g = by_task.setdefault(key, {"uid": task.uid, "name": task.name, "start": task.start.isoformat() if task.start else None,
                                     "finish": task.finish.isoformat() if task.finish else None,
                                     "planned": task_state[t], "elements": 0,
                                     **({s: 0 for s in SCHEDULE_STATUSES} if status is not None else {})})
        g["elements"] += 1
        if status is not None:
            g[status[e]] += 1
    by_storey: dict[str, dict[str, int]] = {}
    if status is not None:
        for el, s in zip(elements, status):
            g2 = by_storey.setdefault(el.storey or "", {"elements": 0, **{k: 0 for k in SCHEDULE_STATUSES}})
            g2["elements"] += 1
            g2[s] += 1
    counts = {s: sum(1 for r in per if r.get("schedule_status") == s) for s in SCHEDULE_STATUSES} if status is not None else None
    return {"date": when.isoformat(), "time_zone": schedule.time_zone, "elements": per, "by_task": by_task,
            "by_storey": by_storey, "counts": counts,
            "links": {**{k: v for k, v in links.report.as_dict().items() if k != "examples"}, "lines": links.report.lines()},
            "schedule_warnings": list(schedule.warnings)}
