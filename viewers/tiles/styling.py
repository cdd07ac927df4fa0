"""Filter and colour streamed tiles by their features' properties, tile by tile.

Why not MeshVisual's path: a streamed tileset never holds all its features at once. Each tile
part is filtered on its own batch table (app.model.feature_filter.cell_mask) and coloured
through state shared by every tile of the layer, so a building keeps its colour whichever tile
brought it: one VTK lookup table with a fixed range for numbers (the user's limits; else the
tileset.json `properties` minimum/maximum when declared, as CesiumJS styles use; else the range
of the overview tiles read at open, e.g. a COPC root sampled over the whole file; else the
range seen so far) and a category -> colour map filled in order of first appearance.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv

from app.model.color_range import data_range
from app.model.feature_filter import cell_mask
from viewers import style
from viewers.text import tr

PREFIX = "property:"


def filtered_poly(poly: Any, cell_feature: np.ndarray | None, properties: dict, expression: str) -> tuple[Any, np.ndarray | None]:
    """(poly to draw, indices of the original cells kept, or None when every cell is drawn)."""
    keep = cell_mask(expression, properties, cell_feature) if expression.strip() else None
    if keep is None or len(keep) != poly.n_cells or keep.all():
        return poly, None
    kept = np.flatnonzero(keep)
    if poly.n_verts == poly.n_cells and poly.n_verts:  # a point part: one vertex cell per point
        out = pv.PolyData(np.asarray(poly.points)[kept])
        if len(kept):  # pyvista refuses empty arrays: a part filtered away keeps no attributes
            for name in poly.point_data.keys():
                out.point_data[name] = np.asarray(poly.point_data[name])[kept]
        return out, kept
    faces = np.asarray(poly.faces).reshape(-1, 4)[kept]
    out = pv.PolyData(poly.points, faces.ravel())
    for name in poly.point_data.keys():
        out.point_data[name] = poly.point_data[name]
    src, dst = poly.GetPointData(), out.GetPointData()
    if src.GetTCoords() is not None:  # a textured part keeps drawing its texture when filtered
        dst.SetActiveTCoords(src.GetTCoords().GetName())
    if src.GetNormals() is not None:
        dst.SetActiveNormals(src.GetNormals().GetName())
    return out, kept


class TileColoring:
    """Colour-by-property state for one streamed layer and one colour mode."""

    def __init__(self, mode: str, ranges: dict[str, tuple[float, float] | None],
                 limits: tuple[float, float] | None = None) -> None:
        self.name = mode[len(PREFIX):] if mode.startswith(PREFIX) else ""
        declared = limits or ranges.get(self.name)
        self.range: list[float] | None = list(declared) if declared else None
        self.fixed = declared is not None
        self.numeric: bool | None = None  # decided by the first tile that has the property
        self.categories: dict[str, tuple[int, int, int]] = {}
        self.lut = pv.LookupTable(cmap=style.ELEVATION_CMAP)
        self.lut.nan_color = style.OTHER_RGB
        self.changed = False  # the numeric range grew: tiles already drawn need the new range

    @property
    def active(self) -> bool:
        return bool(self.name)

    def _feature_values(self, properties: dict) -> list | None:
        values = properties.get(self.name)
        return list(values) if isinstance(values, (list, tuple, np.ndarray)) else None

    def cell_colors(self, properties: dict, cell_feature: np.ndarray | None, kept: np.ndarray | None,
                    n_cells: int) -> tuple[str, np.ndarray] | None:
        """('value', float per cell) for numbers, ('RGBA', uint8 per cell) for categories, or
        None when this part has no such property (it is then drawn in its own colours)."""
        values = self._feature_values(properties)
        if values is None or cell_feature is None:
            return None
        fid = np.asarray(cell_feature if kept is None else cell_feature[kept], dtype=np.int64)
        if len(fid) != n_cells:
            return None
        valid = (fid >= 0) & (fid < len(values))
        if self.name == "classification":  # ASPRS codes (streamed COPC): the colours every scan tool uses
            return "RGBA", self._asprs(values, fid, valid)
        numbers = style.numeric_values(values)
        if self.numeric is None:
            self.numeric = numbers is not None
        if self.numeric and numbers is not None:
            finite = numbers[np.isfinite(numbers)]
            if len(finite) and not self.fixed:
                lo, hi = float(finite.min()), float(finite.max())
                if self.range is None or lo < self.range[0] or hi > self.range[1]:
                    self.range = [lo, hi] if self.range is None else [min(lo, self.range[0]), max(hi, self.range[1])]
                    self.changed = True
            per_cell = np.full(len(fid), np.nan)
            per_cell[valid] = numbers[fid[valid]]
            return "value", per_cell
        rgba = np.full((len(fid), 4), 255, np.uint8)
        rgba[:, :3] = style.OTHER_RGB
        labels = [tr("(none)") if v is None else str(v) for v in values]
        lut = np.array([self._category(label) for label in labels] or [style.OTHER_RGB], np.uint8)
        rgba[valid, :3] = lut[fid[valid]]
        return "RGBA", rgba

    def _asprs(self, values: list, fid: np.ndarray, valid: np.ndarray) -> np.ndarray:
        from app.model.layers import ASPRS_CLASSES

        self.numeric = False
        codes = np.zeros(len(fid), np.int64)
        codes[valid] = np.asarray(values, dtype=np.int64)[fid[valid]]
        rgba = np.full((len(fid), 4), 255, np.uint8)
        rgba[:, :3] = style.classification_colors(codes)
        for code in np.unique(codes[valid]):
            label = f"{int(code)} {tr(ASPRS_CLASSES.get(int(code), 'User defined'))}"  # class names: viewers.text.MODEL_WORDS
            self.categories.setdefault(label, tuple(int(c) for c in style.classification_colors(np.array([code]))[0]))
        return rgba

    def _category(self, label: str) -> tuple[int, int, int]:
        if label not in self.categories:
            n = len(self.categories)
            self.categories[label] = tuple(style.CATEGORY_RGB[n]) if n < len(style.CATEGORY_RGB) else style.OTHER_RGB
        return self.categories[label]

    def scalar_range(self) -> tuple[float, float]:
        if not self.range:
            return (0.0, 1.0)
        lo, hi = self.range
        return (lo, hi if hi > lo else lo + 1.0)

    def legend(self) -> tuple[str, list[tuple[str, tuple[int, int, int]]]] | None:
        if not self.active or self.numeric or not self.categories:
            return None
        entries = sorted(self.categories.items(), key=lambda kv: style._natural_key(kv[0]))
        return self.name, [(k, v) for k, v in entries]


def elevation_range(layer: Any) -> tuple[float, float] | None:
    """The elevation ramp's range in scene metres: the user's limits, else the layer's bounds."""
    limits = layer.color_limits.get("elevation")
    return tuple(map(float, limits)) if limits else data_range(layer, "elevation")  # type: ignore[return-value]


def elevation_colours(poly: Any, centre: np.ndarray, matrix: np.ndarray, mapper: Any, lut: Any, rng: tuple[float, float]) -> None:
    """Scene heights of a tile part's points (tile-relative, tileset world) on the layer's one
    elevation ramp, with a fixed range, as whole-loaded clouds and meshes are coloured."""
    row = matrix[2]
    poly.point_data["Elevation"] = (np.asarray(poly.points, np.float64) + centre) @ row[:3] + row[3]
    mapper.SetScalarModeToUsePointFieldData()
    mapper.SelectColorArray("Elevation")  # i18n: not shown (the VTK array above)
    mapper.SetLookupTable(lut)
    mapper.SetScalarRange(*rng)
    mapper.SetColorModeToMapScalars()
    mapper.ScalarVisibilityOn()
