"""ScheduleLayer: state round trip, linking by table and property, bad link input, states at a time."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from app.model.fourd import HIDDEN, IN_PROGRESS, NORMAL
from app.model.project_schema import SchemaError, check_state
from app.model.scene import Scene
from app.model.schedule_layer import LinkError, ScheduleLayer
from loaders.schedule import ScheduleData
from tests.fourd_fixtures import T0, box_model, link_csv, sequence


def test_state_round_trips_and_passes_the_project_schema():
    layer = ScheduleLayer(name="plan", target="model", link_kind="table", link_source="/x/links.csv", dates="actual")
    state = layer.get_state()
    assert {k: state[k] for k in ("target", "link_kind", "link_source", "dates")} == \
        {"target": "model", "link_kind": "table", "link_source": "/x/links.csv", "dates": "actual"}
    again = ScheduleLayer.from_state(state, data={"schedule": sequence(2)})
    assert again.get_state() == state and len(again.schedule.tasks) == 2
    check_state(state, "layers[0].state")
    with pytest.raises(SchemaError):
        check_state({**state, "link_source": 5}, "layers[0].state")
    assert ScheduleLayer(dates="nonsense").dates == "planned"


def test_a_schedule_becomes_a_time_aware_layer_in_the_scene():
    data = ScheduleData(name="plan.xml", kind="schedule", format="mspdi", schedule=sequence(3))
    (layer,) = Scene().make_layers(data)
    assert isinstance(layer, ScheduleLayer) and type(layer).time_aware
    assert layer.info["tasks"] == 3 and layer.bounds() is None and layer.counts() == {"tasks": 3}


def test_links_from_a_table_give_states_at_any_time(tmp_path):
    model, layer = box_model(8), ScheduleLayer(data={"schedule": sequence(2)})
    report = layer.link(model, "table", str(link_csv(tmp_path / "l.csv", 8, 2)))
    assert report.linked == 8 and (layer.target, layer.link_kind) == ("model", "table")
    seen = []
    layer.states_changed.connect(lambda: seen.append(layer.states.copy()))
    layer.set_time(T0 + timedelta(days=5))
    assert layer.states.tolist() == [IN_PROGRESS] * 4 + [HIDDEN] * 4
    layer.set_time(T0 + timedelta(days=5))  # the same time: no event
    layer.set_time(T0 + timedelta(days=30))
    assert len(seen) == 2 and (layer.states == NORMAL).all()
    assert layer.elements_of([1]) == [4, 5, 6, 7] and layer.tasks_of(5) == [1]


def test_links_from_a_property_and_bad_link_input(tmp_path):
    model, layer = box_model(3), ScheduleLayer(data={"schedule": sequence(3)})
    report = layer.link(model, "property", "Pset_4D.Task")  # element i names "Task i+1"
    assert report.match_by == "name" and report.linked == 3 and layer.tasks_of(2) == [2]
    with pytest.raises(LinkError, match="Pset.Property"):
        layer.link(model, "property", "Task")
    with pytest.raises(LinkError, match="no GUID column"):
        (tmp_path / "bad.csv").write_text("a;b\n1;2\n")
        layer.link(model, "table", str(tmp_path / "bad.csv"))
    with pytest.raises(LinkError):
        layer.link(model, "table", str(tmp_path / "absent.csv"))
    with pytest.raises(LinkError, match="no elements"):
        layer.link(box_model(0), "table", str(tmp_path / "bad.csv"))
    assert layer.link_kind == "property"  # a failed link leaves the last good one


def test_relink_by_target_name_and_a_failure_becomes_a_warning(tmp_path):
    model = box_model(4)
    layer = ScheduleLayer(data={"schedule": sequence(2)}, target="model", link_kind="table",
                          link_source=str(link_csv(tmp_path / "l.csv", 4, 2)))
    assert layer.needs_relink() and layer.relink([]) is None
    assert layer.relink([model]).linked == 4 and not layer.needs_relink()
    broken = ScheduleLayer(data={"schedule": sequence(2)}, target="model", link_kind="table", link_source=str(tmp_path / "gone.csv"))
    assert broken.relink([model]) is None and "not made" in broken.warnings[0] and not broken.needs_relink()
    assert np.array_equal(layer.links.element, np.arange(4))


def test_relink_finds_a_link_table_moved_along_with_the_schedule(tmp_path):
    moved = tmp_path / "moved"
    moved.mkdir()
    link_csv(moved / "links.csv", 4, 2)
    layer = ScheduleLayer(data={"schedule": sequence(2)}, target="model", link_kind="table",
                          link_source=str(tmp_path / "old" / "links.csv"))
    layer.source = {"path": str(moved / "plan.csv")}
    assert layer.relink([box_model(4)]).linked == 4 and layer.link_source == str(moved / "links.csv")
