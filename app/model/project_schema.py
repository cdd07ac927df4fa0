"""The project file's schema, checked on read before anything is built from it.

Why a checker of its own: a project is JSON written by hand as often as by the program, and a
bad value (a camera position "x", a NaN, a zero view-up, a point size of -3) used to travel
into VTK or pyproj and come back as a traceback. Each rule here names the key path it rejects
(`camera.position[0]: expected a number, got "x"`), so the message says what to fix.

Layer state keys are the layer classes' own constructor fields (so a field added to a layer
is known here at once); their JSON type follows the field's default, and a few have ranges.
Unknown state keys are left alone: `_apply_state` ignores them and a missing layer keeps them.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, fields
from typing import Any

MAX_DEPTH = 64  # no valid project nests deeper than a dozen levels
MAX_TEXT = 4096
MAX_COORD_M = 1e9  # camera coordinates: far beyond any scene, still finite in float64 arithmetic

# (low, high) for numeric layer state; both ends included.
STATE_RANGES: dict[str, tuple[float, float]] = {
    "opacity": (0.0, 1.0),
    "point_size": (1.0, 20.0),
    "max_sse": (0.5, 1000.0),
    "memory_budget_mb": (0.01, 1e6),
}
STATE_INT_LISTS: dict[str, tuple[int, int]] = {"hidden_classes": (0, 255), "hidden": (0, 2**31 - 1)}


class SchemaError(ValueError):
    """A project value that does not fit the schema; `key` is the path to it."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else '"' + value.replace('"', '\\"') + '"'
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _fail(key: str, expected: str, value: Any) -> SchemaError:
    return SchemaError(key, f"expected {expected}, got {_show(value) if not isinstance(value, (list, dict)) else _kind(value)}")


def check_depth(doc: Any, limit: int = MAX_DEPTH) -> None:
    """Iterative, so a hostile file cannot make the check itself recurse."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise SchemaError("", f"nested deeper than {limit} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def number(value: Any, key: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(key, "a number", value)
    try:
        out = float(value)
    except OverflowError:
        raise SchemaError(key, "number out of range") from None
    if not math.isfinite(out):
        raise SchemaError(key, f"expected a finite number, got {_show(value)}")
    if not low <= out <= high:
        raise SchemaError(key, f"{out:g} is out of range [{low:g}, {high:g}]")
    return out


def text(value: Any, key: str, *, optional: bool = False, nonempty: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _fail(key, "a string" + (" or null" if optional else ""), value)
    if len(value) > MAX_TEXT:
        raise SchemaError(key, f"string longer than {MAX_TEXT} characters")
    if nonempty and not value.strip():
        raise SchemaError(key, "must not be empty")
    return value


def obj(value: Any, key: str, *, optional: bool = False) -> dict[str, Any]:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise _fail(key, "an object" + (" or null" if optional else ""), value)
    return value


def seq(value: Any, key: str, *, optional: bool = False) -> list[Any]:
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise _fail(key, "a list" + (" or null" if optional else ""), value)
    return value


def vector(value: Any, key: str, n: int = 3, bound: float = MAX_COORD_M) -> tuple[float, ...]:
    items = seq(value, key)
    if len(items) != n:
        raise SchemaError(key, f"expected {n} numbers, got {len(items)}")
    return tuple(number(v, f"{key}[{i}]", -bound, bound) for i, v in enumerate(items))


def check_camera(value: Any, key: str) -> None:
    cam = obj(value, key)
    pos = vector(cam.get("position", [300.0, -300.0, 250.0]), f"{key}.position")
    focal = vector(cam.get("focal_point", [0.0, 0.0, 0.0]), f"{key}.focal_point")
    up = vector(cam.get("view_up", [0.0, 0.0, 1.0]), f"{key}.view_up")
    number(cam.get("view_angle", 30.0), f"{key}.view_angle", 0.1, 179.0)
    d = [p - f for p, f in zip(pos, focal)]
    if not any(d):
        raise SchemaError(f"{key}.position", "equals focal_point: the camera looks nowhere")
    if not any(up):
        raise SchemaError(f"{key}.view_up", "must not be the zero vector")
    cross = (d[1] * up[2] - d[2] * up[1], d[2] * up[0] - d[0] * up[2], d[0] * up[1] - d[1] * up[0])
    norm = math.sqrt(sum(c * c for c in d)) * math.sqrt(sum(u * u for u in up))
    if math.sqrt(sum(c * c for c in cross)) <= 1e-9 * norm:
        raise SchemaError(f"{key}.view_up", "is parallel to the viewing direction")


def check_frame(value: Any, key: str) -> None:
    frame = obj(value, key, optional=True)
    origin = frame.get("origin_lla")
    if origin is not None:
        lat, lon, _h = vector(origin, f"{key}.origin_lla", bound=1e7)
        number(lat, f"{key}.origin_lla[0]", -90.0, 90.0)
        number(lon, f"{key}.origin_lla[1]", -180.0, 180.0)
    text(frame.get("display_crs"), f"{key}.display_crs", optional=True)


def check_placement(value: Any, key: str) -> None:
    place = obj(value, key, optional=True)
    if not place:
        return
    if "crs" in place:
        text(place["crs"], f"{key}.crs", nonempty=True)
        return
    if "origin_lla" not in place:
        raise SchemaError(key, "needs crs or origin_lla")
    check_frame({"origin_lla": place["origin_lla"]}, key)
    number(place.get("rotation_deg", 0.0), f"{key}.rotation_deg", -360.0, 360.0)
    if place.get("shift") is not None:
        vector(place["shift"], f"{key}.shift", n=2, bound=1e7)


def _state_fields() -> dict[str, Any]:
    """Every layer class's constructor fields -> their default (the JSON type to expect)."""
    from app.model import layers

    out: dict[str, Any] = {}
    stack: list[type] = [layers.Layer]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        for f in fields(cls):
            if f.metadata.get("state", True) and f.name not in out:
                out[f.name] = None if f.default is MISSING else f.default
    return out


