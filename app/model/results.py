"""Result layers: simulation and analysis results (a CFD field, a flood depth series, a raster)
coloured by any of their arrays and, with several time steps, following the scene clock.

Why interpolate: a flood series saved every 15 minutes should not jump on a clock played at one
minute per second. Between two steps of the same mesh a float array is blended linearly; integer
arrays (classes, flags) take the nearer step, and where one of the two steps is NaN (dry, no data)
the nearer step's value stands, so wet/dry edges switch half-way instead of fading through NaN.
Before the first step the first is shown, after the last the last (as ParaView snaps).

Relative times (seconds from a simulation's start) count from `time_origin` (ISO); the GUI sets it
to the clock's start when such a layer is added, and the project saves it. No Qt, no VTK.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

import numpy as np

from app.model.frame import SceneFrame
from app.model.layers import Layer
from loaders.results_base import ResultData, iso_to_epoch

REPRESENTATIONS = ("surface", "points", "iso", "contour", "slice")
SLICE_AXES = ("x", "y", "z")
COLORMAPS = ("viridis", "cividis", "water", "plasma", "inferno", "Blues", "coolwarm", "RdBu_r", "turbo")  # "water": light to deep blue


@dataclass(eq=False)
class ResultLayer(Layer):
    """data: dict(vertices=(N,3) ENU, up=(3,) the data's vertical in ENU, grid_shape, cells,
    cell_types, steps=[{name: values}], cell_arrays, times, times_absolute, units)."""

    color_mode: str = ""  # the array shown
    cmap: str = "viridis"
    representation: str = "surface"
    iso_value: float | None = None  # iso-surface / contour value; None: the middle of the range
    slice_axis: str = "z"
    slice_position: float = 0.5  # along the axis, 0..1 of the bounds
    height_by: str = ""  # an array that gives each point's height (a water level raster); "" flat
    time_origin: str = ""  # ISO time of relative time 0

    kind: ClassVar[str] = "result"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data is None:
            self.data = {"vertices": np.zeros((0, 3)), "steps": [{}], "cell_arrays": set(), "units": {}}
        self.data.setdefault("steps", [{}])
        self.data.setdefault("cell_arrays", set())
        self.data.setdefault("units", {})
        modes = self.available_color_modes()
        if self.color_mode not in modes:
            self.color_mode = modes[0] if modes else ""
        if self.cmap not in COLORMAPS:
            self.cmap = "viridis"
        if self.representation not in REPRESENTATIONS:
            self.representation = "surface"
        if self.slice_axis not in SLICE_AXES:
            self.slice_axis = "z"
        self.slice_position = float(min(1.0, max(0.0, self.slice_position)))
        if self.height_by and self.height_by not in modes:
            self.height_by = ""

    # --- what it holds ------------------------------------------------------------------------
    @property
    def time_aware(self) -> bool:
        """With several steps the layer follows the clock (the timeline appears)."""
        return len(self.data.get("steps", ())) > 1

    @property
    def steps(self) -> list[dict[str, np.ndarray]]:
        return self.data["steps"]

    def bounds(self) -> np.ndarray | None:
        v = self.data["vertices"]
        return None if len(v) == 0 else np.array([v.min(0), v.max(0)])

    def counts(self) -> dict[str, int]:
        out = {"points": int(len(self.data["vertices"]))}
        if len(self.steps) > 1:
            out["time steps"] = len(self.steps)
        return out

    def available_color_modes(self) -> list[str]:
        first = self.steps[0] if self.steps else {}
        return [k for k, v in first.items() if np.issubdtype(np.asarray(v).dtype, np.number)]

    def is_cell_array(self, name: str) -> bool:
        return name in self.data.get("cell_arrays", ())

    def unit(self, name: str) -> str:
        return str(self.data.get("units", {}).get(name, "") or "")

    def data_range(self, mode: str) -> tuple[float, float] | None:
        """Finite min/max of an array over every step: the colours mean the same all through time."""
        cache = self.data.setdefault("value_ranges", {})
        if mode not in cache:
            lo, hi = np.inf, -np.inf
            for step in self.steps:
                if mode not in step:
                    break
                v = _scalar(step[mode])
                v = v[np.isfinite(v)]
                if len(v):
                    lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
            cache[mode] = None if lo > hi else (lo, hi if hi > lo else lo + 1.0)
        return cache[mode]

    # --- time -----------------------------------------------------------------------------------
    def epochs(self) -> np.ndarray | None:
        """Step times as epoch seconds, or None (one step, or relative times without an origin)."""
        times = self.data.get("times")
        if times is None or len(self.steps) < 2:
            return None
        if self.data.get("times_absolute"):
            return np.asarray(times, dtype=np.float64)
        if not self.time_origin:
            return None
        try:
            return iso_to_epoch(self.time_origin) + np.asarray(times, dtype=np.float64)
        except ValueError:
            return None

    def span(self) -> tuple[datetime, datetime] | None:
        e = self.epochs()
        if e is None:
            return None
        return (datetime.fromtimestamp(float(e[0]), timezone.utc), datetime.fromtimestamp(float(e[-1]), timezone.utc))

    def step_at(self, when: datetime | None) -> tuple[int, int, float]:
        """(i, j, f): the value at `when` is steps[i] * (1 - f) + steps[j] * f."""
        e = self.epochs()
        if e is None or when is None:
            return 0, 0, 0.0
        t = when.timestamp()
        if t <= e[0]:
            return 0, 0, 0.0
        if t >= e[-1]:
            n = len(e) - 1
            return n, n, 0.0
        i = int(np.searchsorted(e, t, side="right")) - 1
        f = (t - e[i]) / (e[i + 1] - e[i])
        return (i, i, 0.0) if f <= 0 else (i, i + 1, float(f))

    def values_at(self, when: datetime | None, name: str | None = None) -> np.ndarray | None:
        """The array `name` (default: the one shown) at `when`, as float64 scalars (vectors as
        their magnitude); None when the layer has no such array."""
        name = name or self.color_mode
        if not self.steps or name not in self.steps[0]:
            return None
        i, j, f = self.step_at(when)
        a = _scalar(self.steps[i][name])
        if j == i or f == 0.0:
            return a
        b = _scalar(self.steps[j][name])
        if not np.issubdtype(np.asarray(self.steps[i][name]).dtype, np.floating):
            return a if f < 0.5 else b
        out = a * (1.0 - f) + b * f
        nearer = a if f < 0.5 else b
        gap = ~(np.isfinite(a) & np.isfinite(b))
        out[gap] = nearer[gap]
        return out

    def step_label(self, when: datetime | None) -> str:
        i, j, f = self.step_at(when)
        n = len(self.steps)
        if n < 2:
            return ""
        return f"step {i + 1} of {n}" if j == i else f"between steps {i + 1} and {j + 1} ({f:.0%})"


def corner_heights(cells: np.ndarray, grid_shape: tuple[int, int, int]) -> np.ndarray:
    """Per-pixel values of a raster -> per-corner values: the mean of the finite pixels around
    each corner (NaN where none is)."""
    nx, ny = grid_shape[0], grid_shape[1]
    c = np.asarray(cells, dtype=np.float64).reshape(ny - 1, nx - 1)
    pad = np.full((ny + 1, nx + 1), np.nan)
    pad[1:-1, 1:-1] = c
    stack = np.stack([pad[:-1, :-1], pad[:-1, 1:], pad[1:, :-1], pad[1:, 1:]])
    finite = np.isfinite(stack)
    total = np.where(finite, stack, 0.0).sum(0)
    count = finite.sum(0)
    out = np.full(total.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)  # corners with no finite pixel: NaN
    return out.ravel()


def _scalar(values: Any) -> np.ndarray:
    v = np.asarray(values)
    if v.ndim == 2:
        return np.linalg.norm(v.astype(np.float64), axis=1)
    return v.astype(np.float64, copy=False)


def result_layer_from(frame: SceneFrame, data: ResultData) -> ResultLayer:
    """Loader output -> a layer placed in the scene frame (its points in ENU; `up` is the data's
    vertical there, so a height array lifts points along the CRS's own vertical)."""
    from app.model.scene import _checked

    base = _checked(frame.to_local(data.points, data.georef))
    centre = data.points.mean(0, keepdims=True)
    lifted = frame.to_local(centre + np.array([[0.0, 0.0, 1.0]]), data.georef) - frame.to_local(centre, data.georef)
    up = lifted[0] / max(float(np.linalg.norm(lifted[0])), 1e-12)
    payload = {"vertices": base, "up": up, "grid_shape": data.grid_shape, "cells": data.cells, "cell_types": data.cell_types,
               "steps": data.steps, "cell_arrays": set(data.cell_arrays), "times": data.times,
               "times_absolute": bool(data.times_absolute), "units": dict(data.units),
               "raster": data.metadata.get("raster")}  # width, height, transform, crs: for GeoTIFF export
    layer = ResultLayer(name=data.name, data=payload)
    for key in ("height_by", "color_mode", "cmap"):
        if key in data.metadata.get("style", {}):
            setattr(layer, key, data.metadata["style"][key])
    layer.info = {"format": data.format, "crs": data.georef.crs_label(), "kind": data.kind, **data.counts(),
                  "recentre_shift": data.metadata.get("recentre_shift")}
    layer.warnings = list(data.warnings)
    return layer


def result_arrays(layer: ResultLayer) -> dict[str, np.ndarray]:
    """A result layer's heavy data for its sidecar (app/model/derived.py): plain arrays and JSON
    text, read back with allow_pickle=False."""
    import json

    d = layer.data
    out: dict[str, np.ndarray] = {"vertices": np.asarray(d["vertices"], dtype=np.float64),
                                  "meta": np.array(json.dumps({
                                      "grid_shape": list(d["grid_shape"]) if d.get("grid_shape") is not None else None,
                                      "cell_arrays": sorted(d.get("cell_arrays", ())), "units": d.get("units", {}),
                                      "times_absolute": bool(d.get("times_absolute")), "raster": d.get("raster"),
                                      "steps": len(d["steps"])}))}
    if d.get("cells") is not None:
        out["cells"], out["cell_types"] = np.asarray(d["cells"], dtype=np.int64), np.asarray(d["cell_types"], dtype=np.uint8)
    if d.get("times") is not None:
        out["times"] = np.asarray(d["times"], dtype=np.float64)
    for i, step in enumerate(d["steps"]):
        for name, values in step.items():
            out[f"step.{i}.{name}"] = np.asarray(values)
    return out


def result_data_from_arrays(a: dict[str, np.ndarray], name: str, georef: Any, source: str, meta: dict[str, Any]) -> ResultData:
    """The sidecar's arrays -> loader data (in the frame `georef` says); KeyError/ValueError when damaged."""
    import json

    info = json.loads(str(a["meta"]))
    steps: list[dict[str, np.ndarray]] = [{} for _ in range(int(info["steps"]))]
    for key, values in a.items():
        if key.startswith("step."):
            _, i, array = key.split(".", 2)
            steps[int(i)][array] = values
    raster = info.get("raster")
    return ResultData(name=name, kind="simulation", format="derived", georef=georef, source=source,
                      points=a["vertices"], grid_shape=tuple(info["grid_shape"]) if info.get("grid_shape") else None,
                      cells=a.get("cells"), cell_types=a.get("cell_types"), steps=steps, cell_arrays=set(info["cell_arrays"]),
                      times=a.get("times"), times_absolute=bool(info["times_absolute"]), units=dict(info["units"]),
                      metadata={**meta, "raster": raster})
