"""Seeded schedules and link tables for the 4D tests: MSPDI, P6 XML and CSV text, plus Task lists."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from loaders.schedule import Task

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=timezone.utc)


def make_tasks(n: int, seed: int = 0, *, types: bool = False) -> list[Task]:
    """n tasks in a loose sequence: task i starts 0-3 days after task i-1 and lasts 1-10 days."""
    rng = np.random.default_rng(seed)
    tasks, start = [], T0
    kinds = ("construct", "demolish", "temporary")
    for i in range(n):
        start = start + timedelta(days=int(rng.integers(0, 4)))
        finish = start + timedelta(days=int(rng.integers(1, 11)), hours=8)
        tasks.append(Task(uid=str(i + 1), id=str(i + 1), wbs=f"1.{i + 1}", name=f"Task {i + 1}", start=start, finish=finish,
                          task_type=kinds[int(rng.integers(0, 3))] if types else "construct"))
    return tasks


def _iso(d: datetime | None) -> str:
    return d.replace(tzinfo=None).isoformat() if d else ""


def mspdi_text(tasks: list[Task], *, project_start: datetime | None = None, extra_task_xml: str = "",
               type_alias: bool = False) -> str:
    """An MS Project XML file holding these tasks (a summary task at level 1 when outline levels say so)."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
             '<Project xmlns="http://schemas.microsoft.com/project"><Name>Generated</Name>']
    if project_start:
        parts.append(f"<StartDate>{_iso(project_start)}</StartDate>")
    if type_alias:
        parts.append("<ExtendedAttributes><ExtendedAttribute><FieldID>188743731</FieldID><FieldName>Text1</FieldName>"
                     "<Alias>Task Type</Alias></ExtendedAttribute></ExtendedAttributes>")
    parts.append("<Calendars><Calendar><UID>1</UID><Name>Standard</Name></Calendar></Calendars><Tasks>")
    parts.append("<Task><UID>0</UID><ID>0</ID><Name>Project summary</Name><OutlineLevel>0</OutlineLevel><Summary>1</Summary></Task>")
    for t in tasks:
        x = [f"<Task><UID>{t.uid}</UID><ID>{escape(t.id)}</ID><Name>{escape(t.name)}</Name><WBS>{escape(t.wbs)}</WBS>",
             f"<OutlineLevel>{t.outline_level}</OutlineLevel><Summary>{int(t.summary)}</Summary><Milestone>{int(t.milestone)}</Milestone>"]
        if t.start:
            x.append(f"<Start>{_iso(t.start)}</Start>")
        if t.finish:
            x.append(f"<Finish>{_iso(t.finish)}</Finish>")
        if t.actual_start:
            x.append(f"<ActualStart>{_iso(t.actual_start)}</ActualStart>")
        if t.actual_finish:
            x.append(f"<ActualFinish>{_iso(t.actual_finish)}</ActualFinish>")
        x.append(f"<PercentComplete>{int(t.percent_complete)}</PercentComplete>")
        for p in t.predecessors:
            x.append(f"<PredecessorLink><PredecessorUID>{p}</PredecessorUID><Type>1</Type></PredecessorLink>")
        if t.baseline_start:
            x.append(f"<Baseline><Number>0</Number><Start>{_iso(t.baseline_start)}</Start><Finish>{_iso(t.baseline_finish)}</Finish></Baseline>")
        if type_alias:
            x.append(f"<ExtendedAttribute><FieldID>188743731</FieldID><Value>{t.task_type}</Value></ExtendedAttribute>")
        x.append("</Task>")
        parts.append("".join(x))
    parts.append(extra_task_xml + "</Tasks></Project>\n")
    return "".join(parts)


def p6_text(tasks: list[Task]) -> str:
    """A P6 XML export: one project, a two-level WBS, activities and relationships."""
    ns = "http://xmlns.oracle.com/Primavera/P6/V8.3/API/BusinessObjects"
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<APIBusinessObjects xmlns="{ns}">',
             "<Calendar><ObjectId>1</ObjectId><Name>Standard</Name></Calendar>",
             "<Project><ObjectId>100</ObjectId><Id>P1</Id><Name>Generated P6</Name>",
             "<WBS><ObjectId>10</ObjectId><Code>A</Code><ParentObjectId></ParentObjectId></WBS>",
             "<WBS><ObjectId>11</ObjectId><Code>B</Code><ParentObjectId>10</ParentObjectId></WBS>"]
    for t in tasks:
        kind = "Finish Milestone" if t.milestone else "Task Dependent"
        parts.append(f"<Activity><ObjectId>{t.uid}</ObjectId><Id>{escape(t.id)}</Id><Name>{escape(t.name)}</Name>"
                     f"<WBSObjectId>11</WBSObjectId><Type>{kind}</Type>"
                     f"<PlannedStartDate>{_iso(t.baseline_start or t.start)}</PlannedStartDate>"
                     f"<PlannedFinishDate>{_iso(t.baseline_finish or t.finish)}</PlannedFinishDate>"
                     f"<StartDate>{_iso(t.start)}</StartDate><FinishDate>{_iso(t.finish)}</FinishDate>"
                     f"<ActualStartDate>{_iso(t.actual_start)}</ActualStartDate><ActualFinishDate>{_iso(t.actual_finish)}</ActualFinishDate>"
                     f"<PercentComplete>{t.percent_complete / 100}</PercentComplete></Activity>")
    for t in tasks:
        for p in t.predecessors:
            parts.append(f"<Relationship><PredecessorActivityObjectId>{p}</PredecessorActivityObjectId>"
                         f"<SuccessorActivityObjectId>{t.uid}</SuccessorActivityObjectId><Type>Finish to Start</Type></Relationship>")
    parts.append("</Project><BaselineProject><Activity><ObjectId>999</ObjectId><Name>old</Name></Activity></BaselineProject>")
    parts.append("</APIBusinessObjects>\n")
    return "".join(parts)


def dmy(d: datetime) -> str:
    """26-2-2015: day-first, unpadded, as in the corpus event log."""
    return f"{d.day}-{d.month}-{d.year}"


def csv_text(tasks: list[Task], *, delimiter: str = ",", date=dmy) -> str:
    rows = [delimiter.join(["Task ID", "Task Name", "Start", "Finish", "Actual Start", "Actual Finish", "Type"])]
    for t in tasks:
        rows.append(delimiter.join([t.id, t.name, date(t.start) if t.start else "", date(t.finish) if t.finish else "",
                                    date(t.actual_start) if t.actual_start else "", date(t.actual_finish) if t.actual_finish else "",
                                    t.task_type]))
    return "\n".join(rows) + "\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
