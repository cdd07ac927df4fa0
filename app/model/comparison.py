"""A scan-versus-design comparison as part of the scene: a layer that holds the result and
applies it to the layers it compared. No Qt, no VTK.

Why a layer: results are layers saved with the project (ARCHITECTURE "derived layers"); the
layer tree lists the comparison, Remove takes its colouring away, Undo brings it back, and the
project saves its arrays in sidecar files (app.model.derived) and reattaches them on reopen
without recomputing.

What it applies (GUI thread only, `attach`):
- the scan PointCloudLayer gets attribute `deviation_m` (float32, NaN = far), the settings in
  `data["comparison"]` (tolerance, far cut-off) and colour mode "deviation";
- each BIM layer gets per-element properties `Comparison.*` (shown by the properties dock),
  `data["comparison_status"]` (one status per element, "not judged" where the engine gave none)
  and colour mode "status".
Layers are found by name, elements by GlobalId, so a reopened project (whose layers load in
any order, streamed IFC snapshots replacing their data) gets the same result back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

import numpy as np

from app.model.layers import Layer, MeshLayer, PointCloudLayer

DEVIATION_ATTR = "deviation_m"
DEVIATION_MODE = "deviation"
STATUS_MODE = "status"
STATUSES = ("built", "partial", "missing", "deviating")
NOT_JUDGED = "not judged"
STATUS_ORDER = STATUSES + (NOT_JUDGED,)
PREFIX = "Comparison."
TEXT_COLUMNS = ("guid", "ifc_class", "name", "storey", "status")
NUMBER_COLUMNS = ("coverage", "mean_distance", "max_distance")
COUNT_COLUMNS = ("observable_cells", "exposed_cells")


@dataclass
class ComparisonData:
    """The engine's answer in plain arrays (what the sidecar holds).

    `table` has one row per judged element: `layer` (index into ComparisonLayer.design), the
    text columns (guid, ifc_class, name, storey, status), coverage, points, mean_distance,
    max_distance (m) and offset ((E,3) m)."""

    distance: np.ndarray  # (N,) float32 signed metres, NaN = far
    element: np.ndarray  # (N,) int32 row of `table` the point's nearest surface belongs to, -1 none
    edges: np.ndarray  # histogram bin edges (m)
    counts: np.ndarray  # points per bin (non-far points)
    table: dict[str, np.ndarray]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def n_elements(self) -> int:
        return int(len(self.table.get("guid", ())))

    def rows(self) -> list[dict[str, Any]]:
        """Element rows as the report's `elements` (guid, ifc_class, ..., offset)."""
        t = self.table
        out = []
        for i in range(self.n_elements):
            row: dict[str, Any] = {k: str(t[k][i]) for k in TEXT_COLUMNS}
            row.update({k: _number(t[k][i]) for k in NUMBER_COLUMNS})
            row["points"] = int(t["points"][i])
            row["offset"] = [float(v) for v in t["offset"][i]]
            row["layer"] = int(t["layer"][i])
            row.update({k: int(t[k][i]) for k in COUNT_COLUMNS if k in t})
            out.append(row)
        return out

    def status_counts(self) -> dict[str, int]:
        status = self.table.get("status", np.zeros(0, dtype=str))
        return {s: int(np.count_nonzero(status == s)) for s in STATUSES}

    def point_counts(self, tolerance: float) -> dict[str, int]:
        """Points within +/- tolerance, beyond it (negative / positive side) and far."""
        d = self.distance
        near = np.isfinite(d)
        return {"within": int(np.count_nonzero(near & (np.abs(d) <= tolerance))),
                "below": int(np.count_nonzero(near & (d < -tolerance))),
                "above": int(np.count_nonzero(near & (d > tolerance))),
                "far": int(np.count_nonzero(~near))}


def _number(value: Any) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None


