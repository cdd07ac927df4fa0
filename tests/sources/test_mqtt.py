"""MQTT feeds against a real Mosquitto (tests/broker.py): versions, QoS, wildcards, logins, TLS,
broker restarts, the silence health check, and bad input counted without a crash."""
from __future__ import annotations

import json
import logging
import signal
import threading
import time

import pytest

from app.sources.credentials import Credentials
from app.sources.feed import FeedError, FeedMapping, open_feed
from app.sources.publish import MqttPublisher
from app.sources.simulator import CitySimulator
from tests.broker import broker, broker_factory, make_certs  # noqa: F401 (fixtures)

SEQ = FeedMapping(meta_paths={"seq": "seq"})


def wait_until(cond, timeout: float = 30.0) -> bool:  # returns as soon as true; a loaded CI machine is slow
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def collect(feed, n: int, timeout: float = 8.0) -> list:
    out: list = []
    wait_until(lambda: len(out.__iadd__(feed.drain())) >= n, timeout)
    return out


@pytest.mark.parametrize("version, qos", [("3.1.1", 0), ("5", 1)])
def test_wildcard_subscription_receives_every_message(broker, version: str, qos: int) -> None:
    feed = open_feed(broker.url("city/+/air/#") + f"?version={version}&qos={qos}", SEQ)
    feed.start()
    try:
        assert feed.wait_ready(5), feed.stats
        pub = MqttPublisher(broker.url() + f"?version={version}")
        sim = CitySimulator(40)
        for i in range(200):
            pub.publish(f"city/d{i % 3}/air/{i % 40}", sim.message(i, time.time(), i), qos=qos)
        pub.publish("city/d1/traffic/1", sim.message(1, time.time(), 999))  # not matched by the wildcard
        pub.flush()
        pub.close()
        got = collect(feed, 200)
    finally:
        feed.stop()
    assert sorted(int(r.meta["seq"]) for r in got) == list(range(200))
    assert feed.stats.received == 200 and feed.stats.malformed == 0
    assert len(feed.sensors()) == 40


@pytest.mark.parametrize("version, sig", [("3.1.1", signal.SIGTERM), ("5", signal.SIGKILL)])
def test_broker_restart_mid_stream_loses_nothing_at_qos1(broker, version: str, sig: int) -> None:
    feed = open_feed(broker.url("city/#") + f"?version={version}&qos=1", SEQ)
    feed.start()
    assert feed.wait_ready(5)
    pub = MqttPublisher(broker.url() + f"?version={version}")
    sim, n = CitySimulator(50), 400
    half = threading.Event()

    def publish() -> None:
        for i in range(n):
            pub.publish(f"city/{i % 50}", sim.message(i, time.time(), i), qos=1)
            if i == n // 3:
                half.set()
            time.sleep(0.002)

    worker = threading.Thread(target=publish)
    worker.start()
    try:
        half.wait(5)
        time.sleep(1.1)  # the broker's 1 s autosave has the subscriber's session (matters for SIGKILL)
        broker.kill(sig)
        time.sleep(0.3)
        broker.start()
        worker.join(20)
        seen: set[int] = set()

        def all_seen() -> bool:
            seen.update(int(r.meta["seq"]) for r in feed.drain())
            return len(seen) >= n

        wait_until(all_seen, 15)
    finally:
        pub.close()
        feed.stop()
    assert seen == set(range(n))
    assert feed.stats.reconnects >= 1


def test_username_password_and_refused_login(broker_factory) -> None:
    b = broker_factory(users={"city": "s3cret"})
    good = open_feed(b.url("x/#"), credentials=Credentials("city", "s3cret"))
    bad = open_feed(f"mqtt://city:wrong@127.0.0.1:{b.port}/x/#")
    anonymous = open_feed(b.url("x/#"))
    assert "wrong" not in bad.url  # the password never stays in the URL a project saves
    for f in (good, bad, anonymous):
        f.start()
    try:
        assert good.wait_ready(5)
        assert not bad.wait_ready(5) and not anonymous.wait_ready(5)
    finally:
        for f in (good, bad, anonymous):
            f.stop()
    for f in (bad, anonymous):
        assert f.stats.state == "refused" and f.stats.refused == 1
        assert "login refused by broker" in f.stats.message


def test_tls_with_ca_and_client_certificate_and_host_mismatch(broker_factory, tmp_path) -> None:
    certs = make_certs(tmp_path / "certs")
    b = broker_factory(tls=certs, require_certificate=True)
    creds = Credentials(ca_file=str(certs.ca), cert_file=str(certs.client_cert), key_file=str(certs.client_key))
    ok = open_feed(f"mqtts://localhost:{b.port}/t/#?version=5", credentials=creds)
    wrong_host = make_certs(tmp_path / "other", server_names=("wrong.example",))
    b2 = broker_factory("b2", tls=wrong_host)
    mismatch = open_feed(f"mqtts://127.0.0.1:{b2.port}/t/#", credentials=Credentials(ca_file=str(wrong_host.ca)))
    for f in (ok, mismatch):
        f.start()
    try:
        assert ok.wait_ready(5), ok.stats
        pub = MqttPublisher(f"mqtts://localhost:{b.port}", credentials=creds)
        pub.publish("t/1", {"id": "s1", "values": {"v": 1}})
        pub.flush()
        pub.close()
        assert collect(ok, 1)[0].values == {"v": 1.0}
        assert not mismatch.wait_ready(5)
    finally:
        ok.stop()
        mismatch.stop()
    assert mismatch.stats.message == "TLS: certificate does not match host"
    with pytest.raises(FeedError, match="does not match host"):
        MqttPublisher(f"mqtts://127.0.0.1:{b2.port}", credentials=Credentials(ca_file=str(wrong_host.ca)))
    with pytest.raises(FeedError, match="CA file not found"):
        open_feed(f"mqtts://localhost:{b.port}/t", credentials=Credentials(ca_file=str(tmp_path / "none.crt")))


