"""`sim://demo`: simulated city sensors in process (no network), through the same JSON + mapping path as MQTT.

Query options: `sensors=N` (default 40: the demo's), `rate=MSG_PER_S` (round robin at a fixed total rate;
default: each sensor's natural rhythm, ~30 msg/s for the demo), `history=S` (readings for the last S seconds
at start, so the timeline has a past), `seed=K`.
"""
from __future__ import annotations

import heapq
import json
import time
from urllib.parse import parse_qs, urlsplit

from app.sources.base import BaseFeed
from app.sources.mapping import FeedMapping
from app.sources.readings import FeedError
from app.sources.simulator import CitySimulator, demo_mapping_dict

TICK_S = 0.05
MAX_HISTORY_S = 24 * 3600


def _number(url: str, query: dict[str, list[str]], name: str, default: float, lo: float, hi: float) -> float:
    if name not in query:
        return default
    try:
        value = float(query[name][-1])
    except ValueError:
        raise FeedError(url, f"{name} must be a number, not {query[name][-1]!r}") from None
    if not lo <= value <= hi:
        raise FeedError(url, f"{name} must be between {lo:g} and {hi:g}")
    return value


class SimFeed(BaseFeed):
    kind_name = "simulated feed"

    def __init__(self, url: str, mapping: FeedMapping | None = None, queue_size: int = 50_000) -> None:
        parts = urlsplit(url)
        if parts.netloc not in ("demo", "city"):
            raise FeedError(url, "the simulated feeds are sim://demo and sim://city")
        q = parse_qs(parts.query)
        unknown = set(q) - {"sensors", "rate", "history", "seed"}
        if unknown:
            raise FeedError(url, f"unknown option {sorted(unknown)[0]!r} (sensors, rate, history, seed)")
        n = int(_number(url, q, "sensors", 40, 1, 1_000_000))
        self.rate = _number(url, q, "rate", 0.0, 0.0, 1_000_000)
        self.history = _number(url, q, "history", 0.0, 0.0, MAX_HISTORY_S)
        seed = int(_number(url, q, "seed", 13, 0, 2**31))
        super().__init__(url, mapping if mapping is not None else FeedMapping.from_dict(demo_mapping_dict()), queue_size)
        self.simulator = CitySimulator(n, seed)
        self._seq = 0

    def _emit(self, index: int, t: float) -> None:
        self._seq += 1
        self._handle(json.dumps(self.simulator.message(index, t, self._seq)).encode(), "sim/demo")

    def _run(self) -> None:
        self.stats.state = "connected"
        self._ready.set()
        sensors = self.simulator.sensors
        now = time.time()
        if self.history > 0:
            self._backfill(now - self.history, now)
        if self.rate > 0:
            self._run_rate(now)
            return
        due = [(now + s.period * (i / max(1, len(sensors))) % s.period, i) for i, s in enumerate(sensors)]
        for i in range(len(sensors)):  # every sensor reports at once: the view fills immediately
            self._emit(i, now)
        heapq.heapify(due)
        while not self._stop.wait(TICK_S):
            now = time.time()
            while due and due[0][0] <= now:
                t, i = heapq.heappop(due)
                self._emit(i, now)
                heapq.heappush(due, (max(t + sensors[i].period, now), i))

    def _run_rate(self, t0: float) -> None:
        sent, n = 0, len(self.simulator.sensors)
        while not self._stop.wait(TICK_S):
            now = time.time()
            target = int((now - t0) * self.rate)
            for _ in range(min(target - sent, self._queue.maxsize)):
                self._emit(sent % n, now)
                sent += 1
            sent = max(sent, target)

    def _backfill(self, start: float, end: float) -> None:
        """Past readings in time order, at most one queue's worth (oldest first, so the newest survive)."""
        sensors = self.simulator.sensors
        events: list[tuple[float, int]] = []
        budget = self._queue.maxsize
        if self.rate > 0:
            step = 1.0 / self.rate
            count = min(budget, int((end - start) * self.rate))
            events = [(end - (count - k) * step, k % len(sensors)) for k in range(count)]
        else:
            for i, s in enumerate(sensors):
                k = int((end - start) / s.period)
                events.extend((end - j * s.period - s.period * 0.37, i) for j in range(1, k + 1))
            events.sort()
            events = events[-budget:]
        for t, i in events:
            if self._stop.is_set():
                return
            self._emit(i, t)
