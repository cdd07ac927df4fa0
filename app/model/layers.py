"""Layers: small evented fields (name, visibility, opacity, colour mode) plus heavy arrays.

Heavy arrays are not evented fields: replacing them emits `data_changed`. A layer never holds
its VTK actor; the canvas maps layer types to visual classes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
from psygnal import Signal, SignalGroupDescriptor

from app.model.feature_filter import FilterError, FilterResult, compile_filter, evaluate_filter
from loaders.base import ElementInfo, LayerData

ASPRS_CLASSES = {
    0: "Never classified", 1: "Unclassified", 2: "Ground", 3: "Low vegetation", 4: "Medium vegetation",
    5: "High vegetation", 6: "Building", 7: "Low point (noise)", 8: "Model key-point", 9: "Water",
    10: "Rail", 11: "Road surface", 12: "Overlap", 13: "Wire guard", 14: "Wire conductor",
    15: "Transmission tower", 16: "Wire connector", 17: "Bridge deck", 18: "High noise",
}

VIEW_SIDES = ("auto", "left", "right", "both")


@dataclass(eq=False)
class Layer:
    """Base of every layer kind. Constructor parameters other than `data` are its state."""

    name: str = "layer"
    visible: bool = True
    opacity: float = 1.0
    color_mode: str = "default"
    # user-set colour ramp limits per colour mode ({"intensity": (lo, hi)}); absent: the data's range
    color_limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    # the side of the split view and the swipe that draws it: "auto" (viewers.split.default_side),
    # "left", "right" or "both"; a field so that a project keeps the user's choice
    view_side: str = "auto"
    data: Any = field(default=None, repr=False, metadata={"state": False})

    kind: ClassVar[str] = "layer"
    color_modes: ClassVar[tuple[str, ...]] = ("default",)
    events: ClassVar[SignalGroupDescriptor] = SignalGroupDescriptor()
    data_changed: ClassVar[Signal] = Signal()

    def __post_init__(self) -> None:
        self.opacity = float(min(1.0, max(0.0, self.opacity)))
        self.color_limits = _clean_limits(self.color_limits)
        self.view_side = clean_view_side(self.view_side)
        self.source: dict[str, Any] | None = None  # {"path", "loader", "options"} for project files
        self.warnings: list[str] = []
        self.info: dict[str, Any] = {}  # format, crs, counts: shown in the layer tree tooltip

    def get_state(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("state", True)}

    @classmethod
    def from_state(cls, state: dict[str, Any], data: Any = None) -> "Layer":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in state.items() if k in known}, data=data)

    def bounds(self) -> np.ndarray | None:
        """(2,3) min/max in scene ENU metres."""
        return None

    def set_color_limits(self, mode: str, limits: tuple[float, float] | None) -> None:
        """Fix the colour ramp of `mode` to (lo, hi), or back to the data's range with None."""
        limits_now = dict(self.color_limits)
        if limits is None:
            limits_now.pop(mode, None)
        else:
            limits_now[mode] = limits
        self.color_limits = _clean_limits(limits_now)

    def counts(self) -> dict[str, int]:
        return {}


