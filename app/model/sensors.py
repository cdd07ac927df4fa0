"""A live sensor layer: readings from a feed (app.sources) folded into ring histories, shown at the
scene clock's time, with thresholds, alerts and stale sensors (no Qt, no VTK).

Why the layer and not the feed keeps history: the feed only queues what arrived; the scene clock
moved back must show the city as it was, so every reading goes into a bounded ring per sensor
(app.model.sensor_history). The GUI drains the feed (at most 10 Hz) and calls `ingest`; the
visual draws `view()` once per frame.

Live or history: the layer is live (newest readings, staleness against the wall clock) while the
scene clock is at or after "now" minus LIVE_SLACK_S, or after its newest reading; a clock moved
further back shows the state at that time, and playing the clock replays it.

In a project the layer is an ordinary entry: source {"path": URL, "loader": "feed", "options":
{"mapping": FeedMapping.to_dict()}} and state (style, thresholds). Credentials and personal values
are never part of either (ids arrive already hashed; the mapping names personal fields, not values).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

import numpy as np
from psygnal import Signal

from app.model.layers import Layer
from app.model.sensor_alerts import AlertLog, levels_for
from app.model.sensor_history import DEFAULT_RING, SensorState, SensorStore

FEED_LOADER = "feed"
LIVE_SLACK_S = 120.0  # a clock within two minutes of now (or ahead of it) means "live"
STATUS_KEYS = ("state", "received", "malformed", "dropped", "refused", "message")


@dataclass
class SensorView:
    """What the visual draws at one time; rows follow the store's ids."""

    live: bool
    positions: np.ndarray  # (S,3) ENU, NaN: not placed yet
    value: np.ndarray  # (S,) of the shown quantity (NaN: none)
    stale: np.ndarray  # (S,) bool
    level: np.ndarray  # (S,) int8: 0 normal, 1 warn, 2 alert
    pulsing: np.ndarray  # (S,) bool: an alert not acknowledged (live only)
    mover: np.ndarray  # (S,) bool
    known: np.ndarray  # (S,) bool: a reading at or before the time
    values: np.ndarray  # (S,Q) every quantity (the store's order), for labels of other quantities


