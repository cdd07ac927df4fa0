"""Links from tasks to elements: link tables, an element property, the IFC's own 4D; reports with counts."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from app.model.schedule_links import links_from_ifc, links_from_property, read_link_table
from loaders.base import ElementInfo, LoadError
from loaders.schedule import Schedule, read_schedule
from tests.conftest import corpus_file
from tests.schedule_fixtures import dmy, make_tasks


def _ids(n: int) -> list[str]:
    return [f"G{i:05d}" for i in range(n)]


def _table(path: Path, rows: list[tuple[str, ...]], header: str = "GUID,TaskID,TaskName,TaskStart,TaskFinish") -> Path:
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_link_table_by_name_settles_repeated_names_by_dates(tmp_path: Path) -> None:
    tasks = make_tasks(6, seed=2)
    tasks[3].name = tasks[1].name = "Stort"  # repeated: only the link's dates tell them apart
    tasks[5].name = tasks[4].name = "Wapening"
    tasks[5].start, tasks[5].finish = tasks[4].start, tasks[4].finish  # ... and here not even they do
    sched = Schedule(tasks)
    rows = [("G00000", "X1", tasks[0].name, dmy(tasks[0].start), dmy(tasks[0].finish)),
            ("G00001", "X2", "Stort", dmy(tasks[1].start), dmy(tasks[1].finish)),
            ("G00002", "X3", "Stort", dmy(tasks[3].start), dmy(tasks[3].finish)),
            ("G00003", "X4", "Wapening", dmy(tasks[4].start), dmy(tasks[4].finish)),
            ("G00004", "X5", "No such task", "1-1-2024", "2-1-2024"),
            ("G00005", "X8", "Stort", dmy(tasks[3].start), dmy(tasks[3].finish + timedelta(days=3))),  # the start settles it
            ("NOT-IN-MODEL", "X6", tasks[2].name, "", ""),
            ("G00000", "X1", tasks[0].name, dmy(tasks[0].start), dmy(tasks[0].finish)),  # duplicate
            ("", "X7", tasks[2].name, "", "")]
    links = read_link_table(str(_table(tmp_path / "links.csv", rows)), sched, _ids(10))
    r = links.report
    assert r.match_by == "name"  # the TaskIDs X1.. name no task: the names do
    assert sorted(zip(links.element.tolist(), links.task.tolist())) == [(0, 0), (1, 1), (2, 3), (5, 3)]
    assert (r.links, r.no_guid, r.element_matched, r.element_missing) == (8, 1, 7, 1)
    assert (r.task_matched, r.task_missing, r.ambiguous, r.duplicates) == (6, 1, 1, 1)
    assert r.examples["ambiguous task"][0].startswith("Wapening") and r.examples["GUID not in the model"] == ["NOT-IN-MODEL"]
    assert "7 of 8 links matched an element, 1 did not" in r.lines()


@pytest.mark.parametrize("column, field", [("TaskUID", "uid"), ("Task ID", "id"), ("WBS", "wbs")])
def test_link_table_by_uid_id_or_wbs(tmp_path: Path, column: str, field: str) -> None:
    rng = np.random.default_rng(4)
    tasks = make_tasks(20, seed=4)
    for t in tasks:
        t.uid, t.id = f"u{t.uid}", f"A{t.id}"
    elements = rng.integers(0, 50, size=60)
    chosen = rng.integers(0, 20, size=60)
    rows = [(f"G{e:05d}", getattr(tasks[t], field)) for e, t in zip(elements, chosen)]
    links = read_link_table(str(_table(tmp_path / "l.csv", rows, header=f"GlobalId;{column}".replace(";", ","))), Schedule(tasks), _ids(50))
    assert links.report.match_by == field
    assert set(zip(links.element.tolist(), links.task.tolist())) == set(zip(elements.tolist(), chosen.tolist()))


def test_link_table_that_belongs_to_another_model_says_so(tmp_path: Path) -> None:
    tasks = make_tasks(3)
    rows = [(f"OTHER{i}", "", tasks[i % 3].name, "", "") for i in range(9)]
    links = read_link_table(str(_table(tmp_path / "l.csv", rows)), Schedule(tasks), _ids(5))
    assert len(links.element) == 0 and links.report.element_matched == 0
    assert links.report.lines()[0].startswith("none of the 9 links names an element of this model")


def test_link_table_without_guid_column_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no GUID column"):
        read_link_table(str(_table(tmp_path / "l.csv", [("a", "b")], header="Element,Task")), Schedule(make_tasks(2)), _ids(2))


def test_links_from_an_element_property() -> None:
    tasks = make_tasks(4)
    elements = [ElementInfo(id=f"G{i}", properties={"Custom.Task": tasks[i % 4].name}) for i in range(8)]
    elements[7].properties["Custom.Task"] = f"{tasks[0].name}; {tasks[1].name}"
    elements[6].properties["Custom.Task"] = "Nothing"
    elements[5].properties = {}
    links = links_from_property(elements, Schedule(tasks), "Custom.Task")
    pairs = set(zip(links.element.tolist(), links.task.tolist()))
    assert pairs == {(0, 0), (1, 1), (2, 2), (3, 3), (4, 0), (7, 0), (7, 1)}
    assert (links.report.task_missing, links.report.links) == (1, 8)


def _ifc_with_4d(path: Path) -> list[str]:
    import ifcopenshell
    import ifcopenshell.guid

    f = ifcopenshell.file(schema="IFC4")
    f.createIfcProject(ifcopenshell.guid.new(), Name="p")
    walls = [f.createIfcWall(ifcopenshell.guid.new(), Name=f"w{i}") for i in range(4)]
    ws = f.createIfcWorkSchedule(ifcopenshell.guid.new(), Name="Plan A")
    phase = f.createIfcTask(ifcopenshell.guid.new(), Name="Shell", Identification="1", IsMilestone=False)
    times = [f.createIfcTaskTime(ScheduleStart=f"2024-03-0{d}T08:00:00", ScheduleFinish=f"2024-03-0{d + 2}T17:00:00") for d in (4, 6)]
    build = f.createIfcTask(ifcopenshell.guid.new(), Name="Walls", Identification="1.1", IsMilestone=False, TaskTime=times[0],
                            PredefinedType="CONSTRUCTION")
    strip = f.createIfcTask(ifcopenshell.guid.new(), Name="Strip", Identification="1.2", IsMilestone=False, TaskTime=times[1],
                            PredefinedType="DEMOLITION")
    f.createIfcRelNests(ifcopenshell.guid.new(), RelatingObject=phase, RelatedObjects=[build, strip])
    f.createIfcRelSequence(ifcopenshell.guid.new(), RelatingProcess=build, RelatedProcess=strip)
    f.createIfcRelAssignsToControl(ifcopenshell.guid.new(), RelatedObjects=[phase, build, strip], RelatingControl=ws)
    f.createIfcRelAssignsToProcess(ifcopenshell.guid.new(), RelatedObjects=walls[:3], RelatingProcess=build)
    f.createIfcRelAssignsToProcess(ifcopenshell.guid.new(), RelatedObjects=[walls[3]], RelatingProcess=strip)
    f.write(str(path))
    return [w.GlobalId for w in walls]


def test_links_from_the_ifc_own_4d(tmp_path: Path) -> None:
    ids = _ifc_with_4d(tmp_path / "4d.ifc")
    schedule, links = links_from_ifc(str(tmp_path / "4d.ifc"), ids[:3] + ["elsewhere"])
    assert schedule.name == "Plan A" and [t.name for t in schedule.tasks] == ["Shell", "Walls", "Strip"]
    shell, walls, strip = schedule.tasks
    assert shell.summary and walls.outline_level == 2 and strip.task_type == "demolish" and walls.task_type == "construct"
    assert walls.finish - walls.start == timedelta(days=2, hours=9) and strip.predecessors == (walls.uid,)
    assert sorted(zip(links.element.tolist(), links.task.tolist())) == [(0, 1), (1, 1), (2, 1)]
    assert (links.report.element_matched, links.report.element_missing) == (3, 1)


def test_corpus_event_log_matches_tasks_by_name_but_no_corpus_model() -> None:
    """The event log's GlobalIds come from a model that is not in the corpus: every corpus IFC matches none."""
    import ifcopenshell

    plan = read_schedule(str(corpus_file("schedule/schependomlaan/planning-2015-02-18.xml")))
    log = corpus_file("schedule/schependomlaan/eventlog-planned-and-built.csv")
    models = sorted(corpus_file("ifc/schependomlaan").glob("*.ifc"))
    ids = [p.GlobalId for m in models for p in ifcopenshell.open(str(m)).by_type("IfcProduct")]
    assert len(ids) > 1000
    links = read_link_table(str(log), plan, ids)
    r = links.report
    assert r.match_by == "name" and r.links > 3000
    assert r.element_matched == 0 and r.element_missing == r.links and len(links.element) == 0
    assert r.task_matched >= 0.95 * r.links  # names repeat (23 of them): the rows' dates settle nearly all
    assert "none of the" in r.lines()[0] and "made for another model" in r.lines()[0]


