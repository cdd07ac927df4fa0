"""SceneClock: the one current time of the twin. No Qt, no timer.

Why one clock: the 4D schedule, live-feed history, simulation steps, the sun and tours all show
"the twin at time T"; if each kept its own notion of now they would drift apart. The clock holds
the time (time-zone aware), a range, play/pause, a speed and a step size, and emits psygnal
events; the GUI drives it with a QTimer that calls `advance(real_seconds)` while it plays.

Time zones: the clock has a zone (an IANA name, via zoneinfo). Every time it hands out is aware
and in that zone. A naive datetime given to it is taken as wall-clock time in the clock's zone
(what a date editor or a schedule without offsets means); an aware one is converted.

Arithmetic: `advance` and hour steps count elapsed seconds (UTC), so a played hour is an hour
even across a DST change; day, week and month steps move the wall clock (14:00 stays 14:00 the
day after the clocks go forward), with month ends clamped (31 Jan + 1 month = 28/29 Feb).
"""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from psygnal import Signal

from app.model.project_schema import SchemaError, _fail, number, obj, text

MIN_SPEED = 1.0  # simulated seconds per real second
MAX_SPEED = 1e7  # about four months per second: a year-long schedule in three seconds
STEPS = ("minute", "hour", "day", "week", "month", "year")
DAY_S = 86400.0
SPEED_PRESETS: dict[str, float] = {  # label -> simulated seconds per real second
    "1x (real time)": 1.0,
    "1 minute per second": 60.0,
    "1 hour per second": 3600.0,
    "1 day per second": DAY_S,
    "1 week per second": 7 * DAY_S,
    "30 days per second": 30 * DAY_S,
}


class ClockError(ValueError):
    """A time, zone or range the clock cannot take; the message says which and why."""


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ClockError(f"unknown time zone {name!r} (use an IANA name such as Europe/Amsterdam or UTC)") from None


def parse_time(value: str | datetime, zone: ZoneInfo) -> datetime:
    """ISO text or a datetime -> aware datetime in `zone`; naive values are wall time in `zone`."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ClockError(f"not an ISO date/time: {value!r} (e.g. 2015-06-01T14:00+02:00)") from None
    if not isinstance(value, datetime):
        raise ClockError(f"expected a date/time, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        return _normalised(value.replace(tzinfo=zone), zone)
    return value.astimezone(zone)


def _normalised(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall time that does not exist (in the hour skipped by DST) moves forward past the gap."""
    return wall.astimezone(timezone.utc).astimezone(zone)


def add_months(t: datetime, months: int) -> datetime:
    """Calendar months on the wall clock; the day is clamped to the target month's length."""
    index = t.year * 12 + (t.month - 1) + months
    year, month = divmod(index, 12)
    day = min(t.day, calendar.monthrange(year, month + 1)[1])
    return t.replace(year=year, month=month + 1, day=day)


def shifted(t: datetime, step: str, count: int = 1) -> datetime:
    """`t` moved by `count` steps (negative: back), in t's zone (see the module note)."""
    zone = t.tzinfo
    if step == "minute":
        return (t.astimezone(timezone.utc) + timedelta(minutes=count)).astimezone(zone)
    if step == "hour":
        return (t.astimezone(timezone.utc) + timedelta(hours=count)).astimezone(zone)
    wall = t.replace(tzinfo=None, fold=0)
    if step == "day":
        wall += timedelta(days=count)
    elif step == "week":
        wall += timedelta(weeks=count)
    elif step == "month":
        wall = add_months(wall, count)
    elif step == "year":
        wall = add_months(wall, 12 * count)
    else:
        raise ClockError(f"unknown step {step!r} (use {', '.join(STEPS)})")
    return _normalised(wall.replace(tzinfo=zone), zone)  # type: ignore[arg-type]


