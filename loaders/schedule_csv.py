"""CSV schedules with named columns -> Schedule.

Columns are found by their header names, case, spaces, '_' and '-' ignored (`COLUMN_NAMES`): a task
id or name plus a start and a finish make a schedule. Dates may be ISO or d-m-yyyy (day-first,
unpadded, as in the corpus event log); a column whose values only make sense month-first (2/26/2015)
is read month-first. Rows that repeat a task already read (a link table such as the event log lists a
task once per element) are merged, and the count is reported.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import tzinfo

from loaders.base import Cancel, LoadCancelled, LoadError
from loaders.schedule import MAX_TASKS, Schedule, Task, parse_date, task_type_from

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "uid": ("uid", "taskuid", "uniqueid", "objectid"),
    "id": ("taskid", "id", "activityid", "taskcode", "activitycode"),
    "name": ("taskname", "name", "activityname", "task", "activity", "description", "title"),
    "wbs": ("wbs", "wbscode", "outlinenumber"),
    "start": ("start", "taskstart", "startdate", "plannedstart", "plannedstartdate", "scheduledstart", "begin", "earlystart"),
    "finish": ("finish", "taskfinish", "finishdate", "end", "enddate", "plannedfinish", "plannedfinishdate", "plannedend",
               "scheduledfinish", "earlyfinish"),
    "actual_start": ("actualstart", "actualstartdate", "actualbegin"),
    "actual_finish": ("actualfinish", "actualfinishdate", "actualend", "actualenddate"),
    "baseline_start": ("baselinestart", "baselinestartdate"),
    "baseline_finish": ("baselinefinish", "baselinefinishdate", "baselineend"),
    "type": ("type", "tasktype", "activitytype", "4dtype", "timelinertype"),
    "percent": ("percentcomplete", "%complete", "complete", "progress", "pctcomplete"),
    "outline": ("outlinelevel", "level"),
    "predecessors": ("predecessors", "predecessoruids"),
    "guid": ("guid", "globalid", "ifcguid", "elementguid", "elementid"),
}
DATE_ROLES = ("start", "finish", "actual_start", "actual_finish", "baseline_start", "baseline_finish")
_MDY = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d{4}")


def normalise(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip().strip('"').lower().lstrip("\ufeff"))


def roles(header: list[str]) -> dict[str, int]:
    """Column role -> index (the first column whose name fits; each column takes one role)."""
    names = [normalise(h) for h in header]
    out: dict[str, int] = {}
    for role, aliases in COLUMN_NAMES.items():
        for alias in aliases:
            if alias in names and names.index(alias) not in out.values():
                out[role] = names.index(alias)
                break
    return out


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _delimiter(line: str) -> str:
    return max(",;\t|", key=line.count)


def split_header(data: bytes) -> tuple[list[str], str] | None:
    """The header cells and delimiter of a CSV's first non-empty line (None for no text line)."""
    text = _decode(data)
    for line in text.splitlines():
        if line.strip():
            delim = _delimiter(line)
            return next(csv.reader([line], delimiter=delim)), delim
    return None


def is_schedule_header(head: bytes) -> bool:
    """A header with a task id or name, a start and a finish column."""
    if b"\x00" in head:
        return False
    found = split_header(head)
    if found is None:
        return False
    r = roles(found[0])
    return "start" in r and "finish" in r and ("name" in r or "id" in r or "uid" in r)


def day_first(values: list[str]) -> bool:
    """Day-first unless some a/b/yyyy value has b > 12 and none has a > 12 (then the column is m/d/yyyy)."""
    firsts, seconds = [], []
    for v in values:
        m = _MDY.match(v)
        if m:
            firsts.append(int(m.group(1)))
            seconds.append(int(m.group(2)))
    return not (seconds and max(seconds) > 12 and max(firsts, default=0) <= 12)


def parse_csv(path: str, data: bytes, tz: tzinfo, cancel: Cancel | None = None) -> Schedule:
    found = split_header(data)
    if found is None:
        raise LoadError(path, "no header line")
    header, delim = found
    r = roles(header)
    if not ("start" in r and "finish" in r and ("name" in r or "id" in r or "uid" in r)):
        raise LoadError(path, "not a schedule CSV: needs a task id or name column plus start and finish columns "
                              f"(found: {', '.join(header[:12])})")
    rows = list(csv.reader(io.StringIO(_decode(data)), delimiter=delim))[1:]
    rows = [row for row in rows if any(c.strip() for c in row)]
    first = {role: day_first([row[i] for row in rows if i < len(row)]) for role, i in r.items() if role in DATE_ROLES}
    schedule = Schedule([], format="csv")
    seen: set[tuple[str, ...]] = set()
    repeated, short, bad_dates, bad_types = 0, 0, [], 0

    def cell(row: list[str], role: str) -> str:
        i = r.get(role)
        return row[i].strip() if i is not None and i < len(row) else ""

    for n, row in enumerate(rows):
        if cancel is not None and n % 5000 == 0 and cancel():
            raise LoadCancelled()
        if len(row) < len(header):
            short += 1
        dates = {}
        for role in DATE_ROLES:
            try:
                dates[role] = parse_date(cell(row, role), tz, day_first=first.get(role, True))
            except ValueError:
                bad_dates.append(cell(row, role))
                dates[role] = None
        key = tuple(cell(row, k) for k in ("uid", "id", "name", "wbs", "type", *DATE_ROLES))
        if key in seen:
            repeated += 1
            continue
        seen.add(key)
        kind = task_type_from(cell(row, "type"))
        bad_types += kind is None and bool(cell(row, "type"))
        uid = cell(row, "uid") or cell(row, "id") or f"row{n + 2}"
        try:
            pct = float(cell(row, "percent").rstrip("%") or 0)
        except ValueError:
            pct = 0.0
        schedule.tasks.append(Task(
            uid=uid, id=cell(row, "id"), wbs=cell(row, "wbs"), name=cell(row, "name"),
            outline_level=int(cell(row, "outline")) if cell(row, "outline").isdigit() else 1,
            start=dates["start"], finish=dates["finish"], baseline_start=dates["baseline_start"],
            baseline_finish=dates["baseline_finish"], actual_start=dates["actual_start"], actual_finish=dates["actual_finish"],
            percent_complete=pct, task_type=kind or "construct",
            predecessors=tuple(p.strip() for p in re.split(r"[;,]", cell(row, "predecessors")) if p.strip())))
        if len(schedule.tasks) > MAX_TASKS:
            raise LoadError(path, f"more than {MAX_TASKS:,} tasks are refused")
    _warn(schedule, repeated, short, bad_dates, bad_types, "guid" in r)
    return schedule


def _warn(schedule: Schedule, repeated: int, short: int, bad_dates: list[str], bad_types: int, has_guid: bool) -> None:
    w = schedule.warnings
    if repeated:
        w.append(f"{repeated:,} row(s) repeat a task already read and were merged"
                 + (" (the file has a GUID column: it is also a link table)" if has_guid else ""))
    if short:
        w.append(f"{short:,} row(s) have fewer cells than the header")
    if bad_dates:
        w.append(f"{len(bad_dates):,} unreadable date(s) read as missing, e.g. '{bad_dates[0][:40]}'")
    if bad_types:
        w.append(f"{bad_types:,} task type value(s) not construct/demolish/temporary: read as construct")