def test_silent_subscription_is_noticed_and_clears(broker) -> None:
    feed = open_feed(broker.url("quiet/#") + "?silent=0.4")
    feed.start()
    try:
        assert feed.wait_ready(5)
        assert wait_until(lambda: feed.stats.silent_topics == ["quiet/#"])
        assert "no messages for 0.4 s on quiet/#" in feed.stats.message
        pub = MqttPublisher(broker.url())
        pub.publish("quiet/a", {"id": "a", "values": {"v": 1}})
        pub.flush()
        pub.close()
        assert wait_until(lambda: feed.stats.silent_topics == [])
    finally:
        feed.stop()


def test_bad_messages_are_counted_and_the_feed_goes_on(broker, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    mapping = FeedMapping(positions={"known": [114.3, 30.59, 20.0]}, personal=["plate"],
                          meta_paths={"plate": "plate"})
    feed = open_feed(broker.url("in/#"), mapping)
    feed.start()
    try:
        assert feed.wait_ready(5)
        pub = MqttPublisher(broker.url())
        for payload in (b"{nope", b'{"id": "known", "values": {"v": NaN}}', b'{"id": "known", "values": {"v": "x"}}',
                        json.dumps({"id": "known", "values": {"v": 1}, "pad": "x" * 10_000_000}),
                        json.dumps({"id": "stranger", "values": {"v": 1}}), b"", b"[]"):
            pub.publish("in/bad", payload)
        pub.publish("in/good", {"id": "known", "values": {"v": 2}, "plate": "鄂A77777"})
        pub.flush()
        pub.close()
        (r,) = collect(feed, 1)
    finally:
        feed.stop()
    assert r.values == {"v": 2.0} and r.position == (114.3, 30.59, 20.0) and r.meta["plate"] != "鄂A77777"
    assert feed.stats.malformed == 6 and feed.stats.unknown == 1 and feed.stats.received == 1
    assert "鄂A77777" not in caplog.text and "xxxxxxxx" not in caplog.text


def test_flood_is_bounded_drop_oldest(broker) -> None:
    feed = open_feed(broker.url("flood/#"), SEQ, queue_size=100)
    feed.start()
    try:
        assert feed.wait_ready(5)
        pub = MqttPublisher(broker.url())
        for i in range(3000):
            pub.publish("flood/x", {"id": "s", "values": {"v": i}, "seq": i}, qos=1)
        pub.flush()
        pub.close()
        assert wait_until(lambda: feed.stats.received == 3000)
        got = feed.drain()
    finally:
        feed.stop()
    assert len(got) == 100 and feed.stats.dropped == 2900
    assert [int(r.meta["seq"]) for r in got] == list(range(2900, 3000))  # the newest survive


def test_unreachable_broker_and_bad_urls() -> None:
    from tests.broker import free_port
    feed = open_feed(f"mqtt://127.0.0.1:{free_port()}/x")
    feed.start()
    assert not feed.wait_ready(5)
    feed.stop()
    assert "cannot reach broker" in feed.stats.message and feed.stats.state == "error"
    for url, reason in (("mqtt://host:99999/x", "out of range"), ("mqtt://host/", "no topic"),
                        ("mqtt://host/a/#/b", "'#' may only be the last level"), ("mqtt://h/x?qos=3", "qos"),
                        ("mqtt://h/x?colour=red", "unknown option"), ("ftp://x", "not a feed URL")):
        with pytest.raises(FeedError, match=reason):
            open_feed(url)


@pytest.mark.parametrize("version", ["3.1.1", "5"])
def test_a_stopped_feed_leaves_no_session_at_the_broker(broker, version: str) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    feed = open_feed(broker.url("s/#") + f"?version={version}&client_id=twinscape-session-test")
    feed.start()
    assert feed.wait_ready(5)
    feed.stop()
    flags: list = []
    proto = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
    kwargs = {} if version == "5" else {"clean_session": False}
    probe = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="twinscape-session-test", protocol=proto, **kwargs)
    probe.on_connect = lambda c, u, f, rc, p: flags.append(f.session_present)
    if version == "5":
        probe.connect("127.0.0.1", broker.port, clean_start=False)
    else:
        probe.connect("127.0.0.1", broker.port)
    assert wait_until(lambda: probe.loop(0.05) == 0 and bool(flags), 5)
    probe.disconnect()
    assert flags == [False]
