"""MQTT 3.1.1 / 5 feed (paho-mqtt 2.x, CallbackAPIVersion.VERSION2) on one worker thread.

The worker drives paho's `loop()` itself, so every connection problem keeps its reason (TLS host
mismatch, refused login, unreachable broker) for the status line. The session is persistent (fixed
client id, clean_session=False / clean_start=False with a session expiry): after a broker restart
(with persistence) the QoS 1 messages queued for us while away are delivered, and the subscriptions
are made again anyway. A health check marks a subscription silent when nothing came for `silent`
seconds, and subscribes to it again.
"""
from __future__ import annotations

import logging
import os
import secrets
import select
import socket
import ssl
import time
from dataclasses import replace

from app.sources.base import BaseFeed
from app.sources.credentials import Credentials
from app.sources.mapping import FeedMapping
from app.sources.mqtt_url import MqttTarget, parse_mqtt_url
from app.sources.readings import FeedError

log = logging.getLogger("twinscape.feeds")
SESSION_EXPIRY_S = 3600
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.25, 30.0
HEALTH_EVERY_S = 0.5


def tls_reason(exc: BaseException) -> str:
    """A readable reason for a TLS failure."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        text = (exc.verify_message or str(exc)).lower()
        if "hostname" in text or "ip address mismatch" in text or "doesn't match" in text:
            return "TLS: certificate does not match host"
        return f"TLS: certificate not trusted ({exc.verify_message or exc})"
    return f"TLS: {getattr(exc, 'reason', None) or exc}"


def make_client(target: MqttTarget, credentials: Credentials | None, client_id: str):
    """A configured paho client (not connected). Raises FeedError for unreadable TLS files."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    if target.version == 5:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    else:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=target.clean,
                             protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    if credentials and credentials.username:
        client.username_pw_set(credentials.username, credentials.password)
    if target.tls:
        c = credentials or Credentials()
        for label, path in (("CA file", c.ca_file), ("client certificate", c.cert_file), ("client key", c.key_file)):
            if path and not os.path.isfile(path):
                raise FeedError(target.url, f"{label} not found: {path}")
        try:
            client.tls_set(ca_certs=c.ca_file or None, certfile=c.cert_file or None, keyfile=c.key_file or None,
                           cert_reqs=ssl.CERT_REQUIRED)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise FeedError(target.url, f"TLS files unreadable: {exc}") from None
    return client


def connect_properties(target: MqttTarget):
    if target.version != 5:
        return None
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0 if target.clean else SESSION_EXPIRY_S
    return props


