"""The sensor layer's model: ring history, state at a clock time, thresholds and alerts, stale
sensors, tracks, density with a minimum count per cell, and the project round trip."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from app.model.frame import SceneFrame
from app.model.scene import Scene
from app.model.sensor_history import SensorStore
from app.model.sensors import FEED_LOADER, LIVE_SLACK_S, SensorLayer, density_cells, make_sensor_layer

T0 = 1_780_000_000.0  # epoch seconds, 2026-05-28


@dataclass(frozen=True)
class R:  # the fields of app.sources.readings.Reading that the layer reads
    sensor_id: str
    time: float
    values: dict
    units: dict = field(default_factory=dict)
    position: tuple | None = None
    position_crs: str | None = "scene"
    kind: str = "sensor"
    received: float = 0.0
    meta: dict = field(default_factory=dict)


def _layer(**state) -> SensorLayer:
    return make_sensor_layer("sim://demo", {"id": "$.id"}, name="air", **state)


def test_latest_values_positions_and_late_readings() -> None:
    layer = _layer()
    layer.ingest([R("a", T0, {"pm25": 10.0}, {"pm25": "ug/m3"}, (1, 2, 3)),
                  R("b", T0 + 1, {"pm25": 20.0}, position=(5, 5, 0)),
                  R("a", T0 + 5, {"pm25": 30.0}, position=(1, 2, 3)),
                  R("a", T0 + 2, {"pm25": 99.0}, position=(1, 2, 3))])  # late: older than the newest
    view = layer.view(now=T0 + 6)
    assert layer.store.ids == ["a", "b"]
    assert view.value.tolist() == [30.0, 20.0]
    assert np.allclose(view.positions[0], (1, 2, 3))
    assert layer.unit() == "ug/m3" and layer.shown_quantity() == "pm25"


def test_state_at_earlier_clock_time_shows_older_value() -> None:
    layer = _layer()
    for k in range(10):
        layer.ingest([R("a", T0 + 60 * k, {"pm25": float(k)}, position=(0, 0, 0))])
    layer.set_clock_time(datetime.fromtimestamp(T0 + 60 * 3 + 30, timezone.utc), now=T0 + 600)
    assert not layer.live
    assert layer.view(now=T0 + 600).value[0] == 3.0
    layer.set_clock_time(T0 - 10, now=T0 + 600)
    assert not layer.view().known[0]  # before the first reading: nothing known
    layer.set_clock_time(T0 + 600 - LIVE_SLACK_S / 2, now=T0 + 600)
    assert layer.live and layer.view(now=T0 + 600).value[0] == 9.0


def test_ring_is_bounded_and_keeps_newest() -> None:
    store = SensorStore(ring=32, budget=32 * 256)
    layer = SensorLayer(data=store)
    for k in range(100):
        layer.ingest([R("a", T0 + k, {"v": float(k)}, position=(0, 0, 0))])
    t, v = store.series(0, "v")
    assert len(v) == 32 and v[-1] == 99.0 and v[0] == 68.0
    for s in range(200):  # more sensors than the budget allows at 32 each: rings shrink
        layer.ingest([R(f"s{s}", T0, {"v": 1.0}, position=(s, 0, 0))])
    assert store.ring < 32 and store.capacity * store.ring <= store.budget
    assert store.series(0, "v")[1][-1] == 99.0


def test_thresholds_raise_one_alert_per_crossing_and_acknowledge() -> None:
    layer = _layer(thresholds={"pm25": {"warn": 35, "alert": 75}})
    layer.ingest([R("a", T0, {"pm25": 20.0}, position=(0, 0, 0)), R("b", T0, {"pm25": 40.0}, position=(9, 0, 0))])
    assert not layer.alerts.items
    assert layer.view(now=T0).level.tolist() == [0, 1]
    layer.ingest([R("a", T0 + 1, {"pm25": 80.0}), R("a", T0 + 2, {"pm25": 90.0})])
    assert [(a.sensor_id, a.value) for a in layer.alerts.active()] == [("a", 80.0)]
    view = layer.view(now=T0 + 2)
    assert view.level.tolist() == [2, 1] and view.pulsing.tolist() == [True, False]
    layer.alerts.acknowledge(layer.alerts.active()[0])
    assert not layer.alerts.active() and not layer.view(now=T0 + 2).pulsing.any()
    layer.ingest([R("a", T0 + 3, {"pm25": 10.0}), R("a", T0 + 4, {"pm25": 76.0})])  # down and up again
    assert len(layer.alerts.active()) == 1


def test_stale_after_timeout() -> None:
    layer = _layer(stale_after_s=60)
    layer.ingest([R("a", T0, {"v": 1.0}, position=(0, 0, 0)), R("b", T0 + 100, {"v": 1.0}, position=(1, 0, 0))])
    assert layer.view(now=T0 + 120).stale.tolist() == [True, False]


def test_lon_lat_positions_go_to_scene_enu() -> None:
    frame = SceneFrame((30.5928, 114.3055, 22.0))
    layer = _layer()
    layer.ingest([R("a", T0, {"v": 1.0}, position=(114.3055, 30.5928, 22.0), position_crs="EPSG:4979"),
                  R("b", T0, {"v": 1.0}, position=(114.3065, 30.5928, 22.0), position_crs="EPSG:4979")], frame)
    p = layer.view().positions
    assert np.allclose(p[0], 0, atol=1e-3) and 90 < p[1, 0] < 100 and abs(p[1, 1]) < 0.5


def test_tracks_and_density_hide_lone_movers() -> None:
    layer = _layer(density_cell_m=10, density_min_count=3, track_points=5)
    for k in range(8):  # one vehicle along x, three people standing together
        layer.ingest([R("car", T0 + k, {"speed": 5.0}, position=(k * 20.0, 0, 0), kind="mover")]
                     + [R(f"p{j}", T0 + k, {"speed": 0.0}, position=(101 + j, 51, 0), kind="mover") for j in range(3)])
    tracks = layer.tracks()
    assert len(tracks) == 4 and len(tracks[0]) == 5 and tracks[0][-1][0] == 140.0
    centres, counts = layer.density_grid()
    assert len(centres) == 1 and counts[0] == 15 and np.allclose(centres[0, :2], (105, 55))
    c, n = density_cells(np.array([[0.0, 0, 0], [1, 1, 0], [50, 50, 0]]), 10, 2)
    assert n.tolist() == [2]


def test_project_round_trip_keeps_style_not_secrets(tmp_path) -> None:
    from app.model.opening import open_paths
    from app.model.project import write_project

    scene = Scene(SceneFrame((30.5928, 114.3055, 22.0)))
    layer = _layer(thresholds={"pm25": {"alert": 75}}, show_labels=False, quantity="pm25")
    layer.ingest([R("a", T0, {"pm25": 5.0}, position=(0, 0, 0))])
    scene.layers.append(layer)
    path = tmp_path / "p.twin"
    write_project(scene, path)
    doc = json.loads(path.read_text())
    entry = doc["layers"][0]
    assert entry["source"] == {"path": "sim://demo", "loader": FEED_LOADER, "options": {"mapping": {"id": "$.id"}}}
    assert "password" not in path.read_text() and "privacy_density" not in entry["state"]
    errors: list = []
    layers = open_paths(Scene(), [str(path)], on_error=errors.append)
    assert not errors and len(layers) == 1
    back = layers[0]
    assert isinstance(back, SensorLayer) and back.url == "sim://demo" and back.mapping == {"id": "$.id"}
    assert back.thresholds == {"pm25": {"alert": 75.0}} and back.show_labels is False and back.quantity == "pm25"


def test_colour_range_reaches_round_numbers_over_alert_level_and_values() -> None:
    layer = _layer(thresholds={"occupancy": {"warn": 90}})
    layer.ingest([R("a", T0, {"occupancy": 98.4}, {"occupancy": "%"}, (0, 0, 0))])
    assert layer.value_range() == (0.0, 100.0)
    layer.set_threshold("occupancy", None, None)
    layer.ingest([R("a", T0 + 1, {"occupancy": 31.0})])
    assert layer.value_range() == (0.0, 100.0)  # the highest value seen so far
    layer.color_limits = {"occupancy": (10.0, 20.0)}
    assert layer.value_range() == (10.0, 20.0)


def test_headless_fill_takes_a_simulated_feeds_history_once() -> None:
    from app.model.sensor_fill import fill_sensor_layers
    from app.sources.simulator import demo_mapping_dict

    frame = SceneFrame((30.5928, 114.3055, 22.0))
    air = make_sensor_layer("sim://demo?history=60", demo_mapping_dict(), name="air", sensor_types=("air",))
    crane = make_sensor_layer("sim://demo?history=60", demo_mapping_dict(), name="crane", sensor_types=("crane",))
    broken = make_sensor_layer("sim://nowhere", name="broken")
    taken = fill_sensor_layers([air, crane, broken], frame, timeout=0.2)
    assert taken > 100 and len(air.store) == 12 and air.store.ids[0] == "aq-01" and len(crane.store) == 1
    t, v = air.store.series(0, "pm25")
    assert len(v) >= 20 and t[-1] - t[0] > 40  # a minute of history, every 2 s
    assert broken.status["state"] == "error" and broken.warnings and not len(broken.store)
