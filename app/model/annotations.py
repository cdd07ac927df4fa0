"""Measurements, annotations and the section (clipping plane or box): scene state saved with the
project. No Qt, no VTK.

Everything here is in scene ENU metres, like layers and bookmarks, so it moves with
`Scene.move_origin` (`transformed`). `scene.annotations` holds Measurement and Annotation objects
in one evented list (the dock lists both); `scene.section` is a Section or None. The project keeps
them as top-level `annotations` (a list of objects with a `type`) and `section` keys; `check_*`
validate them on read with the project schema's rules, so a hand-edited file gets a readable message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from app.analysis import measure
from app.model.project_schema import SchemaError, number, obj, seq, text, vector

MARKERS = ("pin", "flag", "dot", "info", "warning", "none")
DEFAULT_COLOR = "#ffcc33"
MAX_ITEMS = 10_000
MAX_POINTS = 10_000
Vec = tuple[float, float, float]


def _vec(v: Any) -> Vec:
    a = np.asarray(v, dtype=np.float64).reshape(3)
    return (float(a[0]), float(a[1]), float(a[2]))


def _moved(matrix: np.ndarray, pts: list[Vec]) -> list[Vec]:
    if not pts:
        return []
    p = np.asarray(pts, dtype=np.float64)
    return [_vec(q) for q in p @ matrix[:3, :3].T + matrix[:3, 3]]


def _color(value: str) -> str:
    v = value.strip()
    if len(v) != 7 or v[0] != "#" or any(c not in "0123456789abcdefABCDEF" for c in v[1:]):
        raise ValueError(f"colour must be #rrggbb, not {value!r}")
    return v.lower()


@dataclass(eq=False)
class Measurement:
    """A measurement the user took: its kind (app.analysis.measure.KINDS) and picked points.
    A height keeps the point and the ground point found under it, so it reopens without the data."""

    kind: str
    points: list[Vec]
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in measure.KINDS:
            raise ValueError(f"unknown measurement kind {self.kind!r}")
        self.points = [_vec(p) for p in self.points]

    def values(self) -> list[tuple[str, float, str]]:
        """(label, value, unit) rows: what the dock and the label in the view show."""
        p = self.points
        if self.kind == "distance" and len(p) >= 2:
            d = measure.distance(p[0], p[1])
            return [("distance", d.direct, "m"), ("horizontal", d.horizontal, "m"), ("vertical", d.vertical, "m")]
        if self.kind == "height" and len(p) >= 2:
            return [("height above ground", p[0][2] - p[1][2], "m")]
        if self.kind == "polyline" and len(p) >= 2:
            length, flat = measure.polyline_length(p)
            return [("length", length, "m"), ("horizontal length", flat, "m")]
        if self.kind == "polygon" and len(p) >= 3:
            return [("area (horizontal)", measure.horizontal_area(p), "m\u00b2"),
                    ("area (surface)", measure.surface_area(p), "m\u00b2"),
                    ("perimeter", measure.polyline_length(p + p[:1])[0], "m")]
        if self.kind == "angle" and len(p) >= 3:
            return [("angle", measure.angle(p[0], p[1], p[2]), "\u00b0")]
        if self.kind == "point" and p:
            return [("E", p[0][0], "m"), ("N", p[0][1], "m"), ("U", p[0][2], "m")]
        return []

    def label(self) -> str:
        """The one-line label drawn in the view: the main value with its unit."""
        rows = self.values()
        if not rows:
            return ""
        name, value, unit = rows[0]
        if self.kind == "distance":
            return f"{value:.2f} m  (\u2194 {rows[1][1]:.2f}, \u2195 {rows[2][1]:+.2f})"
        if self.kind == "point":
            return f"E {rows[0][1]:.2f}  N {rows[1][1]:.2f}  U {rows[2][1]:.2f} m"
        if self.kind == "polygon":  # the surface area too where the polygon is not level
            flat = abs(rows[1][1] - value) <= 0.005 * max(value, 1e-9)
            return f"{value:.1f} m\u00b2" + ("" if flat else f" (surface {rows[1][1]:.1f} m\u00b2)")
        if self.kind == "angle":
            return f"{value:.1f}\u00b0"
        return f"{value:.2f} {unit}"

    def anchor(self) -> Vec:
        """Where its label sits: the middle of a segment, a polygon's centre, the vertex of an angle."""
        p = np.asarray(self.points, dtype=np.float64)
        if self.kind == "angle" and len(p) >= 3:
            return _vec(p[1])
        if self.kind in ("distance", "height") and len(p) >= 2:
            return _vec((p[0] + p[1]) / 2)
        if self.kind == "polyline" and len(p) >= 2:
            return _vec(p[-1])
        return _vec(p.mean(axis=0)) if len(p) else (0.0, 0.0, 0.0)

    def transformed(self, matrix: np.ndarray) -> "Measurement":
        return Measurement(self.kind, _moved(matrix, self.points), self.name)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "measurement", "kind": self.kind, "name": self.name, "points": [list(p) for p in self.points]}


