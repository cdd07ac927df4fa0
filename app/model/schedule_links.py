"""Which model elements each schedule task builds: three sources, one result (no Qt, no VTK).

- a link table (CSV: a GUID column and a task column matched by UID, ID, WBS or name, like the corpus
  event log), `read_link_table`;
- an element property that names the task (`Pset.Property`), `links_from_property`;
- the IFC's own 4D (IfcTask, IfcRelAssignsToProcess, IfcWorkSchedule), `links_from_ifc` (loaders/schedule_ifc.py).

Task names repeat in real schedules: a link by name with several candidates is settled by the link's
own planned dates (the one task with the same start and finish day, else the one with the same start
day, else the same finish day: exports often move a finish), else it stays ambiguous and is reported. Every result
carries a `LinkReport` that says how many links found their element and their task, in plain words:
a table made for another model matches no element, and the report says exactly that.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Sequence

import numpy as np

from loaders.base import ElementInfo, LoadError
from loaders.schedule import Schedule, parse_date, resolve_zone
from loaders.schedule_csv import roles, split_header

MATCH_FIELDS = ("uid", "id", "wbs", "name")
EXAMPLES = 5


@dataclass
class LinkReport:
    """Counts of one link source, with up to EXAMPLES examples per problem."""

    source: str  # "table", "property", "ifc"
    match_by: str = ""  # the task field links named: uid, id, wbs or name
    links: int = 0  # links read (table rows with a GUID, property values, IFC assignments)
    no_guid: int = 0  # table rows without a GUID (not links)
    element_matched: int = 0  # links whose GUID is an element of the model
    element_missing: int = 0  # ... and those whose GUID is not
    task_matched: int = 0
    task_missing: int = 0
    ambiguous: int = 0  # the task name fits several tasks and the link's dates do not settle it
    duplicates: int = 0  # the same element-task pair again
    linked: int = 0  # links kept: element and task both found, duplicates dropped
    elements_linked: int = 0
    tasks_linked: int = 0
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def note(self, kind: str, text: str) -> None:
        if len(self.examples[kind]) < EXAMPLES and text not in self.examples[kind]:
            self.examples[kind].append(text)

    def lines(self) -> list[str]:
        """The report in words, first the line that matters most."""
        out: list[str] = []
        if self.links and self.element_matched == 0:
            out.append(f"none of the {self.links:,} links names an element of this model: the links were made for another "
                       "model, so nothing can be shown in 4D")
        out.append(f"{self.element_matched:,} of {self.links:,} links matched an element, {self.element_missing:,} did not")
        out.append(f"{self.task_matched:,} links matched a task by {self.match_by or '?'}, {self.task_missing:,} named no task, "
                   f"{self.ambiguous:,} stayed ambiguous")
        out.append(f"{self.linked:,} element-task links kept: {self.elements_linked:,} elements, {self.tasks_linked:,} tasks")
        if self.duplicates:
            out.append(f"{self.duplicates:,} duplicate links dropped")
        if self.no_guid:
            out.append(f"{self.no_guid:,} rows without a GUID skipped")
        for kind, items in self.examples.items():
            out.append(f"e.g. {kind}: " + ", ".join(items))
        return out

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "examples"}
        return {**d, "examples": dict(self.examples), "summary": self.lines()[0]}


@dataclass
class TaskLinks:
    """Element-task pairs as index arrays (into the model's elements and the schedule's tasks)."""

    element: np.ndarray
    task: np.ndarray
    report: LinkReport

    def tasks_of(self, element: int) -> list[int]:
        return self.task[self.element == element].tolist()


class TaskMatcher:
    """Find a task by UID, ID, WBS or name; names settle ties by dates."""

    def __init__(self, schedule: Schedule) -> None:
        self.tasks = schedule.tasks
        self.index: dict[str, dict[str, list[int]]] = {f: defaultdict(list) for f in MATCH_FIELDS}
        for i, t in enumerate(self.tasks):
            for f in MATCH_FIELDS:
                key = getattr(t, f).strip()
                if key:
                    self.index[f][key].append(i)

    def best_field(self, values: Sequence[str], fields: Sequence[str] = MATCH_FIELDS) -> str:
        """The field that the most distinct values name (ties: UID, ID, WBS, name)."""
        distinct = {v.strip() for v in values if v.strip()}
        scores = [(sum(1 for v in distinct if v in self.index[f]), -MATCH_FIELDS.index(f), f) for f in fields]
        return max(scores)[2] if scores else "name"

    def find(self, value: str, by: str, start: date | None = None, finish: date | None = None) -> tuple[int | None, str]:
        """(task index, 'ok') or (None, 'missing' | 'ambiguous'); UID/ID/WBS repeats take the first."""
        found = self.index[by].get(value.strip(), [])
        if not found:
            return None, "missing"
        if len(found) == 1 or by != "name":
            return found[0], "ok"
        tests = []  # the same start and finish day, else the same start day, else the same finish day
        if start is not None and finish is not None:
            tests.append(lambda t: _day(t.start) == start and _day(t.finish) == finish)
        if start is not None:
            tests.append(lambda t: _day(t.start) == start)
        if finish is not None:
            tests.append(lambda t: _day(t.finish) == finish)
        for test in tests:
            same = [i for i in found if test(self.tasks[i])]
            if len(same) == 1:
                return same[0], "ok"
            if len(same) > 1:
                break  # a looser test cannot tell these apart either
        return None, "ambiguous"


def _day(d: datetime | None) -> date | None:
    return d.date() if d is not None else None


class _Collector:
    """Counts and de-duplicates links as they come."""

    def __init__(self, source: str, element_ids: Sequence[str]) -> None:
        self.report = LinkReport(source)
        self.ids: dict[str, int] = {}
        for i, e in enumerate(element_ids):
            self.ids.setdefault(e, i)
        self.pairs: set[tuple[int, int]] = set()

    def add(self, guid: str, task: int | None, status: str, label: str) -> None:
        r = self.report
        r.links += 1
        element = self.ids.get(guid)
        if element is None:
            r.element_missing += 1
            r.note("GUID not in the model", guid)
        else:
            r.element_matched += 1
        if status == "ok":
            r.task_matched += 1
        elif status == "missing":
            r.task_missing += 1
            r.note("no such task", label)
        else:
            r.ambiguous += 1
            r.note("ambiguous task", label)
        if element is None or task is None:
            return
        if (element, task) in self.pairs:
            r.duplicates += 1
            return
        self.pairs.add((element, task))

    def result(self) -> TaskLinks:
        pairs = np.array(sorted(self.pairs), dtype=np.int32).reshape(-1, 2)
        r = self.report
        r.linked = len(pairs)
        r.elements_linked = int(len(np.unique(pairs[:, 0])))
        r.tasks_linked = int(len(np.unique(pairs[:, 1])))
        r.examples = defaultdict(list, r.examples)
        return TaskLinks(pairs[:, 0].copy(), pairs[:, 1].copy(), r)


def read_link_table(path: str, schedule: Schedule, element_ids: Sequence[str], *, guid_column: str | None = None,
                    task_column: str | None = None, match_by: str | None = None, tz: Any = None) -> TaskLinks:
    """A CSV link table -> links. Columns are found by name (GUID/GlobalId; TaskUID, TaskID, WBS, TaskName;
    TaskStart/TaskFinish for settling repeated names) unless given; `match_by` is chosen by which task
    field the column's values name most often unless given."""
    from loaders.schedule import read_bounded

    data = read_bounded(path)
    found = split_header(data)
    if found is None:
        raise LoadError(path, "link table has no header line")
    header, delim = found
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")), delimiter=delim))[1:]
    r = roles(header)
    names = {h.strip().lower(): i for i, h in enumerate(header)}
    guid_i = names.get(guid_column.lower()) if guid_column else r.get("guid")
    if guid_i is None:
        raise LoadError(path, f"link table has no GUID column (looked for GUID, GlobalId; found: {', '.join(header[:12])})")
    matcher = TaskMatcher(schedule)
    if task_column:
        if task_column.lower() not in names:
            raise LoadError(path, f"link table has no column '{task_column}'")
        candidates = {match_by or "name": names[task_column.lower()]}
    else:
        candidates = {f: r[f] for f in MATCH_FIELDS if f in r and (match_by is None or f == match_by)}
        if not candidates:
            raise LoadError(path, "link table has no task column (TaskUID, TaskID, WBS or TaskName)")
    by = match_by or matcher.best_field([row[i] for row in rows for f, i in candidates.items() if i < len(row)], list(candidates))
    by = by if by in candidates else next(iter(candidates))
    task_i = candidates[by]
    zone = resolve_zone(tz)
    collect = _Collector("table", element_ids)
    collect.report.match_by = by
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        guid = row[guid_i].strip() if guid_i < len(row) else ""
        if not guid:
            collect.report.no_guid += 1
            continue
        value = row[task_i].strip() if task_i < len(row) else ""
        start, finish = (_cell_day(row, r.get(k), zone) for k in ("start", "finish"))
        task, status = matcher.find(value, by, start, finish)
        collect.add(guid, task, status, value + (f" ({start}..{finish})" if status == "ambiguous" else ""))
    return collect.result()