@dataclass(eq=False)
class SensorLayer(Layer):
    """data: a SensorStore. `quantity` is the quantity that colours and sizes the glyphs ("": the
    first one seen); `thresholds` maps a quantity to {"warn": x, "alert": y} (high values are bad);
    `density` draws movers (people, vehicles) as a density grid instead of positions."""

    color_mode: str = "value"
    quantity: str = ""
    size_by_value: bool = True
    glyph_size_m: float = 6.0
    show_labels: bool = True
    density: bool = False
    density_cell_m: float = 25.0
    density_min_count: int = 3
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    stale_after_s: float = 300.0
    track_points: int = 60
    history_per_sensor: int = DEFAULT_RING
    sensor_types: tuple[str, ...] = ()  # only sensors whose meta "type" is one of these (empty: all)

    kind: ClassVar[str] = "sensors"
    time_aware: ClassVar[bool] = True
    color_modes: ClassVar[tuple[str, ...]] = ("value",)
    readings_added: ClassVar[Signal] = Signal()  # new readings folded in: the visual redraws at the next frame
    view_time_changed: ClassVar[Signal] = Signal(object)  # None (live) or epoch seconds
    status_changed: ClassVar[Signal] = Signal()
    privacy_changed: ClassVar[Signal] = Signal(bool)  # briefing mode's density override (not a field: no undo step)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.data, SensorStore):
            self.data = SensorStore(ring=int(self.history_per_sensor))
        self.thresholds = clean_thresholds(self.thresholds)
        self.glyph_size_m = float(min(500.0, max(0.1, self.glyph_size_m)))
        self.density_cell_m = float(min(10_000.0, max(1.0, self.density_cell_m)))
        self.density_min_count = int(max(1, self.density_min_count))
        self.stale_after_s = float(max(1.0, self.stale_after_s))
        self.track_points = int(min(2_000, max(2, self.track_points)))
        self.sensor_types = tuple(str(t) for t in (self.sensor_types or ()) if isinstance(t, str))
        self.alerts = AlertLog()
        self.view_time: float | None = None  # None: live
        self.status: dict[str, Any] = {"state": "idle", "received": 0, "malformed": 0, "dropped": 0, "refused": 0,
                                       "message": ""}
        self.unplaced = 0  # readings whose position could not be put in the scene
        self.privacy_density = False  # briefing mode's override: not saved, not an undo step, not "unsaved"

    # --- project ----------------------------------------------------------------------------------
    @property
    def store(self) -> SensorStore:
        return self.data

    @property
    def url(self) -> str:
        return str((self.source or {}).get("path", ""))

    @property
    def mapping(self) -> dict[str, Any] | None:
        m = ((self.source or {}).get("options") or {}).get("mapping")
        return dict(m) if isinstance(m, dict) else None

    def set_threshold(self, quantity: str, warn: float | None, alert: float | None) -> None:
        """One quantity's levels (None: no such level); an evented change of `thresholds`."""
        new = {k: dict(v) for k, v in self.thresholds.items()}
        levels = {k: float(v) for k, v in (("warn", warn), ("alert", alert)) if v is not None}
        if levels:
            new[quantity] = levels
        else:
            new.pop(quantity, None)
        self.thresholds = clean_thresholds(new)

    def set_privacy_density(self, on: bool) -> None:
        """Briefing mode: movers only as an aggregated density (min count per cell), whatever `density` says."""
        if bool(on) != self.privacy_density:
            self.privacy_density = bool(on)
            self.privacy_changed.emit(self.privacy_density)

    @property
    def shows_density(self) -> bool:
        return bool(self.density or self.privacy_density)

    # --- readings ---------------------------------------------------------------------------------
    def ingest(self, readings: Iterable[Any], frame: Any = None, infos: dict[str, Any] | None = None) -> int:
        """Fold readings (app.sources.readings.Reading) into the history; raise alerts for live
        threshold crossings. `frame` (SceneFrame) places lon/lat positions; `infos` (sensor id ->
        SensorInfo) gives fixed positions for readings without one. Returns readings taken."""
        readings = list(readings)
        if self.sensor_types:
            wanted = set(self.sensor_types)
            readings = [r for r in readings if (getattr(r, "meta", None) or {}).get("type") in wanted]
        if not readings:
            return 0
        store = self.store
        for r in readings:
            for name, unit in (r.units or {}).items():
                store.quantity(name, unit)
            for name in r.values:
                store.quantity(name)
        n, q = len(readings), len(store.quantities)
        rows = np.empty(n, dtype=np.int64)
        times = np.empty(n)
        values = np.full((n, q), np.nan, dtype=np.float32)
        raw = np.full((n, 3), np.nan)
        crs: list[str | None] = []
        for k, r in enumerate(readings):
            rows[k] = store.sensor(r.sensor_id, getattr(r, "kind", "sensor") or "sensor", getattr(r, "meta", None))
            times[k] = float(r.time)
            for name, v in r.values.items():
                values[k, store.qindex[name]] = v
            pos, pcrs = r.position, getattr(r, "position_crs", None)
            if pos is None and infos and r.sensor_id in infos:
                info = infos[r.sensor_id]
                pos, pcrs = getattr(info, "position", None), getattr(info, "position_crs", None)
            if pos is not None and len(pos) >= 2:
                raw[k, : min(3, len(pos))] = [float(c) for c in pos[:3]]
                if len(pos) == 2:
                    raw[k, 2] = 0.0
            crs.append(pcrs if pos is not None else None)
        positions = to_scene(raw, crs, frame)
        self.unplaced += int(np.count_nonzero(np.isnan(positions[:, 0]) & ~np.isnan(raw[:, 0])))
        store.add(rows, times, values, positions)
        self.alerts.check(self, rows, times, values)
        self.readings_added.emit()
        return n

    def set_status(self, stats: Any) -> None:
        """The feed's counters and state (FeedStats or a dict) for the layer dock's panel."""
        get = stats.get if isinstance(stats, dict) else (lambda k, d=None: getattr(stats, k, d))
        new = {k: get(k, self.status.get(k)) for k in STATUS_KEYS}
        if new != self.status:
            self.status = new
            self.status_changed.emit()

    # --- time -------------------------------------------------------------------------------------
    def set_clock_time(self, when: Any, now: float | None = None) -> None:
        """Follow the scene clock (an aware datetime or epoch seconds): live near now, else history."""
        t = when.timestamp() if hasattr(when, "timestamp") else float(when)
        wall = time.time() if now is None else now
        newest = self.store.time_span()
        live = t >= wall - LIVE_SLACK_S or (newest is not None and t >= newest[1])  # nothing newer to hide
        view = None if live else t
        if view != self.view_time:
            self.view_time = view
            self.view_time_changed.emit(view)

    @property
    def live(self) -> bool:
        return self.view_time is None

    def shown_quantity(self) -> str:
        qs = self.store.quantities
        return self.quantity if self.quantity in qs else (qs[0] if qs else self.quantity)

    def unit(self, quantity: str | None = None) -> str:
        return self.store.units.get(quantity or self.shown_quantity(), "")

    def state(self) -> SensorState:
        return self.store.latest() if self.view_time is None else self.store.state_at(self.view_time)

    def view(self, now: float | None = None) -> SensorView:
        """Positions, shown values, stale flags, threshold levels and pulsing alerts at the view time."""
        st = self.state()
        store = self.store
        ref = (time.time() if now is None else now) if self.view_time is None else self.view_time
        q = store.qindex.get(self.shown_quantity())
        value = st.values[:, q].astype(np.float64) if q is not None and st.values.shape[1] > q else \
            np.full(len(store), np.nan)
        with np.errstate(invalid="ignore"):
            stale = st.known & (ref - st.times > self.stale_after_s)
        level = levels_for(st.values, store.quantities, self.thresholds)
        pulsing = np.zeros(len(store), dtype=bool)
        if self.view_time is None:
            pulsing[self.alerts.pulsing_rows(store)] = True
            pulsing &= level >= 2
        return SensorView(self.view_time is None, st.positions, value, stale, level, pulsing,
                          store.mover[: len(store)].copy(), st.known, st.values)

    def tracks(self) -> list[np.ndarray]:
        """Recent positions of each mover up to the view time, oldest first."""
        store = self.store
        return [store.track(int(i), self.track_points, self.view_time) for i in np.flatnonzero(store.mover[: len(store)])]

    def density_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Movers' recent positions counted on a grid of `density_cell_m`; only cells with at least
        `density_min_count` positions are returned (centres (K,3), counts (K,)): one person's path
        never shows on its own."""
        tracks = [t for t in self.tracks() if len(t)]
        if not tracks:
            return np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
        return density_cells(np.concatenate(tracks), self.density_cell_m, self.density_min_count)

    def value_range(self) -> tuple[float, float] | None:
        """The colour ramp: the user's limits, else from 0 (or the lowest value) to the alert level or
        the highest value seen, whichever is higher, rounded up to a round number."""
        quantity = self.shown_quantity()
        if quantity in self.color_limits:
            return self.color_limits[quantity]
        levels = self.thresholds.get(quantity, {})
        top = levels.get("alert", levels.get("warn"))
        q = self.store.qindex.get(quantity)
        seen = None
        if q is not None and not np.isnan(self.store.value_min[q]):
            seen = (float(self.store.value_min[q]), float(self.store.value_max[q]))
        if seen is None and top is None:
            return None
        lo = min(0.0, seen[0]) if seen is not None else 0.0
        hi = max(v for v in (top, seen[1] if seen else None) if v is not None)
        return lo, nice_ceiling(hi) if hi > lo else lo + 1.0

    # --- layer ------------------------------------------------------------------------------------
    def bounds(self) -> np.ndarray | None:
        p = self.store.latest_pos[: len(self.store)]
        p = p[~np.isnan(p[:, 0])]
        if not len(p):
            return None
        pad = self.glyph_size_m
        return np.array([p.min(0) - pad, p.max(0) + pad])

    def counts(self) -> dict[str, int]:
        return {"sensors": len(self.store)}

    def describe(self, row: int) -> dict[str, Any]:
        """One sensor for the properties dock: id, kind, metadata, latest values with units, time."""
        store = self.store
        out: dict[str, Any] = {"layer": self.name, **store.describe(row)}
        st = self.state()
        if st.known[row]:
            from datetime import datetime, timezone

            out["time (UTC)"] = datetime.fromtimestamp(float(st.times[row]), timezone.utc).isoformat(timespec="seconds")
        for k, name in enumerate(store.quantities):
            v = st.values[row, k]
            if not math.isnan(float(v)):
                unit = store.units.get(name, "")
                out[f"{name} ({unit})" if unit else name] = round(float(v), 3)
        return out


def nice_ceiling(value: float) -> float:
    """The next round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k) at or above `value`: a ramp
    from 0 to 100 %, not to 98.4."""
    if value <= 0 or not math.isfinite(value):
        return value
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10.0 * power


def clean_thresholds(value: Any) -> dict[str, dict[str, float]]:
    """{"quantity": {"warn": x, "alert": y}} with finite numbers only; anything else is dropped."""
    out: dict[str, dict[str, float]] = {}
    if not isinstance(value, dict):
        return out
    for name, levels in value.items():
        if not isinstance(name, str) or not isinstance(levels, dict):
            continue
        clean = {k: float(v) for k, v in levels.items() if k in ("warn", "alert") and isinstance(v, (int, float))
                 and not isinstance(v, bool) and math.isfinite(float(v))}
        if clean:
            out[name] = clean
    return out


def to_scene(raw: np.ndarray, crs: list[str | None], frame: Any) -> np.ndarray:
    """(N,3) positions in their CRS -> scene ENU ("scene": as they are; "EPSG:4979"/"EPSG:4326":
    lon, lat, h). The first geographic position sets the scene origin when it has none."""
    out = np.full(raw.shape, np.nan)
    kinds = np.array([(c or "").upper() for c in crs], dtype=object)
    scene = kinds == "SCENE"
    out[scene] = raw[scene]
    geo = np.isin(kinds, ["EPSG:4979", "EPSG:4326", "CRS84", "WGS84"]) & ~np.isnan(raw[:, 0])
    if geo.any() and frame is not None:
        lla = np.stack([raw[geo, 1], raw[geo, 0], np.nan_to_num(raw[geo, 2])], axis=1)
        ok = (np.abs(lla[:, 0]) <= 90) & (np.abs(lla[:, 1]) <= 180)
        if ok.any():
            if not frame.is_set:
                first = lla[ok][0]
                frame.origin_lla = (float(first[0]), float(first[1]), float(first[2]))
            enu = np.full((len(lla), 3), np.nan)
            enu[ok] = frame.lla_to_enu(lla[ok])
            out[geo] = enu
    return out


def density_cells(points: np.ndarray, cell: float, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of (N,3) points per square cell of `cell` metres; cells under `min_count` dropped."""
    pts = points[~np.isnan(points[:, 0])]
    if not len(pts):
        return np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    ij = np.floor(pts[:, :2] / cell).astype(np.int64)
    cells, counts = np.unique(ij, axis=0, return_counts=True)
    keep = counts >= min_count
    zmin = float(np.min(pts[:, 2]))
    centres = np.column_stack([(cells[:, 0] + 0.5) * cell, (cells[:, 1] + 0.5) * cell, np.full(len(cells), zmin)])
    return centres[keep], counts[keep].astype(np.int64)


