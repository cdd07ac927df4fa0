"""Construction schedules (MS Project XML, Primavera P6 XML, CSV) -> plain `Task`/`Schedule` data.

Every date is time-zone aware: a file's naive dates (MSPDI and P6 write local times without a zone)
take the zone the caller gives, UTC by default, and `Schedule.time_zone` says which was used.
The readers live in schedule_mspdi.py, schedule_p6.py and schedule_csv.py; this module holds the
data, the date parser, the checks every format shares and the registry entry (found by content:
`.xml` and `.csv` files that are not schedules still reach their own loaders).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from loaders.base import Cancel, LayerData, LoadError, Progress, check_input
from loaders.registry import register_loader

MAX_BYTES = 64 * 1024 * 1024  # a schedule larger than this is refused, not read (a 50 MB MSPDI is ~100k tasks)
MAX_TASKS = 200_000
TASK_TYPES = ("construct", "demolish", "temporary")
SNIFF_SIZE = 4096
_TYPE_WORDS = {
    "construct": "construct", "construction": "construct", "install": "construct", "build": "construct", "new": "construct",
    "demolish": "demolish", "demolition": "demolish", "remove": "demolish", "removal": "demolish",
    "temporary": "temporary", "temp": "temporary", "temporary works": "temporary",
}


@dataclass
class Task:
    """One schedule task (MS Project task, P6 activity, CSV row). Dates are aware datetimes or None."""

    uid: str
    id: str = ""
    wbs: str = ""
    name: str = ""
    outline_level: int = 1
    summary: bool = False
    start: datetime | None = None
    finish: datetime | None = None
    baseline_start: datetime | None = None
    baseline_finish: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    percent_complete: float = 0.0
    task_type: str = "construct"  # one of TASK_TYPES: how its elements look over time (TimeLiner's task type)
    milestone: bool = False
    predecessors: tuple[str, ...] = ()  # UIDs of the tasks this one follows


@dataclass
class Schedule:
    """The tasks of one file plus what the checks found. `project_start`/`project_finish` come from the
    file's own header where it has one (an MSPDI project may start a day before its first task)."""

    tasks: list[Task]
    format: str = ""  # "mspdi", "p6", "csv", "ifc"
    name: str = ""
    calendars: int = 0
    time_zone: str = "UTC"
    warnings: list[str] = field(default_factory=list)
    project_start: datetime | None = None
    project_finish: datetime | None = None

    def start(self) -> datetime | None:
        dates = [t.start for t in self.tasks if t.start] + ([self.project_start] if self.project_start else [])
        return min(dates) if dates else None

    def finish(self) -> datetime | None:
        dates = [t.finish for t in self.tasks if t.finish] + ([self.project_finish] if self.project_finish else [])
        return max(dates) if dates else None


@dataclass
class ScheduleData(LayerData):
    """A schedule as the registry returns it: no geometry, one `Schedule`."""

    schedule: Schedule = field(default_factory=lambda: Schedule([]))

    def counts(self) -> dict[str, int]:
        return {"tasks": len(self.schedule.tasks)}


# --- dates ------------------------------------------------------------------------------------------
_DMY = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_YMD = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d %b %Y %H:%M", "%b %d, %Y", "%B %d, %Y")


def resolve_zone(tz: tzinfo | str | None) -> tzinfo:
    """'Europe/Amsterdam', 'UTC', '+01:00' or a tzinfo -> tzinfo (None = UTC)."""
    if tz is None:
        return timezone.utc
    if isinstance(tz, tzinfo):
        return tz
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", tz.strip())
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    if tz.strip().upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{tz}'") from None


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def parse_date(text: str | None, tz: tzinfo = timezone.utc, *, day_first: bool = True) -> datetime | None:
    """A schedule date in any usual form -> aware datetime; None for an empty value; ValueError when unreadable.

    ISO 8601 (with or without time and offset, 'Z' included), d-m-yyyy / d/m/yyyy / d.m.yyyy unpadded
    (the corpus event log's 26-2-2015; m/d/yyyy when `day_first` is False), yyyy/mm/dd and month names.
    A value without a zone takes `tz`."""
    if text is None:
        return None
    s = text.strip()
    if not s or s.upper() in ("NA", "N/A", "NONE", "NULL", "-"):
        return None
    value = _naive(s, day_first)
    if value is None:
        raise ValueError(f"unreadable date '{s[:40]}'")
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _naive(s: str, day_first: bool) -> datetime | None:
    """The date as written (ISO first: the common case needs no regex); None when no form fits."""
    if len(s) >= 10 and s[4] == "-" and s[7] == "-":
        try:
            return datetime.fromisoformat(s)
        except ValueError:
            pass
    m = _DMY.match(s)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day, month = (a, b) if day_first else (b, a)
        return datetime(y, month, day, int(m.group(4) or 0), int(m.group(5) or 0), int(m.group(6) or 0))
    m = _YMD.match(s)
    if m:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4) or 0), int(m.group(5) or 0), int(m.group(6) or 0))
    for fmt in _NAMED:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


def task_type_from(text: str | None) -> str | None:
    """'Demolition', 'remove', 'Temporary' ... -> a TASK_TYPES value, or None when the word means none."""
    if not text:
        return None
    return _TYPE_WORDS.get(text.strip().lower())


# --- shared checks ------------------------------------------------------------------------------------
def _examples(items: list[str], n: int = 3) -> str:
    shown = ", ".join(f"'{i[:40]}'" for i in items[:n])
    return shown + (", ..." if len(items) > n else "")


