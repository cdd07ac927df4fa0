"""An IFC's own 4D -> Schedule plus element links (via ifcopenshell).

IfcTask (Identification, Name, IsMilestone, PredefinedType; IFC4 TaskTime: ScheduleStart/Finish,
ActualStart/Finish, Completion), IfcRelNests (summary tasks, outline levels), IfcRelSequence
(predecessors), IfcRelAssignsToProcess (the products a task works on), IfcWorkSchedule (named in
Schedule.name). IFC2X3 keeps task times in an IfcScheduleTimeControl that IfcRelAssignsTasks
attaches (IfcDateAndTime with an optional UTC offset), its task type in ObjectType.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from loaders.base import LoadError
from loaders.schedule import Schedule, Task, check_schedule, parse_date, task_type_from

DEMOLISH = {"DEMOLITION", "DISMANTLE", "REMOVAL", "DISPOSAL"}


def read_ifc_4d(source: Any, tz: tzinfo = timezone.utc) -> tuple[Schedule, list[tuple[str, int]]]:
    """(schedule of the IfcTasks, [(product GlobalId, task index)]) from a path or an open ifcopenshell file."""
    import ifcopenshell

    if isinstance(source, str):
        try:
            model = ifcopenshell.open(source)
        except Exception as exc:  # noqa: BLE001 - ifcopenshell raises its own kinds
            raise LoadError(source, f"cannot read IFC: {exc}") from None
    else:
        model = source
    schedule = Schedule([], format="ifc", time_zone=getattr(tz, "key", None) or str(tz))
    works = model.by_type("IfcWorkSchedule")
    schedule.name = "; ".join(w.Name or "" for w in works if w.Name)
    tasks = model.by_type("IfcTask")
    index = {t.id(): i for i, t in enumerate(tasks)}
    bad: list[str] = []
    for t in tasks:
        schedule.tasks.append(_task(t, tz, bad))
    if model.schema == "IFC2X3":
        _times_2x3(model, index, schedule.tasks, tz, bad)
    _nesting(model, index, schedule.tasks)
    for rel in model.by_type("IfcRelSequence"):
        a, b = index.get(rel.RelatingProcess.id()), index.get(rel.RelatedProcess.id())
        if a is not None and b is not None:
            schedule.tasks[b].predecessors += (schedule.tasks[a].uid,)
    links: list[tuple[str, int]] = []
    for rel in model.by_type("IfcRelAssignsToProcess"):
        i = index.get(rel.RelatingProcess.id()) if rel.RelatingProcess is not None else None
        if i is None:
            continue
        links.extend((obj.GlobalId, i) for obj in rel.RelatedObjects or () if obj.is_a("IfcProduct"))
    if bad:
        schedule.warnings.append(f"{len(bad)} unreadable task date(s) read as missing, e.g. '{bad[0][:40]}'")
    check_schedule(schedule)
    return schedule, links


def _date(value: Any, tz: tzinfo, bad: list[str]):
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value, tz)
    except ValueError:
        bad.append(value)
        return None


def _task(t: Any, tz: tzinfo, bad: list[str]) -> Task:
    kind = str(getattr(t, "PredefinedType", "") or "")
    task = Task(uid=t.GlobalId, id=str(getattr(t, "Identification", None) or getattr(t, "TaskId", None) or ""), name=t.Name or "",
                milestone=bool(getattr(t, "IsMilestone", False)),
                task_type="demolish" if kind in DEMOLISH else task_type_from(t.ObjectType) or "construct")
    time = getattr(t, "TaskTime", None)
    if time is not None:
        task.start, task.finish = _date(time.ScheduleStart, tz, bad), _date(time.ScheduleFinish, tz, bad)
        task.actual_start, task.actual_finish = _date(time.ActualStart, tz, bad), _date(time.ActualFinish, tz, bad)
        task.percent_complete = _percent(time.Completion)
    return task


def _percent(completion: Any) -> float:
    """IFC's Completion is a ratio (0..1); a file that writes percent (above 1) is taken as it is."""
    value = float(completion or 0)
    return value * 100.0 if value <= 1 else value


def _nesting(model: Any, index: dict[int, int], tasks: list[Task]) -> None:
    """IfcRelNests task -> subtasks: the parent is a summary; levels follow the nesting depth."""
    parent: dict[int, int] = {}
    for rel in model.by_type("IfcRelNests"):
        p = index.get(rel.RelatingObject.id())
        if p is None:
            continue
        for child in rel.RelatedObjects or ():
            c = index.get(child.id())
            if c is not None:
                parent[c] = p
                tasks[p].summary = True
    for i, task in enumerate(tasks):
        level, seen, j = 1, {i}, i
        while j in parent and parent[j] not in seen:
            j = parent[j]
            seen.add(j)
            level += 1
        task.outline_level = level


def _times_2x3(model: Any, index: dict[int, int], tasks: list[Task], tz: tzinfo, bad: list[str]) -> None:
    """IfcRelAssignsTasks.TimeForTask (an IfcScheduleTimeControl) -> the tasks' dates."""
    for rel in model.by_type("IfcRelAssignsTasks"):
        time = rel.TimeForTask
        if time is None:
            continue
        for obj in rel.RelatedObjects or ():
            i = index.get(obj.id())
            if i is None:
                continue
            task = tasks[i]
            task.start, task.finish = _date_2x3(time.ScheduleStart, tz, bad), _date_2x3(time.ScheduleFinish, tz, bad)
            task.actual_start, task.actual_finish = _date_2x3(time.ActualStart, tz, bad), _date_2x3(time.ActualFinish, tz, bad)
            task.percent_complete = _percent(time.Completion)


def _date_2x3(value: Any, tz: tzinfo, bad: list[str]) -> datetime | None:
    """IfcDateAndTime / IfcCalendarDate (IFC2X3) -> aware datetime; the IfcLocalTime's Zone when it has one."""
    if value is None:
        return None
    try:
        day = value.DateComponent if value.is_a("IfcDateAndTime") else value
        clock = value.TimeComponent if value.is_a("IfcDateAndTime") else None
        zone = tz
        h = m = s = 0
        if clock is not None:
            h, m, s = int(clock.HourComponent), int(clock.MinuteComponent or 0), int(clock.SecondComponent or 0)
            if clock.Zone is not None:
                offset = timedelta(hours=int(clock.Zone.HourOffset), minutes=int(clock.Zone.MinuteOffset or 0))
                zone = timezone(-offset if clock.Zone.Sense == "BEHIND" else offset)
        return datetime(int(day.YearComponent), int(day.MonthComponent), int(day.DayComponent), h, m, s, tzinfo=zone)
    except (AttributeError, TypeError, ValueError) as exc:
        bad.append(f"{value.is_a()} ({exc})")
        return None
