"""Replay of a recording (JSON lines or CSV) as a live feed, at 0.1x-100x, with no network.

Readings keep their recorded times (history lands where it happened on the timeline); they are
released at the recorded pace divided by `speed`. A foreign JSONL file can be read with a mapping.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from app.sources.base import BaseFeed
from app.sources.mapping import FeedMapping, Malformed, UnknownSensor
from app.sources.readings import FeedError
from app.sources.recording import iter_records, open_text, record_to_reading, recording_format

MIN_SPEED, MAX_SPEED = 0.1, 100.0


class ReplayFeed(BaseFeed):
    kind_name = "replay"

    def __init__(self, path: str, mapping: FeedMapping | None = None, *, queue_size: int = 50_000,
                 speed: float = 1.0) -> None:
        try:
            fmt = recording_format(path)
        except ValueError as exc:
            raise FeedError(path, str(exc)) from None
        if not Path(path).is_file():
            raise FeedError(path, "recording not found")
        if not (isinstance(speed, (int, float)) and MIN_SPEED <= speed <= MAX_SPEED):
            raise FeedError(path, f"replay speed must be between {MIN_SPEED:g}x and {MAX_SPEED:g}x")
        super().__init__(path, mapping, queue_size)
        self.path, self.format, self.speed = path, fmt, float(speed)
        self._custom_mapping = mapping is not None
        self.finished = False

    def _run(self) -> None:
        self.stats.state = "connected"
        self._ready.set()
        t0 = w0 = None
        try:
            f = open_text(self.path)
        except OSError as exc:
            self.stats.state = "error"
            self._problem(f"cannot read the recording: {exc.strerror or exc}")
            return
        with f:
            for rec in iter_records(f, self.format):
                if self._stop.is_set():
                    return
                if isinstance(rec, Malformed):
                    self.stats.malformed += 1
                    self._problem(f"malformed line: {rec}")
                    continue
                try:
                    readings = (self.mapping.parse(rec, "", time.time(), time.monotonic()) if self._custom_mapping
                                else [record_to_reading(rec, time.monotonic())])
                except UnknownSensor as exc:
                    self.stats.unknown += 1
                    self._problem(f"unknown sensor: {exc}")
                    continue
                except Malformed as exc:
                    self.stats.malformed += 1
                    self._problem(f"malformed line: {exc}")
                    continue
                for reading in readings:
                    if t0 is None:
                        t0, w0 = reading.time, time.monotonic()
                    delay = w0 + (reading.time - t0) / self.speed - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        return
                    self._put(replace(reading, received=time.monotonic()))
        self.finished = True
        self.stats.state = "stopped"
        self.stats.message = f"end of recording ({self.stats.received:,} readings)"
