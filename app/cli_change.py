"""`twinscape change BEFORE AFTER -o OUT.json|.laz`: M3C2 change between two scans, headless.

Both scans are read with the loader registry (LAS/LAZ, COPC, E57, ...). Scans in one CRS are
compared in their own coordinates; scans in two CRSs meet through the scene frame (the later one is
reprojected into the earlier one's CRS). A scan without a CRS beside a georeferenced one is refused:
there is no way to know where it lies. JSON: the summary (points compared, significant changes,
new/removed counts, LoD statistics, settings). LAZ: the core points with extra dimensions m3c2_m,
lod_m, significant, plus the new (change=1) and removed (change=2) material points.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from typing import Any

import numpy as np

from app.analysis.c2m import C2MError
from app.jsonsafe import clean as _clean
from loaders.base import Georef, LoadError, PointCloudData

EXIT_BAD_INPUT = 2


def _distance(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"must be a distance of 0 m or more, got {text}")
    return v


def _station(text: str) -> tuple[float, float, float]:
    try:
        x, y, z = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a station is X,Y,Z in the scans' coordinates, got {text!r}") from None
    if not all(math.isfinite(v) for v in (x, y, z)):
        raise argparse.ArgumentTypeError(f"station coordinates must be finite, got {text!r}")
    return x, y, z


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="twinscape change",
                                description="Change between two scans (M3C2 with a 95% level of detection): "
                                            "significant changes and new/removed material.")
    p.add_argument("before", metavar="BEFORE", help="earlier scan (.las, .laz, .copc.laz, .e57)")
    p.add_argument("after", metavar="AFTER", help="later scan")
    p.add_argument("-o", "--output", required=True, metavar="OUT.json|OUT.laz", help="summary (JSON) or points (LAZ/LAS)")
    p.add_argument("--lod-reg", type=_distance, default=0.01, metavar="M",
                   help="registration error of the two scans, added to the level of detection (default 0.01 m)")
    p.add_argument("--cylinder-radius", type=_distance, default=0.1, metavar="R", help="M3C2 cylinder radius (default 0.1 m)")
    p.add_argument("--normal-radius", type=_distance, default=0.3, metavar="R", help="normal estimation radius (default 0.3 m)")
    p.add_argument("--max-distance", type=_distance, default=1.0, metavar="M", help="cylinder half-length (default 1 m)")
    p.add_argument("--station", type=_station, action="append", default=[], metavar="X,Y,Z",
                   help="scanner position (both epochs; repeatable), in the scans' coordinates: orients normals "
                        "and tells hidden points from removed ones (E57 scan poses are used when not given)")
    p.add_argument("--max-points", type=int, default=2_000_000, metavar="N", help="points per scan used (seeded sample)")
    return p


_CHUNK = 1_000_000     # points read at once: memory is the sample plus one chunk


def _read(path: str, max_points: int, seed: int = 0) -> tuple[np.ndarray, Georef, np.ndarray | None]:
    """A seeded sample of at most about `max_points` points of a scan (file coordinates), its
    georeference and its scanner positions (E57 poses). LAS/LAZ, COPC and E57 are read chunk by
    chunk (app/analysis/scan_chunks.py), so a scan larger than memory is fine; other point-cloud
    formats the loaders know are read whole."""
    from app.analysis.scan_chunks import open_scan, read_piece
    from app.tiling.layout import TaskInputError

    try:
        source = open_scan(path, chunk_points=_CHUNK)
    except LoadError as exc:
        if not exc.reason.startswith("not a scan this command reads"):
            raise
        return (*_read_whole(path), None)
    if source.count == 0:
        raise LoadError(path, "the scan is empty (0 points)")
    keep = min(1.0, max_points / source.count)
    rng = np.random.default_rng(seed)
    parts = []
    try:
        for piece in source.pieces:
            for chunk in read_piece(piece, _CHUNK):
                parts.append(chunk[rng.random(len(chunk)) < keep] if keep < 1.0 else chunk)
    except TaskInputError as exc:
        raise LoadError(exc.path, exc.reason) from None
    pts = np.concatenate(parts) if parts else np.zeros((0, 3))
    if len(pts) == 0:
        raise LoadError(path, "the scan is empty (0 points)")
    if not np.isfinite(pts).all():
        raise LoadError(path, "the scan holds NaN or infinite coordinates")
    return pts, source.georef, source.stations


def _read_whole(path: str) -> tuple[np.ndarray, Georef]:
    from loaders.registry import load

    clouds = []
    for data in load(path):
        if isinstance(data, PointCloudData):
            clouds.append(data)
        elif getattr(data, "points", None) is not None:       # a point-cloud tileset
            clouds.append(data.points)
    if not clouds:
        raise LoadError(path, "not a point cloud scan (no points in this file)")
    pts = np.concatenate([np.asarray(c.positions, dtype=np.float64).reshape(-1, 3) for c in clouds])
    if len(pts) == 0:
        raise LoadError(path, "the scan is empty (0 points)")
    if not np.isfinite(pts).all():
        raise LoadError(path, "the scan holds NaN or infinite coordinates")
    return pts, clouds[0].georef


def _same(a: Georef, b: Georef) -> bool:
    return a.kind == b.kind and a.crs_label() == b.crs_label() and np.allclose(a.matrix, b.matrix) and \
        a.origin_lla == b.origin_lla


def _common_frame(args: argparse.Namespace, a: np.ndarray, ga: Georef, b: np.ndarray, gb: Georef) -> np.ndarray:
    """The later scan in the earlier one's coordinates."""
    if _same(ga, gb):
        return b
    if ga.kind == "none" or gb.kind == "none":
        lone, other = (args.before, args.after) if ga.kind == "none" else (args.after, args.before)
        crs = (gb if ga.kind == "none" else ga).crs_label() or "a georeference"
        raise LoadError(lone, f"has no CRS while {os.path.basename(other)} is in {crs}: place it first "
                              "(or compare scans in the same frame)")
    if ga.kind != "crs" or not np.allclose(ga.matrix, np.eye(4)):
        raise LoadError(args.after, f"cannot bring it into the frame of {os.path.basename(args.before)} "
                                    f"({ga.kind} georeference)")
    from app.model.frame import SceneFrame

    frame = SceneFrame()
    frame.adopt_origin(a, ga)
    try:
        out = frame.enu_to_crs(frame.to_local(b, gb), ga.crs or "")
    except Exception as exc:  # noqa: BLE001 - pyproj: outside the CRS's area of use...
        raise LoadError(args.after, f"cannot reproject from {gb.crs_label()} to {ga.crs_label()}: {exc}") from None
    if not np.isfinite(out).all():
        raise LoadError(args.after, f"cannot reproject from {gb.crs_label()} to {ga.crs_label()}")
    return out


