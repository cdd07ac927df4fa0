"""`twinscape sun`: the sun's azimuth and elevation for a place and a time (NREL SPA via pvlib).

Headless: no Qt. The time must carry its offset (or Z): pvlib reads naive times as UTC, and a
planner typing 12:00 in Wuhan means 12:00+08:00, so guessing either way would be wrong.
"""
from __future__ import annotations

import argparse
import json
import sys

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="twinscape sun",
                                description="Sun position (NREL SPA, pvlib nrel_numpy): azimuth clockwise from "
                                            "true north and apparent elevation above the horizon, in degrees.")
    p.add_argument("--lat", type=float, required=True, help="latitude (deg, north positive)")
    p.add_argument("--lon", type=float, required=True, help="longitude (deg, east positive)")
    p.add_argument("--time", required=True, metavar="ISO8601",
                   help="time with its offset, e.g. 2026-12-22T12:00+08:00 or 2026-12-22T04:00Z")
    p.add_argument("--altitude", type=float, default=0.0, help="height above sea level (m, default 0)")
    p.add_argument("--json", action="store_true", help="one JSON line instead of text")
    return p


def run(args: argparse.Namespace) -> int:
    from app.analysis.sun import SunError, parse_iso, sun_position

    try:
        t = parse_iso(args.time)
        pos = sun_position(t, args.lat, args.lon, args.altitude)
    except SunError as exc:
        print(f"error: {args.time}: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    out = {"time": t.isoformat(), "lat": args.lat, "lon": args.lon, "azimuth": round(pos.azimuth, 4),
           "elevation": round(pos.elevation, 4)}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"azimuth {out['azimuth']:.4f} deg\nelevation {out['elevation']:.4f} deg")
    return 0
