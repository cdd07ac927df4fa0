"""Planned versus actual (app.analysis.schedule_status): the rule as pure functions."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np

from app.analysis.schedule_status import end_of_day, observed_progress, schedule_parts, schedule_status
from app.model.fourd import COMPLETE, NOT_STARTED, STARTED
from app.model.schedule_links import LinkReport, TaskLinks
from loaders.base import ElementInfo
from loaders.schedule import Schedule, Task


def test_observed_from_comparison_statuses() -> None:
    got = observed_progress(["built", "deviating", "partial", "missing", "not judged"])
    assert got.tolist() == [COMPLETE, COMPLETE, STARTED, NOT_STARTED, NOT_STARTED]


def test_status_compares_observed_with_planned() -> None:
    observed = np.array([COMPLETE, STARTED, NOT_STARTED, COMPLETE, NOT_STARTED])
    planned = np.array([STARTED, STARTED, COMPLETE, NOT_STARTED, NOT_STARTED])
    mask = np.array([True, True, True, True, False])
    assert schedule_status(observed, planned, mask) == ["ahead", "on_time", "behind", "ahead", "not_planned"]


def test_a_task_finishing_on_the_day_is_complete_that_day() -> None:
    day = date(2025, 6, 16)
    t0 = datetime(2025, 6, 16, 17, 0, tzinfo=timezone.utc)
    tasks = [Task(uid="1", name="Pour", start=t0 - timedelta(days=2), finish=t0),
             Task(uid="2", name="Walls", start=t0 + timedelta(days=1), finish=t0 + timedelta(days=3))]
    links = TaskLinks(np.array([0, 1, 2]), np.array([0, 0, 1]), LinkReport("table"))
    elements = [ElementInfo(id=f"G{i}", storey="L0") for i in range(4)]
    parts = schedule_parts(elements, ["built", "partial", "built", "built"], Schedule(tasks), links, end_of_day(day))
    assert [e["schedule_status"] for e in parts["elements"]] == ["on_time", "behind", "ahead", "not_planned"]
    assert [e["planned"] for e in parts["elements"]] == ["complete", "complete", "not_started", None]
    assert parts["by_task"]["Pour [1]"] == {**parts["by_task"]["Pour [1]"], "elements": 2, "on_time": 1, "behind": 1}
    assert parts["counts"] == {"ahead": 1, "on_time": 1, "behind": 1, "not_planned": 1}
    assert end_of_day(day, "+02:00").isoformat() == "2025-06-16T23:59:59+02:00"
