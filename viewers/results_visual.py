"""The visual of a result layer: its mesh, grid or points coloured by one array at the clock's time,
as a surface, points, an iso-surface, contour lines or a slice, with a colour bar in its units.

Clock steps change arrays in place (`Modified()`); the filtered views (iso, contour, slice) hand a
new filter output to the same mapper. The actor is re-created only when the style changes.
NaN values (dry cells, no data) are not drawn (nan_opacity 0).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyvista as pv

from app.model.results import ResultLayer, corner_heights
from app.model.scene import Selection
from viewers.legends import Legend, format_number
from viewers.text import QT_TR_NOOP, tr
from viewers.visuals import Visual, register_visual

if TYPE_CHECKING:
    from viewers.canvas import Canvas

VALUES = "values"
FILTERED = ("iso", "contour", "slice")
WATER_RGB = ["#a6d8f0", "#5aa9dc", "#2171b5", "#08306b"]  # shallow water light blue (never white), deep water dark
# Arrays the analyses make (keys in the layer's data and project): marked here, translated where drawn
ARRAY_NAMES = (QT_TR_NOOP("depth"), QT_TR_NOOP("water_level"), QT_TR_NOOP("excess"), QT_TR_NOOP("height"), QT_TR_NOOP("limit"))


def step_text(layer: ResultLayer, when: Any) -> str:
    """Which time step `when` shows ("step 2 of 5", "between steps 1 and 2 (25%)"); "" for one state."""
    n = len(layer.steps)
    if n < 2:
        return ""
    i, j, f = layer.step_at(when)
    if j == i:
        return tr("step {step} of {count}").format(step=i + 1, count=n)
    return tr("between steps {first} and {second} ({fraction})").format(first=i + 1, second=j + 1, fraction=f"{f:.0%}")


def _cmap(name: str) -> Any:
    if name != "water":
        return name
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("water", WATER_RGB)


@register_visual(ResultLayer)
class ResultVisual(Visual):
    layer: ResultLayer

    def __init__(self, layer: ResultLayer, canvas: "Canvas") -> None:
        self.clock = canvas.scene.clock
        super().__init__(layer, canvas)
        self.clock.time_changed.connect(self._on_time)

    # --- building -------------------------------------------------------------------------------
    def _dataset(self) -> pv.DataSet:
        from app.analysis.results_export import result_dataset

        return result_dataset(self.layer.data, np.asarray(self.layer.data["vertices"] - self.offset, dtype=np.float32))

    def _clim(self) -> tuple[float, float] | None:
        mode = self.layer.color_mode
        return self.layer.color_limits.get(mode) or self.layer.data_range(mode)

    def build(self) -> None:
        self.offset = self.canvas.render_offset(self.layer)
        self.grid = self._dataset()
        self.points_only = self.grid.n_cells == 0 or isinstance(self.grid, pv.PolyData) and self.grid.GetNumberOfPolys() == 0
        self._set_values(self.clock.time)
        mode, clim = self.layer.color_mode, self._clim()
        kwargs: dict[str, Any] = {"reset_camera": False, "render": False, "show_scalar_bar": False, "pickable": True,
                                  "cmap": _cmap(self.layer.cmap), "nan_opacity": 0.0, "ambient": 0.3, "diffuse": 0.75}
        if clim is not None:
            kwargs["clim"] = clim
        shown = self._shown()
        if mode and VALUES in shown.array_names:
            kwargs["scalars"] = VALUES
        else:
            kwargs["color"] = "lightgrey"
        if self.layer.representation == "points" or self.points_only:
            kwargs.update(style="points", point_size=12.0 if self.points_only else 6.0, render_points_as_spheres=True)
        elif self.layer.representation == "contour":
            kwargs.update(line_width=2.0)
        legend = None
        if mode and clim is not None:
            unit = self.layer.unit(mode)
            legend = Legend(f"{self.layer.name}: {tr(mode)}" + (f" ({unit})" if unit else ""), range=clim)
        self.drawn = {"points": int(self.grid.n_points)} if self.points_only else {"cells": int(self.grid.n_cells)}
        self._finish(self.canvas.plotter.add_mesh(shown, **kwargs), legend)

    def _set_values(self, when: Any) -> None:
        """The shown array (and the lifted heights) at `when`, into the dataset in place."""
        layer, grid, d = self.layer, self.grid, self.layer.data
        if layer.height_by:
            h = layer.values_at(when, layer.height_by)
            if h is not None:
                if layer.is_cell_array(layer.height_by) and d.get("grid_shape") is not None:
                    h = corner_heights(h, d["grid_shape"])
                if len(h) == grid.n_points:
                    base = np.asarray(d["vertices"] - self.offset, dtype=np.float64)
                    grid.points = (base + np.nan_to_num(h, nan=0.0)[:, None] * np.asarray(d["up"])[None, :]).astype(np.float32)
        values = layer.values_at(when)
        if values is None:
            return
        cells = layer.is_cell_array(layer.color_mode)
        target = grid.cell_data if cells else grid.point_data
        if VALUES in target and len(target[VALUES]) == len(values):
            target[VALUES][:] = values  # a numpy view of the VTK array
            (grid.GetCellData() if cells else grid.GetPointData()).GetArray(VALUES).Modified()
        else:
            target[VALUES] = values.astype(np.float64)
        grid.Modified()

    def _shown(self) -> pv.DataSet:
        """The dataset itself, or the iso-surface / contour lines / slice of it."""
        rep = self.layer.representation
        if rep not in FILTERED or self.points_only or VALUES not in self.grid.array_names:
            return self.grid
        src = self.grid.cell_data_to_point_data() if VALUES in self.grid.cell_data else self.grid
        clim = self._clim() or (0.0, 1.0)
        if rep == "slice":
            b = np.asarray(src.bounds).reshape(3, 2)
            axis = "xyz".index(self.layer.slice_axis)
            origin = b.mean(1)
            origin[axis] = b[axis, 0] + (b[axis, 1] - b[axis, 0]) * self.layer.slice_position
            return src.slice(normal=self.layer.slice_axis, origin=tuple(origin))
        if rep == "iso":
            iso = self.layer.iso_value if self.layer.iso_value is not None else (clim[0] + clim[1]) / 2
            return src.contour([float(iso)], scalars=VALUES)
        return src.contour(np.linspace(clim[0], clim[1], 12)[1:-1], scalars=VALUES)

    # --- following the clock ----------------------------------------------------------------------
    def _on_time(self, when: Any) -> None:
        if not self.layer.time_aware or self.actor is None:
            return
        self._set_values(when)
        if self.layer.representation in FILTERED and not self.points_only:
            self.actor.GetMapper().SetInputData(self._shown())
        self.canvas.request_render()

    def describe_pick(self, cell_id: int, position: np.ndarray) -> Selection:
        props: dict[str, Any] = {"layer": self.layer.name, **self.canvas.describe_position(position)}
        mode = self.layer.color_mode
        values = self.layer.values_at(self.clock.time)
        if values is not None and self.layer.representation not in FILTERED:
            if self.layer.is_cell_array(mode):
                index = cell_id
            else:
                index = int(self.grid.find_closest_point(np.asarray(position) - self.offset))
            if 0 <= index < len(values):
                unit = self.layer.unit(mode)
                props[f"{mode} ({unit})" if unit else mode] = format_number(float(values[index]))
        label = step_text(self.layer, self.clock.time)
        if label:
            props["time step"] = label
        return Selection(self.layer, cell_id, props)

    def close(self) -> None:
        self.clock.time_changed.disconnect(self._on_time)
        super().close()
