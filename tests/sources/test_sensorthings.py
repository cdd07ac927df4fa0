"""SensorThings 1.1: metadata from a local server shaped as the spec's examples, Observations through
the real Mosquitto (MQTT binding) or by HTTP polling when the server offers no MQTT."""
from __future__ import annotations

import time

import pytest

from app.sources.feed import FeedError, open_feed
from app.sources.publish import MqttPublisher
from tests.broker import broker  # noqa: F401 (fixture)
from tests.sources.sta_server import StaServer


def _collect(feed, n: int, timeout: float = 8.0) -> list:
    out: list = []
    end = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        out += feed.drain()
        time.sleep(0.02)
    return out


def test_metadata_then_observations_over_the_mqtt_binding(broker) -> None:
    with StaServer(mqtt_endpoint=f"mqtt://127.0.0.1:{broker.port}") as server:
        feed = open_feed(server.url)
        feed.start()
        try:
            assert feed.wait_ready(8), feed.stats
            sensors = feed.sensors()
            assert sorted(sensors) == [f"Datastreams({i})" for i in range(1, 5)]
            pm = sensors["Datastreams(1)"]
            assert pm.observed_property == "PM2.5" and pm.units == {"PM2.5": "ug/m3"}
            assert pm.position == (114.3058, 30.5931, 0.0) and pm.position_crs == "EPSG:4979"
            assert pm.name == "Air station Jianghan Rd · pm25 at Jianghan Rd"
            assert sensors["Datastreams(4)"].units == {"DewPoint Temperature": "°C"}  # the 3rd Thing: page 2
            assert any("$skip=2" in r for r in server.requests)  # followed @iot.nextLink
            pub = MqttPublisher(f"mqtt://127.0.0.1:{broker.port}")
            pub.publish("v1.1/Datastreams(1)/Observations", server.add_observation(1, 70.4, "2014-12-31T11:59:59.00+08:00"))
            pub.publish("v1.1/Datastreams(3)/Observations", server.add_observation(3, 55, "2024-05-01T08:00:00Z"))
            pub.publish("v1.1/Datastreams(3)/Observations", {"result": "full", "phenomenonTime": "2024-05-01T08:01:00Z"})
            pub.flush()
            pub.close()
            got = _collect(feed, 2)
        finally:
            feed.stop()
    by_id = {r.sensor_id: r for r in got}
    r1 = by_id["Datastreams(1)"]
    assert r1.values == {"PM2.5": 70.4} and r1.units == {"PM2.5": "ug/m3"} and r1.time == 1419998399.0
    assert r1.position == (114.3058, 30.5931, 0.0)
    assert by_id["Datastreams(3)"].values == {"Occupancy": 55.0}
    assert feed.stats.malformed == 1  # the non-numeric result


def test_polling_when_no_mqtt_is_offered() -> None:
    with StaServer(mqtt_endpoint=None) as server:
        server.add_observation(2, 41.0, "2024-05-01T08:00:00Z")
        feed = open_feed(server.url + "?poll=0.1")
        feed.start()
        try:
            first = _collect(feed, 1)
            server.add_observation(2, 43.5, "2024-05-01T08:05:00Z")
            second = _collect(feed, 1)
            time.sleep(0.3)
            again = feed.drain()  # nothing new: an observation is delivered once
        finally:
            feed.stop()
    assert [r.values for r in first] == [{"NO2": 41.0}] and [r.values for r in second] == [{"NO2": 43.5}]
    assert again == []
    assert any("Datastreams(2)/Observations" in r for r in server.requests)


def test_unreachable_server_and_bad_urls() -> None:
    from tests.broker import free_port
    feed = open_feed(f"sta+http://127.0.0.1:{free_port()}/v1.1")
    feed.start()
    assert not feed.wait_ready(8)
    feed.stop()
    assert "cannot reach SensorThings server" in feed.stats.message
    for url in ("sta+http:///v1.1", "sta+http://h/v1.1?colour=red", "sta+http://h/v1.1?poll=0"):
        with pytest.raises(FeedError):
            open_feed(url)


def test_server_answers_not_found() -> None:
    with StaServer(mqtt_endpoint=None) as server:
        feed = open_feed(server.url.replace("/v1.1", "/v1.1/missing/v1.1"))
        feed.start()
        assert not feed.wait_ready(8)
        feed.stop()
    assert feed.stats.message == "SensorThings server answered HTTP 404 (Not Found)"