def iso_label(t: datetime, zone_name: str) -> str:
    """'2015-06-01 14:00 +02:00 Europe/Amsterdam': the time, its offset and its zone."""
    offset = t.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    seconds = f":{t.second:02d}" if t.second else ""
    return f"{t:%Y-%m-%d %H:%M}{seconds} {offset} {zone_name}".strip()


class SceneClock:
    """Current time, range [start, end], playing, speed and step; every change is an event.

    The time is always inside the range (setting it outside clamps); playing past the end
    stops at the end; play at the end starts again from the start."""

    time_changed = Signal(object)  # the new aware datetime
    range_changed = Signal(object, object)  # start, end
    playing_changed = Signal(bool)
    speed_changed = Signal(float)
    step_changed = Signal(str)
    zone_changed = Signal(str)

    def __init__(self, zone: str = "UTC", time: str | datetime | None = None,
                 start: str | datetime | None = None, end: str | datetime | None = None,
                 speed: float = DAY_S, step: str = "day") -> None:
        self._zone_name = zone
        self._zone = zone_of(zone)
        now = datetime.now(self._zone).replace(second=0, microsecond=0)
        self._time = parse_time(time, self._zone) if time is not None else now
        day = self._time.replace(hour=0, minute=0, second=0, microsecond=0)
        self._start = parse_time(start, self._zone) if start is not None else _normalised(day, self._zone)
        self._end = parse_time(end, self._zone) if end is not None else shifted(self._start, "day")
        if self._end < self._start:
            raise ClockError(f"the range ends ({self._end.isoformat()}) before it starts ({self._start.isoformat()})")
        self._time = min(max(self._time, self._start), self._end)
        self._playing = False
        self._speed = _checked_speed(speed)
        self._step = _checked_step(step)

    # --- reading ------------------------------------------------------------------------------
    @property
    def time(self) -> datetime:
        return self._time

    @property
    def zone(self) -> str:
        return self._zone_name

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def end(self) -> datetime:
        return self._end

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def step(self) -> str:
        return self._step

    def label(self) -> str:
        return iso_label(self._time, self._zone_name)

    def fraction(self) -> float:
        """Where the time is in the range, 0..1 (a zero-length range: 0)."""
        span = (self._end - self._start).total_seconds()
        return 0.0 if span <= 0 else (self._time - self._start).total_seconds() / span

    def at_fraction(self, fraction: float) -> datetime:
        span = (self._end - self._start).total_seconds()
        f = min(1.0, max(0.0, float(fraction)))
        return (self._start.astimezone(timezone.utc) + timedelta(seconds=span * f)).astimezone(self._zone)

    # --- changing -----------------------------------------------------------------------------
    def set_time(self, value: str | datetime) -> datetime:
        """Move to `value` (clamped to the range); returns the time actually set."""
        t = min(max(parse_time(value, self._zone), self._start), self._end)
        if t != self._time or t.utcoffset() != self._time.utcoffset():
            self._time = t
            self.time_changed.emit(t)
        return self._time

    def set_range(self, start: str | datetime, end: str | datetime) -> None:
        s, e = parse_time(start, self._zone), parse_time(end, self._zone)
        if e < s:
            raise ClockError(f"the range ends ({e.isoformat()}) before it starts ({s.isoformat()})")
        if (s, e) != (self._start, self._end):
            self._start, self._end = s, e
            self.range_changed.emit(s, e)
        self.set_time(self._time)  # clamped into the new range

    def set_zone(self, zone: str) -> None:
        """Same instants, shown in another zone."""
        tz = zone_of(zone)
        if zone == self._zone_name:
            return
        self._zone_name, self._zone = zone, tz
        self._start, self._end = self._start.astimezone(tz), self._end.astimezone(tz)
        self._time = self._time.astimezone(tz)
        self.zone_changed.emit(zone)
        self.range_changed.emit(self._start, self._end)
        self.time_changed.emit(self._time)

    def set_speed(self, speed: float) -> None:
        value = _checked_speed(speed)
        if value != self._speed:
            self._speed = value
            self.speed_changed.emit(value)

    def set_step(self, step: str) -> None:
        value = _checked_step(step)
        if value != self._step:
            self._step = value
            self.step_changed.emit(value)

    def play(self) -> None:
        if self._playing:
            return
        if self._time >= self._end and self._end > self._start:
            self.set_time(self._start)  # at the end, play runs the sequence again
        self._playing = True
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self._playing:
            self._playing = False
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def advance(self, real_seconds: float) -> datetime:
        """Called by the GUI timer: moves `speed * real_seconds` while playing (nothing when
        paused); reaching the end stops there."""
        if not self._playing or real_seconds <= 0:
            return self._time
        t = (self._time.astimezone(timezone.utc) + timedelta(seconds=self._speed * real_seconds)).astimezone(self._zone)
        self.set_time(t)
        if self._time >= self._end:
            self.pause()
        return self._time

    def step_by(self, count: int = 1, step: str | None = None) -> datetime:
        """One step (or `count`) forward, or back with a negative count; clamped to the range."""
        return self.set_time(shifted(self._time, _checked_step(step or self._step), count))

    def to_start(self) -> datetime:
        return self.set_time(self._start)

    def to_end(self) -> datetime:
        return self.set_time(self._end)

    def reset(self) -> None:
        """Back to a new scene's clock (UTC, today, a day per second), paused: New/Close Project."""
        self.set_state(SceneClock().get_state())

    # --- saved with the project -------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """ISO strings with offsets; playing is not saved (a project opens paused)."""
        return {"zone": self._zone_name, "time": self._time.isoformat(), "start": self._start.isoformat(),
                "end": self._end.isoformat(), "speed": self._speed, "step": self._step}

    def set_state(self, state: dict[str, Any]) -> None:
        """Apply a saved state (checked with `check_clock` first); emits the usual events."""
        check_clock(state, "clock")
        self.pause()
        self.set_zone(state.get("zone", self._zone_name))
        if "start" in state and "end" in state:
            self.set_range(state["start"], state["end"])
        if "time" in state:
            self.set_time(state["time"])
        if "speed" in state:
            self.set_speed(state["speed"])
        if "step" in state:
            self.set_step(state["step"])