@dataclass(eq=False)
class Annotation:
    """A label anchored at a 3D point: text, colour (#rrggbb) and a marker kind (MARKERS)."""

    text: str
    anchor: Vec
    color: str = DEFAULT_COLOR
    marker: str = "pin"

    def __post_init__(self) -> None:
        self.anchor = _vec(self.anchor)
        self.color = _color(self.color)
        if self.marker not in MARKERS:
            raise ValueError(f"marker must be one of {MARKERS}, not {self.marker!r}")

    def transformed(self, matrix: np.ndarray) -> "Annotation":
        return Annotation(self.text, _moved(matrix, [self.anchor])[0], self.color, self.marker)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "annotation", "text": self.text, "anchor": list(self.anchor), "color": self.color,
                "marker": self.marker}


Item = Union[Measurement, Annotation]


def item_from_dict(d: dict[str, Any]) -> Item:
    if d.get("type") == "annotation":
        return Annotation(str(d["text"]), _vec(d["anchor"]), str(d.get("color", DEFAULT_COLOR)), str(d.get("marker", "pin")))
    return Measurement(str(d["kind"]), [_vec(p) for p in d["points"]], str(d.get("name", "")))


@dataclass
class Section:
    """A clipping plane (keeps the side the normal points to) or a box (keeps its inside).

    The box is a centre, half sizes along its own axes and `axes` (3x3, rows = the box's x, y, z
    axes in ENU), so a box turned to follow a street stays turned."""

    kind: str = "box"  # "plane" or "box"
    origin: Vec = (0.0, 0.0, 0.0)  # the plane's point, or the box's centre
    normal: Vec = (1.0, 0.0, 0.0)  # plane only
    half_size: Vec = (10.0, 10.0, 10.0)  # box only
    axes: tuple[Vec, Vec, Vec] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    enabled: bool = True
    outline: bool = True  # draw the cut's outline on meshes

    def __post_init__(self) -> None:
        if self.kind not in ("plane", "box"):
            raise ValueError(f"section kind must be plane or box, not {self.kind!r}")
        self.origin = _vec(self.origin)
        n = np.asarray(self.normal, dtype=np.float64).reshape(3)
        if not np.linalg.norm(n) > 0:
            raise ValueError("the section plane's normal must not be zero")
        self.normal = _vec(n / np.linalg.norm(n))
        self.half_size = _vec(np.maximum(np.abs(np.asarray(self.half_size, dtype=np.float64)), 1e-3))
        a = np.asarray(self.axes, dtype=np.float64).reshape(3, 3)
        u, _, vt = np.linalg.svd(a)  # the nearest rotation: a hand-edited or drifted matrix stays orthonormal
        r = u @ vt
        if np.linalg.det(r) < 0:
            r[2] = -r[2]
        self.axes = (_vec(r[0]), _vec(r[1]), _vec(r[2]))

    @classmethod
    def box_from_bounds(cls, lo: Any, hi: Any) -> "Section":
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        return cls("box", origin=_vec((lo + hi) / 2), half_size=_vec((hi - lo) / 2))

    def planes(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(point, normal) of each plane, normals pointing to what stays (VTK's clipping convention)."""
        o = np.asarray(self.origin)
        if self.kind == "plane":
            return [(o, np.asarray(self.normal))]
        out = []
        for axis, h in zip(np.asarray(self.axes), self.half_size):
            out.append((o - axis * h, axis.copy()))
            out.append((o + axis * h, -axis))
        return out

    def corners(self) -> np.ndarray:
        """The box's 8 corners in ENU (plane: its origin)."""
        o = np.asarray(self.origin)
        if self.kind == "plane":
            return o.reshape(1, 3)
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=np.float64)
        return o + (signs * np.asarray(self.half_size)) @ np.asarray(self.axes)

    def keeps(self, pts: np.ndarray) -> np.ndarray:
        """Which points the section keeps (a small tolerance on the planes)."""
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
        keep = np.ones(len(p), dtype=bool)
        for q, n in self.planes():
            keep &= (p - q) @ n >= -1e-9
        return keep

    def transformed(self, matrix: np.ndarray) -> "Section":
        rot = matrix[:3, :3]
        return Section(self.kind, _moved(matrix, [self.origin])[0], _vec(rot @ np.asarray(self.normal)), self.half_size,
                       tuple(_vec(rot @ np.asarray(a)) for a in self.axes), self.enabled, self.outline)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "origin": list(self.origin), "enabled": self.enabled, "outline": self.outline}
        if self.kind == "plane":
            d["normal"] = list(self.normal)
        else:
            d["half_size"] = list(self.half_size)
            d["axes"] = [list(a) for a in self.axes]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Section":
        kw: dict[str, Any] = {"kind": str(d.get("kind", "box")), "origin": _vec(d["origin"]),
                              "enabled": bool(d.get("enabled", True)), "outline": bool(d.get("outline", True))}
        if "normal" in d:
            kw["normal"] = _vec(d["normal"])
        if "half_size" in d:
            kw["half_size"] = _vec(d["half_size"])
        if "axes" in d:
            kw["axes"] = tuple(_vec(a) for a in d["axes"])
        return cls(**kw)


