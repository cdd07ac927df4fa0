"""4D states per task type, the combined rule for elements in several tasks, and planned progress."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from app.model.fourd import (
    COMPLETE,
    DEMOLISHING,
    HIDDEN,
    IN_PROGRESS,
    NORMAL,
    NOT_STARTED,
    STARTED,
    TEMPORARY,
    FourD,
    state_names,
)
from loaders.schedule import Task
from tests.schedule_fixtures import make_tasks

D0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def day(n: float) -> datetime:
    return D0 + timedelta(days=n)


def task(uid: str, a: float | None, b: float | None, kind: str = "construct") -> Task:
    return Task(uid=uid, name=uid, start=day(a) if a is not None else None, finish=day(b) if b is not None else None, task_type=kind)


@pytest.mark.parametrize("kind, states", [
    ("construct", [HIDDEN, IN_PROGRESS, IN_PROGRESS, NORMAL, NORMAL]),
    ("demolish", [NORMAL, DEMOLISHING, DEMOLISHING, HIDDEN, HIDDEN]),
    ("temporary", [HIDDEN, TEMPORARY, TEMPORARY, HIDDEN, HIDDEN]),
])
def test_profiles_per_task_type(kind: str, states: list[int]) -> None:
    f = FourD([task("a", 2, 4, kind)], np.array([0]), np.array([0]), 2)
    got = [int(f.states(day(d))[0]) for d in (1, 2, 3.5, 4, 9)]  # in progress from the start, done at the finish
    assert got == states
    assert int(f.states(day(3))[1]) == NORMAL  # an element in no task is left as it is


def test_combined_state_of_an_element_in_several_tasks() -> None:
    tasks = [task("formwork", 1, 3), task("pour", 5, 6), task("demolish", 10, 12, "demolish"), task("props", 2, 8, "temporary")]
    f = FourD(tasks, np.array([0, 0, 0, 1, 1]), np.array([0, 1, 2, 3, 1]), 2)
    seq = [state_names(f.states(day(d))) for d in (0, 2, 4, 5.5, 8, 11, 13)]
    assert [s[0] for s in seq] == ["hidden", "in_progress", "normal", "in_progress", "normal", "demolishing", "hidden"]
    # props (temporary 2..8) and pour (construct 5..6): construct while both run, temporary alone; props end last: hidden
    assert [s[1] for s in seq] == ["hidden", "temporary", "temporary", "in_progress", "hidden", "hidden", "hidden"]


def test_a_demolition_target_stands_before_and_overlaps_show_red() -> None:
    tasks = [task("strip", 3, 6, "demolish"), task("rebuild", 4, 8)]
    f = FourD(tasks, np.array([0, 0]), np.array([0, 1]), 1)
    assert [int(f.states(day(d))[0]) for d in (1, 5, 7, 9)] == [NORMAL, DEMOLISHING, IN_PROGRESS, NORMAL]


def test_bad_dates_change_nothing_and_naive_times_are_refused() -> None:
    tasks = [task("nodates", None, None), task("backwards", 5, 3), task("open", 2, None)]
    f = FourD(tasks, np.array([0, 1, 2]), np.array([0, 1, 2]), 3)
    assert f.states(day(4)).tolist() == [NORMAL, HIDDEN, IN_PROGRESS]  # backwards: ends at its start (a milestone)
    assert f.states(day(6)).tolist() == [NORMAL, NORMAL, IN_PROGRESS]  # no finish yet: still under way
    with pytest.raises(ValueError, match="time-zone aware"):
        f.states(datetime(2024, 1, 3))


def test_actual_dates_are_used_when_asked() -> None:
    t = task("a", 1, 2)
    t.actual_start, t.actual_finish = day(3), day(5)
    f = FourD([t], np.array([0]), np.array([0]), 1, dates="actual")
    assert [int(f.states(day(d))[0]) for d in (2, 4, 6)] == [HIDDEN, IN_PROGRESS, NORMAL]


def test_planned_progress_per_element() -> None:
    tasks = [task("a", 1, 3), task("b", 2, 6)]
    f = FourD(tasks, np.array([0, 0, 1]), np.array([0, 1, 0]), 3)
    assert f.progress(day(0)).tolist() == [NOT_STARTED, NOT_STARTED, NOT_STARTED]
    assert f.progress(day(4)).tolist() == [STARTED, COMPLETE, NOT_STARTED]  # element 0 waits for b
    assert f.progress(day(6)).tolist() == [COMPLETE, COMPLETE, NOT_STARTED]


def test_vectorised_states_equal_a_plain_loop() -> None:
    """Seeded: 300 elements, 80 mixed tasks, up to 4 tasks each; the fast path equals the rule written out."""
    rng = np.random.default_rng(7)
    tasks = make_tasks(80, seed=7, types=True)
    pairs = {(int(e), int(t)) for e in range(300) for t in rng.choice(80, size=int(rng.integers(0, 5)), replace=False)}
    el, tk = (np.array(x) for x in zip(*sorted(pairs)))
    f = FourD(tasks, el, tk, 300)
    order = {"construct": (HIDDEN, IN_PROGRESS, NORMAL), "demolish": (NORMAL, DEMOLISHING, HIDDEN), "temporary": (HIDDEN, TEMPORARY, HIDDEN)}
    for when in [tasks[0].start - timedelta(days=1)] + [tasks[i].start + timedelta(hours=13) for i in range(0, 80, 9)]:
        got = f.states(when)
        for e in range(300):
            mine = [(tasks[t], t) for t in tk[el == e]]
            mine = [x for x, _ in sorted(mine, key=lambda p: p[1])]  # equal times: schedule order decides
            active = [x.task_type for x in mine if x.start <= when < x.finish]
            done = [x for x in mine if x.finish <= when]
            if active:
                want = DEMOLISHING if "demolish" in active else IN_PROGRESS if "construct" in active else TEMPORARY
            elif done:
                want = order[max(reversed(done), key=lambda x: x.finish).task_type][2]  # last of equals
            elif mine:
                want = order[min(mine, key=lambda x: x.start).task_type][0]
            else:
                want = NORMAL
            assert got[e] == want, (e, when)


def test_generated_schedule_and_link_table_play_in_task_order(tmp_path) -> None:
    """End to end without a GUI: a CSV schedule and a link CSV -> elements appear in task order."""
    from app.model.schedule_links import read_link_table
    from loaders.schedule import read_schedule
    from tests.schedule_fixtures import csv_text, dmy

    tasks = make_tasks(12, seed=9)
    (tmp_path / "plan.csv").write_text(csv_text(tasks), encoding="utf-8")
    rng = np.random.default_rng(9)
    owner = rng.integers(0, 12, size=200)  # element i is built by task owner[i]
    rows = ["GlobalId,Task Name,TaskStart,TaskFinish"] + [f"E{i},{tasks[t].name},{dmy(tasks[t].start)},{dmy(tasks[t].finish)}"
                                                         for i, t in enumerate(owner)]
    (tmp_path / "links.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    schedule = read_schedule(str(tmp_path / "plan.csv"))
    links = read_link_table(str(tmp_path / "links.csv"), schedule, [f"E{i}" for i in range(200)])
    assert links.report.linked == 200 and links.report.element_missing == 0
    f = FourD.from_links(schedule, links, 200)
    first_seen = np.full(200, np.inf)
    start, end = schedule.start(), schedule.finish() + timedelta(days=1)
    for k in range(0, 400):
        when = start + (end - start) * k / 399
        shown = f.states(when) != HIDDEN
        first_seen[shown & np.isinf(first_seen)] = k
    assert np.isfinite(first_seen).all()
    task_start = np.array([schedule.tasks[links.task[links.element == i][0]].start.timestamp() for i in range(200)])
    order = np.argsort(task_start, kind="stable")
    assert np.all(np.diff(first_seen[order]) >= 0)  # an element never appears before one of an earlier task
