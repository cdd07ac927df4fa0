"""Seeded, realistic city sensors around the demo district, as JSON messages in the default mapping's format.

Used by `sim://demo` (in process, no network) and `twinscape feed simulate` (published to a broker).
Positions are lon/lat/h (EPSG:4979) near the demo origin 30.5928 N, 114.3055 E; streets run in the
demo's street frame (rotated 12 degrees), the crane stands by the Block C lot.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DEMO_ORIGIN_LLA = (30.5928, 114.3055, 22.0)  # lat, lon, h: the demo's scene frame (assets/demo/demo.twin)
STREET_ROTATION_DEG = 12.0
LOT_CENTRE_UV = (42.0, 33.0)  # Block C lot centre in the street frame
_A, _E2 = 6378137.0, 6.69437999014e-3  # WGS84
DEMO_SENSORS = 40
PLATE_LETTERS = "ABCDEFGHJK"


@dataclass
class SimSensor:
    id: str
    type: str          # air | traffic | parking | water | crane | vehicle
    kind: str          # sensor | mover
    name: str
    e: float
    n: float
    h: float
    period: float      # seconds between messages in the natural (demo) rhythm
    phase: float
    extra: dict[str, float | str] = field(default_factory=dict)


def enu_to_lonlat(e: float, n: float, h: float, origin=DEMO_ORIGIN_LLA) -> tuple[float, float, float]:
    """Local east/north metres -> lon, lat (centimetre-close over the district: curvature radii at the origin)."""
    lat0 = math.radians(origin[0])
    w = 1 - _E2 * math.sin(lat0) ** 2
    m_radius, n_radius = _A * (1 - _E2) / w ** 1.5, _A / math.sqrt(w)
    return (origin[1] + math.degrees(e / (n_radius * math.cos(lat0))),
            origin[0] + math.degrees(n / m_radius), origin[2] + h)


def _uv_to_en(u: float, v: float) -> tuple[float, float]:
    c, s = math.cos(math.radians(STREET_ROTATION_DEG)), math.sin(math.radians(STREET_ROTATION_DEG))
    return c * u - s * v, s * u + c * v


class CitySimulator:
    """The demo's 40 sensors (air, traffic, parking, water, a crane, vehicles), or N with more fixed ones."""

    def __init__(self, n_sensors: int = DEMO_SENSORS, seed: int = 13) -> None:
        if not 1 <= n_sensors <= 1_000_000:
            raise ValueError("sensors must be between 1 and 1,000,000")
        rng = np.random.default_rng(seed)
        self.sensors: list[SimSensor] = []
        self._build_demo(rng)
        i = 0
        while len(self.sensors) < n_sensors:  # more fixed sensors spread over the district
            kind = ("air", "traffic", "parking")[i % 3]
            e, n = rng.uniform(-280, 280, 2)
            self._add(kind, f"{kind[:2]}-x{i:05d}", e, n, rng)
            i += 1
        self.sensors = self.sensors[:n_sensors]

    def _add(self, type_: str, sid: str, e: float, n: float, rng: np.random.Generator, h: float = 4.0) -> None:
        names = {"air": "Air quality", "traffic": "Traffic counter", "parking": "Car park", "water": "Water level"}
        period = {"air": 2.0, "traffic": 2.0, "parking": 3.0, "water": 2.0}[type_]
        self.sensors.append(SimSensor(sid, type_, "sensor", f"{names[type_]} {sid}", float(e), float(n), h, period,
                                      float(rng.uniform(0, 2 * math.pi)), {"level": float(rng.uniform(0.6, 1.3))}))

    def _build_demo(self, rng: np.random.Generator) -> None:
        for k in range(12):  # air quality on light poles along the streets and around the site
            u, v = rng.uniform(-250, 250), rng.choice([-14.0, 14.0, -128.0])
            e, n = _uv_to_en(u, v) if k % 3 else _uv_to_en(rng.choice([-14.0, 14.0]), rng.uniform(-250, 250))
            self._add("air", f"aq-{k + 1:02d}", e, n, rng)
        self.sensors[0].extra["level"] = 2.2  # the station by the site: dusty, crosses PM2.5 thresholds
        self.sensors[0].e, self.sensors[0].n = _uv_to_en(LOT_CENTRE_UV[0], 14.0)
        for k in range(10):  # traffic counters on both main streets
            e, n = _uv_to_en(-225 + 50 * k, 6.0) if k % 2 else _uv_to_en(6.0, -225 + 50 * k)
            self._add("traffic", f"tc-{k + 1:02d}", e, n, rng, h=6.0)
        for k in range(10):  # car parks in the blocks
            e, n = _uv_to_en(rng.uniform(-240, 240), rng.uniform(-120, 240))
            self._add("parking", f"pk-{k + 1:02d}", e, n, rng, h=1.0)
        e, n = _uv_to_en(-60.0, -16.0)
        self._add("water", "wl-01", e, n, rng, h=0.0)
        ce, cn = _uv_to_en(LOT_CENTRE_UV[0] + 8.0, LOT_CENTRE_UV[1])
        self.sensors.append(SimSensor("crane-1", "crane", "mover", "Tower crane (Block C)", ce, cn, 0.0, 0.5, 0.0,
                                      {"radius": 28.0, "mast": 45.0}))
        for k in range(6):
            plate = f"鄂{PLATE_LETTERS[k]}{rng.integers(10000, 99999)}"
            self.sensors.append(SimSensor(f"veh-{k + 1}", "vehicle", "mover", f"Vehicle {k + 1}", 0.0, 0.0, 1.5, 0.5,
                                          float(rng.uniform(0, 560)), {"plate": plate, "speed": float(rng.uniform(8, 14)),
                                                                       "street": k % 2}))

    # -- messages ------------------------------------------------------------------------------
    def message(self, index: int, t: float, seq: int | None = None) -> dict:
        """The message sensor `index` sends at epoch time `t` (smooth daily-ish cycles plus seeded jitter)."""
        s = self.sensors[index % len(self.sensors)]
        w = 2 * math.pi * t / 600.0 + s.phase  # a 10-minute cycle: visible change in a demo
        jitter = math.sin(t * 1.7 + s.phase * 13.0) * 0.05
        e, n, h = s.e, s.n, s.h
        if s.type == "air":
            lvl = float(s.extra["level"])
            values = {"pm25": round(lvl * (35 + 20 * math.sin(w)) * (1 + jitter), 1),
                      "no2": round(lvl * (38 + 15 * math.sin(w + 1.0)) * (1 + jitter), 1)}
            units = {"pm25": "ug/m3", "no2": "ug/m3"}
        elif s.type == "traffic":
            values = {"flow": round(620 + 380 * math.sin(w) * float(s.extra["level"]) + 40 * jitter * 10)}
            units = {"flow": "veh/h"}
        elif s.type == "parking":
            values = {"occupancy": round(min(100.0, max(0.0, 60 + 38 * math.sin(w) + 20 * jitter)), 1)}
            units = {"occupancy": "%"}
        elif s.type == "water":
            values = {"level": round(0.4 + 0.25 * math.sin(w) + jitter, 3)}
            units = {"level": "m"}
        elif s.type == "crane":
            ang = 2 * math.pi * t / 120.0  # one slew every two minutes
            r = float(s.extra["radius"])
            e, n = s.e + r * math.cos(ang), s.n + r * math.sin(ang)
            h = float(s.extra["mast"]) - 15 - 12 * math.sin(ang * 2)
            values = {"load": round(max(0.0, 3.2 * math.sin(ang * 2) + 1.5), 2), "hook_height": round(h, 1)}
            units = {"load": "t", "hook_height": "m"}
        else:  # vehicle along a main street, looping
            d = (s.phase + float(s.extra["speed"]) * t) % 560.0 - 280.0
            e, n = _uv_to_en(d, -4.0) if s.extra["street"] == 0 else _uv_to_en(4.0, -d)
            values = {"speed": round(float(s.extra["speed"]) * 3.6 * (1 + jitter), 1)}
            units = {"speed": "km/h"}
        lon, lat, hh = enu_to_lonlat(e, n, h)
        msg: dict = {"id": s.id, "time": round(t, 3), "kind": s.kind, "type": s.type, "name": s.name,
                     "lon": round(lon, 8), "lat": round(lat, 8), "h": round(hh, 2), "values": values, "units": units}
        if s.type == "vehicle":
            msg["plate"] = s.extra["plate"]  # personal: the demo mapping lists it
        if seq is not None:
            msg["seq"] = seq
        return msg


def demo_mapping_dict() -> dict:
    """The mapping the demo feed uses: the default paths, the plate number personal (hashed)."""
    return {"meta_paths": {"name": "name", "type": "type", "plate": "plate"}, "personal": ["plate"]}