def _write_laz(path: str, result: Any, georef: Georef) -> None:
    import laspy

    pts = np.concatenate([result.core, result.new_points, result.removed_points])
    kind = np.concatenate([np.zeros(len(result.core)), np.ones(len(result.new_points)),
                           np.full(len(result.removed_points), 2)]).astype(np.uint8)
    pad = np.full(len(result.new_points) + len(result.removed_points), np.nan)
    header = laspy.LasHeader(point_format=6, version="1.4")
    header.offsets = np.floor(pts.min(0)) if len(pts) else np.zeros(3)
    header.scales = np.full(3, 1e-4)
    header.add_extra_dims([laspy.ExtraBytesParams("m3c2_m", np.float32), laspy.ExtraBytesParams("lod_m", np.float32),
                           laspy.ExtraBytesParams("significant", np.uint8), laspy.ExtraBytesParams("change", np.uint8)])
    if georef.kind == "crs" and georef.crs:
        import pyproj

        try:
            header.add_crs(pyproj.CRS.from_user_input(georef.crs))
        except Exception:  # noqa: BLE001 - a CRS laspy cannot store: the points are still right
            pass
    las = laspy.LasData(header)
    las.x, las.y, las.z = pts[:, 0], pts[:, 1], pts[:, 2]
    las.m3c2_m = np.concatenate([result.distance, pad]).astype(np.float32)
    las.lod_m = np.concatenate([result.lod, pad]).astype(np.float32)
    las.significant = np.concatenate([result.significant, np.zeros(len(pad), bool)]).astype(np.uint8)
    las.change = kind
    las.write(path)


def _check_output(path: str) -> None:
    if not path.lower().endswith((".json", ".laz", ".las")):
        raise LoadError(path, "output must end in .json, .laz or .las")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise LoadError(path, "its folder does not exist")


def _compare(args: argparse.Namespace) -> None:
    from app.analysis.change import ChangeSettings, m3c2_change

    _check_output(args.output)
    settings = ChangeSettings(cylinder_radius=args.cylinder_radius, normal_radius=args.normal_radius,
                              max_distance=args.max_distance, registration_error=args.lod_reg,
                              max_epoch_points=max(100, args.max_points))
    try:
        settings.validate()
    except C2MError as exc:
        raise LoadError(args.output, str(exc)) from None
    a, ga, poses_a = _read(args.before, settings.max_epoch_points)
    b, gb, poses_b = _read(args.after, settings.max_epoch_points, seed=1)
    given = np.asarray(args.station, dtype=np.float64).reshape(-1, 3) if args.station else None
    st_a = given if given is not None else poses_a
    st_b = given if given is not None else poses_b
    if st_b is not None and given is None:       # the later scan's own poses move with its points
        both = _common_frame(args, a, ga, np.vstack([b, st_b]), gb)
        b, st_b = both[: len(b)], both[len(b):]
    else:
        b = _common_frame(args, a, ga, b, gb)
    try:
        result = m3c2_change(a, b, settings, stations_before=st_a, stations_after=st_b)
    except C2MError as exc:
        raise LoadError(args.after, str(exc)) from None
    if args.output.lower().endswith(".json"):
        summary = {"before": args.before, "after": args.after, "crs": ga.crs_label(), **result.summary()}
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump(_clean(summary), fh, indent=1, allow_nan=False, ensure_ascii=False)
    else:
        _write_laz(args.output, result, ga)
    s = result.summary()
    print(json.dumps(_clean({"output": args.output, "compared": s["compared"], "significant": s["significant"],
                             "new_points": s["new_points"], "removed_points": s["removed_points"],
                             "seconds": s["seconds"]}), ensure_ascii=False), flush=True)


def run(args: argparse.Namespace) -> int:
    """0 when written; 2 with one `error: PATH: reason` line on bad input (never a traceback)."""
    try:
        _compare(args)
    except LoadError as exc:
        print(f"error: {exc.path}: {exc.reason}", file=sys.stderr)
        if getattr(args, "debug", False):
            traceback.print_exc()
        return EXIT_BAD_INPUT
    except MemoryError:
        print(f"error: {args.after}: not enough memory for these scans (lower --max-points)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"error: {exc.filename or args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user without --debug
        print(f"error: {args.after}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if getattr(args, "debug", False):
            traceback.print_exc()
        return EXIT_BAD_INPUT
    return 0
