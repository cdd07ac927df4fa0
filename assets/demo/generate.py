"""Seeded generator of the Twinscape demo district (Wuhan, China).

    from assets.demo.generate import ensure_demo_data
    demo_dir = ensure_demo_data()          # generated on first call, then cached

    python -m assets.demo.generate [--out DIR] [--force]

Writes, in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E) with ellipsoidal heights:
  district/tileset.json + *.b3dm   3D Tiles 1.0: terrain tile + 4 building tiles (one per quadrant)
  district_lod/tileset.json        the buildings again as a 3-level LOD tileset (streaming demo)
  district/manifest.json           buildings (name, use, centroid E/N, height...), lot, georeferencing
  site_building.ifc                IFC4 "Block C", the building under construction on the empty lot
  site_scan.laz                    LAZ 1.4 (point format 7) scan of the half-built Block C and the ground
  complete.json                    marker written last: {"version": DEMO_VERSION, ...}

No Qt, no VTK: only numpy, pyproj, ifcopenshell and laspy.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from assets.demo._site import (  # noqa: F401  (re-exported constants)
    DEMO_CRS, DEMO_ORIGIN_LLA, DEMO_SEED, DEMO_VERSION, LOT_CORNER_UV, LOT_SIZE, STREET_ROTATION_DEG, build_site,
)

MARKER = "complete.json"
TILESET = "district/tileset.json"
MANIFEST = "district/manifest.json"
LOD_TILESET = "district_lod/tileset.json"
IFC_FILE = "site_building.ifc"
LAZ_FILE = "site_scan.laz"


def default_cache_root() -> Path:
    """$TWINSCAPE_CACHE, else $XDG_CACHE_HOME/twinscape, else ~/.cache/twinscape; with no home
    at all (HOME unset, no passwd entry) the per-user temporary cache."""
    if os.environ.get("TWINSCAPE_CACHE"):
        return Path(os.environ["TWINSCAPE_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    except (RuntimeError, KeyError):  # Path.home() with no HOME and no passwd entry
        root = _temporary_cache_root()
        _warn_once("home", f"warning: no home folder (HOME unset) and no TWINSCAPE_CACHE; the cache goes to {root}")
        return root
    return base / "twinscape"


_WARNED: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    """One `warning:` line per process, not one per ${demo} source of a project."""
    if key not in _WARNED:
        _WARNED.add(key)
        print(message, file=sys.stderr, flush=True)


def _temporary_cache_root() -> Path:
    """A cache folder of this user's own in the temporary directory: reused across runs when it
    is ours (a folder, not a link, owned by us), else a fresh one."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"twinscape-cache-{uid}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(root)
        if root.is_symlink() or not root.is_dir() or (hasattr(os, "getuid") and st.st_uid != uid):
            raise OSError("not ours")
        return root
    except OSError:
        return Path(tempfile.mkdtemp(prefix="twinscape-cache-"))


def default_demo_dir() -> Path:
    return default_cache_root() / f"demo-v{DEMO_VERSION}"


