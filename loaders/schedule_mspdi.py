"""MS Project XML (MSPDI) -> Schedule.

Read: UID, ID, WBS, Name, OutlineLevel, Summary, Milestone, Start/Finish, Baseline 0 Start/Finish,
ActualStart/ActualFinish, PercentComplete, PredecessorLink/PredecessorUID. MS Project has no 4D task
type: a text field whose alias is 'Task Type' (or '4D Type') is read when there is one, else 'construct'.
Null rows (IsNull=1) and the project summary task (OutlineLevel 0) are not tasks.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import tzinfo

from loaders.base import Cancel, LoadError
from loaders.schedule import MAX_TASKS, Schedule, Task, task_type_from
from loaders.schedule_xml import children, fields, number, text, walk, xml_date

TYPE_ALIASES = {"task type", "tasktype", "4d type", "4d task type", "timeliner type"}


def parse_mspdi(path: str, data: bytes, tz: tzinfo, cancel: Cancel | None = None) -> Schedule:
    """Stream the file's tasks; header fields and extended-attribute aliases come before them in MSPDI."""
    schedule = Schedule([], format="mspdi")
    bad_dates: list[str] = []
    type_fields: set[str] = set()
    bad_types = 0
    wanted = {("Project",): "header", ("Project", "Tasks"): "task", ("Project", "Calendars"): "calendar",
              ("Project", "ExtendedAttributes"): "attribute"}
    for label, el in walk(path, data, wanted, cancel):
        if label == "task":
            if text(el, "IsNull") == "1" or text(el, "OutlineLevel") == "0":
                continue
            task = _task(el, tz, bad_dates)
            for attr in children(el, "ExtendedAttribute") if type_fields else ():
                if text(attr, "FieldID") in type_fields:
                    kind = task_type_from(text(attr, "Value"))
                    bad_types += kind is None and bool(text(attr, "Value"))
                    task.task_type = kind or task.task_type
            schedule.tasks.append(task)
            if len(schedule.tasks) > MAX_TASKS:
                raise LoadError(path, f"more than {MAX_TASKS:,} tasks are refused")
        elif label == "calendar":
            schedule.calendars += 1
        elif label == "attribute":
            if text(el, "Alias").strip().lower() in TYPE_ALIASES:
                type_fields.add(text(el, "FieldID"))
        elif label == "header":
            name = el.tag.rsplit("}", 1)[-1]
            if name in ("Name", "Title") and not schedule.name:
                schedule.name = (el.text or "").strip()
            elif name == "StartDate":
                schedule.project_start = xml_date(el.text or "", tz, bad_dates)
            elif name == "FinishDate":
                schedule.project_finish = xml_date(el.text or "", tz, bad_dates)
    _mark_summaries(schedule.tasks)
    if bad_dates:
        schedule.warnings.append(f"{len(bad_dates)} unreadable date(s) read as missing, e.g. '{bad_dates[0][:40]}'")
    if bad_types:
        schedule.warnings.append(f"{bad_types} task type value(s) not construct/demolish/temporary: read as construct")
    return schedule


def _task(el: ET.Element, tz: tzinfo, bad: list[str]) -> Task:
    f = fields(el)
    get = f.get
    task = Task(uid=get("UID", ""), id=get("ID", ""), wbs=get("WBS", ""), name=get("Name", ""),
                outline_level=int(number(get("OutlineLevel", "1"), 1)), summary=get("Summary") == "1",
                start=xml_date(get("Start", ""), tz, bad), finish=xml_date(get("Finish", ""), tz, bad),
                actual_start=xml_date(get("ActualStart", ""), tz, bad), actual_finish=xml_date(get("ActualFinish", ""), tz, bad),
                percent_complete=number(get("PercentComplete", "0")), milestone=get("Milestone") == "1")
    if "PredecessorLink" in f:
        task.predecessors = tuple(p for p in (text(link, "PredecessorUID") for link in children(el, "PredecessorLink")) if p)
    if "Baseline" in f:
        for baseline in children(el, "Baseline"):
            if text(baseline, "Number") in ("0", ""):
                task.baseline_start = xml_date(text(baseline, "Start"), tz, bad)
                task.baseline_finish = xml_date(text(baseline, "Finish"), tz, bad)
                break
    return task


def _mark_summaries(tasks: list[Task]) -> None:
    """A task followed by a deeper one is a summary even where the file leaves out <Summary>."""
    for a, b in zip(tasks, tasks[1:]):
        if b.outline_level > a.outline_level:
            a.summary = True
