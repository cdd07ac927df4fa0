"""Threshold levels and the alert log of a sensor layer (no Qt, no VTK).

An alert is raised when a reading takes a sensor's quantity from below its alert level to at or
above it (a sensor that stays high raises one alert, not one per message). It stays listed, and
its glyph pulses, until someone acknowledges it; the glyph stays red while the value is high.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

if TYPE_CHECKING:
    from app.model.sensor_history import SensorStore

MAX_ALERTS = 1_000  # the log keeps the newest; acknowledged ones go first


@dataclass(eq=False)
class Alert:
    time: float  # epoch seconds of the reading that crossed the level
    sensor_id: str
    name: str  # the sensor's readable name (meta "name"), else its id
    quantity: str
    value: float
    unit: str
    level: float
    acknowledged: bool = False

    def time_label(self) -> str:
        return datetime.fromtimestamp(self.time, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def levels_for(values: np.ndarray, quantities: list[str], thresholds: dict[str, dict[str, float]]) -> np.ndarray:
    """(S,) int8: 2 where any quantity is at or above its alert level, 1 at or above warn, else 0."""
    level = np.zeros(values.shape[0], dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for k, name in enumerate(quantities):
            t = thresholds.get(name)
            if not t or k >= values.shape[1]:
                continue
            v = values[:, k]
            if "warn" in t:
                level = np.maximum(level, np.where(v >= t["warn"], 1, 0).astype(np.int8))
            if "alert" in t:
                level = np.maximum(level, np.where(v >= t["alert"], 2, 0).astype(np.int8))
    return level


class AlertLog:
    """Alerts of one layer, oldest first; `changed` fires when one is raised or acknowledged."""

    changed = Signal()

    def __init__(self) -> None:
        self.items: list[Alert] = []
        self._high: set[tuple[int, int]] = set()  # (row, quantity) now at or above alert

    def active(self) -> list[Alert]:
        return [a for a in self.items if not a.acknowledged]

    def check(self, layer: Any, rows: np.ndarray, times: np.ndarray, values: np.ndarray) -> None:
        """New readings (in arrival order) against the layer's alert levels."""
        store: SensorStore = layer.store
        raised = False
        for name, t in layer.thresholds.items():
            level = t.get("alert")
            q = store.qindex.get(name)
            if level is None or q is None or q >= values.shape[1]:
                continue
            col = values[:, q]
            for k in np.flatnonzero(~np.isnan(col)):
                key = (int(rows[k]), q)
                if col[k] >= level:
                    if key not in self._high:
                        self._high.add(key)
                        meta = store.meta[key[0]]
                        self.items.append(Alert(float(times[k]), meta.sensor_id, meta.meta.get("name") or meta.sensor_id,
                                                name, float(col[k]), store.units.get(name, ""), float(level)))
                        raised = True
                else:
                    self._high.discard(key)
        if raised:
            self._trim()
            self.changed.emit()

    def _trim(self) -> None:
        while len(self.items) > MAX_ALERTS:
            done = next((i for i, a in enumerate(self.items) if a.acknowledged), 0)
            del self.items[done]

    def acknowledge(self, alert: Alert) -> None:
        if not alert.acknowledged:
            alert.acknowledged = True
            self.changed.emit()

    def acknowledge_all(self) -> None:
        if any(not a.acknowledged for a in self.items):
            for a in self.items:
                a.acknowledged = True
            self.changed.emit()

    def pulsing_rows(self, store: "SensorStore") -> np.ndarray:
        """Rows of sensors with an alert nobody acknowledged yet."""
        rows = {store.index[a.sensor_id] for a in self.items if not a.acknowledged and a.sensor_id in store.index}
        return np.array(sorted(rows), dtype=np.int64)