@dataclass(eq=False)
class PointCloudLayer(Layer):
    """data: dict(positions=(N,3) float64 ENU, colors=(N,3) uint8|None, attributes={name: (N,)})."""

    color_mode: str = "rgb"
    point_size: float = 3.0
    hidden_classes: tuple[int, ...] = ()  # ASPRS classes not drawn (e.g. 7 noise)
    only_beyond_tolerance: bool = False  # with deviations (app.model.comparison): hide |d| <= tolerance and far points

    kind: ClassVar[str] = "pointcloud"
    color_modes: ClassVar[tuple[str, ...]] = ("rgb", "elevation", "intensity", "classification")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data is None:
            self.data = {"positions": np.zeros((0, 3)), "colors": None, "attributes": {}}
        if self.color_mode == "rgb" and self.data.get("colors") is None:
            self.color_mode = "elevation"
        self.point_size = float(min(20.0, max(1.0, self.point_size)))
        self.hidden_classes = tuple(int(c) for c in self.hidden_classes)

    @property
    def positions(self) -> np.ndarray:
        return self.data["positions"]

    def available_color_modes(self) -> list[str]:
        """RGB, elevation, then every per-point attribute (intensity, classification, return
        number, extra bytes...): any dimension can colour the cloud."""
        attrs = self.data.get("attributes", {})
        modes = ["elevation"]
        if self.data.get("colors") is not None:
            modes.insert(0, "rgb")
        if "deviation_m" in attrs and self.data.get("comparison"):  # a scan compared with its design
            modes.append("deviation")
        first = [m for m in ("intensity", "classification", "return_number") if m in attrs]
        rest = sorted(k for k, v in attrs.items() if k not in first and k != "deviation_m" and getattr(v, "ndim", 0) == 1)
        return modes + first + rest

    def data_range(self, mode: str) -> tuple[float, float] | None:
        """The colour ramp's default range over the whole cloud, not what is drawn (which changes
        with the camera, the budget and hidden classes): heights from min to max, attributes from
        the 2nd to the 98th percentile (outliers would flatten the ramp). Computed once per mode."""
        if mode == "deviation":  # centred on zero, out to where 99% of the near points are
            comp = self.data.get("comparison") or {}
            cut, tol = float(comp.get("max_distance", 1.0)), float(comp.get("tolerance", 0.05))
            d = self.data.get("attributes", {}).get("deviation_m")
            key = ("deviation", cut, tol, id(d), 0 if d is None else len(d))  # a new comparison, a new range
            cache = self.data.setdefault("value_ranges", {})
            if key not in cache:  # the same rule as the report's pictures (app/compare_images.reach_of)
                a = np.abs(np.asarray(d[:: max(1, len(d) // 2_000_000)], dtype=np.float64)) if d is not None else np.zeros(0)
                a = a[np.isfinite(a)]
                p99 = float(np.percentile(a, 99)) if len(a) else cut
                reach = float(min(cut, max(3.0 * tol, p99)))
                cache[key] = (-reach, reach)
            return cache[key]
        cache = self.data.setdefault("value_ranges", {})
        key = (mode, len(self.positions))  # a cloud still loading grows: its range follows once per step
        if key in cache:
            return cache[key]
        if mode == "elevation":
            b = self.bounds()
            values = None if b is None else b[:, 2]
        else:
            values = self.data.get("attributes", {}).get(mode)
            if values is not None and getattr(values, "ndim", 0) == 1 and len(values):
                step = max(1, len(values) // 2_000_000)  # every point up to 2M; an even stride beyond
                values = np.percentile(np.asarray(values[::step], dtype=np.float64), [2, 98])
            else:
                values = None
        out = None
        if values is not None:
            lo, hi = float(np.min(values)), float(np.max(values))
            out = (lo, hi if hi > lo else lo + 1.0)
        cache[key] = out
        return out

    def classes_present(self) -> list[int]:
        classes = self.data.get("attributes", {}).get("classification")
        return [] if classes is None else [int(c) for c in np.unique(classes)]

    def bounds(self) -> np.ndarray | None:
        p = self.positions
        return None if len(p) == 0 else np.array([p.min(0), p.max(0)])

    def counts(self) -> dict[str, int]:
        return {"points": int(len(self.positions))}

    def point_attributes(self, index: int) -> dict[str, Any]:
        """Everything known about one point, for the properties dock."""
        out: dict[str, Any] = {}
        if self.data.get("colors") is not None:
            out["RGB"] = tuple(int(c) for c in self.data["colors"][index])
        for key, arr in self.data.get("attributes", {}).items():
            value = arr[index]
            out[key] = value.item() if hasattr(value, "item") else value
            if key == "classification":
                out["class name"] = ASPRS_CLASSES.get(int(value), "User defined")
        return out


@dataclass(eq=False)
class MeshLayer(Layer):
    """data: dict(vertices=(V,3) float64 ENU, faces=(F,3) int64, vertex_colors, face_element, elements).

    `hidden` lists element indices not drawn (None: the elements' own defaults, e.g. IfcSpace hidden).
    `feature_filter` is an expression (app.model.feature_filter); elements that do not match are
    not drawn either, without touching `hidden`. Colour modes beyond default/elevation colour
    elements by class, storey, material or "property:<Pset.Prop>".
    """

    color_mode: str = "default"
    show_edges: bool = False
    hidden: tuple[int, ...] | None = None
    feature_filter: str = ""

    kind: ClassVar[str] = "mesh"
    color_modes: ClassVar[tuple[str, ...]] = ("default", "elevation")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data is None:
            self.data = {"vertices": np.zeros((0, 3)), "faces": np.zeros((0, 3), np.int64), "elements": []}
        if self.hidden is not None:
            self.hidden = tuple(int(i) for i in self.hidden)
        self.feature_filter = str(self.feature_filter or "")
        self._filter_cache: tuple[tuple, tuple[FilterResult, np.ndarray]] | None = None

    @property
    def elements(self) -> list[ElementInfo]:
        return self.data.get("elements", [])

    def bounds(self) -> np.ndarray | None:
        v = self.data["vertices"]
        return None if len(v) == 0 else np.array([v.min(0), v.max(0)])

    def counts(self) -> dict[str, int]:
        out = {"triangles": int(len(self.data["faces"]))}
        if self.elements:
            out["elements"] = len(self.elements)
        return out

    def element_for_face(self, face: int) -> ElementInfo | None:
        fe = self.data.get("face_element")
        if fe is None or not (0 <= face < len(fe)) or fe[face] < 0 or fe[face] >= len(self.elements):
            return None
        return self.elements[int(fe[face])]

    # --- element visibility -------------------------------------------------------------------
    def hidden_mask(self) -> np.ndarray:
        """(n_elements,) bool: True where the element is not drawn."""
        mask = np.zeros(len(self.elements), dtype=bool)
        if self.hidden is None:
            mask[[i for i, e in enumerate(self.elements) if e.hidden_by_default]] = True
        else:
            idx = np.asarray([i for i in self.hidden if 0 <= i < len(mask)], dtype=np.int64)
            mask[idx] = True
        return mask

    def set_elements_hidden(self, indices: list[int], hidden: bool) -> None:
        self.set_hidden_states({int(i): hidden for i in indices})

    def set_hidden_states(self, changes: dict[int, bool]) -> None:
        """Hide (True) or show (False) many elements in one change: one event, one rebuild."""
        mask = self.hidden_mask()
        for index, hidden in changes.items():
            if 0 <= index < len(mask):
                mask[index] = hidden
        self.hidden = tuple(int(i) for i in np.flatnonzero(mask))

    def _on_demand_mask(self) -> np.ndarray:
        """(n_elements,) bool: elements loaded hidden (IfcSpace, IfcOpeningElement)."""
        return np.fromiter((e.hidden_by_default for e in self.elements), bool, len(self.elements))

    def isolate(self, indices: list[int]) -> None:
        """Show only `indices`. Spaces and openings among them keep their state (their boxes would
        cover doors and windows), unless they are all that was chosen: then the user asked for them."""
        chosen = np.zeros(len(self.elements), dtype=bool)
        chosen[np.asarray([i for i in indices if 0 <= i < len(chosen)], dtype=np.int64)] = True
        on_demand = self._on_demand_mask()
        if chosen.any() and not (chosen & ~on_demand).any():
            on_demand = np.zeros_like(on_demand)
        mask = ~chosen | (on_demand & self.hidden_mask())
        self.hidden = tuple(int(i) for i in np.flatnonzero(mask))

    def show_all(self) -> None:
        """Show every element; spaces and openings stay as they are (shown only when asked for)."""
        self.hidden = tuple(int(i) for i in np.flatnonzero(self._on_demand_mask() & self.hidden_mask()))

    # --- feature filter -------------------------------------------------------------------------
    def filter_result(self) -> FilterResult:
        """Which elements pass `feature_filter` (all of them when it is blank or invalid; then
        `.error` says why). Cached per expression and element list."""
        return self._filter_state()[0]

    def feature_mask(self) -> np.ndarray:
        """(n_elements,) bool: the elements the filter applies to. Elements with neither class nor
        properties are not features. In a tileset every content has its own batch table, so an
        element whose table has none of the properties the filter reads (the terrain under
        `height > 30`) is not one of its features either: it stays drawn and is not counted."""
        return self._filter_state()[1]

    def _filter_state(self) -> tuple[FilterResult, np.ndarray]:
        els = self.elements
        key = (self.feature_filter, id(els), len(els))
        if self._filter_cache is None or self._filter_cache[0] != key:
            self._filter_cache = (key, self._evaluate_filter(els))
        return self._filter_cache[1]

    def _evaluate_filter(self, els: list[ElementInfo]) -> tuple[FilterResult, np.ndarray]:
        n = len(els)
        features = np.fromiter((bool(e.ifc_class) or len(e.properties) > 0 for e in els), bool, n)
        try:
            names = compile_filter(self.feature_filter).names
        except FilterError as exc:
            return FilterResult(np.ones(n, dtype=bool), str(exc)), features
        cols = {k: [_element_value(e, k) for e in els] for k in names}
        if names and self.kind in ("tileset", "tile"):
            carries = np.zeros(n, dtype=bool)
            for k, col in cols.items():
                carries |= np.fromiter((v is not None or k in e.properties for v, e in zip(col, els)), bool, n)
            features &= carries
        return evaluate_filter(self.feature_filter, cols, n), features

    def filter_counts(self) -> tuple[int, int]:
        """(features matching, features) for the "12 of 40 features" status."""
        result, features = self._filter_state()
        return int((result.mask & features).sum()), int(features.sum())

    def not_drawn_mask(self) -> np.ndarray:
        """(n_elements,) bool: hidden by the user or filtered out; what the visual leaves out."""
        result, features = self._filter_state()
        if result.error or not self.feature_filter.strip():
            return self.hidden_mask()
        return self.hidden_mask() | (~result.mask & features)

    # --- description and colouring --------------------------------------------------------------
    def describe_element(self, index: int) -> dict[str, Any]:
        e = self.elements[index]
        out: dict[str, Any] = {"layer": self.name, "class": e.ifc_class, "name": e.name,
                               "GlobalId" if self.kind == "bim" else "id": e.id}
        if e.storey:
            out["storey"] = e.storey
        if e.material:
            out["material"] = e.material
        out.update(e.properties)
        return out

    def element_values(self, mode: str) -> list[Any]:
        """Per-element value a colour mode maps: class, storey, material or property:<key>."""
        if mode == "class":
            return [e.ifc_class or "(none)" for e in self.elements]
        if mode in ("storey", "material"):
            return [getattr(e, mode) or "(none)" for e in self.elements]
        if mode.startswith("property:"):
            key = mode[len("property:"):]
            return [e.properties.get(key) for e in self.elements]
        raise ValueError(f"unknown colour mode {mode}")

    def available_color_modes(self, max_properties: int = 1000) -> list[str]:
        """Every property the sampled elements have (the chooser groups and searches them), most common first."""
        modes = ["default", "elevation"]
        els = self.elements
        if not els:
            return modes
        if self.data.get("comparison_status") is not None:  # compared with a scan (app.model.comparison)
            modes.append("status")
        if self.data.get("schedule_status") is not None:  # and a schedule linked to it (app.model.schedule_progress)
            modes.append("schedule_status")
        for key in ("class", "storey", "material"):
            if any(v != "(none)" for v in self.element_values(key)):
                modes.append(key)
        # A few elements of each class find the common keys; reading every element's property
        # sets (lazy for IFC) could take seconds on the GUI thread for a large model.
        per_class: dict[str, int] = {}
        counts: dict[str, int] = {}
        for e in els:
            seen = per_class.get(e.ifc_class, 0)
            if seen >= 8:
                continue
            per_class[e.ifc_class] = seen + 1
            for k in e.properties:
                counts[k] = counts.get(k, 0) + 1
        keys = sorted(counts, key=lambda k: (-counts[k], k))[:max_properties]
        return modes + [f"property:{k}" for k in sorted(keys)]


@dataclass(eq=False)
class BimLayer(MeshLayer):
    kind: ClassVar[str] = "bim"
    color_modes: ClassVar[tuple[str, ...]] = ("default", "class", "storey", "material", "elevation")


@dataclass(eq=False)
class CityModelLayer(MeshLayer):
    kind: ClassVar[str] = "citymodel"


@dataclass(eq=False)
class TilesetLayer(MeshLayer):
    """A tileset merged at its finest level (MeshLayer data), or streamed: then `data` holds
    `tree` (loaders.tile_tree.TileTree), `matrix` (4x4 tileset world -> scene ENU), `bounds`
    ((2,3) ENU) and `preloaded` ({tile index: parsed contents}) and the visual picks tiles per
    frame. `max_sse` (pixels) and `memory_budget_mb` steer that streaming."""

    max_sse: float = 16.0
    memory_budget_mb: float = 512.0
    point_size: float = 3.0  # streamed point tiles (COPC, pnts): the base size, grown near the camera

    kind: ClassVar[str] = "tileset"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.max_sse = float(min(1000.0, max(0.5, self.max_sse)))
        self.memory_budget_mb = float(max(0.01, self.memory_budget_mb))
        self.point_size = float(min(20.0, max(1.0, self.point_size)))

    @property
    def streamed(self) -> bool:
        return self.data.get("tree") is not None

    def bounds(self) -> np.ndarray | None:
        if self.streamed:
            return self.data.get("bounds")
        return super().bounds()

    def available_color_modes(self, max_properties: int = 40) -> list[str]:
        """Streamed: the properties tileset.json declares, plus those of the tiles read at open."""
        if not self.streamed:
            return super().available_color_modes(max_properties)
        names = dict.fromkeys(getattr(self.data["tree"], "properties", {}) or {})
        for contents in (self.data.get("preloaded") or {}).values():
            for content in contents:
                names.update(dict.fromkeys(getattr(content, "properties", None) or {}))
        names.update(dict.fromkeys(self.data.get("seen_properties") or {}))  # of the tiles drawn so far
        return ["default", "elevation"] + [f"property:{k}" for k in sorted(names)[:max_properties]]

    def counts(self) -> dict[str, int]:
        if self.streamed:
            return {"tiles": len(self.data["tree"].nodes), "triangles": int(self.data.get("triangles", 0))}
        return {**super().counts(), "tiles": int(self.data.get("tiles", 0))}


@dataclass(eq=False)
class MissingLayer(Layer):
    """A project layer whose file was found at none of its paths. It draws nothing and is kept
    so that saving never drops it: `get_state()` and `source` give back what the project held.
    `tried` lists the paths looked at (shown in the layer tree; Locate... re-links the file)."""

    kind: ClassVar[str] = "missing"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.saved_state: dict[str, Any] = {}
        self.tried: list[str] = []

    def get_state(self) -> dict[str, Any]:
        return dict(self.saved_state) if self.saved_state else super().get_state()


def clean_view_side(value: Any) -> str:
    """One of VIEW_SIDES; anything else (a hand-edited project, an older version) is "auto"."""
    return value if isinstance(value, str) and value in VIEW_SIDES else "auto"


def _clean_limits(limits: Any) -> dict[str, tuple[float, float]]:
    """{mode: (lo, hi)} with floats and lo < hi; anything else (a hand-edited project) is dropped."""
    out: dict[str, tuple[float, float]] = {}
    for mode, pair in dict(limits or {}).items():
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError):
            continue
        if np.isfinite(lo) and np.isfinite(hi) and lo < hi:
            out[str(mode)] = (lo, hi)
    return out


_ELEMENT_FIELDS = {"class": "ifc_class", "name": "name", "id": "id", "storey": "storey", "material": "material"}


def _element_value(e: ElementInfo, name: str) -> Any:
    """A property for filters: the element's own properties first, then class/name/id/storey/material."""
    value = e.properties.get(name)
    if value is None and name in _ELEMENT_FIELDS:
        value = getattr(e, _ELEMENT_FIELDS[name]) or None
    return value


def layer_class_for(data: LayerData) -> type[Layer]:
    return {"pointcloud": PointCloudLayer, "bim": BimLayer, "tileset": TilesetLayer, "tile": TilesetLayer,
            "citymodel": CityModelLayer}.get(
        data.kind, MeshLayer
    )


def element_bounds(layer: MeshLayer, indices: list[int]) -> np.ndarray | None:
    """(2,3) bounds of some elements' faces, for zoom-to from the model tree."""
    fe = layer.data.get("face_element")
    if fe is None or not indices:
        return None
    faces = layer.data["faces"][np.isin(np.asarray(fe), np.asarray(indices))]
    if not len(faces):
        return None
    v = layer.data["vertices"][np.unique(faces)]
    return np.array([v.min(0), v.max(0)])
