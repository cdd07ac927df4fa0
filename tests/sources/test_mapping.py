"""The mapping: JSON paths to readings, bad input counted as malformed, personal fields pseudonymised."""
from __future__ import annotations

import json
import math

import pytest

from app.sources.mapping import FeedMapping, Malformed, UnknownSensor, get_path, parse_time
from app.sources.privacy import is_pseudonym, pseudonym

MSG = {"id": "aq-01", "time": 1_700_000_000.5, "lon": 114.3, "lat": 30.59, "h": 25.0,
       "values": {"pm25": 35.5, "no2": "41"}, "units": {"pm25": "ug/m3"}, "name": "Station 1"}


def test_default_mapping_reads_the_simulator_format() -> None:
    (r,) = FeedMapping().parse(json.dumps(MSG).encode(), "city/air", 0.0, 5.0)
    assert r.sensor_id == "aq-01" and r.time == 1_700_000_000.5
    assert r.values == {"pm25": 35.5, "no2": 41.0} and r.units == {"pm25": "ug/m3"}
    assert r.position == (114.3, 30.59, 25.0) and r.position_crs == "EPSG:4979"
    assert r.meta == {"name": "Station 1"} and r.received == 5.0 and r.kind == "sensor"


def test_custom_paths_topic_id_scene_position_and_iso_time() -> None:
    m = FeedMapping(id_path="$topic[-1]", time_path="ts", values_path="", value_paths={"t": "data.temp[0]"},
                    units={"t": "degC"}, x_path="pos.x", y_path="pos.y", z_path="pos.z")
    msg = {"ts": "2024-05-01T08:00:00Z", "data": {"temp": [21.5]}, "pos": {"x": 1, "y": 2, "z": 3}}
    (r,) = m.parse(json.dumps(msg), "site/crane/C7", 0.0)
    assert r.sensor_id == "C7" and r.values == {"t": 21.5} and r.units == {"t": "degC"}
    assert r.position == (1.0, 2.0, 3.0) and r.position_crs == "scene"
    assert r.time == 1714550400.0


def test_position_table_and_unknown_sensor() -> None:
    m = FeedMapping(positions={"p1": [10.0, 20.0, 1.0]}, positions_crs="scene")
    (r,) = m.parse({"id": "p1", "values": {"occ": 50}}, "", 7.0)
    assert r.position == (10.0, 20.0, 1.0) and r.position_crs == "scene" and r.time == 7.0
    with pytest.raises(UnknownSensor):
        m.parse({"id": "nobody", "values": {"occ": 50}}, "", 7.0)


@pytest.mark.parametrize("payload, reason", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"values": {"a": 1}}), "no sensor id"),
    (json.dumps({"id": "a", "values": {"a": "high"}}), "not a finite number"),
    ('{"id": "a", "values": {"a": NaN}}', "not a finite number"),
    (json.dumps({"id": "a", "values": {"a": True}}), "not a finite number"),
    (json.dumps({"id": "a"}), "no values and no position"),
    (json.dumps({"id": "a", "lon": 500, "lat": 0, "values": {"a": 1}}), "out of range"),
    (json.dumps({"id": "a", "time": "yesterday", "values": {"a": 1}}), "timestamp"),
    (b"\xff\xfe garbage", "not JSON"),
    (b"x" * 10_000_001, "MB over"),
])
def test_bad_messages_are_malformed_with_a_reason(payload, reason) -> None:
    with pytest.raises(Malformed, match=reason):
        FeedMapping().parse(payload, "t", 0.0)


def test_personal_id_and_meta_are_hashed_or_dropped() -> None:
    msg = {"id": "鄂A12345", "plate": "鄂A12345", "phone": "+86 138", "lon": 114.3, "lat": 30.5,
           "values": {"speed": 40}}
    m = FeedMapping(personal=["id", "plate", "phone"], meta_paths={"plate": "plate", "phone": "phone"})
    (r,) = m.parse(msg, "", 0.0)
    assert is_pseudonym(r.sensor_id) and r.sensor_id == pseudonym("鄂A12345")
    assert r.meta == {"plate": pseudonym("鄂A12345"), "phone": pseudonym("+86 138")}
    assert "鄂A12345" not in repr(r) and "138" not in repr(r)
    m.personal_mode = "drop"
    (r,) = m.parse(msg, "", 0.0)
    assert r.meta == {} and is_pseudonym(r.sensor_id)


def test_to_dict_round_trips_and_holds_no_values() -> None:
    m = FeedMapping(personal=["plate"], value_paths={"pm25": "d.pm"}, positions={"s1": [1.0, 2.0]})
    m.parse({"id": "x", "plate": "鄂A99999", "d": {"pm": 3}, "lon": 1, "lat": 2}, "", 0.0)
    d = m.to_dict()
    assert json.loads(json.dumps(d)) == d and "鄂A99999" not in json.dumps(d, ensure_ascii=False)
    assert FeedMapping.from_dict(d) == m


@pytest.mark.parametrize("bad", [{"id_path": 3}, {"personal": "plate"}, {"positions": {"a": [1]}},
                                 {"max_message_bytes": 0}, {"personal_mode": "show"}, []])
def test_from_dict_refuses_bad_fields(bad) -> None:
    with pytest.raises(ValueError):
        FeedMapping.from_dict(bad)


def test_paths_and_times() -> None:
    assert get_path({"a": [{"b": 2}]}, "$.a[0].b") == 2
    assert get_path({}, "$topic[1]", "x/y/z") == "y"
    assert parse_time(1_700_000_000_000) == 1_700_000_000.0  # milliseconds
    assert parse_time("2014-03-01T13:00:00Z/2015-05-11T15:30:00Z") == 1431358200.0
    assert math.isclose(parse_time("2014-12-31T11:59:59.00+08:00"), 1419998399.0)