def check_state(value: Any, key: str) -> None:
    state = obj(value, key, optional=True)
    known = _state_fields()
    for name, v in state.items():
        if name not in known:
            continue
        k = f"{key}.{name}"
        default = known[name]
        if name in STATE_RANGES:
            number(v, k, *STATE_RANGES[name])
        elif name in STATE_INT_LISTS:
            if v is None and default is None:
                continue
            low, high = STATE_INT_LISTS[name]
            for i, item in enumerate(seq(v, k)):
                if isinstance(item, bool) or not isinstance(item, int):
                    raise _fail(f"{k}[{i}]", "an integer", item)
                if not low <= item <= high:
                    raise SchemaError(f"{k}[{i}]", f"{item} is out of range [{low}, {high}]")
        elif isinstance(default, bool):
            if not isinstance(v, bool):
                raise _fail(k, "true or false", v)
        elif isinstance(default, (int, float)):
            number(v, k)
        elif isinstance(default, str):
            text(v, k, nonempty=name in ("name", "color_mode"))
        elif isinstance(default, (list, tuple)):
            seq(v, k, optional=True)


def check_project(doc: dict[str, Any]) -> None:
    """Raise SchemaError for the first value that does not fit (v1 documents, after migration)."""
    check_depth(doc)
    text(doc.get("name", ""), "name")
    check_frame(doc.get("frame"), "frame")
    if doc.get("camera") is not None:
        check_camera(doc["camera"], "camera")
    for i, entry in enumerate(seq(doc.get("layers"), "layers", optional=True)):
        key = f"layers[{i}]"
        entry = obj(entry, key)
        if "source" not in entry:
            raise SchemaError(f"{key}.source", "required key missing")
        src = obj(entry["source"], f"{key}.source")
        if "path" not in src:
            raise SchemaError(f"{key}.source.path", "required key missing")
        text(src["path"], f"{key}.source.path", nonempty=True)
        text(src.get("absolute"), f"{key}.source.absolute", optional=True)
        text(src.get("loader"), f"{key}.source.loader", optional=True)
        options = obj(src.get("options"), f"{key}.source.options", optional=True)
        check_placement(options.get("placement"), f"{key}.source.options.placement")
        check_state(entry.get("state"), f"{key}.state")
    for i, mark in enumerate(seq(doc.get("bookmarks"), "bookmarks", optional=True)):
        key = f"bookmarks[{i}]"
        mark = obj(mark, key)
        text(mark.get("name"), f"{key}.name", nonempty=True)
        check_camera(mark.get("camera"), f"{key}.camera")
        if mark.get("thumbnail") is not None:
            from app.model.tours import thumbnail_from_text

            try:
                thumbnail_from_text(mark["thumbnail"], f"{key}.thumbnail")
            except ValueError as exc:
                raise SchemaError(f"{key}.thumbnail", str(exc).split(": ", 1)[-1]) from None
    for i, tour in enumerate(seq(doc.get("tours"), "tours", optional=True)):
        check_tour(tour, f"tours[{i}]")
    from app.model.annotations import check_annotations, check_section

    check_annotations(doc.get("annotations"))
    check_section(doc.get("section"))


def check_tour(value: Any, key: str) -> None:
    """A tour: a name and stops (bookmark name, pause and transition seconds, optional layer
    visibility by layer name and an ISO clock time). A stop naming a deleted bookmark is valid:
    it is skipped with a message when the tour plays."""
    from app.model.tours import MAX_PAUSE_S, MAX_TRANSITION_S

    tour = obj(value, key)
    text(tour.get("name"), f"{key}.name", nonempty=True)
    for j, stop in enumerate(seq(tour.get("stops"), f"{key}.stops", optional=True)):
        k = f"{key}.stops[{j}]"
        stop = obj(stop, k)
        text(stop.get("bookmark"), f"{k}.bookmark", nonempty=True)
        number(stop.get("pause", 0.0), f"{k}.pause", 0.0, MAX_PAUSE_S)
        if stop.get("transition") is not None:
            number(stop["transition"], f"{k}.transition", 0.0, MAX_TRANSITION_S)
        for name, visible in obj(stop.get("layers"), f"{k}.layers", optional=True).items():
            if not isinstance(visible, bool):
                raise _fail(f"{k}.layers.{name}", "true or false", visible)
        if stop.get("time") is not None:
            from datetime import datetime

            when = text(stop["time"], f"{k}.time", nonempty=True)
            try:
                datetime.fromisoformat(str(when).strip())
            except ValueError:
                raise SchemaError(f"{k}.time", f"not an ISO date/time: {_show(when)} (e.g. 2015-06-01T14:00+02:00)") from None
