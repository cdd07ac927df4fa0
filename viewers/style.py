"""Colours and appearance constants shared by visuals (see shared/LOOK.md)."""
from __future__ import annotations

import numpy as np

SKY_TOP = "#5b8fc7"
SKY_BOTTOM = "#dde8f2"
GROUND_GRID = "#8e9aa6"
HIGHLIGHT_RGB = (255, 176, 0)  # one selection colour for every layer kind
DEFAULT_MESH_RGB = (205, 200, 190)
ELEVATION_CMAP = "viridis"
INTENSITY_CMAP = "cividis"

# ASPRS classification colours as CloudCompare / QGIS users know them.
ASPRS_RGB = {
    0: (150, 150, 150), 1: (170, 170, 170), 2: (166, 118, 64), 3: (140, 210, 110), 4: (60, 170, 60),
    5: (20, 110, 30), 6: (230, 90, 60), 7: (255, 0, 255), 8: (255, 255, 0), 9: (60, 120, 230),
    10: (120, 80, 60), 11: (90, 90, 90), 12: (255, 200, 200), 13: (255, 255, 120), 14: (255, 230, 0),
    15: (180, 180, 255), 16: (230, 230, 0), 17: (200, 160, 120), 18: (255, 0, 128),
}

def classification_colors(classes: np.ndarray) -> np.ndarray:
    lut = np.tile(np.array([[200, 200, 200]], dtype=np.uint8), (256, 1))
    for code, rgb in ASPRS_RGB.items():
        lut[code] = rgb
    return lut[np.clip(classes.astype(np.int64), 0, 255)]

# Qualitative palette for categories (Tableau 10 + 10 lighter): distinct, print- and projector-safe.
CATEGORY_RGB = [
    (78, 121, 167), (242, 142, 43), (225, 87, 89), (118, 183, 178), (89, 161, 79), (237, 201, 72),
    (176, 122, 161), (255, 157, 167), (156, 117, 95), (186, 176, 172), (160, 203, 232), (255, 190, 125),
    (140, 209, 125), (182, 153, 45), (73, 152, 148), (134, 188, 182), (241, 206, 99), (212, 166, 200),
    (250, 191, 210), (215, 181, 166),
]
OTHER_RGB = (200, 200, 200)


def _natural_key(text: str) -> list:
    """'Level 10' after 'Level 9'."""
    import re

    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def category_colors(values: list, max_categories: int = len(CATEGORY_RGB),
                    natural_order: bool = False) -> tuple[np.ndarray, list[tuple[str, tuple[int, int, int]]]]:
    """Per-item RGB for categorical values, most frequent first (or in natural order, for ordered
    categories such as storeys); the rest share 'other'."""
    labels = ["(none)" if v is None else str(v) for v in values]
    uniq, inverse, counts = np.unique(np.array(labels, dtype=object), return_inverse=True, return_counts=True)
    if natural_order:
        order = np.array(sorted(range(len(uniq)), key=lambda i: _natural_key(str(uniq[i]))), dtype=np.int64)
    else:
        order = np.argsort(-counts, kind="stable")
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    lut = np.array([CATEGORY_RGB[r] if r < max_categories else OTHER_RGB for r in range(len(uniq))], dtype=np.uint8)
    colors = lut[rank[inverse]]
    legend = [(str(uniq[i]), CATEGORY_RGB[r]) for r, i in enumerate(order[:max_categories])]
    if len(uniq) > max_categories:
        legend.append((f"{len(uniq) - max_categories} others", OTHER_RGB))
    return colors, legend


def numeric_values(values: list) -> np.ndarray | None:
    """Float array when every present value is a number (bools excluded), else None."""
    out = np.full(len(values), np.nan)
    seen = False
    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            return None
        out[i] = float(v)
        seen = True
    return out if seen else None


# --- scan versus design (app.model.comparison) --------------------------------------------------
# Deviations: diverging and centred on zero (LOOK.md): white within +/- tolerance, blue behind or
# inside the design surface (negative), red beyond or outside it (positive); ColorBrewer RdBu stops.
DEVIATION_NEG = ((146, 197, 222), (67, 147, 195), (5, 48, 97))  # at -tolerance, halfway, -range
DEVIATION_POS = ((244, 165, 130), (214, 96, 77), (103, 0, 31))  # at +tolerance, halfway, +range
WITHIN_RGB = (255, 255, 255)
FAR_RGB = (150, 150, 150)
# Element statuses: fixed qualitative colours, the same in every view and report.
STATUS_RGB = {"built": (46, 160, 67), "partial": (242, 163, 0), "missing": (214, 39, 40),
              "deviating": (148, 62, 189), "not judged": (170, 170, 170)}


def _ramp(t: np.ndarray, stops: tuple) -> np.ndarray:
    """Piecewise-linear RGB through three stops at t = 0, 0.5, 1."""
    stops_a = np.asarray(stops, dtype=np.float64)
    t = np.clip(t, 0.0, 1.0)[:, None]
    low = stops_a[0] + (stops_a[1] - stops_a[0]) * np.clip(t * 2, 0, 1)
    high = stops_a[1] + (stops_a[2] - stops_a[1]) * np.clip(t * 2 - 1, 0, 1)
    return np.where(t <= 0.5, low, high)


def deviation_colors(d: np.ndarray, tolerance: float, reach: float) -> np.ndarray:
    """(N,3) uint8 for signed deviations: white within tolerance, blue/red ramps from the
    tolerance out to +/- reach (clipped beyond), grey for far points (NaN)."""
    d = np.asarray(d, dtype=np.float64)
    out = np.empty((len(d), 3), dtype=np.float64)
    out[:] = FAR_RGB
    near = np.isfinite(d)
    span = max(reach - tolerance, 1e-9)
    t = (np.abs(np.where(near, d, 0.0)) - tolerance) / span
    neg, pos = near & (d < -tolerance), near & (d > tolerance)
    out[neg] = _ramp(t[neg], DEVIATION_NEG)
    out[pos] = _ramp(t[pos], DEVIATION_POS)
    out[near & ~neg & ~pos] = WITHIN_RGB
    return np.round(out).astype(np.uint8)


def deviation_lut(tolerance: float, reach: float, n: int = 512):
    """A VTK lookup table over [-reach, reach] with the same colours (the legend's bar)."""
    import vtk

    values = -reach + (np.arange(n) + 0.5) * (2 * reach / n)
    rgb = deviation_colors(values, tolerance, reach)
    lut = vtk.vtkLookupTable()
    lut.SetNumberOfTableValues(n)
    lut.SetTableRange(-reach, reach)
    for i, c in enumerate(rgb):
        lut.SetTableValue(i, c[0] / 255, c[1] / 255, c[2] / 255, 1.0)
    lut.Build()
    return lut
