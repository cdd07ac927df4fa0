"""How to read a reading out of a message: JSON paths for id, time, position, values, units, meta,
and which fields are personal. Saved in the project (to_dict holds paths and names, never values).

Paths are dotted with optional indices: `id`, `data.pm2_5`, `$.pos[0]`, `location.coordinates`;
`$topic` is the MQTT topic and `$topic[-1]` one of its levels (for ids carried in the topic).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from app.sources.privacy import pseudonym
from app.sources.readings import Reading, finite

_MISSING = object()
_TOKEN = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")
MIN_TIME, MAX_TIME = 0.0, 7.3e9  # 1970 .. 2200


class Malformed(ValueError):
    """A message that cannot become a reading (counted `malformed`)."""


class UnknownSensor(ValueError):
    """A sensor the position table / metadata does not know (counted `unknown`)."""


@dataclass
class SensorInfo:
    """What is known about one sensor: from SensorThings metadata, the position table, or its messages."""

    id: str
    name: str = ""
    description: str = ""
    units: dict[str, str] = field(default_factory=dict)
    observed_property: str = ""
    position: tuple[float, float, float] | None = None
    position_crs: str | None = None
    kind: str = "sensor"


def get_path(obj: Any, path: str, topic: str = "") -> Any:
    """The value at a dotted/indexed path, or _MISSING."""
    if not path:
        return _MISSING
    if path.startswith("$topic"):
        rest = path[len("$topic"):]
        if not rest:
            return topic
        obj, path = topic.split("/"), rest
    elif path.startswith("$."):
        path = path[2:]
    for name, index in _TOKEN.findall(path):
        if name:
            if not isinstance(obj, dict) or name not in obj:
                return _MISSING
            obj = obj[name]
        else:
            if not isinstance(obj, list):
                return _MISSING
            i = int(index)
            if not -len(obj) <= i < len(obj):
                return _MISSING
            obj = obj[i]
    return obj


def parse_time(value: Any) -> float:
    """Epoch seconds (or milliseconds) or ISO 8601 (a SensorThings interval `a/b` reads as its end)."""
    v = finite(value)
    if v is None and isinstance(value, str):
        text = value.strip().split("/")[-1].replace("Z", "+00:00")
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            raise Malformed(f"timestamp is not a number or ISO 8601 time: {value[:40]!r}") from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        v = t.timestamp()
    if v is None:
        raise Malformed("timestamp is not a number")
    if v > 1e11:  # milliseconds
        v /= 1000.0
    if not MIN_TIME <= v <= MAX_TIME:
        raise Malformed(f"timestamp {v:g} is outside 1970-2200")
    return v


@dataclass
class FeedMapping:
    """Paths into a message; the defaults read the format `feed simulate` publishes and recordings hold."""

    id_path: str = "id"
    time_path: str = "time"
    kind_path: str = "kind"
    kind: str = "sensor"
    lon_path: str = "lon"
    lat_path: str = "lat"
    h_path: str = "h"
    x_path: str = "x"
    y_path: str = "y"
    z_path: str = "z"
    position_path: str = "position"          # [lon, lat, h] or a GeoJSON Point
    positions: dict[str, list[float]] = field(default_factory=dict)  # fixed position per sensor id
    positions_crs: str = "EPSG:4979"
    values_path: str = "values"              # an object quantity -> number
    value_paths: dict[str, str] = field(default_factory=dict)   # quantity -> path (added to values_path's)
    units_path: str = "units"
    units: dict[str, str] = field(default_factory=dict)         # fixed unit per quantity
    meta_paths: dict[str, str] = field(default_factory=lambda: {"name": "name", "type": "type"})
    personal: list[str] = field(default_factory=list)           # paths or meta names holding personal data
    personal_mode: str = "hash"              # "hash" (salted, in-memory salt) or "drop"
    max_message_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        if self.personal_mode not in ("hash", "drop"):
            raise ValueError(f"personal_mode must be 'hash' or 'drop', not {self.personal_mode!r}")
        if self.positions_crs not in ("EPSG:4979", "scene"):
            raise ValueError(f"positions_crs must be 'EPSG:4979' or 'scene', not {self.positions_crs!r}")

    # -- saving --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Paths, names and the position table: no message values, no credentials, no salt."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FeedMapping":
        if not isinstance(data, dict):
            raise ValueError("a feed mapping must be an object")
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            default = f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
            if isinstance(default, str) and not isinstance(value, str):
                raise ValueError(f"mapping field {f.name} must be text")
            if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"mapping field {f.name} must be a positive whole number")
            if isinstance(default, dict) and not isinstance(value, dict):
                raise ValueError(f"mapping field {f.name} must be an object")
            if isinstance(default, list) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"mapping field {f.name} must be a list of names")
            kwargs[f.name] = value
        positions = kwargs.get("positions", {})
        for key, pos in positions.items():
            if not (isinstance(pos, list) and len(pos) in (2, 3) and all(finite(v) is not None for v in pos)):
                raise ValueError(f"position of sensor {key!r} must be 2 or 3 numbers")
        return cls(**kwargs)

    # -- parsing -------------------------------------------------------------------------------
    def is_personal(self, path_or_name: str) -> bool:
        return path_or_name in self.personal

    def parse(self, payload: bytes | str | dict | list, topic: str, received_wall: float,
              received_mono: float = 0.0) -> list[Reading]:
        """Readings from one message (an object, or a list of objects). Raises Malformed / UnknownSensor."""
        if isinstance(payload, (bytes, bytearray, str)):
            if len(payload) > self.max_message_bytes:
                raise Malformed(f"message of {len(payload) / 1e6:.1f} MB over the "
                                f"{self.max_message_bytes / 1e6:g} MB limit")
            try:
                payload = json.loads(payload)
            except (ValueError, UnicodeDecodeError) as exc:
                raise Malformed(f"not JSON ({type(exc).__name__})") from None
        items = payload if isinstance(payload, list) else [payload]
        if not items or len(items) > 10_000:
            raise Malformed("empty message" if not items else "more than 10,000 readings in one message")
        return [self._one(item, topic, received_wall, received_mono) for item in items]

    def _one(self, obj: Any, topic: str, received_wall: float, received_mono: float) -> Reading:
        if not isinstance(obj, dict):
            raise Malformed("message is not a JSON object")
        raw_id = get_path(obj, self.id_path, topic)
        if raw_id is _MISSING or raw_id is None or isinstance(raw_id, (dict, list)) or str(raw_id) == "":
            raise Malformed(f"no sensor id at {self.id_path!r}")
        clear_id = str(raw_id)[:200]
        sensor_id = pseudonym(clear_id) if self.is_personal(self.id_path) else clear_id
        raw_time = get_path(obj, self.time_path, topic)
        t = received_wall if raw_time is _MISSING or raw_time is None else parse_time(raw_time)
        values, units = self._values(obj, topic)
        position, crs = self._position(obj, topic, clear_id)
        if not values and position is None:
            raise Malformed("no values and no position")
        kind = get_path(obj, self.kind_path, topic)
        kind = kind if kind in ("sensor", "mover") else self.kind
        return Reading(sensor_id, t, values, units, position, crs, kind, received_mono, self._meta(obj, topic))

    def _values(self, obj: Any, topic: str) -> tuple[dict[str, float], dict[str, str]]:
        raw: dict[str, Any] = {}
        block = get_path(obj, self.values_path, topic)
        if isinstance(block, dict):
            raw.update(block)
        elif block is not _MISSING and block is not None:
            raw["value"] = block
        for name, path in self.value_paths.items():
            v = get_path(obj, path, topic)
            if v is not _MISSING:
                raw[name] = v
        values: dict[str, float] = {}
        for name, v in raw.items():
            if self.is_personal(name):
                continue
            f = finite(v)
            if f is None:
                raise Malformed(f"value {str(name)[:40]!r} is not a finite number")
            values[str(name)[:64]] = f
        unit_block = get_path(obj, self.units_path, topic)
        units = {k: str(unit_block[k])[:32] for k in values if isinstance(unit_block, dict) and k in unit_block}
        units.update({k: u for k, u in self.units.items() if k in values})
        return values, units

    def _position(self, obj: Any, topic: str, clear_id: str) -> tuple[tuple[float, float, float] | None, str | None]:
        if self.positions:
            pos = self.positions.get(clear_id)
            if pos is not None:
                return (float(pos[0]), float(pos[1]), float(pos[2]) if len(pos) > 2 else 0.0), self.positions_crs
        for a, b, c, crs in ((self.lon_path, self.lat_path, self.h_path, "EPSG:4979"),
                             (self.x_path, self.y_path, self.z_path, "scene")):
            pa, pb = get_path(obj, a, topic), get_path(obj, b, topic)
            if pa is _MISSING and pb is _MISSING:
                continue
            return self._checked([pa, pb, get_path(obj, c, topic)], crs), crs
        p = get_path(obj, self.position_path, topic)
        if isinstance(p, dict) and p.get("type") == "Point":
            p = p.get("coordinates")
        if isinstance(p, list):
            return self._checked((p + [None])[:3], "EPSG:4979"), "EPSG:4979"
        if self.positions:
            raise UnknownSensor(f"sensor not in the position table ({len(self.positions)} known)")
        return None, None

    @staticmethod
    def _checked(parts: list[Any], crs: str) -> tuple[float, float, float]:
        h = 0.0 if parts[2] is _MISSING or parts[2] is None else finite(parts[2])
        a, b = finite(parts[0]), finite(parts[1])
        if a is None or b is None or h is None:
            raise Malformed("position is not numeric")
        if crs == "EPSG:4979" and not (-180 <= a <= 180 and -90 <= b <= 90):
            raise Malformed("longitude/latitude out of range")
        return a, b, h

    def _meta(self, obj: Any, topic: str) -> dict[str, str]:
        meta: dict[str, str] = {}
        for name, path in self.meta_paths.items():
            v = get_path(obj, path, topic)
            if v is _MISSING or v is None or isinstance(v, (dict, list)):
                continue
            if self.is_personal(name) or self.is_personal(path):
                if self.personal_mode == "drop":
                    continue
                meta[name] = pseudonym(v)
            else:
                meta[name] = str(v)[:200]
        return meta