def check_schedule(schedule: Schedule) -> None:
    """Append the warnings every format shares (counts plus a few examples); the tasks are kept as read,
    so a link to a task with a bad date still resolves and the 4D logic decides what to show."""
    tasks, w = schedule.tasks, schedule.warnings
    label = [t.name or t.uid for t in tasks]
    undated = [label[i] for i, t in enumerate(tasks) if t.start is None and t.finish is None]
    if undated:
        w.append(f"{len(undated)} task(s) without dates (not shown in 4D): {_examples(undated)}")
    half = [label[i] for i, t in enumerate(tasks) if (t.start is None) != (t.finish is None)]
    if half:
        w.append(f"{len(half)} task(s) with only a start or only a finish: {_examples(half)}")
    backwards = [label[i] for i, t in enumerate(tasks) if t.start and t.finish and t.finish < t.start]
    if backwards:
        w.append(f"{len(backwards)} task(s) finish before they start (treated as ending at their start): {_examples(backwards)}")
    uids = Counter(t.uid for t in tasks)
    dup_uids = [u for u, k in uids.items() if k > 1]
    if dup_uids:
        w.append(f"{len(dup_uids)} duplicate task UID(s) ({sum(uids[u] for u in dup_uids)} tasks; links by UID take the first): "
                 f"{_examples(dup_uids)}")
    names = Counter(t.name for t in tasks if t.name)
    dup_names = [n for n, k in names.items() if k > 1]
    if dup_names:
        w.append(f"{len(dup_names)} task name(s) used by several tasks ({sum(names[n] for n in dup_names)} tasks; "
                 f"links by name need dates to tell them apart): {_examples(dup_names)}")
    empty = sum(1 for t in tasks if not t.name)
    if empty:
        w.append(f"{empty} task(s) without a name")


def read_bounded(path: str) -> bytes:
    """The whole file, refused past MAX_BYTES before anything is read."""
    size = check_input(path).st_size
    if size > MAX_BYTES:
        raise LoadError(path, f"schedule is {size / 2**20:.0f} MiB; files over {MAX_BYTES // 2**20} MiB are refused")
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if not data:
        raise LoadError(path, "file is empty")
    return data


def _is_xml(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def schedule_kind(head: bytes) -> str | None:
    """'mspdi', 'p6', 'csv' or None from a file's first bytes."""
    if b"schemas.microsoft.com/project" in head:
        return "mspdi"
    if b"<APIBusinessObjects" in head or b":APIBusinessObjects" in head:
        return "p6"
    if _is_xml(head):
        return None
    from loaders.schedule_csv import is_schedule_header

    return "csv" if is_schedule_header(head) else None


def read_schedule(path: str, *, tz: tzinfo | str | None = None, progress: Progress | None = None,
                  cancel: Cancel | None = None) -> Schedule:
    """Any supported schedule file -> Schedule (LoadError for anything else, with the reason)."""
    zone = resolve_zone(tz)
    data = read_bounded(path)
    kind = schedule_kind(data[:SNIFF_SIZE])
    if kind is None and _is_xml(data[:SNIFF_SIZE]):
        from loaders.schedule_xml import root_name

        raise LoadError(path, f"not a schedule: an XML whose root is <{root_name(path, data)}> "
                              "(MS Project XML has <Project xmlns=\"http://schemas.microsoft.com/project\">, P6 XML <APIBusinessObjects>)")
    if kind == "mspdi":
        from loaders.schedule_mspdi import parse_mspdi as parse
    elif kind == "p6":
        from loaders.schedule_p6 import parse_p6 as parse
    elif kind == "csv":
        from loaders.schedule_csv import parse_csv as parse
    else:
        raise LoadError(path, "not a schedule (no MS Project or P6 XML root, no CSV header with task, start and finish columns)")
    schedule = parse(path, data, zone, cancel)
    schedule.time_zone = zone_name(zone)
    if not schedule.tasks:
        raise LoadError(path, f"the {kind.upper()} schedule holds no tasks")
    check_schedule(schedule)
    if progress is not None:
        progress(1.0, f"{len(schedule.tasks):,} tasks")
    return schedule


def _sniff(head: bytes) -> bool:
    return schedule_kind(head) is not None


@register_loader(".xml", ".mspdi", sniff=_sniff, priority=1, name="Schedule", sniff_bytes=SNIFF_SIZE)
def read_schedule_layer(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Registry entry: one ScheduleData (kind 'schedule')."""
    schedule = read_schedule(path, progress=progress, cancel=cancel)
    meta: dict[str, Any] = {"schedule_format": schedule.format, "time_zone": schedule.time_zone}
    return [ScheduleData(name=os.path.basename(path), kind="schedule", format=schedule.format, source=path,
                         warnings=list(schedule.warnings), metadata=meta, schedule=schedule)]


def describe_schedule(path: str, data: ScheduleData) -> dict[str, Any]:
    """`twinscape info` for a schedule: counts and the date range in ISO form with its zone."""
    s = data.schedule
    start, finish = s.start(), s.finish()
    out: dict[str, Any] = {"path": path, "kind": "schedule", "format": s.format, "name": s.name or None, "tasks": len(s.tasks),
                           "summary_tasks": sum(1 for t in s.tasks if t.summary), "milestones": sum(1 for t in s.tasks if t.milestone),
                           "start": start.isoformat() if start else None, "finish": finish.isoformat() if finish else None,
                           "time_zone": s.time_zone, "calendars": s.calendars,
                           "task_types": dict(Counter(t.task_type for t in s.tasks))}
    if s.warnings:
        out["warnings"] = s.warnings[:20]
    return out
