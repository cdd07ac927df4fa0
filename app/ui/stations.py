"""Scanner stations typed by the user ("x, y, z; x, y, z"), in the coordinates the status bar shows.

Why: the verdicts judge an element's unseen faces by where the scanner stood (app.analysis.verdicts);
a scan loaded in the GUI does not carry its stations, so the compare dialog asks for them.
"""
from __future__ import annotations

import numpy as np

from app.model.frame import SceneFrame
from loaders.base import Georef


def parse_stations(text: str, frame: SceneFrame) -> np.ndarray | None:
    """(N,3) scene ENU metres from "x, y, z; x, y, z" in the display CRS when the scene has one,
    else in scene metres; None when empty. ValueError with a readable reason otherwise."""
    text = text.strip()
    if not text:
        return None
    try:
        rows = [[float(v) for v in part.replace(" ", "").split(",")] for part in text.split(";") if part.strip()]
    except ValueError:
        raise ValueError("Scanner stations: give x, y, z numbers, stations separated by ';'") from None
    if not rows or any(len(r) != 3 for r in rows) or not np.isfinite(rows).all():
        raise ValueError("Scanner stations: each station is three numbers x, y, z; stations separated by ';'")
    pts = np.asarray(rows, dtype=np.float64)
    if frame.is_set and frame.display_crs:
        try:
            pts = frame.to_local(pts, Georef(kind="crs", crs=frame.display_crs))
        except Exception as exc:  # noqa: BLE001 - pyproj: not coordinates of that CRS
            raise ValueError(f"Scanner stations are not coordinates in {frame.display_crs}: {exc}") from None
        if not np.isfinite(pts).all():
            raise ValueError(f"Scanner stations are not coordinates in {frame.display_crs}")
    return pts