class MqttFeed(BaseFeed):
    kind_name = "MQTT feed"

    def __init__(self, url: str, mapping: FeedMapping | None = None, *, credentials: Credentials | None = None,
                 queue_size: int = 50_000, topics: list[str] | None = None,
                 topic_mappings: dict[str, FeedMapping] | None = None) -> None:
        target = parse_mqtt_url(url)
        super().__init__(target.url, mapping, queue_size)
        self.target = target
        if topics:
            target.topics = list(topics)
        self.credentials = (credentials or Credentials()).merged(target.credentials) if (
            credentials or target.credentials) else None
        self.client_id = target.client_id or f"twinscape-{os.getpid()}-{secrets.token_hex(4)}"
        self._topic_mappings = topic_mappings or {}  # exact topic -> mapping (SensorThings datastreams)
        self._client = make_client(target, self.credentials, self.client_id)  # TLS file problems: now, not later
        self._last_seen: dict[str, float] = {}
        self._refused = False
        self._connected_once = False

    # -- paho callbacks (run on the worker thread inside loop()) -----------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._refused = True
            self.stats.refused += 1
            self.stats.state = "refused"
            self._problem(f"login refused by broker ({reason_code})")
            self._ready.set()
            return
        if self._connected_once:
            self.stats.reconnects += 1
        self._connected_once = True
        now = time.monotonic()
        client.subscribe([(t, self.target.qos) for t in self.target.topics])
        self._last_seen = {t: now for t in self.target.topics}
        self.stats.silent_topics = []
        self.stats.state = "connected"
        if self.stats.message.startswith(("connection lost", "cannot reach")):
            self.stats.message = ""
        self._ready.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if not self._stop.is_set() and not self._refused:
            self.stats.state = "reconnecting"
            self._problem(f"connection lost ({reason_code}); reconnecting")

    def _on_message(self, client, userdata, msg) -> None:
        topic = msg.topic
        self._mark_seen(topic)
        self._handle(msg.payload, topic, self._topic_mappings.get(topic))

    def _mark_seen(self, topic: str) -> None:
        now = time.monotonic()
        if topic in self._last_seen:
            subs = [topic]
        else:
            from paho.mqtt.client import topic_matches_sub
            subs = [sub for sub in self._last_seen if topic_matches_sub(sub, topic)]
        for sub in subs:
            self._last_seen[sub] = now
        if self.stats.silent_topics and any(s in self.stats.silent_topics for s in subs):
            self.stats.silent_topics = [t for t in self.stats.silent_topics if t not in subs]

    # -- the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        client = self._client
        client.on_connect, client.on_disconnect, client.on_message = (
            self._on_connect, self._on_disconnect, self._on_message)
        backoff, first = BACKOFF_MIN_S, True
        self._refused = False
        while not self._stop.is_set():
            if self._refused:  # a wrong login does not get right by retrying: wait for new credentials
                self._stop.wait(0.5)
                continue
            if self._attempt(client, first):
                first = False
                self._serve(client)
                if self._connected_once:
                    backoff = BACKOFF_MIN_S
            first = False
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    def _attempt(self, client, first: bool) -> bool:
        t = self.target
        self.stats.state = "connecting" if first else "reconnecting"
        try:
            if first:
                if t.version == 5:
                    client.connect(t.host, t.port, t.keepalive, clean_start=t.clean,
                                   properties=connect_properties(t))
                else:
                    client.connect(t.host, t.port, t.keepalive)
            else:
                client.reconnect()
            return True
        except ssl.SSLError as exc:
            self.stats.state = "error"
            self._problem(tls_reason(exc))
        except socket.gaierror:
            self.stats.state = "error" if first else "reconnecting"
            self._problem(f"cannot reach broker: unknown host {t.host!r}")
        except (OSError, ValueError) as exc:
            if first:
                self.stats.state = "error"
            self._problem(f"cannot reach broker {t.host}:{t.port}: {getattr(exc, 'strerror', None) or exc}")
        self._ready.set()
        return False

    def _serve(self, client) -> None:
        import paho.mqtt.client as mqtt

        next_health = time.monotonic() + HEALTH_EVERY_S
        while not self._stop.is_set():
            rc = client.loop(timeout=0.1)
            if rc == mqtt.MQTT_ERR_SUCCESS:
                rc = self._read_buffered(client)
            if rc != mqtt.MQTT_ERR_SUCCESS:
                if self.stats.state == "connected":
                    self.stats.state = "reconnecting"
                    self._problem(f"connection lost ({mqtt.error_string(rc)}); reconnecting")
                self._ready.set()
                return
            now = time.monotonic()
            if now >= next_health:
                next_health = now + HEALTH_EVERY_S
                self._health(client, now)

    @staticmethod
    def _read_buffered(client, limit: int = 500) -> int:
        """paho's loop() reads one packet per call (a subscriber has nothing in flight): read what is
        already waiting, so a burst is not delayed by one select() per message."""
        sock = client.socket()
        for _ in range(limit):
            if sock is None or not (getattr(sock, "pending", lambda: 0)() or select.select([sock], [], [], 0)[0]):
                return 0
            rc = client.loop_read()
            if rc:
                return rc
            sock = client.socket()
        return 0

    def _health(self, client, now: float) -> None:
        """Mark silent subscriptions and subscribe to them again (a broker may have lost them)."""
        if self.stats.state != "connected":
            return
        silent = [t for t, seen in self._last_seen.items() if now - seen > self.target.silent_after]
        fresh = [t for t in silent if t not in self.stats.silent_topics]
        self.stats.silent_topics = silent
        if fresh:
            self._problem(f"no messages for {self.target.silent_after:g} s on {', '.join(fresh[:3])}"
                          + (" ..." if len(fresh) > 3 else ""))
            client.subscribe([(t, self.target.qos) for t in fresh])
            for t in fresh:  # count the silence again from the new subscription
                self._last_seen[t] = now - self.target.silent_after / 2

    def _close(self) -> None:
        """Leave cleanly and end the session (MQTT 5: expiry 0; 3.1.1: a clean connect with our id), so
        the broker keeps no subscriptions or queued messages for a feed that was closed on purpose."""
        client = self._client
        was_connected = self.stats.state == "connected"
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        try:
            if self.target.version == 5:
                from paho.mqtt.packettypes import PacketTypes
                from paho.mqtt.properties import Properties
                props = Properties(PacketTypes.DISCONNECT)
                props.SessionExpiryInterval = 0
                client.disconnect(properties=props)
            else:
                client.disconnect()
            client.loop(timeout=0.05)
        except Exception:  # noqa: BLE001 - already gone
            pass
        try:
            client._sock_close()  # noqa: SLF001 - paho has no public close without a DISCONNECT
        except Exception:  # noqa: BLE001
            pass
        if was_connected and self.target.version != 5 and not self.target.clean:
            self._forget_session()

    def _forget_session(self) -> None:
        import paho.mqtt.client as mqtt

        t = replace(self.target, clean=True)
        try:
            c = make_client(t, self.credentials, self.client_id)
            c.connect_timeout = 1.0
            c.connect(t.host, t.port, 5)
            end = time.monotonic() + 1.0
            while c.is_connected() is False and time.monotonic() < end:
                if c.loop(timeout=0.05) != mqtt.MQTT_ERR_SUCCESS:
                    break
            c.disconnect()
            c.loop(timeout=0.05)
        except Exception as exc:  # noqa: BLE001 - best effort: the broker expires it in the end
            log.debug("could not end the MQTT session: %s", type(exc).__name__)
