"""sim://demo: the demo's simulated city sensors, in process, through the same parse path as MQTT."""
from __future__ import annotations

import time

import pytest

from app.sources.feed import FeedError, open_feed
from app.sources.privacy import is_pseudonym
from app.sources.simulator import CitySimulator


def _wait_for(feed, n: int, timeout: float = 5.0) -> list:
    out: list = []
    end = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        out += feed.drain()
        time.sleep(0.02)
    return out


def test_demo_feed_has_forty_sensors_near_the_demo_origin() -> None:
    feed = open_feed("sim://demo")
    feed.start()
    try:
        readings = _wait_for(feed, 40)
    finally:
        feed.stop()
    assert feed.stats.state == "stopped" and feed.stats.malformed == 0
    ids = {r.sensor_id for r in readings}
    assert len(feed.sensors()) == 40 and len(ids) >= 40
    for r in readings:
        lon, lat, _ = r.position
        assert abs(lon - 114.3055) < 0.004 and abs(lat - 30.5928) < 0.004 and r.position_crs == "EPSG:4979"
    types = {r.meta["type"] for r in readings}
    assert types == {"air", "traffic", "parking", "water", "crane", "vehicle"}
    movers = [r for r in readings if r.kind == "mover"]
    crane = next(r for r in movers if r.sensor_id == "crane-1")
    assert set(crane.values) == {"load", "hook_height"} and crane.units["load"] == "t"
    vehicles = [r for r in movers if r.meta["type"] == "vehicle"]
    assert vehicles and all(is_pseudonym(r.meta["plate"]) for r in vehicles)
    assert all("鄂" not in repr(r) for r in readings)


def test_history_and_fixed_rate() -> None:
    feed = open_feed("sim://demo?history=30&sensors=100&rate=200", queue_size=100_000)
    feed.start()
    readings = _wait_for(feed, 6000)
    feed.stop()
    times = [r.time for r in readings[:6000]]
    assert times == sorted(times) and times[-1] - times[0] > 25  # the past 30 s, oldest first
    assert len({r.sensor_id for r in readings}) == 100


@pytest.mark.parametrize("url", ["sim://nowhere", "sim://demo?sensors=0", "sim://demo?rate=fast", "sim://demo?x=1"])
def test_bad_sim_urls(url: str) -> None:
    with pytest.raises(FeedError):
        open_feed(url)


def test_simulator_is_seeded() -> None:
    a, b = CitySimulator(seed=1), CitySimulator(seed=1)
    assert a.message(3, 1e9) == b.message(3, 1e9)
    assert len(CitySimulator(1000).sensors) == 1000
