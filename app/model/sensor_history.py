"""Per-sensor ring history of live readings, bounded in total memory (no Qt, no VTK).

Why rings in a few big numpy arrays instead of a deque per sensor: 10,000 sensors at 1,000
readings a second are folded in ten times a second, and the scene clock moved back asks for the
state of every sensor at once; both are single vectorised steps over (sensors, ring) arrays.
The ring per sensor holds `ring` readings (2,000 by default); when sensors x ring would pass the
`budget` (readings held in total), the rings are halved, keeping each sensor's newest readings.
Readings may arrive out of order (QoS 0 reorders): the ring keeps arrival order and `state_at`
takes, per sensor, the reading with the latest time not after the asked time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_RING = 2_000
DEFAULT_BUDGET = 4_000_000  # readings held in all rings together (~36 bytes each with 4 quantities)
MIN_RING = 16


@dataclass
class SensorMeta:
    """What is known about one sensor besides its readings (never personal values: ids arrive hashed)."""

    sensor_id: str
    kind: str = "sensor"  # "sensor" (fixed) or "mover" (drawn with its track)
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class SensorState:
    """Every sensor at one time: rows follow `SensorStore.ids`."""

    time: float | None  # epoch seconds asked for (None: live, the newest readings)
    positions: np.ndarray  # (S,3) float64 scene ENU; NaN where not known yet
    values: np.ndarray  # (S,Q) float32 of the quantities in `SensorStore.quantities`; NaN: none
    times: np.ndarray  # (S,) float64 epoch seconds of the reading shown; NaN: none by then
    known: np.ndarray  # (S,) bool: a reading at or before the time exists


class SensorStore:
    """Ring history plus the newest reading per sensor."""

    def __init__(self, ring: int = DEFAULT_RING, budget: int = DEFAULT_BUDGET) -> None:
        self.ring = max(MIN_RING, int(ring))
        self.budget = max(self.ring, int(budget))
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.meta: list[SensorMeta] = []
        self.quantities: list[str] = []
        self.qindex: dict[str, int] = {}
        self.units: dict[str, str] = {}
        self.mover = np.zeros(0, dtype=bool)
        self.fixed_pos = np.full((0, 3), np.nan)  # from a position table / SensorThings Location
        self._alloc(0, 0)

    # --- storage ----------------------------------------------------------------------------------
    def _alloc(self, sensors: int, quantities: int) -> None:
        r = self.ring
        self.times = np.full((sensors, r), np.nan)
        self.values = np.full((sensors, r, quantities), np.nan, dtype=np.float32)
        self.pos = np.full((sensors, r, 3), np.nan, dtype=np.float32)
        self.head = np.zeros(sensors, dtype=np.int64)  # readings written (ring slot = head % ring)
        if not hasattr(self, "value_min") or len(self.value_min) < quantities:  # per quantity, every reading so far
            keep_min, keep_max = getattr(self, "value_min", np.zeros(0)), getattr(self, "value_max", np.zeros(0))
            self.value_min = np.full(quantities, np.nan)
            self.value_max = np.full(quantities, np.nan)
            self.value_min[: len(keep_min)], self.value_max[: len(keep_max)] = keep_min, keep_max
        self.latest_time = np.full(sensors, np.nan)
        self.latest_values = np.full((sensors, quantities), np.nan, dtype=np.float32)
        self.latest_pos = np.full((sensors, 3), np.nan)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def capacity(self) -> int:
        return self.times.shape[0]

    def nbytes(self) -> int:
        return int(self.times.nbytes + self.values.nbytes + self.pos.nbytes)

    def _grow(self, sensors: int, quantities: int) -> None:
        """Room for more sensors or quantities: arrays are copied into bigger ones (amortised
        doubling), and rings are halved while sensors x ring would pass the budget."""
        cap_s, cap_q = self.times.shape[0], self.values.shape[2]
        new_cap = cap_s if sensors <= cap_s else max(16, 2 * sensors)
        new_ring = self.ring
        while new_cap * new_ring > self.budget and new_ring > MIN_RING:
            new_ring //= 2
        if sensors <= cap_s and quantities <= cap_q and new_ring == self.ring:
            return
        old = (self.times, self.values, self.pos, self.head, self.latest_time, self.latest_values, self.latest_pos)
        n = len(self.ids)
        keep = [self._ordered_slots(i) for i in range(n)] if new_ring != self.ring else None
        self.ring = new_ring
        self._alloc(new_cap, max(quantities, cap_q))
        times, values, pos, head, lt, lv, lp = old
        q = values.shape[2]
        if keep is None:
            self.times[:n], self.values[:n, :, :q], self.pos[:n] = times[:n], values[:n], pos[:n]
            self.head[:n] = head[:n]
        else:
            for i, slots in enumerate(keep):
                slots = slots[-new_ring:]
                k = len(slots)
                self.times[i, :k], self.values[i, :k, :q], self.pos[i, :k] = times[i, slots], values[i, slots], pos[i, slots]
                self.head[i] = k
        self.latest_time[:n], self.latest_values[:n, :q], self.latest_pos[:n] = lt[:n], lv[:n], lp[:n]
        mover, fixed = self.mover, self.fixed_pos
        self.mover = np.zeros(self.times.shape[0], dtype=bool)
        self.mover[: len(mover)] = mover
        self.fixed_pos = np.full((self.times.shape[0], 3), np.nan)
        self.fixed_pos[: len(fixed)] = fixed

    def _ordered_slots(self, i: int) -> np.ndarray:
        """Ring slots of sensor i, oldest write first."""
        h, r = int(self.head[i]), self.ring
        return np.arange(h - min(h, r), h) % r

    def sensor(self, sensor_id: str, kind: str = "sensor", meta: dict[str, str] | None = None) -> int:
        """The row of `sensor_id`, added if new."""
        i = self.index.get(sensor_id)
        if i is None:
            i = len(self.ids)
            self._grow(i + 1, len(self.quantities))
            self.ids.append(sensor_id)
            self.index[sensor_id] = i
            self.meta.append(SensorMeta(sensor_id, kind, dict(meta or {})))
        m = self.meta[i]
        if kind == "mover":
            m.kind = "mover"
            self.mover[i] = True
        if meta:
            m.meta.update(meta)
        return i

    def quantity(self, name: str, unit: str = "") -> int:
        q = self.qindex.get(name)
        if q is None:
            q = len(self.quantities)
            self._grow(max(len(self.ids), 1), q + 1)
            self.quantities.append(name)
            self.qindex[name] = q
        if unit and not self.units.get(name):
            self.units[name] = unit
        return q

    def set_fixed_position(self, sensor_id: str, enu: np.ndarray) -> None:
        self.fixed_pos[self.sensor(sensor_id)] = enu

    # --- writing ----------------------------------------------------------------------------------
    def add(self, rows: np.ndarray, times: np.ndarray, values: np.ndarray, positions: np.ndarray) -> None:
        """Append readings: rows (N,) sensor rows, times (N,), values (N,Q) NaN where absent,
        positions (N,3) ENU NaN where absent. Several readings of one sensor keep their order."""
        n = len(rows)
        if n == 0:
            return
        q = values.shape[1]
        order = np.argsort(rows, kind="stable")
        rows_s = rows[order]
        first = np.r_[0, np.flatnonzero(np.diff(rows_s)) + 1]
        counts = np.diff(np.r_[first, n])
        rank = np.arange(n) - np.repeat(first, counts)  # 0, 1, 2... within each sensor
        slot = (self.head[rows_s] + rank) % self.ring
        self.times[rows_s, slot] = times[order]
        self.values[rows_s, slot, :q] = values[order]
        self.values[rows_s, slot, q:] = np.nan
        pos = positions[order]
        missing = np.isnan(pos[:, 0])
        if missing.any():  # a fixed sensor: its known position
            pos[missing] = self.fixed_pos[rows_s[missing]]
        self.pos[rows_s, slot] = pos
        np.add.at(self.head, rows_s, 1)
        if q:  # fmin/fmax skip NaN: a quantity absent from the batch keeps its range
            self.value_min[:q] = np.fmin(self.value_min[:q], np.fmin.reduce(values, axis=0))
            self.value_max[:q] = np.fmax(self.value_max[:q], np.fmax.reduce(values, axis=0))
        # newest per sensor and per quantity: a late (older) reading does not replace a newer one
        for k in range(n):
            i, t = rows_s[k], times[order[k]]
            lt = self.latest_time[i]
            if np.isnan(lt) or t >= lt:
                self.latest_time[i] = t
                v = values[order[k]]
                has = ~np.isnan(v)
                self.latest_values[i, :q][has] = v[has]
                if not np.isnan(pos[k, 0]):
                    self.latest_pos[i] = pos[k]
        self._fill_fixed()

    def _fill_fixed(self) -> None:
        n = len(self.ids)
        gap = np.isnan(self.latest_pos[:n, 0]) & ~np.isnan(self.fixed_pos[:n, 0])
        if gap.any():
            self.latest_pos[:n][gap] = self.fixed_pos[:n][gap]

    # --- reading ----------------------------------------------------------------------------------
    def latest(self) -> SensorState:
        n, q = len(self.ids), len(self.quantities)
        self._fill_fixed()
        return SensorState(None, self.latest_pos[:n].copy(), self.latest_values[:n, :q].copy(),
                           self.latest_time[:n].copy(), ~np.isnan(self.latest_time[:n]))

    def state_at(self, t: float) -> SensorState:
        """Each sensor's reading with the latest time <= t (values per quantity from that reading;
        a quantity missing from it is taken from the newest earlier reading that has it)."""
        n, q = len(self.ids), len(self.quantities)
        times = self.times[:n]
        ok = times <= t  # NaN compares False
        score = np.where(ok, times, -np.inf)
        best = score.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
        rows = np.arange(n)
        known = ok[rows, best] if n else np.zeros(0, dtype=bool)
        pos = self.pos[rows, best].astype(np.float64)
        vals = self.values[rows, best, :q].copy()
        gaps = known[:, None] & np.isnan(vals)
        if gaps.any():  # e.g. a crane: load in one message, position in another
            for j in np.flatnonzero(gaps.any(axis=1)):
                for k in np.flatnonzero(gaps[j]):
                    col = self.values[j, :, k]
                    s = np.where(ok[j] & ~np.isnan(col), times[j], -np.inf)
                    if np.isfinite(s.max()):
                        vals[j, k] = col[s.argmax()]
        no_pos = known & np.isnan(pos[:, 0])
        if no_pos.any():
            for j in np.flatnonzero(no_pos):
                s = np.where(ok[j] & ~np.isnan(self.pos[j, :, 0]), times[j], -np.inf)
                pos[j] = self.pos[j, s.argmax()] if np.isfinite(s.max()) else self.fixed_pos[j]
        pos[~known] = np.nan
        vals[~known] = np.nan
        return SensorState(float(t), pos, vals, np.where(known, times[rows, best], np.nan), known)

    def series(self, row: int, quantity: str, until: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of one sensor's quantity, oldest first, up to `until` (chart)."""
        q = self.qindex.get(quantity)
        if q is None or not 0 <= row < len(self.ids):
            return np.zeros(0), np.zeros(0)
        slots = self._ordered_slots(row)
        t, v = self.times[row, slots], self.values[row, slots, q].astype(np.float64)
        keep = ~np.isnan(v) & (t <= until if until is not None else True)
        t, v = t[keep], v[keep]
        order = np.argsort(t, kind="stable")
        return t[order], v[order]

    def track(self, row: int, points: int, until: float | None = None) -> np.ndarray:
        """(K,3) the last `points` positions of a sensor up to `until`, oldest first."""
        slots = self._ordered_slots(row)
        t, p = self.times[row, slots], self.pos[row, slots].astype(np.float64)
        keep = ~np.isnan(p[:, 0]) & (t <= until if until is not None else True)
        t, p = t[keep], p[keep]
        order = np.argsort(t, kind="stable")
        return p[order][-max(1, int(points)):]

    def time_span(self) -> tuple[float, float] | None:
        n = len(self.ids)
        t = self.times[:n]
        if not n or np.isnan(t).all():
            return None
        return float(np.nanmin(t)), float(np.nanmax(t))

    def describe(self, row: int) -> dict[str, Any]:
        m = self.meta[row]
        return {"sensor": m.sensor_id, "kind": m.kind, **m.meta}
