"""Layers: small evented fields (name, visibility, opacity, colour mode) plus heavy arrays.

Heavy arrays are not evented fields: replacing them emits `data_changed`. A layer never holds
its VTK actor; the canvas maps layer types to visual classes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
from psygnal import Signal, SignalGroupDescriptor

from loaders.base import ElementInfo, LayerData

ASPRS_CLASSES = {
    0: "Never classified", 1: "Unclassified", 2: "Ground", 3: "Low vegetation", 4: "Medium vegetation",
    5: "High vegetation", 6: "Building", 7: "Low point (noise)", 8: "Model key-point", 9: "Water",
    10: "Rail", 11: "Road surface", 12: "Overlap", 13: "Wire guard", 14: "Wire conductor",
    15: "Transmission tower", 16: "Wire connector", 17: "Bridge deck", 18: "High noise",
}


@dataclass(eq=False)
class Layer:
    """Base of every layer kind. Constructor parameters other than `data` are its state."""

    name: str = "layer"
    visible: bool = True
    opacity: float = 1.0
    color_mode: str = "default"
    data: Any = field(default=None, repr=False, metadata={"state": False})

    kind: ClassVar[str] = "layer"
    color_modes: ClassVar[tuple[str, ...]] = ("default",)
    events: ClassVar[SignalGroupDescriptor] = SignalGroupDescriptor()
    data_changed: ClassVar[Signal] = Signal()

    def __post_init__(self) -> None:
        self.opacity = float(min(1.0, max(0.0, self.opacity)))
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

    def counts(self) -> dict[str, int]:
        return {}


@dataclass(eq=False)
class PointCloudLayer(Layer):
    """data: dict(positions=(N,3) float64 ENU, colors=(N,3) uint8|None, attributes={name: (N,)})."""

    color_mode: str = "rgb"
    point_size: float = 3.0

    kind: ClassVar[str] = "pointcloud"
    color_modes: ClassVar[tuple[str, ...]] = ("rgb", "elevation", "intensity", "classification")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data is None:
            self.data = {"positions": np.zeros((0, 3)), "colors": None, "attributes": {}}
        if self.color_mode == "rgb" and self.data.get("colors") is None:
            self.color_mode = "elevation"

    @property
    def positions(self) -> np.ndarray:
        return self.data["positions"]

    def available_color_modes(self) -> list[str]:
        attrs = self.data.get("attributes", {})
        modes = ["elevation"]
        if self.data.get("colors") is not None:
            modes.insert(0, "rgb")
        modes += [m for m in ("intensity", "classification") if m in attrs]
        return modes

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
    """data: dict(vertices=(V,3) float64 ENU, faces=(F,3) int64, vertex_colors, face_element, elements)."""

    color_mode: str = "default"
    show_edges: bool = False

    kind: ClassVar[str] = "mesh"
    color_modes: ClassVar[tuple[str, ...]] = ("default", "elevation")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data is None:
            self.data = {"vertices": np.zeros((0, 3)), "faces": np.zeros((0, 3), np.int64), "elements": []}

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


@dataclass(eq=False)
class BimLayer(MeshLayer):
    kind: ClassVar[str] = "bim"
    color_modes: ClassVar[tuple[str, ...]] = ("default", "elevation")


@dataclass(eq=False)
class TilesetLayer(MeshLayer):
    kind: ClassVar[str] = "tileset"

    def counts(self) -> dict[str, int]:
        return {**super().counts(), "tiles": int(self.data.get("tiles", 0))}


def layer_class_for(data: LayerData) -> type[Layer]:
    return {"pointcloud": PointCloudLayer, "bim": BimLayer, "tileset": TilesetLayer, "tile": TilesetLayer}.get(
        data.kind, MeshLayer
    )