def _checked_speed(speed: Any) -> float:
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not MIN_SPEED <= float(speed) <= MAX_SPEED:
        raise ClockError(f"speed must be between {MIN_SPEED:g} and {MAX_SPEED:g} simulated seconds per second, not {speed!r}")
    return float(speed)


def _checked_step(step: Any) -> str:
    if step not in STEPS:
        raise ClockError(f"unknown step {step!r} (use {', '.join(STEPS)})")
    return str(step)


def check_clock(value: Any, key: str) -> None:
    """The project's `clock` entry; raises SchemaError naming the key path (`clock.start: ...`)."""
    clock = obj(value, key)
    zone = text(clock.get("zone", "UTC"), f"{key}.zone", nonempty=True)
    try:
        tz = zone_of(zone or "UTC")
    except ClockError as exc:
        raise SchemaError(f"{key}.zone", str(exc)) from None
    times = {}
    for name in ("time", "start", "end"):
        if name in clock:
            raw = text(clock[name], f"{key}.{name}", nonempty=True)
            try:
                times[name] = parse_time(raw or "", tz)
            except ClockError as exc:
                raise SchemaError(f"{key}.{name}", str(exc)) from None
    if ("start" in times) != ("end" in times):
        raise SchemaError(f"{key}.{'end' if 'start' in times else 'start'}", "required with the other end of the range")
    if "start" in times and times["end"] < times["start"]:
        raise SchemaError(f"{key}.end", "is before clock.start")
    if "speed" in clock:
        number(clock["speed"], f"{key}.speed", MIN_SPEED, MAX_SPEED)
    if "step" in clock and clock["step"] not in STEPS:
        raise _fail(f"{key}.step", "one of " + ", ".join(STEPS), clock["step"])
