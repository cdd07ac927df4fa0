"""One feed interface for every source: MQTT, SensorThings, a recorded file, the simulated demo.

`open_feed(url)` picks the source by URL; the GUI (SENSORS) and the CLI only see `Feed`:
start/stop, a thread-safe `drain()`, `stats`, and `sensors()` (metadata known so far).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

from app.sources.mapping import FeedMapping, SensorInfo
from app.sources.readings import FeedError, FeedStats, Reading

if TYPE_CHECKING:
    from app.sources.credentials import Credentials

__all__ = ["Feed", "FeedError", "FeedMapping", "FeedStats", "Reading", "SensorInfo", "open_feed", "describe_url"]

REPLAY_SUFFIXES = (".jsonl", ".ndjson", ".csv")


class Feed(Protocol):
    """All network on its own thread(s); `drain` is thread-safe and bounded (drop-oldest inside)."""

    url: str
    stats: FeedStats

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def drain(self, max_items: int = 10_000) -> list[Reading]: ...
    def sensors(self) -> dict[str, SensorInfo]: ...


def describe_url(url: str) -> str:
    """What kind of source a URL names (for dialogs): mqtt, sensorthings, replay, sim, or unknown."""
    low = url.strip().lower()
    if low.startswith(("mqtt://", "mqtts://", "mqtt5://", "mqtts5://")):
        return "mqtt"
    if low.startswith(("sta+http://", "sta+https://")):
        return "sensorthings"
    if low.startswith("sim://"):
        return "sim"
    if low.startswith("file://") or low.endswith(REPLAY_SUFFIXES):
        return "replay"
    return "unknown"


def open_feed(url: str, mapping: FeedMapping | None = None, *, credentials: "Credentials | None" = None,
              queue_size: int = 50_000, speed: float = 1.0) -> Feed:
    """A feed for `url`, not started. Raises FeedError (url, reason) for a URL that cannot work.

    mqtt://host:port/topic/#, mqtts://... (TLS), sta+http://host:port/v1.1 (SensorThings), a *.jsonl / *.csv
    recording (replayed at `speed`, 0.1-100), sim://demo (simulated city sensors, no network).
    """
    if not isinstance(url, str) or not url.strip():
        raise FeedError(str(url), "empty feed URL")
    if not 1 <= queue_size <= 10_000_000:
        raise FeedError(url, "queue size must be between 1 and 10,000,000")
    url = url.strip()
    kind = describe_url(url)
    if kind == "sim":
        from app.sources.sim import SimFeed
        return SimFeed(url, mapping, queue_size)
    if kind == "mqtt":
        from app.sources.mqtt import MqttFeed
        return MqttFeed(url, mapping, credentials=credentials, queue_size=queue_size)
    if kind == "sensorthings":
        from app.sources.sensorthings import SensorThingsFeed
        return SensorThingsFeed(url, mapping, credentials=credentials, queue_size=queue_size)
    if kind == "replay":
        from app.sources.replay import ReplayFeed
        path = url[len("file://"):] if url.lower().startswith("file://") else url
        return ReplayFeed(os.path.expanduser(path), mapping, queue_size=queue_size, speed=speed)
    raise FeedError(url, "not a feed URL (mqtt://, mqtts://, sta+http://, sim://demo, or a .jsonl/.csv recording)")