def data_from_result(result: Any) -> ComparisonData:
    """app.analysis.compare.ComparisonResult (with per-point arrays kept) -> ComparisonData."""
    design, verdicts = result.design, result.verdicts
    n = len(verdicts)
    layer_of = np.asarray(design.layer_of_element, dtype=np.int64)
    table: dict[str, np.ndarray] = {
        "layer": np.array([int(layer_of[v.index]) for v in verdicts], dtype=np.int32).reshape(n),
        "guid": np.array([design.elements[v.index].id for v in verdicts], dtype=str).reshape(n),
        "ifc_class": np.array([design.elements[v.index].ifc_class for v in verdicts], dtype=str).reshape(n),
        "name": np.array([design.elements[v.index].name for v in verdicts], dtype=str).reshape(n),
        "storey": np.array([design.elements[v.index].storey for v in verdicts], dtype=str).reshape(n),
        "status": np.array([v.status for v in verdicts], dtype=str).reshape(n),
        "coverage": np.array([v.coverage for v in verdicts], dtype=np.float64).reshape(n),
        "points": np.array([v.points for v in verdicts], dtype=np.int64).reshape(n),
        "mean_distance": np.array([v.mean_distance for v in verdicts], dtype=np.float64).reshape(n),
        "max_distance": np.array([v.max_distance for v in verdicts], dtype=np.float64).reshape(n),
        "offset": np.array([tuple(v.offset) for v in verdicts], dtype=np.float64).reshape(n, 3),
    }
    for extra in COUNT_COLUMNS:  # the engine's cell counts, where it gives them (kept for the report)
        table[extra] = np.array([int(getattr(v, extra, 0)) for v in verdicts], dtype=np.int64).reshape(n)
    row_of_element = np.full(len(design.elements) + 1, -1, dtype=np.int32)
    row_of_element[[v.index for v in verdicts]] = np.arange(n, dtype=np.int32)
    element = np.asarray(result.element if result.element is not None else [], dtype=np.int64)
    per_point = row_of_element[np.where(element >= 0, element, len(design.elements))]
    edges, counts = result.histogram
    summary = json.loads(json.dumps(result.summary, default=_json_default))  # plain JSON types only
    return ComparisonData(np.asarray(result.distance, dtype=np.float32), per_point.astype(np.int32),
                          np.asarray(edges, dtype=np.float64), np.asarray(counts, dtype=np.int64), table, summary)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


@dataclass(eq=False)
class ComparisonLayer(Layer):
    """One comparison: which scan layer (`scan`), which BIM layers (`design`), its settings; `data`
    is a ComparisonData, or None while it is still to be computed (a project that asks for it)."""

    scan: str = ""
    design: tuple[str, ...] = ()
    tolerance: float = 0.05
    max_distance: float = 1.0
    stations: str = ""  # scanner positions as the user typed them ("x, y, z; ..." in the display CRS)

    kind: ClassVar[str] = "comparison"
    color_modes: ClassVar[tuple[str, ...]] = ("default",)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.design = tuple(str(d) for d in self.design)
        self.tolerance = float(self.tolerance)
        self.max_distance = float(self.max_distance)
        self.result: Any = None  # the live ComparisonResult when computed in this session (reports)
        self.attached: list[Layer] = []  # the layers it coloured, to undo that on removal
        self.attached_before = False  # applied once already (a reopened project): keep the saved colour modes

    @property
    def computed(self) -> bool:
        return isinstance(self.data, ComparisonData)

    def counts(self) -> dict[str, int]:
        if not self.computed:
            return {}
        return {**{k: v for k, v in self.data.status_counts().items()}, "points": int(len(self.data.distance))}

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["design"] = list(self.design)
        return state

    def settings(self) -> dict[str, float]:
        return {"tolerance": self.tolerance, "max_distance": self.max_distance}


def find_layer(layers: Iterable[Layer], name: str, kind: type) -> Layer | None:
    """The last layer of that kind with that name (a re-loaded file replaces an earlier one)."""
    found = None
    for layer in layers:
        if isinstance(layer, kind) and layer.name == name:
            found = layer
    return found


def apply_deviation(scan: PointCloudLayer, comp: ComparisonLayer, set_mode: bool = True) -> bool:
    """Give the scan its deviations; False when the cloud does not match (another file, or not
    fully loaded). Emits data_changed only when something changed (no event loop on reattach)."""
    data: ComparisonData = comp.data
    if len(scan.positions) != len(data.distance):
        return False
    attrs = scan.data.setdefault("attributes", {})
    info = {"tolerance": comp.tolerance, "max_distance": comp.max_distance, "layer": comp.name}
    if attrs.get(DEVIATION_ATTR) is data.distance and scan.data.get("comparison") == info:
        return True
    attrs[DEVIATION_ATTR] = data.distance
    scan.data["comparison"] = info
    scan.data.pop("value_ranges", None)
    scan.data_changed.emit()
    if set_mode:
        scan.color_mode = DEVIATION_MODE
    return True


