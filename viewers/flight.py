"""Camera flights and tour timelines as pure functions of time (numpy, no Qt, no VTK).

Why functions of time: the GUI samples a flight on a timer at whatever rate it renders, and the
video samples it at exactly k/fps, so a slow render never changes what frame k shows.

A flight moves the focal point along a straight line and the camera around it in spherical
terms (distance, azimuth, elevation), eased in and out. View-up is always the no-roll up
(in the vertical plane through the view direction), so the horizon never tilts; a long flight
pulls back mid-way so both ends are in view (like CesiumJS's flyTo), and the camera is kept
above the ground plane. The last frame is the target camera exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.model.scene import Bookmark, Camera
from app.model.tours import Tour, TourStop

MIN_DURATION_S = 0.6
MAX_DURATION_S = 5.0
GROUND_MARGIN_M = 2.0


def ease(s: float) -> float:
    """Cosine ease in/out: zero speed at both ends (no jolt when leaving or arriving)."""
    s = min(1.0, max(0.0, float(s)))
    return 0.5 - 0.5 * math.cos(math.pi * s)


def _spherical(cam: Camera) -> tuple[np.ndarray, float, float, float]:
    """(focal point, distance, azimuth, elevation) of the camera around its focal point."""
    f = np.asarray(cam.focal_point, dtype=np.float64)
    v = np.asarray(cam.position, dtype=np.float64) - f
    d = max(float(np.linalg.norm(v)), 1e-6)
    el = math.asin(max(-1.0, min(1.0, v[2] / d)))
    if math.hypot(v[0], v[1]) > 1e-6 * d:
        az = math.atan2(v[1], v[0])
    else:  # straight down: the camera sits "behind" the screen-up direction
        up = cam.view_up
        az = math.atan2(-up[1], -up[0]) if math.hypot(up[0], up[1]) > 1e-9 else -math.pi / 2
    return f, d, az, el


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def travel_m(a: Camera, b: Camera) -> float:
    """How far a flight goes, in metres of what the eye sees move."""
    fa, da, aza, ela = _spherical(a)
    fb, db, azb, elb = _spherical(b)
    turn = abs(_wrap(azb - aza)) * math.cos((ela + elb) / 2) + abs(elb - ela)
    return float(np.linalg.norm(fb - fa)) + abs(db - da) + turn * (da + db) / 2


def flight_duration(a: Camera, b: Camera) -> float:
    """Seconds for a flight: longer for farther, on a log scale, clamped to [0.6, 5] s."""
    travel = travel_m(a, b)
    if travel < 1e-6:
        return 0.0
    return min(MAX_DURATION_S, max(MIN_DURATION_S, 1.2 + 0.9 * math.log10(1.0 + travel / 10.0)))


@dataclass(frozen=True)
class Flight:
    start: Camera
    end: Camera
    duration: float
    ground_z: float | None = None  # keep the camera this far up (plus a margin); None: no floor

    @classmethod
    def between(cls, start: Camera, end: Camera, duration: float | None = None,
                ground_z: float | None = None) -> "Flight":
        return cls(start, end, flight_duration(start, end) if duration is None else max(0.0, float(duration)), ground_z)

    def at(self, t: float) -> Camera:
        """The camera `t` seconds into the flight."""
        if self.duration <= 0.0 or t >= self.duration:
            return self.end
        if t <= 0.0:
            return self.start
        return self.at_fraction(ease(t / self.duration))

    def at_fraction(self, s: float) -> Camera:
        f0, d0, az0, el0 = _spherical(self.start)
        f1, d1, az1, el1 = _spherical(self.end)
        f = f0 + (f1 - f0) * s
        az = az0 + _wrap(az1 - az0) * s
        el = el0 + (el1 - el0) * s
        bump = min(1.5, 0.5 * float(np.linalg.norm(f1 - f0)) / max(d0, d1))  # pull back on long flights
        d = math.exp(math.log(d0) + (math.log(d1) - math.log(d0)) * s) * (1.0 + bump * math.sin(math.pi * s))
        if self.ground_z is not None:  # never below the ground: raise the elevation instead
            floor = self.ground_z + GROUND_MARGIN_M - f[2]
            if d * math.sin(el) < floor:
                el = math.asin(max(-1.0, min(1.0, floor / d)))
        offset = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
        up = (-math.sin(el) * math.cos(az), -math.sin(el) * math.sin(az), math.cos(el))  # no roll
        angle = self.start.view_angle + (self.end.view_angle - self.start.view_angle) * s
        return Camera(tuple(float(v) for v in f + d * offset), tuple(float(v) for v in f), up, angle)


@dataclass
class TourState:
    camera: Camera
    stop: int  # index into the playable stops (-1 before the first arrival)
    layers: dict[str, bool] = field(default_factory=dict)  # visibility set by every stop arrived at so far
    time: str | None = None  # the clock time of the last stop that set one


@dataclass
class _Leg:
    start_t: float
    flight: Flight
    arrive_t: float
    end_t: float
    stop: TourStop


class TourTimeline:
    """A tour as a function of time: fly to each stop (its transition, else by distance), arrive,
    apply its layer visibility and clock time, pause. Stops naming a missing bookmark are left
    out (`missing` lists them for the caller's message)."""

    def __init__(self, tour: Tour, marks: list[Bookmark], start: Camera, ground_z: float | None = None) -> None:
        self.tour = tour
        self.missing = tour.missing_stops(marks)
        self.legs: list[_Leg] = []
        t, camera = 0.0, start
        for stop, mark in tour.playable(marks):
            flight = Flight.between(camera, mark.camera, stop.transition, ground_z)
            arrive = t + flight.duration
            self.legs.append(_Leg(t, flight, arrive, arrive + max(0.0, stop.pause), stop))
            t, camera = arrive + max(0.0, stop.pause), mark.camera
        self.start = start
        self.duration = t

    def state(self, t: float) -> TourState:
        state = TourState(self.start, -1)
        for i, leg in enumerate(self.legs):
            if t < leg.start_t:
                break
            if t < leg.arrive_t:
                state.camera = leg.flight.at(t - leg.start_t)
                break
            state.camera, state.stop = leg.flight.end, i
            state.layers.update(leg.stop.layers or {})
            state.time = leg.stop.time or state.time
        return state

    def arrivals(self) -> list[float]:
        return [leg.arrive_t for leg in self.legs]


def apply_visibility(layers: Any, wanted: dict[str, bool]) -> list[str]:
    """Set layers' `visible` by name; returns the names no layer has (for a message)."""
    unknown = []
    for name, visible in wanted.items():
        found = [layer for layer in layers if layer.name == name]
        if not found:
            unknown.append(name)
        for layer in found:
            if layer.visible != visible:
                layer.visible = visible
    return unknown
