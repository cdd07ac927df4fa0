"""Headless sensor layers (`twinscape render`, `video`): what their feed gives within a moment.

The GUI drains feeds on a timer for as long as the window is open. A headless picture has no timer:
`fill_sensor_layers` opens each sensor layer's feed once (layers naming the same feed share it),
takes the readings that arrive within `timeout` seconds (a `sim://demo?history=S` feed backfills S
seconds at once; a broker sends what it retains or publishes meanwhile), and stops the feed. A feed
that cannot open is said in the layer's status and warnings; the picture is drawn anyway.
"""
from __future__ import annotations

import json
import time
from typing import Any, Iterable

from app.model.layers import Layer
from app.model.sensors import SensorLayer


def fill_sensor_layers(layers: Iterable[Layer], frame: Any, timeout: float = 1.5, credentials: Any = None) -> int:
    """Readings taken into the sensor layers among `layers` (0 when there are none)."""
    from app.sources.feed import open_feed
    from app.sources.mapping import FeedMapping

    groups: dict[str, list[SensorLayer]] = {}
    for layer in layers:
        if isinstance(layer, SensorLayer) and layer.url:
            groups.setdefault(json.dumps([layer.url, layer.mapping or {}], sort_keys=True), []).append(layer)
    taken = 0
    for group in groups.values():
        first = group[0]
        try:
            feed = open_feed(first.url, FeedMapping.from_dict(first.mapping) if first.mapping else None,
                             credentials=credentials)
            feed.start()
        except Exception as exc:  # noqa: BLE001 - FeedError, a bad mapping: said, the picture is still drawn
            reason = getattr(exc, "reason", None) or str(exc)
            for layer in group:
                layer.set_status({"state": "error", "message": reason})
                layer.warnings.append(f"feed not opened: {reason}")
            continue
        try:
            end = time.monotonic() + max(0.0, timeout)
            while True:
                readings = feed.drain(50_000)
                for layer in group:
                    layer.ingest(readings, frame)
                taken += len(readings)
                if time.monotonic() >= end:
                    break
                time.sleep(0.05)
            for layer in group:
                layer.set_status(feed.stats)
        finally:
            feed.stop()
    return taken
