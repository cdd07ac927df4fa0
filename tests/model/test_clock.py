"""SceneClock: time zones, clamping, calendar steps across DST, playing at speed, saved with the project."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.model.clock import ClockError, SceneClock, shifted
from app.model.project import read_project, write_project
from app.model.scene import Scene
from loaders.base import LoadError

AMS = ZoneInfo("Europe/Amsterdam")


def _clock(**kw) -> SceneClock:
    args = {"zone": "Europe/Amsterdam", "time": "2015-03-01 14:00", "start": "2015-02-18", "end": "2015-12-17"}
    args.update(kw)
    return SceneClock(**args)


def test_naive_input_is_wall_time_in_the_clock_zone_and_aware_input_is_converted() -> None:
    clock = _clock()
    assert clock.time == datetime(2015, 3, 1, 14, 0, tzinfo=AMS)
    assert clock.time.utcoffset() == timedelta(hours=1)
    clock.set_time(datetime(2015, 6, 1, 12, 0, tzinfo=timezone.utc))
    assert clock.time.tzinfo == AMS and (clock.time.hour, clock.time.utcoffset()) == (14, timedelta(hours=2))
    assert clock.label() == "2015-06-01 14:00 +02:00 Europe/Amsterdam"
    clock.set_time("2015-06-01T09:00-04:00")  # ISO with another offset: the same instant, shown in Amsterdam
    assert clock.label() == "2015-06-01 15:00 +02:00 Europe/Amsterdam"


def test_a_wall_time_skipped_by_dst_moves_past_the_gap() -> None:
    clock = _clock()
    assert clock.set_time("2015-03-29 02:30").strftime("%H:%M %z") == "03:30 +0200"


def test_bad_zone_time_and_range_are_clear_errors() -> None:
    with pytest.raises(ClockError, match="unknown time zone 'Mars/Olympus'"):
        SceneClock(zone="Mars/Olympus")
    with pytest.raises(ClockError, match="not an ISO date/time: 'yesterday'"):
        _clock().set_time("yesterday")
    with pytest.raises(ClockError, match="ends .* before it starts"):
        _clock(start="2015-12-17", end="2015-02-18")
    with pytest.raises(ClockError, match="speed must be between"):
        _clock().set_speed(0)
    with pytest.raises(ClockError, match="unknown step 'fortnight'"):
        _clock().set_step("fortnight")


def test_time_is_clamped_to_the_range_and_a_new_range_clamps_it() -> None:
    clock = _clock()
    seen: list[datetime] = []
    clock.time_changed.connect(seen.append)
    assert clock.set_time("2014-01-01") == clock.start
    assert clock.set_time("2030-01-01") == clock.end
    assert clock.step_by(5) == clock.end  # past the end: stays at the end, no new event
    assert seen == [clock.start, clock.end]
    clock.set_range("2015-04-01", "2015-05-01")
    assert clock.time == datetime(2015, 5, 1, tzinfo=AMS)


def test_day_and_month_steps_keep_the_wall_clock_across_dst_hours_count_elapsed_time() -> None:
    clock = _clock(time="2015-03-28 14:00")
    assert clock.step_by(1, "day").strftime("%Y-%m-%d %H:%M %z") == "2015-03-29 14:00 +0200"  # a 23-hour day
    clock.set_time("2015-02-28 14:00")
    assert clock.step_by(1, "month").strftime("%Y-%m-%d %H:%M %z") == "2015-03-28 14:00 +0100"
    assert clock.step_by(1, "month").strftime("%Y-%m-%d %H:%M %z") == "2015-04-28 14:00 +0200"  # across DST
    assert clock.step_by(-2, "month").strftime("%Y-%m-%d %H:%M %z") == "2015-02-28 14:00 +0100"
    clock.set_time("2015-03-29 01:30")
    assert clock.step_by(1, "hour").strftime("%H:%M %z") == "03:30 +0200"  # one elapsed hour: the clocks jumped
    assert shifted(datetime(2016, 1, 31, 9, tzinfo=AMS), "month").date().isoformat() == "2016-02-29"  # month end clamped
    clock.set_time("2015-10-25 01:30")  # the autumn change: 02:00-03:00 happens twice
    assert clock.step_by(2, "hour").strftime("%H:%M %z") == "02:30 +0100"


def test_advance_moves_speed_times_real_seconds_only_while_playing_and_stops_at_the_end() -> None:
    clock = _clock(time="2015-12-10 00:00")
    start = clock.time
    assert clock.advance(1.0) == start  # paused: the GUI timer's ticks do nothing
    clock.set_speed(86400.0)  # a day per second
    states: list[bool] = []
    clock.playing_changed.connect(states.append)
    clock.play()
    clock.advance(0.5)
    assert clock.time - start == timedelta(hours=12)
    clock.advance(20.0)
    assert clock.time == clock.end and not clock.playing and states == [True, False]
    clock.play()  # at the end, play runs the sequence again from the start
    assert clock.time == clock.start and clock.playing


def test_clock_round_trips_through_a_project(tmp_path: Path) -> None:
    from app.model.opening import apply_opened, open_paths

    scene = Scene()
    scene.clock.set_zone("Europe/Amsterdam")
    scene.clock.set_range("2015-02-18", "2015-12-17")
    scene.clock.set_time("2015-06-01 14:00")
    scene.clock.set_speed(7 * 86400.0)
    scene.clock.set_step("week")
    write_project(scene, tmp_path / "p.twin")
    saved = json.loads((tmp_path / "p.twin").read_text())["clock"]
    assert saved["time"] == "2015-06-01T14:00:00+02:00" and saved["zone"] == "Europe/Amsterdam"
    assert read_project(tmp_path / "p.twin").clock == saved
    again = Scene()
    opened = open_paths(again, [str(tmp_path / "p.twin")], on_error=lambda e: pytest.fail(str(e)))
    assert again.clock.zone == "UTC"  # the worker's part does not touch the live clock
    apply_opened(again, opened.projects)
    assert again.clock.label() == "2015-06-01 14:00 +02:00 Europe/Amsterdam"
    assert (again.clock.start, again.clock.end) == (scene.clock.start, scene.clock.end)
    assert (again.clock.speed, again.clock.step, again.clock.playing) == (7 * 86400.0, "week", False)


@pytest.mark.parametrize("clock, message", [
    ({"zone": "Nowhere/City"}, "clock.zone: unknown time zone 'Nowhere/City'"),
    ({"time": "1 juni"}, "clock.time: not an ISO date/time"),
    ({"start": "2015-02-18"}, "clock.end: required with the other end"),
    ({"start": "2015-12-17", "end": "2015-02-18"}, "clock.end: is before clock.start"),
    ({"speed": -5}, "clock.speed: -5 is out of range"),
    ({"step": "fortnight"}, 'clock.step: expected one of minute, hour, day, week, month, year, got "fortnight"'),
    ([1, 2], "clock: expected an object, got a list"),
])
def test_a_bad_clock_entry_names_its_key(tmp_path: Path, clock: object, message: str) -> None:
    path = tmp_path / "bad.twin"
    path.write_text(json.dumps({"schema_version": 1, "layers": [], "clock": clock}))
    with pytest.raises(LoadError, match="malformed project: " + message.replace("(", r"\(")):
        read_project(path)
