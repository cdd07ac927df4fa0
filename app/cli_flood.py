"""`twinscape flood DEM.tif --level H [--seed X,Y] [-o OUT.tif] [--json]`: flooded area and volume.

Headless: no Qt, no VTK. Prints `area_m2` and `volume_m3` (one JSON line with --json). Bad input
(an unreadable DEM, a level below or above the whole terrain, a seed on dry ground or outside the
DEM) ends in one `error: PATH: reason` line on stderr and exit 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback

from app.cli_args import comma_numbers
from loaders.base import LoadError

EXIT_BAD_INPUT = 2


_seed = comma_numbers(2, "a seed is X,Y (two numbers in the DEM's CRS)")


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the level is a height in metres, not '{text}'") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"the level must be a finite number, not '{text}'")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="twinscape flood",
        description="Flood a terrain (GeoTIFF DEM) to a water level: the area connected to a seed point (or every "
                    "area below the level), its depth, flooded area (m2) and volume (m3).")
    p.add_argument("dem", metavar="DEM.tif", help="terrain heights as a GeoTIFF (first band; nodata is not ground)")
    p.add_argument("--level", type=_level, required=True, metavar="H", help="water level, in the DEM's height unit (m)")
    p.add_argument("--seed", type=_seed, metavar="X,Y", help="where the water comes from, in the DEM's CRS "
                                                              "(default: every area below the level)")
    p.add_argument("-o", "--output", metavar="OUT.tif", help="write the depth (m, nodata where dry) as a GeoTIFF")
    p.add_argument("--json", action="store_true", help="one JSON line instead of text")
    return p


def run(args: argparse.Namespace) -> int:
    from app.analysis.flood import FloodError, flood, read_dem, write_depth_geotiff

    path = args.dem
    try:
        dem = read_dem(path)
        result = flood(dem, args.level, args.seed)
        if args.output:
            path = args.output
            try:
                write_depth_geotiff(args.output, dem, [result])
            except Exception as exc:  # noqa: BLE001 - rasterio/OS: a readable line, never a traceback
                raise LoadError(args.output, f"cannot write: {str(exc)[:160]}") from None
    except LoadError as exc:
        return _fail(exc.path, exc.reason, args)
    except FloodError as exc:
        return _fail(path, str(exc), args)
    except MemoryError:
        return _fail(path, "not enough memory for this DEM", args)
    out = {"dem": args.dem, "crs": dem.crs, **result.summary(), "cell_area_m2": dem.cell_area}
    if args.seed:
        out["seed"] = list(args.seed)
    if args.output:
        out["output"] = args.output
    if args.json:
        print(json.dumps(out, ensure_ascii=False), flush=True)
    else:
        print(f"area_m2 {out['area_m2']:.2f}\nvolume_m3 {out['volume_m3']:.2f}\nmax_depth_m {out['max_depth_m']:.3f}", flush=True)
    return 0


def _fail(path: str, reason: str, args: argparse.Namespace) -> int:
    if getattr(args, "debug", False):
        traceback.print_exc()
    print(f"error: {path}: {reason}", file=sys.stderr, flush=True)
    return EXIT_BAD_INPUT
