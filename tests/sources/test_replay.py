"""Recording a live feed to JSONL/CSV (personal fields never in clear) and replaying it at speed."""
from __future__ import annotations

import json
import time

import pytest

from app.sources.feed import FeedError, FeedMapping, open_feed
from app.sources.recording import RecordingWriter
from app.sources.readings import Reading


def _drain_until(feed, n: int, timeout: float = 5.0) -> list[Reading]:
    out: list[Reading] = []
    end = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        out += feed.drain()
        time.sleep(0.01)
    return out


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_record_the_demo_and_replay_it(tmp_path, suffix: str) -> None:
    live = open_feed("sim://demo?history=20")
    live.start()
    readings = _drain_until(live, 300)
    live.stop()
    path = tmp_path / f"rec{suffix}"
    with RecordingWriter(path) as w:
        w.write(readings)
    text = path.read_text(encoding="utf-8")
    assert "鄂" not in text and "anon-" in text  # plates: pseudonyms only
    replay = open_feed(str(path), speed=100.0)
    replay.start()
    back = _drain_until(replay, len(readings))
    replay.stop()
    assert replay.stats.malformed == 0 and len(back) == len(readings)
    for a, b in zip(readings, back):
        assert (a.sensor_id, a.kind, a.values, a.units, a.position_crs) == (b.sensor_id, b.kind, b.values, b.units,
                                                                            b.position_crs)
        assert a.time == pytest.approx(b.time, abs=1e-3)
        assert a.position == pytest.approx(b.position, abs=1e-6)
        assert b.meta == a.meta


def test_replay_keeps_the_recorded_pace_divided_by_speed(tmp_path) -> None:
    path = tmp_path / "slow.jsonl"
    path.write_text("".join(json.dumps({"id": "s", "time": 1000.0 + k, "values": {"v": k}}) + "\n" for k in range(5)))
    feed = open_feed(str(path), speed=10.0)  # 4 s recorded -> 0.4 s
    feed.start()
    got = _drain_until(feed, 5)
    feed.stop()
    assert [r.values["v"] for r in got] == [0, 1, 2, 3, 4] and [r.time for r in got] == [1000, 1001, 1002, 1003, 1004]
    gaps = [b.received - a.received for a, b in zip(got, got[1:])]
    assert all(g > 0.05 for g in gaps)  # paced, not dumped at once (0.1 s apart at 10x)
    assert feed.finished and "end of recording (5 readings)" in feed.stats.message


def test_bad_lines_are_counted(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "time": 1, "values": {"v": 1}}\nnot json\n{"id": "a", "values": {"v": 1}}\n'
                    '{"id": "a", "time": 2, "values": {"v": NaN}}\n[1]\n\n{"id": "b", "time": 3, "values": {"v": 2}}\n')
    feed = open_feed(str(path), speed=100)
    feed.start()
    got = _drain_until(feed, 2)
    feed.stop()
    assert [r.sensor_id for r in got] == ["a", "b"] and feed.stats.malformed == 4


def test_foreign_jsonl_with_a_mapping(tmp_path) -> None:
    path = tmp_path / "foreign.jsonl"
    path.write_text(json.dumps({"dev": "p1", "ts": "2024-01-01T00:00:00Z", "occ": 55}) + "\n")
    m = FeedMapping(id_path="dev", time_path="ts", values_path="", value_paths={"occupancy": "occ"},
                    units={"occupancy": "%"}, positions={"p1": [1.0, 2.0, 0.0]}, positions_crs="scene")
    feed = open_feed(str(path), m)
    feed.start()
    (r,) = _drain_until(feed, 1)
    feed.stop()
    assert r.values == {"occupancy": 55.0} and r.position == (1.0, 2.0, 0.0) and r.time == 1704067200.0


@pytest.mark.parametrize("name, kwargs, reason", [("none.jsonl", {}, "not found"), ("x.jsonl", {"speed": 500}, "speed"),
                                                  ("x.jsonl", {"speed": 0}, "speed")])
def test_bad_replay_requests(tmp_path, name, kwargs, reason) -> None:
    (tmp_path / "x.jsonl").write_text("")
    with pytest.raises(FeedError, match=reason):
        open_feed(str(tmp_path / name), **kwargs)
    with pytest.raises(ValueError, match="jsonl or .csv"):
        RecordingWriter(tmp_path / "out.txt")