def apply_verdicts(mesh: MeshLayer, comp: ComparisonLayer, layer_index: int, set_mode: bool = True) -> int:
    """Per-element results as `Comparison.*` properties and a status per element; returns how
    many elements were matched by GlobalId."""
    data: ComparisonData = comp.data
    t = data.table
    rows = np.flatnonzero(t["layer"] == layer_index)
    by_guid = {str(t["guid"][r]): int(r) for r in rows}
    status = np.array([NOT_JUDGED] * len(mesh.elements), dtype=object)
    matched = 0
    for i, element in enumerate(mesh.elements):
        r = by_guid.get(element.id)
        props = element.properties
        if r is None:
            for key in [k for k in dict.keys(props) if str(k).startswith(PREFIX)]:
                dict.pop(props, key)
            continue
        matched += 1
        status[i] = str(t["status"][r])
        values = {"Status": status[i], "Coverage": round(float(t["coverage"][r]), 4), "Points": int(t["points"][r]),
                  "MeanDistance_m": _rounded(t["mean_distance"][r]), "MaxDistance_m": _rounded(t["max_distance"][r]),
                  "Offset_m": ", ".join(f"{round(float(v), 3) + 0.0:.3f}" for v in t["offset"][r]), "Tolerance_m": comp.tolerance}
        for key, value in values.items():
            dict.__setitem__(props, PREFIX + key, value)  # no lazy read of the IFC property sets here
    before = mesh.data.get("comparison_status")
    mesh.data["comparison_status"] = status
    mesh.data["comparison"] = {"tolerance": comp.tolerance, "layer": comp.name}
    if before is None or len(before) != len(status) or (before != status).any():
        mesh.data_changed.emit()
    if set_mode and matched:
        mesh.color_mode = STATUS_MODE
    return matched


def _rounded(value: Any) -> float | None:
    v = float(value)
    return round(v, 4) + 0.0 if np.isfinite(v) else None  # + 0.0: never "-0"


def attach(comp: ComparisonLayer, layers: Iterable[Layer], set_modes: bool = True) -> list[Layer]:
    """Apply a computed comparison to the scan and BIM layers present now (GUI thread). Returns
    the layers it applied to; missing ones are applied when they arrive (call again)."""
    if not comp.computed:
        return []
    layers = list(layers)
    before = list(comp.attached)  # as it was on entry: a data_changed handler may attach again meanwhile
    done: list[Layer] = []
    scan = find_layer(layers, comp.scan, PointCloudLayer)
    if scan is not None and apply_deviation(scan, comp, set_modes and not _among(before, scan)):
        done.append(scan)
    for j, name in enumerate(comp.design):
        mesh = find_layer(layers, name, MeshLayer)
        if mesh is not None and mesh.elements and apply_verdicts(mesh, comp, j, set_modes and not _among(before, mesh)):
            done.append(mesh)
    comp.attached = done
    return done


def _among(layers: list[Layer], layer: Layer) -> bool:
    return any(layer is other for other in layers)


def detach(comp: ComparisonLayer) -> None:
    """Take the comparison's colouring and properties off the layers it was applied to. Colour
    modes are left as they are (no undo steps of their own): without the data, "deviation" and
    "status" draw as the layer's plain colours, and an undone removal shows them again."""
    for layer in comp.attached:
        if isinstance(layer, PointCloudLayer) and layer.data.get("comparison", {}).get("layer") == comp.name:
            layer.data.get("attributes", {}).pop(DEVIATION_ATTR, None)
            layer.data.pop("comparison", None)
            layer.data_changed.emit()
        elif isinstance(layer, MeshLayer) and layer.data.get("comparison", {}).get("layer") == comp.name:
            for element in layer.elements:
                for key in [k for k in dict.keys(element.properties) if str(k).startswith(PREFIX)]:
                    dict.pop(element.properties, key)
            layer.data.pop("comparison_status", None)
            layer.data.pop("comparison", None)
            layer.data_changed.emit()
    comp.attached = []


def beyond_tolerance_mask(layer: PointCloudLayer) -> np.ndarray | None:
    """(N,) True for points the "only beyond tolerance" filter keeps (|d| > tolerance, not far);
    None when the filter is off or the cloud has no deviations."""
    d = layer.data.get("attributes", {}).get(DEVIATION_ATTR)
    info = layer.data.get("comparison")
    if not getattr(layer, "only_beyond_tolerance", False) or d is None or not info:
        return None
    with np.errstate(invalid="ignore"):
        return np.abs(d) > float(info["tolerance"])
