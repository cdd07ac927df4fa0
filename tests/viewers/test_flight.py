"""Camera flights: eased, no roll, above the ground, ending exactly at the target; tour timelines."""
from __future__ import annotations

import numpy as np

from app.model.scene import Bookmark, Camera
from app.model.tours import Tour, TourStop
from viewers.flight import Flight, TourTimeline, apply_visibility, flight_duration

NEAR = Camera((130.0, -60.0, 70.0), (34.0, 41.0, 8.0))
FAR = Camera((400.0, -530.0, 400.0), (10.0, 0.0, 10.0))
TOP = Camera((0.0, -0.5, 900.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))


def test_flight_eases_in_and_out_and_ends_exactly_at_the_target() -> None:
    flight = Flight.between(FAR, NEAR)
    assert 0.6 <= flight.duration <= 5.0
    assert flight.at(0.0) == FAR and flight.at(flight.duration) == NEAR and flight.at(99.0) == NEAR
    pos = [np.array(flight.at(t).focal_point) for t in np.linspace(0, flight.duration, 41)]
    steps = [float(np.linalg.norm(b - a)) for a, b in zip(pos, pos[1:])]
    assert steps[0] < steps[20] / 5 and steps[-1] < steps[20] / 5  # slow at both ends, fastest mid-way


def test_duration_grows_with_distance_and_is_clamped() -> None:
    short = Camera((131.0, -60.0, 70.0), (35.0, 41.0, 8.0))
    far_away = Camera((1e6, 0.0, 500.0), (1e6, 10.0, 0.0))
    assert flight_duration(NEAR, NEAR) == 0.0
    assert flight_duration(NEAR, short) < flight_duration(NEAR, FAR) < flight_duration(NEAR, far_away) == 5.0


def test_no_roll_and_never_below_the_ground() -> None:
    low_a = Camera((-200.0, 0.0, 3.0), (0.0, 0.0, 2.0))
    low_b = Camera((200.0, 0.0, 3.0), (0.0, 0.0, 2.0))  # half a turn around, close to the ground
    for flight in (Flight.between(FAR, TOP, ground_z=0.0), Flight.between(low_a, low_b, ground_z=0.0)):
        for t in np.linspace(0.01, flight.duration - 0.01, 30):
            cam = flight.at(t)
            view = np.subtract(cam.focal_point, cam.position)
            right = np.cross(view, cam.view_up)
            assert abs(right[2]) < 1e-6 * np.linalg.norm(right)  # the horizon stays level
            assert cam.view_up[2] >= -1e-9 and cam.position[2] >= 2.0 - 1e-6


def test_tour_timeline_flies_pauses_and_sets_layers_and_time_on_arrival() -> None:
    marks = [Bookmark("Near", NEAR), Bookmark("Far", FAR)]
    tour = Tour("t", [TourStop("Near", pause=1.0, transition=2.0, layers={"Scan": True, "Design": False}),
                      TourStop("Gone"), TourStop("Far", pause=0.5, transition=1.0, time="2015-06-01T14:00+02:00")])
    line = TourTimeline(tour, marks, FAR)
    assert line.missing == ["Gone"] and line.duration == 4.5 and line.arrivals() == [2.0, 4.0]
    assert line.state(0.0).camera == FAR and line.state(1.0).stop == -1 and line.state(1.0).layers == {}
    mid = line.state(2.5)
    assert mid.camera == NEAR and mid.stop == 0 and mid.layers == {"Scan": True, "Design": False} and mid.time is None
    end = line.state(10.0)
    assert end.camera == FAR and end.stop == 1 and end.time == "2015-06-01T14:00+02:00"


def test_apply_visibility_reports_unknown_layers() -> None:
    class L:
        def __init__(self, name: str) -> None:
            self.name, self.visible = name, True

    layers = [L("Scan"), L("Design")]
    assert apply_visibility(layers, {"Design": False, "Nope": True}) == ["Nope"]
    assert [x.visible for x in layers] == [True, False]