def _cell_day(row: list[str], i: int | None, zone: Any) -> date | None:
    if i is None or i >= len(row):
        return None
    try:
        value = parse_date(row[i], zone)
    except ValueError:
        return None
    return value.date() if value else None


def links_from_property(elements: Sequence[ElementInfo], schedule: Schedule, prop: str, *,
                        match_by: str | None = None) -> TaskLinks:
    """Each element whose property `prop` ('Pset.Property', as ElementInfo.properties holds it) names a
    task (several separated by ';') is linked to it."""
    matcher = TaskMatcher(schedule)
    values = [(e.id, v.strip()) for e in elements for v in str(e.properties.get(prop) or "").split(";") if v.strip()]
    by = match_by or matcher.best_field([v for _, v in values])
    collect = _Collector("property", [e.id for e in elements])
    collect.report.match_by = by
    for guid, value in values:
        task, status = matcher.find(value, by)
        collect.add(guid, task, status, value)
    if not values:
        collect.report.note("no element has the property", prop)
    return collect.result()


def links_from_ifc(source: Any, element_ids: Sequence[str]) -> tuple[Schedule, TaskLinks]:
    """The IFC's own 4D: its IfcTasks as a schedule and IfcRelAssignsToProcess as links to `element_ids`
    (the GlobalIds of the loaded model, usually the same IFC)."""
    from loaders.schedule_ifc import read_ifc_4d

    schedule, pairs = read_ifc_4d(source)
    collect = _Collector("ifc", element_ids)
    collect.report.match_by = "uid"
    for guid, task in pairs:
        collect.add(guid, task, "ok", schedule.tasks[task].name)
    if not schedule.tasks:
        collect.report.note("no 4D in the IFC", "it holds no IfcTask")
    return schedule, collect.result()
