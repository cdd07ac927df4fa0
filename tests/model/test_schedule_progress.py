"""Planned versus actual in the scene model: the same statuses as `twinscape compare --schedule` gives
(app.analysis.schedule_status), found for the layer pairs that have both halves, grouped by task and storey."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from app.analysis.schedule_status import schedule_parts
from app.model.comparison import NOT_JUDGED
from app.model.schedule_layer import ScheduleLayer
from app.model.schedule_progress import (
    STATUS_KEY, apply_statuses, clear_statuses, element_statuses, linked_schedule, pairs, summaries,
)
from tests.fourd_fixtures import T0, box_model, link_csv, sequence

N, TASKS = 12, 4
OBSERVED = ["built", "partial", "missing", "deviating"] * 3


def _linked(tmp_path: Path):
    model = box_model(N)
    for i, e in enumerate(model.elements):
        e.storey = f"Level {i % 2}"
    schedule = ScheduleLayer(name="plan", data={"schedule": sequence(TASKS)})
    schedule.link(model, "table", str(link_csv(tmp_path / "links.csv", N, TASKS)))
    return model, schedule


def test_statuses_are_the_command_line_rule_at_every_moment(tmp_path: Path) -> None:
    model, schedule = _linked(tmp_path)
    assert element_statuses(model, schedule, T0) is None  # no comparison yet: nothing to say
    model.data["comparison_status"] = np.array(OBSERVED, dtype=object)
    for day in (0, 5, 15, 25, 35, 45):
        when = T0 + timedelta(days=day)
        ours = element_statuses(model, schedule, when)
        cli = schedule_parts(model.elements, OBSERVED, schedule.schedule, schedule.links, when)
        assert ours.tolist() == [row["schedule_status"] for row in cli["elements"]]
        grouped = summaries(model, schedule, ours, when)
        assert grouped["counts"] == cli["counts"] and grouped["by_storey"] == cli["by_storey"]
        for key, row in cli["by_task"].items():
            assert {k: grouped["by_task"][key][k] for k in ("elements", "ahead", "on_time", "behind", "not_planned", "planned")} \
                == {k: row[k] for k in ("elements", "ahead", "on_time", "behind", "not_planned", "planned")}


def test_an_element_the_comparison_did_not_judge_is_never_behind(tmp_path: Path) -> None:
    model, schedule = _linked(tmp_path)
    model.data["comparison_status"] = np.array([NOT_JUDGED] + OBSERVED[1:], dtype=object)
    when = T0 + timedelta(days=45)  # everything planned complete: a not-started element would be behind
    assert element_statuses(model, schedule, when)[0] == "not_planned"


def test_pairs_need_a_comparison_and_a_visible_linked_schedule(tmp_path: Path) -> None:
    model, schedule = _linked(tmp_path)
    other = box_model(3, name="other")
    layers = [model, other, schedule]
    assert pairs(layers) == [] and linked_schedule(layers, model) is schedule
    model.data["comparison_status"] = np.array(OBSERVED, dtype=object)
    other.data["comparison_status"] = np.array(["built"] * 3, dtype=object)
    assert pairs(layers) == [(model, schedule)]  # `other` has no schedule
    schedule.visible = False
    assert pairs(layers) == [] and linked_schedule(layers, model) is None


def test_storing_the_statuses_says_what_changed(tmp_path: Path) -> None:
    model, schedule = _linked(tmp_path)
    model.data["comparison_status"] = np.array(OBSERVED, dtype=object)
    emitted: list[int] = []
    model.data_changed.connect(lambda: emitted.append(1))
    first = element_statuses(model, schedule, T0 + timedelta(days=5))
    assert apply_statuses(model, first, T0) == "new" and emitted == [1]  # the mode is offered now
    assert "schedule_status" in model.available_color_modes()
    assert apply_statuses(model, first.copy(), T0 + timedelta(hours=1)) == ""  # same statuses: only the time moved
    later = element_statuses(model, schedule, T0 + timedelta(days=35))
    assert apply_statuses(model, later, T0) == "changed" and emitted == [1]  # recoloured in place, no rebuild
    assert clear_statuses(model) and STATUS_KEY not in model.data and emitted == [1, 1]
    assert "schedule_status" not in model.available_color_modes() and not clear_statuses(model)