# --- project schema ---------------------------------------------------------------------------------
def check_annotations(value: Any, key: str = "annotations") -> None:
    items = seq(value, key, optional=True)
    if len(items) > MAX_ITEMS:
        raise SchemaError(key, f"more than {MAX_ITEMS} items")
    for i, entry in enumerate(items):
        k = f"{key}[{i}]"
        entry = obj(entry, k)
        kind = entry.get("type")
        if kind == "annotation":
            text(entry.get("text"), f"{k}.text")
            vector(entry.get("anchor"), f"{k}.anchor")
            try:
                _color(text(entry.get("color", DEFAULT_COLOR), f"{k}.color") or "")
            except ValueError as exc:
                raise SchemaError(f"{k}.color", str(exc)) from None
            if entry.get("marker", "pin") not in MARKERS:
                raise SchemaError(f"{k}.marker", f"expected one of {', '.join(MARKERS)}, got {entry.get('marker')!r}")
        elif kind == "measurement":
            if entry.get("kind") not in measure.KINDS:
                raise SchemaError(f"{k}.kind", f"expected one of {', '.join(measure.KINDS)}, got {entry.get('kind')!r}")
            text(entry.get("name", ""), f"{k}.name")
            pts = seq(entry.get("points"), f"{k}.points")
            if not 1 <= len(pts) <= MAX_POINTS:
                raise SchemaError(f"{k}.points", f"expected 1 to {MAX_POINTS} points, got {len(pts)}")
            for j, p in enumerate(pts):
                vector(p, f"{k}.points[{j}]")
        else:
            raise SchemaError(f"{k}.type", f"expected \"measurement\" or \"annotation\", got {kind!r}")


def check_section(value: Any, key: str = "section") -> None:
    if value is None:
        return
    sec = obj(value, key)
    if sec.get("kind") not in ("plane", "box"):
        raise SchemaError(f"{key}.kind", f"expected \"plane\" or \"box\", got {sec.get('kind')!r}")
    vector(sec.get("origin"), f"{key}.origin")
    for name in ("enabled", "outline"):
        if name in sec and not isinstance(sec[name], bool):
            raise SchemaError(f"{key}.{name}", f"expected true or false, got {sec[name]!r}")
    if sec["kind"] == "plane":
        if not any(vector(sec.get("normal"), f"{key}.normal")):
            raise SchemaError(f"{key}.normal", "must not be the zero vector")
    else:
        for i, h in enumerate(vector(sec.get("half_size"), f"{key}.half_size")):
            number(h, f"{key}.half_size[{i}]", 1e-3, 1e7)
        if "axes" in sec:
            axes = seq(sec["axes"], f"{key}.axes")
            if len(axes) != 3:
                raise SchemaError(f"{key}.axes", f"expected 3 axes, got {len(axes)}")
            m = np.array([vector(a, f"{key}.axes[{i}]", bound=10.0) for i, a in enumerate(axes)])
            if abs(np.linalg.det(m)) < 1e-6:
                raise SchemaError(f"{key}.axes", "are not independent (a flat box)")


def parse_annotations(value: Any) -> list[Item]:
    return [item_from_dict(d) for d in (value or [])]


def parse_section(value: Any) -> Section | None:
    return Section.from_dict(value) if value else None


def transform_all(matrix: np.ndarray, items: list[Item]) -> list[Item]:
    return [item.transformed(matrix) for item in items]


__all__ = ["Annotation", "Item", "MARKERS", "Measurement", "Section", "check_annotations", "check_section",
           "item_from_dict", "parse_annotations", "parse_section", "transform_all"]
