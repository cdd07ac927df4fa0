"""Publishing to a broker (`feed simulate`, `feed replay --broker`, tests): paho's own network thread,
a persistent session so QoS 1 messages published while the broker is away are sent when it is back.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import threading
import time
from typing import Iterable

from app.sources.credentials import Credentials
from app.sources.mqtt import connect_properties, make_client, tls_reason
from app.sources.mqtt_url import parse_mqtt_url
from app.sources.readings import FeedError

MAX_PENDING = 200_000  # messages waiting for the broker; beyond it publishing pauses


class MqttPublisher:
    """Connects at construction (FeedError with a reason when it cannot); `publish()` is thread-safe."""

    def __init__(self, broker_url: str, *, credentials: Credentials | None = None, connect_timeout: float = 5.0,
                 client_id: str | None = None) -> None:
        target = parse_mqtt_url(broker_url, require_topic=False)
        self.target = target
        creds = (credentials or Credentials()).merged(target.credentials) if (credentials or target.credentials) else None
        cid = client_id or target.client_id or f"twinscape-pub-{os.getpid()}-{secrets.token_hex(4)}"
        self.client = make_client(target, creds, cid)
        self.client.reconnect_delay_set(1, 4)
        self._connected = threading.Event()
        self._refused: str | None = None
        self.client.on_connect = self._on_connect
        try:
            if target.version == 5:
                self.client.connect(target.host, target.port, target.keepalive, clean_start=False,
                                    properties=connect_properties(target))
            else:
                self.client.connect(target.host, target.port, target.keepalive)
        except ssl.SSLError as exc:
            raise FeedError(target.url, tls_reason(exc)) from None
        except socket.gaierror:
            raise FeedError(target.url, f"cannot reach broker: unknown host {target.host!r}") from None
        except (OSError, ValueError) as exc:
            raise FeedError(target.url, f"cannot reach broker {target.host}:{target.port}: "
                                        f"{getattr(exc, 'strerror', None) or exc}") from None
        self.client.loop_start()
        if not self._connected.wait(connect_timeout):
            self.close()
            raise FeedError(target.url, self._refused or "broker did not answer the connection")
        if self._refused:
            self.close()
            raise FeedError(target.url, self._refused)
        self.sent = 0

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._refused = f"login refused by broker ({reason_code})"
        self._connected.set()

    def publish(self, topic: str, payload: bytes | str | dict, qos: int = 1, retain: bool = False) -> None:
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        while len(self.client._out_messages) > MAX_PENDING:  # noqa: SLF001 - back-pressure, not a growing heap
            time.sleep(0.01)
        self.client.publish(topic, payload, qos=qos, retain=retain)
        self.sent += 1

    def publish_many(self, items: Iterable[tuple[str, bytes | str | dict]], qos: int = 1) -> int:
        n = 0
        for topic, payload in items:
            self.publish(topic, payload, qos)
            n += 1
        return n

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the broker has acknowledged every QoS 1/2 message (True) or the timeout passed."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.client._out_messages and not self.client.want_write():  # noqa: SLF001
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()