def make_sensor_layer(url: str, mapping: dict[str, Any] | None = None, name: str = "", **state: Any) -> SensorLayer:
    """A sensor layer for a feed URL with its source set as the project saves it (no credentials)."""
    layer = SensorLayer(name=name or url, **state)
    layer.source = {"path": url, "loader": FEED_LOADER, "options": {"mapping": dict(mapping)} if mapping else {}}
    layer.info = {"format": "live feed", "url": url}
    return layer


def set_privacy_density(layers: Iterable[Layer], on: bool) -> None:
    """Briefing mode: every sensor layer among `layers` shows movers as density only (or back)."""
    for layer in layers:
        if isinstance(layer, SensorLayer):
            layer.set_privacy_density(on)


def sensor_layer_from_project(url: str, options: dict[str, Any] | None, state: dict[str, Any]) -> SensorLayer:
    """The project reader's hook for loader "feed": the layer rebuilt through its constructor, so a
    hand-edited value is cleaned (thresholds, sizes) rather than trusted; unknown keys are ignored."""
    from dataclasses import fields

    known = {f.name for f in fields(SensorLayer) if f.metadata.get("state", True)} - {"data"}
    clean = {k: v for k, v in (state or {}).items() if k in known}
    mapping = (options or {}).get("mapping")
    try:
        return make_sensor_layer(url, mapping if isinstance(mapping, dict) else None, **clean)
    except (TypeError, ValueError):  # a value of the wrong type: the style falls back to the defaults
        return make_sensor_layer(url, mapping if isinstance(mapping, dict) else None, name=str(clean.get("name", url)))
