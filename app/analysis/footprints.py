"""Buildings of a mesh layer as footprints and heights: per element (a CityJSON building, an IFC
element, a tile feature), the convex hull of its vertices seen from above, its lowest and highest
point, and a `height` property where the feature has one. Used by the flood (buildings the water
reaches) and the height limits (buildings that rise above them). No Qt, no VTK."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

HEIGHT_KEYS = ("height", "measuredHeight", "Height", "building:height", "HEIGHT")


@dataclass
class Footprint:
    index: int  # element index in its layer (-1: the whole mesh)
    name: str
    polygon: Any  # shapely Polygon in scene ENU (x, y)
    base: float  # lowest z (scene ENU)
    top: float  # highest z (scene ENU)
    height_property: float | None = None  # the feature's own height attribute (m), if it has one

    @property
    def height(self) -> float:
        """Height above its ground: the feature's attribute where it has one, else top - base."""
        return self.height_property if self.height_property is not None else self.top - self.base


def _height_property(props: dict[str, Any]) -> float | None:
    for key in HEIGHT_KEYS:
        for k, v in props.items():
            if k == key or k.endswith("." + key):
                try:
                    value = float(v)
                except (TypeError, ValueError):
                    continue
                if np.isfinite(value) and value > 0:
                    return value
    return None


def mesh_footprints(data: dict[str, Any], min_area: float = 1.0, skip_classes: tuple[str, ...] = ("terrain",),
                    whole: bool = False, name: str = "mesh") -> list[Footprint]:
    """Footprints of a mesh layer's elements (or of the whole mesh when it has none, or `whole`: an
    IFC model is one building, not 60 walls and slabs). Elements with a footprint under `min_area`
    m2 (a lamp post, a sliver) or named like terrain are left out."""
    import shapely

    vertices = np.asarray(data.get("vertices", np.zeros((0, 3))), dtype=np.float64)
    faces = np.asarray(data.get("faces", np.zeros((0, 3))), dtype=np.int64)
    fe = data.get("face_element")
    elements = data.get("elements") or []
    if not len(faces):
        return []
    if fe is None or not elements or whole:
        groups = [(-1, faces)]
    else:
        fe = np.asarray(fe)
        order = np.argsort(fe, kind="stable")
        cuts = np.flatnonzero(np.diff(fe[order])) + 1
        groups = [(int(fe[idx[0]]), faces[idx]) for idx in np.split(order, cuts) if len(idx) and fe[idx[0]] >= 0]
    out = []
    for index, f in groups:
        element = elements[index] if 0 <= index < len(elements) else None
        label = (element.name or element.id) if element is not None else name
        kind = (element.ifc_class if element is not None else "").lower()
        if any(s in kind or s in label.lower() for s in skip_classes):
            continue
        v = vertices[np.unique(f)]
        hull = shapely.MultiPoint(v[:, :2]).convex_hull
        if hull.area < min_area:
            continue
        out.append(Footprint(index, str(label), hull, float(v[:, 2].min()), float(v[:, 2].max()),
                             _height_property(element.properties) if element is not None else None))
    return out


def element_indices(index: int, n_elements: int) -> list[int]:
    """The elements to highlight for a footprint: its own, or all of them for a whole-model one."""
    return list(range(n_elements)) if index < 0 else [index]