def is_complete(directory: Path) -> bool:
    try:
        marker = json.loads((Path(directory) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("version") == DEMO_VERSION


def generate_demo_data(out_dir: str | os.PathLike) -> dict:
    """Write every demo file into out_dir (created if needed), the marker last. Returns the summary."""
    from assets.demo._ifc_writer import (
        BUILDING_NAME, BUILDING_OFFSET, BUILDING_SIZE, N_STOREYS, STOREY_HEIGHT, write_ifc,
    )
    from assets.demo._scan import write_laz
    from assets.demo._tiles_writer import write_tileset
    from assets.demo.tileset_lod import write_lod_tileset

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).unlink(missing_ok=True)
    site = build_site()
    district = out / "district"
    tiles = write_tileset(site, district)
    lod = write_lod_tileset(site, out / "district_lod")
    ifc = write_ifc(site, out / IFC_FILE, site.rngs[3])
    scan = write_laz(site, out / LAZ_FILE, site.rngs[2])
    from assets.demo._flood import write_flood  # the DEM and the flood time series over the low street

    flood = write_flood(site, out / "flood")
    from assets.demo._sun import SIDE, write_sunlight  # the solstice shadow study (needs the tiles and the IFC above)

    write_sunlight(out)
    rot = math.radians(STREET_ROTATION_DEG)
    manifest = {
        "version": DEMO_VERSION,
        "seed": DEMO_SEED,
        "crs": DEMO_CRS,
        "height": "ellipsoidal (m)",
        "origin_lla": list(DEMO_ORIGIN_LLA),
        "origin_en": list(site.geo.origin_en),
        "root_transform": site.geo.transform_column_major,
        "street_rotation_deg": STREET_ROTATION_DEG,
        "lot": {
            "corner_en": list(site.lot_corner_en),
            "size_m": list(LOT_SIZE),
            "polygon_en": site.lot_polygon_en.round(3).tolist(),
            "pad_height": site.pad_height,
        },
        "ifc": {
            "file": IFC_FILE,
            "building": BUILDING_NAME,
            "map_conversion": {
                "eastings": site.lot_corner_en[0], "northings": site.lot_corner_en[1],
                "orthogonal_height": site.pad_height, "x_axis_abscissa": math.cos(rot),
                "x_axis_ordinate": math.sin(rot), "scale": 1.0,
            },
            "footprint_local": [BUILDING_OFFSET[0], BUILDING_OFFSET[1], BUILDING_OFFSET[0] + BUILDING_SIZE[0],
                                BUILDING_OFFSET[1] + BUILDING_SIZE[1]],
            "storeys": N_STOREYS,
            "storey_height": STOREY_HEIGHT,
            "elements": ifc["elements"],
        },
        "scan": {"file": LAZ_FILE, **scan},
        "terrain": {"size_m": 600.0, "cells": site.terrain.h.shape[0] - 1,
                    "height_min": float(site.terrain.h.min()), "height_max": float(site.terrain.h.max())},
        "tiles": tiles["tiles"],
        "flood": flood,
        "lod_tileset": {"file": LOD_TILESET, **lod},
        "buildings": [
            {
                "name": b.name, "tile": f"buildings_{b.quadrant.lower()}.b3dm", "use": b.use,
                "centroid_e": round(b.centroid_en[0], 3), "centroid_n": round(b.centroid_en[1], 3),
                "height": b.height, "floors": b.floors, "year": b.year, "ground": b.ground, "base": b.base,
                "top": b.top, "footprint_en": b.footprint_en.round(3).tolist(),
            }
            for b in site.buildings
        ],
    }
    (district / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    summary = {"version": DEMO_VERSION, "files": [TILESET, LOD_TILESET, MANIFEST, IFC_FILE, LAZ_FILE, flood["dem"], flood["series"], SIDE],
               "generation_seconds": round(time.perf_counter() - t0, 3)}
    # the marker is the only file with a varying field (timing): it is written last, never compared
    (out / MARKER).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def _usable(folder: Path) -> str | None:
    """Why the demo cannot be generated under `folder`, or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def ensure_demo_data(cache_dir: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Return the demo directory, generating it (atomically: temp dir + rename) if missing or stale.

    With the default cache unusable (a read-only or missing $TWINSCAPE_CACHE, a file in the way)
    the demo is generated in a temporary cache instead, with a `warning:` on stderr: the demo is
    never refused for want of a cache folder. An explicit `cache_dir` is used as given."""
    target = Path(cache_dir) if cache_dir is not None else default_demo_dir()
    if not force and is_complete(target):
        return target
    if cache_dir is None:
        reason = _usable(target.parent)
        if reason is not None:
            fallback = _temporary_cache_root() / target.name
            _warn_once(str(target.parent),
                       f"warning: {target.parent}: cache folder unusable ({reason}); demo data goes to {fallback.parent}")
            target = fallback
            if not force and is_complete(target):
                return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-tmp-", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the cache is an ordinary directory
    try:
        generate_demo_data(tmp)
        if target.exists():  # stale, partial or forced: move aside, then delete
            if not force and is_complete(target):  # another process finished meanwhile
                return target
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            os.replace(target, old / "d")
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if is_complete(target):  # lost a race against another process: theirs is as good
                return target
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assets.demo.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write into this directory (default: the demo cache)")
    parser.add_argument("--force", action="store_true", help="regenerate even if the cache is complete")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.out is not None:
        if args.force or not is_complete(args.out):
            generate_demo_data(args.out)
        path = args.out
    else:
        path = ensure_demo_data(force=args.force)
    print(f"demo data in {path} ({time.perf_counter() - t0:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
