"""The demo's shadow study: Block C's site on the winter solstice (SUN, issue 14).

The demo data generator (assets/demo/generate.py) computes sunlight hours around the construction
site (the district and Block C's design as occluders; the 2026 solstice, 9:00-15:00 true solar time
as GB 50180 sets it for that day, 15-minute steps, 1 m grid) into the demo data folder
(`${demo}/sunlight/`, generated like every demo file, never in git; about 5 s). `python -m
assets.demo._sun` also edits assets/demo/demo.twin by load-edit-dump: the clock on
2026-12-21 08:00-16:00 Asia/Shanghai (only if the project has no clock yet; the flood series and
the tour use that day) and the sunlight layer, hidden, at the end (its source replaced when present).
Headless: no Qt.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np

DEMO_DIR = Path(__file__).resolve().parent
SIDE = "sunlight/block_c_solstice.npz"  # in the demo data folder; the project names it ${demo}/...
LAYER_NAME = "Sunlight hours, Block C site (winter solstice)"
SITE_CENTRE = (34.3, 40.9)  # the "Construction site" bookmark's focal point (scene ENU m)
HALF = 90.0
CLOCK = {"zone": "Asia/Shanghai", "time": "2026-12-21T10:00:00+08:00", "start": "2026-12-21T08:00:00+08:00",
         "end": "2026-12-21T16:00:00+08:00", "speed": 1800.0, "step": "hour"}


def compute(data_dir: Path) -> tuple[dict[str, np.ndarray], dict]:
    from app.analysis.rays import MeshPart
    from app.analysis.sunlight import GB_WINDOWS, SunlightParams, compute_sunlight
    from app.model.scene import Scene
    from assets.demo._site import DEMO_ORIGIN_LLA
    from loaders.ifc import read_ifc
    from loaders.tiles3d import read_tileset

    scene = Scene()
    scene.frame.origin_lla = DEMO_ORIGIN_LLA
    parts = []
    for data in read_tileset(str(data_dir / "district" / "tileset.json")) + read_ifc(str(data_dir / "site_building.ifc")):
        for layer in scene.make_layers(data):
            v, f = layer.data.get("vertices"), layer.data.get("faces")
            if v is not None and f is not None and len(f):
                parts.append(MeshPart(layer.name, np.asarray(v, float), np.asarray(f, np.int64)))
    cx, cy = SITE_CENTRE
    start, end = GB_WINDOWS["winter solstice"]
    p = SunlightParams(day=date(2026, 12, 21), zone="Asia/Shanghai", lat=DEMO_ORIGIN_LLA[0], lon=DEMO_ORIGIN_LLA[1],
                       start=start, end=end, step_minutes=15, grid_m=1.0, min_hours=2.0, area=(cx - HALF, cy - HALF, cx + HALF, cy + HALF))
    r = compute_sunlight(parts, p)
    arrays = {"positions": r.points, "attr.sun_hours (h)": r.hours.astype(np.float32), "attr.facade": r.facade.astype(np.uint8)}
    params = {**p.to_dict(), "summary": r.summary}
    return arrays, params


def edit_project(params: dict, project: Path = DEMO_DIR / "demo.twin") -> None:
    doc = json.loads(project.read_text(encoding="utf-8"))
    doc.setdefault("clock", CLOCK)
    window = float(params["summary"]["window_h"])
    entry = {"source": {"path": "${demo}/" + SIDE, "loader": "derived",
                        "options": {"derived": {"analysis": "sunlight_hours", "params": params, "kind": "pointcloud"}}},
             "state": {"name": LAYER_NAME, "visible": False, "opacity": 1.0, "color_mode": "sun_hours (h)",
                       "color_limits": {"sun_hours (h)": [0.0, window]}, "point_size": 6.0}}
    mine = [i for i, e in enumerate(doc["layers"]) if (e.get("state") or {}).get("name") == LAYER_NAME]
    if mine:  # computed again: new results and ramp, the rest of the state (visibility...) kept
        doc["layers"][mine[0]]["source"] = entry["source"]
        doc["layers"][mine[0]]["state"]["color_limits"] = entry["state"]["color_limits"]
    else:
        doc["layers"].append(entry)
    with open(project, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def write_sunlight(data_dir: Path) -> dict:
    """Compute the study into the demo data folder (called by the generator, before its marker)."""
    arrays, params = compute(data_dir)
    side = Path(data_dir) / SIDE
    side.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(side, **arrays)
    return params


def main() -> int:
    from assets.demo.generate import ensure_demo_data

    params = write_sunlight(ensure_demo_data())
    edit_project(params)
    print(json.dumps(params["summary"], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
