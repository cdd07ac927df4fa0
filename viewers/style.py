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

IFC_CLASS_RGB = {
    "IfcWall": (220, 214, 200), "IfcWallStandardCase": (220, 214, 200), "IfcSlab": (180, 178, 172),
    "IfcRoof": (170, 80, 60), "IfcWindow": (140, 190, 230), "IfcDoor": (150, 110, 70),
    "IfcColumn": (200, 200, 205), "IfcBeam": (200, 200, 205), "IfcStair": (190, 180, 160),
    "IfcRailing": (120, 120, 120), "IfcCovering": (210, 200, 180), "IfcFurnishingElement": (170, 140, 100),
}


def classification_colors(classes: np.ndarray) -> np.ndarray:
    lut = np.tile(np.array([[200, 200, 200]], dtype=np.uint8), (256, 1))
    for code, rgb in ASPRS_RGB.items():
        lut[code] = rgb
    return lut[np.clip(classes.astype(np.int64), 0, 255)]
