"""Schedules: MSPDI, P6 XML and CSV readers, the registry's content sniffing and `info`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.info import describe
from loaders.base import LoadError
from loaders.registry import find_loader, load
from loaders.schedule import ScheduleData, read_schedule
from tests.conftest import corpus_file
from tests.schedule_fixtures import T0, csv_text, make_tasks, mspdi_text, p6_text, write


def _rich_tasks() -> list:
    """Five tasks with every field the readers must carry: a summary, baselines, actuals, links."""
    tasks = make_tasks(5, seed=3, types=True)
    tasks[0].outline_level, tasks[0].summary = 1, True
    for t in tasks[1:]:
        t.outline_level = 2
    tasks[2].baseline_start, tasks[2].baseline_finish = T0, T0 + timedelta(days=2)
    tasks[2].actual_start, tasks[2].actual_finish = T0 + timedelta(days=1), T0 + timedelta(days=4)
    tasks[2].percent_complete = 100
    tasks[3].percent_complete = 40
    tasks[3].predecessors = ("2", "3")
    tasks[4].milestone = True
    return tasks


def test_mspdi_reads_every_task_field(tmp_path: Path) -> None:
    tasks = _rich_tasks()
    path = write(tmp_path / "plan.xml", mspdi_text(tasks, type_alias=True))
    s = read_schedule(str(path))
    assert s.format == "mspdi" and s.calendars == 1 and s.name == "Generated"
    assert [t.uid for t in s.tasks] == ["1", "2", "3", "4", "5"]  # the project summary task (UID 0) is not a task
    got = {t.uid: t for t in s.tasks}
    assert got["1"].summary and got["1"].outline_level == 1 and got["2"].outline_level == 2 and not got["2"].summary
    assert got["3"].baseline_start == T0 and got["3"].actual_finish == T0 + timedelta(days=4) and got["3"].percent_complete == 100
    assert got["4"].predecessors == ("2", "3") and got["4"].percent_complete == 40
    assert got["5"].milestone
    assert [t.task_type for t in s.tasks] == [t.task_type for t in tasks]  # from the text field aliased 'Task Type'
    assert got["2"].start == tasks[1].start and got["2"].start.tzinfo is not None


def test_mspdi_dates_take_the_zone_asked_for(tmp_path: Path) -> None:
    tasks = make_tasks(2)
    path = write(tmp_path / "plan.xml", mspdi_text(tasks))
    s = read_schedule(str(path), tz="Europe/Amsterdam")
    assert s.time_zone == "Europe/Amsterdam"
    assert s.tasks[0].start.utcoffset() == timedelta(hours=1)  # March 2024, before summer time
    assert s.tasks[0].start.replace(tzinfo=None) == tasks[0].start.replace(tzinfo=None)


def test_p6_reads_activities_wbs_and_relationships(tmp_path: Path) -> None:
    tasks = _rich_tasks()
    path = write(tmp_path / "p6.xml", p6_text(tasks))
    s = read_schedule(str(path))
    assert s.format == "p6" and s.name == "Generated P6" and s.calendars == 1
    assert len(s.tasks) == 5  # the baseline project's activity is not a task
    got = {t.uid: t for t in s.tasks}
    assert got["3"].baseline_start == T0 and got["3"].actual_start == T0 + timedelta(days=1)
    assert got["3"].percent_complete == pytest.approx(100) and got["4"].percent_complete == pytest.approx(40)
    assert got["4"].predecessors == ("2", "3") and got["5"].milestone
    assert got["2"].wbs == "A.B" and got["2"].outline_level == 3


def test_p6_percent_written_as_percent_is_not_scaled_again(tmp_path: Path) -> None:
    tasks = make_tasks(3)
    text = p6_text(tasks).replace("<PercentComplete>0.0</PercentComplete>", "<PercentComplete>60</PercentComplete>", 1)
    s = read_schedule(str(write(tmp_path / "p6.xml", text)))
    assert [t.percent_complete for t in s.tasks] == [60.0, 0.0, 0.0]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_with_named_columns_and_day_first_dates(tmp_path: Path, delimiter: str) -> None:
    tasks = make_tasks(6, seed=5, types=True)
    tasks[1].actual_start = tasks[1].start
    path = write(tmp_path / "plan.csv", csv_text(tasks, delimiter=delimiter))
    s = read_schedule(str(path))
    assert s.format == "csv" and len(s.tasks) == 6
    assert [t.start.date() for t in s.tasks] == [t.start.date() for t in tasks]
    assert [t.task_type for t in s.tasks] == [t.task_type for t in tasks]
    assert s.tasks[1].actual_start.date() == tasks[1].start.date()


def test_csv_dates_in_several_formats_and_zones(tmp_path: Path) -> None:
    text = ("id;NAME;start_date;End Date\n"
            "1;iso;2024-03-04T08:00:00+01:00;2024-03-05T17:00:00Z\n"
            "2;iso date;2024-03-04;2024-03-06\n"
            "3;unpadded;4-3-2024;6-3-2024 16:30\n"
            "4;slashes;2024/03/04;2024/03/07\n"
            "5;named;4 Mar 2024;Mar 8 2024\n"
            "6;bad;someday;2024-03-08\n")
    s = read_schedule(str(write(tmp_path / "dates.csv", text)))
    t = {x.name: x for x in s.tasks}
    assert t["iso"].start == datetime(2024, 3, 4, 7, 0, tzinfo=timezone.utc)
    assert t["iso"].finish == datetime(2024, 3, 5, 17, 0, tzinfo=timezone.utc)
    assert t["unpadded"].start.date() == t["iso date"].start.date() == t["slashes"].start.date() == t["named"].start.date()
    assert t["unpadded"].finish == datetime(2024, 3, 6, 16, 30, tzinfo=timezone.utc)
    assert t["bad"].start is None
    assert any("1 unreadable date" in w for w in s.warnings)
    assert any("only a start or only a finish" in w for w in s.warnings)


def test_csv_month_first_column_is_recognised(tmp_path: Path) -> None:
    text = "Task Name,Start,Finish\na,2/26/2015,3/2/2015\nb,3/1/2015,3/15/2015\n"
    s = read_schedule(str(write(tmp_path / "us.csv", text)))
    assert s.tasks[0].start.date().isoformat() == "2015-02-26" and s.tasks[1].start.date().isoformat() == "2015-03-01"


def test_bad_tasks_are_counted_in_warnings(tmp_path: Path) -> None:
    tasks = make_tasks(6, seed=1)
    tasks[0].start = tasks[0].finish = None
    tasks[1].finish = tasks[1].start - timedelta(days=2)
    tasks[3].uid = tasks[2].uid
    tasks[4].name = tasks[5].name = "Stort"
    info = describe(str(write(tmp_path / "plan.xml", mspdi_text(tasks))))
    warnings = "\n".join(info["warnings"])
    assert "1 task(s) without dates" in warnings
    assert "1 task(s) finish before they start" in warnings
    assert "1 duplicate task UID(s) (2 tasks" in warnings
    assert "1 task name(s) used by several tasks (2 tasks" in warnings


def test_info_reports_kind_format_tasks_and_dates(tmp_path: Path) -> None:
    tasks = _rich_tasks()
    for name, text, fmt in (("a.xml", mspdi_text(tasks), "mspdi"), ("b.xml", p6_text(tasks), "p6"), ("c.csv", csv_text(tasks), "csv")):
        info = describe(str(write(tmp_path / name, text)))
        assert (info["kind"], info["format"], info["tasks"]) == ("schedule", fmt, 5), info
        assert info["start"].startswith(tasks[0].start.date().isoformat())
        assert info["finish"].startswith(max(t.finish for t in tasks).date().isoformat())
        if fmt == "mspdi":
            assert info["summary_tasks"] == 1


def test_registry_sends_schedules_by_content_and_other_files_elsewhere(tmp_path: Path) -> None:
    tasks = make_tasks(3)
    assert find_loader(write(tmp_path / "plan.xml", mspdi_text(tasks))).name == "Schedule"
    assert find_loader(write(tmp_path / "plan.dat", mspdi_text(tasks))).name == "Schedule"  # by content, whatever the name
    assert find_loader(write(tmp_path / "plan.csv", csv_text(tasks))).name == "Schedule"
    assert find_loader(write(tmp_path / "points.csv", "x,y,z\n1,2,3\n4,5,6\n")).name == "ASCII points"
    assert find_loader(write(tmp_path / "start.csv", "start,finish,z\n1,2,3\n")).name == "ASCII points"  # no task column
    layers = load(tmp_path / "plan.csv")
    assert isinstance(layers[0], ScheduleData) and layers[0].kind == "schedule"


def test_an_xml_that_is_not_a_schedule_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "other.xml", '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>')
    with pytest.raises(LoadError, match="not a schedule: an XML whose root is <kml>"):
        load(path)
    with pytest.raises(LoadError, match="not well-formed XML"):
        load(write(tmp_path / "broken.xml", mspdi_text(make_tasks(2))[:300]))


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<Project xmlns="http://schemas.microsoft.com/project"><Tasks><Task><UID>1</UID><Name>&b;</Name></Task></Tasks></Project>')
    with pytest.raises(LoadError, match="DOCTYPE"):
        load(write(tmp_path / "laughs.xml", laughs))


def test_size_and_task_count_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import loaders.schedule as schedule

    path = write(tmp_path / "plan.xml", mspdi_text(make_tasks(30)))
    monkeypatch.setattr(schedule, "MAX_BYTES", 1000)
    with pytest.raises(LoadError, match="files over 0 MiB are refused"):
        load(path)
    monkeypatch.setattr(schedule, "MAX_BYTES", 64 * 2**20)
    monkeypatch.setattr("loaders.schedule_mspdi.MAX_TASKS", 10)
    with pytest.raises(LoadError, match="more than 10 tasks are refused"):
        load(path)


def test_empty_schedule_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="holds no tasks"):
        load(write(tmp_path / "none.xml", mspdi_text([])))


def test_corpus_mspdi_reports_its_tasks() -> None:
    path = corpus_file("schedule/schependomlaan/planning-2015-02-18.xml")
    info = describe(str(path))
    assert (info["kind"], info["format"], info["tasks"]) == ("schedule", "mspdi", 157)
    assert info["start"].startswith("2015-02-18") and info["finish"].startswith("2015-12-17")
    assert info["summary_tasks"] == 0 and info["calendars"] == 4
    assert any("36 task(s) without a name" in w for w in info["warnings"])