def test_links_from_ifc2x3_task_times(tmp_path: Path) -> None:
    """IFC2X3: dates in an IfcScheduleTimeControl (IfcDateAndTime with a UTC offset), type in ObjectType."""
    import ifcopenshell
    import ifcopenshell.guid

    f = ifcopenshell.file(schema="IFC2X3")
    walls = [f.createIfcWall(ifcopenshell.guid.new(), Name=f"w{i}") for i in range(2)]
    ws = f.createIfcWorkSchedule(ifcopenshell.guid.new(), Name="Plan 2x3")
    zone = f.createIfcCoordinatedUniversalTimeOffset(HourOffset=1, Sense="AHEAD")

    def when(d: int, h: int):
        return f.createIfcDateAndTime(f.createIfcCalendarDate(d, 3, 2024), f.createIfcLocalTime(h, 0, 0, zone))

    task = f.createIfcTask(ifcopenshell.guid.new(), Name="Strip", ObjectType="Demolition", TaskId="A1", IsMilestone=False)
    timing = f.createIfcScheduleTimeControl(ifcopenshell.guid.new(), ScheduleStart=when(4, 8), ScheduleFinish=when(6, 17), Completion=0.5)
    f.createIfcRelAssignsTasks(ifcopenshell.guid.new(), RelatedObjects=[task], RelatingControl=ws, TimeForTask=timing)
    f.createIfcRelAssignsToProcess(ifcopenshell.guid.new(), RelatedObjects=walls, RelatingProcess=task)
    f.write(str(tmp_path / "old.ifc"))
    schedule, links = links_from_ifc(str(tmp_path / "old.ifc"), [w.GlobalId for w in walls])
    t = schedule.tasks[0]
    assert (t.id, t.task_type, t.percent_complete) == ("A1", "demolish", 50.0)
    assert t.start.isoformat() == "2024-03-04T08:00:00+01:00" and t.finish.isoformat() == "2024-03-06T17:00:00+01:00"
    assert links.report.linked == 2 and not schedule.warnings
