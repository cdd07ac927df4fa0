"""Primavera P6 XML (APIBusinessObjects) -> Schedule.

Activity: ObjectId (uid), Id, Name, WBSObjectId (-> the WBS code path), StartDate/FinishDate (current
dates; PlannedStartDate/PlannedFinishDate where those are missing), PlannedStartDate/PlannedFinishDate
as the baseline, ActualStartDate/ActualFinishDate, PercentComplete or PhysicalPercentComplete (P6 writes
fractions 0..1; a file with values above 1 is read as percent), Type (milestones, WBS summaries).
Relationship: PredecessorActivityObjectId -> SuccessorActivityObjectId. P6 has no 4D task type: 'construct'. Activities of a
<BaselineProject> are not tasks of the schedule.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import tzinfo

from loaders.base import Cancel, LoadError
from loaders.schedule import MAX_TASKS, Schedule, Task
from loaders.schedule_xml import number, text, walk, xml_date

ROOT = "APIBusinessObjects"


def parse_p6(path: str, data: bytes, tz: tzinfo, cancel: Cancel | None = None) -> Schedule:
    schedule = Schedule([], format="p6")
    bad: list[str] = []
    wbs: dict[str, tuple[str, str]] = {}  # ObjectId -> (Code, ParentObjectId)
    links: list[tuple[str, str]] = []
    wanted = {(ROOT,): "top", (ROOT, "Project"): "project"}
    percents: list[tuple[Task, float]] = []
    for label, el in walk(path, data, wanted, cancel):
        name = el.tag.rsplit("}", 1)[-1]
        if name == "Project" and label == "top":
            schedule.name = schedule.name or text(el, "Name")
        elif name == "WBS":
            wbs[text(el, "ObjectId")] = (text(el, "Code"), text(el, "ParentObjectId"))
        elif name == "Calendar":
            schedule.calendars += 1
        elif name == "Relationship":
            links.append((text(el, "PredecessorActivityObjectId"), text(el, "SuccessorActivityObjectId")))
        elif name == "Activity":
            task, pct = _activity(el, tz, bad)
            schedule.tasks.append(task)
            percents.append((task, pct))
            if len(schedule.tasks) > MAX_TASKS:
                raise LoadError(path, f"more than {MAX_TASKS:,} activities are refused")
        elif label == "project" and name == "Name" and not schedule.name:
            schedule.name = (el.text or "").strip()
    scale = 1.0 if any(p > 1.0 for _, p in percents) else 100.0
    for task, pct in percents:
        task.percent_complete = pct * scale
    by_uid = {t.uid: t for t in schedule.tasks}
    for pred, succ in links:
        if succ in by_uid and pred:
            by_uid[succ].predecessors += (pred,)
    for task in schedule.tasks:
        code, depth = _wbs_path(task.wbs, wbs)
        task.wbs, task.outline_level = code, depth + 1
    if bad:
        schedule.warnings.append(f"{len(bad)} unreadable date(s) read as missing, e.g. '{bad[0][:40]}'")
    return schedule


def _activity(el: ET.Element, tz: tzinfo, bad: list[str]) -> tuple[Task, float]:
    kind = text(el, "Type")
    planned_start = xml_date(text(el, "PlannedStartDate"), tz, bad)
    planned_finish = xml_date(text(el, "PlannedFinishDate"), tz, bad)
    task = Task(uid=text(el, "ObjectId"), id=text(el, "Id"), wbs=text(el, "WBSObjectId"), name=text(el, "Name"),
                start=xml_date(text(el, "StartDate"), tz, bad) or planned_start,
                finish=xml_date(text(el, "FinishDate"), tz, bad) or planned_finish,
                baseline_start=planned_start, baseline_finish=planned_finish,
                actual_start=xml_date(text(el, "ActualStartDate"), tz, bad),
                actual_finish=xml_date(text(el, "ActualFinishDate"), tz, bad),
                milestone="Milestone" in kind, summary=kind == "WBS Summary")
    pct = text(el, "PercentComplete") or text(el, "PhysicalPercentComplete")
    return task, number(pct)


def _wbs_path(object_id: str, wbs: dict[str, tuple[str, str]]) -> tuple[str, int]:
    """'3' -> 'A.B.C' from the WBS codes up to the root, and the depth (loops in a broken file stop)."""
    codes: list[str] = []
    seen: set[str] = set()
    while object_id in wbs and object_id not in seen:
        seen.add(object_id)
        code, object_id = wbs[object_id]
        codes.append(code)
    return ".".join(reversed(codes)), len(codes)
