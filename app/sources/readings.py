"""Plain data that leaves a live feed: readings, feed statistics, and the bounded drop-oldest queue.

No Qt here: feeds run on worker threads and the GUI drains them on a timer (see SPEC13.md).
"""
from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field


class FeedError(ValueError):
    """A feed that cannot be opened (bad URL, missing file, unsupported scheme): `error: URL: reason`."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Reading:
    """One message from one sensor, after mapping and privacy processing."""

    sensor_id: str                  # already privacy-processed (salted hash if personal, never the clear value)
    time: float                     # epoch seconds UTC: the message's timestamp, else the receive time
    values: dict[str, float]        # quantity name -> value (finite floats only)
    units: dict[str, str]           # quantity name -> unit ("ug/m3", "veh/h", "%", "m", "t")
    position: tuple[float, float, float] | None  # in `position_crs`
    position_crs: str | None        # "EPSG:4979" (lon, lat, h), "scene" (ENU metres) or None
    kind: str = "sensor"            # "sensor" (fixed) or "mover" (vehicle, person, crane hook: drawn as a track)
    received: float = 0.0           # time.monotonic() at receive
    meta: dict[str, str] = field(default_factory=dict)  # non-personal extras (name, type, observed property)


@dataclass
class FeedStats:
    """Counters a layer's status line shows; written by the feed's thread, read by the GUI (ints: atomic enough)."""

    received: int = 0
    malformed: int = 0
    dropped: int = 0
    refused: int = 0
    state: str = "idle"             # idle | connecting | connected | reconnecting | refused | stopped | error
    message: str = ""               # last readable problem
    silent_topics: list[str] = field(default_factory=list)
    unknown: int = 0                # readings of sensors the metadata / position table does not know (dropped)
    reconnects: int = 0             # successful connections after the first

    def summary(self) -> str:
        """One line for a status bar: state, counters, last problem."""
        parts = [self.state, f"{self.received:,} received"]
        for name in ("malformed", "dropped", "unknown", "refused"):
            value = getattr(self, name)
            if value:
                parts.append(f"{value:,} {name}")
        if self.silent_topics:
            parts.append("silent: " + ", ".join(self.silent_topics[:3]))
        if self.message:
            parts.append(self.message)
        return " · ".join(parts)


class ReadingQueue:
    """Bounded, thread-safe, drop-oldest: a flood never grows memory, and the newest state wins.

    Every reading pushed out by a newer one adds one to `stats.dropped`.
    """

    def __init__(self, maxsize: int, stats: FeedStats) -> None:
        if maxsize < 1:
            raise ValueError("queue size must be at least 1")
        self._items: deque[Reading] = deque(maxlen=maxsize)
        self._lock = threading.Lock()
        self._stats = stats

    @property
    def maxsize(self) -> int:
        return self._items.maxlen or 0

    def put(self, reading: Reading) -> None:
        with self._lock:
            if len(self._items) == self._items.maxlen:
                self._stats.dropped += 1
            self._items.append(reading)

    def drain(self, max_items: int = 10_000) -> list[Reading]:
        with self._lock:
            n = min(max_items, len(self._items))
            return [self._items.popleft() for _ in range(n)]

    def __len__(self) -> int:
        return len(self._items)


def finite(value: object) -> float | None:
    """A finite float from a number or numeric string, else None (NaN, inf, bools, text are not readings)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str):
        try:
            v = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return v if math.isfinite(v) else None
