"""What every feed shares: one worker thread, the bounded queue, counters, the sensor registry.

Subclasses implement `_run()` (the worker loop, returning when `self._stop` is set) and may override
`_close()` to unblock it. Messages go through `_handle()`: mapping -> privacy -> queue, and every
problem is counted with a readable reason in `stats.message`; message contents never reach the log.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from app.sources.mapping import FeedMapping, Malformed, SensorInfo, UnknownSensor
from app.sources.readings import FeedStats, Reading, ReadingQueue

log = logging.getLogger("twinscape.feeds")
MAX_SENSORS = 200_000  # a flood of made-up ids must not grow the registry without bound


class BaseFeed:
    """Thread-safe drain; network (or timing) on one daemon worker thread."""

    kind_name = "feed"

    def __init__(self, url: str, mapping: FeedMapping | None = None, queue_size: int = 50_000) -> None:
        self.url = url
        self.mapping = mapping if mapping is not None else FeedMapping()
        self.stats = FeedStats()
        self._queue = ReadingQueue(queue_size, self.stats)
        self._sensors: dict[str, SensorInfo] = {}
        self._sensors_lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()  # set after the first connection attempt, good or bad
        self._thread: threading.Thread | None = None

    # -- the Feed protocol ---------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._ready.clear()
        self.stats.state = "connecting"
        self._thread = threading.Thread(target=self._run_guarded, name=f"{self.kind_name} {self.url}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self._close()
        except Exception as exc:  # noqa: BLE001 - closing must never raise into the GUI
            log.debug("closing %s: %s", self.kind_name, type(exc).__name__)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._thread = None
        if self.stats.state not in ("refused", "error"):
            self.stats.state = "stopped"

    def drain(self, max_items: int = 10_000) -> list[Reading]:
        return self._queue.drain(max_items)

    def sensors(self) -> dict[str, SensorInfo]:
        with self._sensors_lock:
            return dict(self._sensors)

    # -- additions -----------------------------------------------------------------------------
    def wait_ready(self, timeout: float) -> bool:
        """Wait for the first connection attempt to finish; True when the feed is connected (CLI use)."""
        self._ready.wait(timeout)
        return self.stats.state == "connected"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> "BaseFeed":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- for subclasses ------------------------------------------------------------------------
    def _run(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Unblock `_run` (close sockets, files); `_stop` is already set."""

    def _run_guarded(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - a worker must end in a state, never a traceback
            self.stats.state = "error"
            self.stats.message = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("%s stopped on an error: %s", self.kind_name, type(exc).__name__)
        finally:
            self._ready.set()

    def _problem(self, reason: str) -> None:
        self.stats.message = reason
        log.debug("%s: %s", self.kind_name, reason)

    def _handle(self, payload: Any, topic: str = "", mapping: FeedMapping | None = None) -> int:
        """Parse one message into readings and queue them; returns how many were queued."""
        wall, mono = time.time(), time.monotonic()
        try:
            readings = (mapping or self.mapping).parse(payload, topic, wall, mono)
        except UnknownSensor as exc:
            self.stats.unknown += 1
            self._problem(f"unknown sensor: {exc}")
            return 0
        except Malformed as exc:
            self.stats.malformed += 1
            self._problem(f"malformed message: {exc}")
            return 0
        for r in readings:
            self._put(r)
        return len(readings)

    def _put(self, reading: Reading) -> None:
        self.stats.received += 1
        self._queue.put(reading)
        self._remember(reading)

    def _remember(self, r: Reading) -> None:
        with self._sensors_lock:
            info = self._sensors.get(r.sensor_id)
            if info is None:
                if len(self._sensors) >= MAX_SENSORS:
                    return
                info = self._sensors[r.sensor_id] = SensorInfo(r.sensor_id, kind=r.kind)
            if r.meta.get("name"):
                info.name = r.meta["name"]
            if r.units:
                info.units.update(r.units)
            if r.position is not None:
                info.position, info.position_crs = r.position, r.position_crs
            info.kind = r.kind
