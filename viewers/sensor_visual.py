"""The visual of a live sensor layer: one glyph poly data for every sensor (spheres through
vtkGlyph3D), sized and coloured by the shown quantity, alerts red and pulsing, stale sensors grey,
movers with tracks of their recent positions (or, in density mode, only a heat grid of them with
a minimum count per cell), value labels and a legend "layer: quantity (unit)".

Why arrays in place: readings arrive up to 1,000 a second; the GUI drains them at most ten times a
second and this visual redraws at most once per frame (`update_view`, called by the canvas just
before it renders). The same poly data and actors live as long as the layer; only their numpy-backed
arrays are refilled and marked Modified().
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyvista as pv
import vtk
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy

from app.model.scene import Selection
from app.model.sensors import SensorLayer, SensorView
from viewers import style
from viewers.legends import Legend, format_number
from viewers.sensor_labels import MAX_LABELS, SensorLabels
from viewers.text import tr
from viewers.visuals import Visual, register_visual

if TYPE_CHECKING:
    from viewers.canvas import Canvas

VALUE_CMAP = "viridis"
NO_VALUE_RGB = (120, 140, 160)  # a sensor without the shown quantity
WARN_RGB = (245, 150, 30)
ALERT_RGB = (220, 30, 30)
STALE_RGB = (150, 150, 150)
TRACK_RGB = (30, 70, 140)
PULSE_HZ = 1.5
PULSE_FPS = 10  # the pulse animates at most this often (the feed timer's rate)
GLYPH_RESOLUTION = ((500, (16, 12)), (10**12, (10, 7)))  # sensors -> sphere resolution
SPLAT_ABOVE = 500
SPLAT_SHADER = (  # a disc shaded like a sphere seen from the camera
    "//VTK::Color::Impl\n"
    "float dist = dot(offsetVCVSOutput.xy, offsetVCVSOutput.xy);\n"
    "if (dist > 1.0) { discard; }\n"
    "float shade = 0.5 + 0.5 * sqrt(1.0 - dist);\n"
    "ambientColor *= shade;\n"
    "diffuseColor *= shade;\n"
)
TRACK_JUMP_M = 60.0  # a step longer than this between two positions is a jump, not a path
LIVE_REFRESH_S = 1.0  # staleness is checked against the wall clock at least this often while live


def value_table(n: int = 256) -> np.ndarray:
    """(n,3) uint8 of the value colour map."""
    from matplotlib import colormaps

    return np.round(colormaps[VALUE_CMAP](np.linspace(0, 1, n))[:, :3] * 255).astype(np.uint8)


def heat_table(n: int = 256) -> np.ndarray:
    from matplotlib import colormaps

    return np.round(colormaps["inferno"](np.linspace(0.25, 1, n))[:, :3] * 255).astype(np.uint8)


def _lut(table: np.ndarray, lo: float, hi: float) -> vtk.vtkLookupTable:
    lut = vtk.vtkLookupTable()
    lut.SetNumberOfTableValues(len(table))
    for i, c in enumerate(table):
        lut.SetTableValue(i, c[0] / 255, c[1] / 255, c[2] / 255, 1.0)
    lut.SetTableRange(lo, hi)
    lut.Build()
    return lut


def _split_jumps(track: np.ndarray, jump_m: float = TRACK_JUMP_M) -> list[np.ndarray]:
    """A track cut where it jumps (a vehicle that re-enters at the other end of its street)."""
    if len(track) < 2:
        return [track]
    cuts = np.flatnonzero(np.linalg.norm(np.diff(track, axis=0), axis=1) > jump_m) + 1
    return np.split(track, cuts)


@register_visual(SensorLayer)
class SensorVisual(Visual):
    layer: SensorLayer

    def __init__(self, layer: SensorLayer, canvas: "Canvas") -> None:
        self.dirty = True
        self.highlighted: int | None = None
        self.shown = np.zeros(0, dtype=np.int64)  # glyph point -> sensor row
        self.view: SensorView | None = None
        self._refreshed = 0.0
        self._legend_key: tuple | None = None
        self.table = value_table()
        self.heat = heat_table()
        super().__init__(layer, canvas)
        layer.readings_added.connect(self._changed)
        layer.view_time_changed.connect(self._changed)
        layer.alerts.changed.connect(self._changed)
        layer.privacy_changed.connect(self._changed)
        self.clock = canvas.scene.clock
        self.clock.time_changed.connect(self._on_time)
        self._on_time(self.clock.time)

    # --- actors (made once) -------------------------------------------------------------------
    def build(self) -> None:
        p = self.canvas.plotter
        self.points = vtk.vtkPolyData()
        self._fill_points(np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=np.float32),
                          np.zeros((0, 4), dtype=np.uint8))
        sphere = vtk.vtkSphereSource()
        sphere.SetThetaResolution(14)
        sphere.SetPhiResolution(10)
        self.sphere = sphere
        glyph = vtk.vtkGlyph3D()
        glyph.SetSourceConnection(sphere.GetOutputPort())
        glyph.SetInputData(self.points)
        glyph.SetScaleModeToScaleByScalar()
        glyph.SetInputArrayToProcess(0, 0, 0, vtk.vtkDataObject.FIELD_ASSOCIATION_POINTS, "size")
        glyph.SetColorModeToColorByScalar()
        glyph.OrientOff()
        glyph.GeneratePointIdsOn()  # picked cell -> input point -> sensor row
        self.glyph = glyph
        mapper = vtk.vtkPolyDataMapper()
        mapper.SetInputConnection(glyph.GetOutputPort())
        mapper.SetScalarModeToUsePointFieldData()
        mapper.SelectColorArray("rgba")
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()
        self.glyph_mapper = mapper
        splat = vtk.vtkPointGaussianMapper()  # many sensors: one shaded disc per sensor, not a sphere mesh
        splat.SetInputData(self.points)
        splat.SetScaleArray("size")
        splat.SetScaleFactor(0.5)  # "size" is a diameter
        splat.SetSplatShaderCode(SPLAT_SHADER)
        splat.EmissiveOff()
        splat.SetScalarModeToUsePointFieldData()
        splat.SelectColorArray("rgba")
        splat.SetColorModeToDirectScalars()
        splat.ScalarVisibilityOn()
        self.splat_mapper = splat
        actor = vtk.vtkActor()
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetAmbient(0.3)
        prop.SetDiffuse(0.75)
        prop.SetSpecular(0.15)
        p.add_actor(actor, reset_camera=False, render=False, pickable=True)
        self.tracks = pv.PolyData()
        self.track_actor = p.add_mesh(self.tracks, color=TRACK_RGB, line_width=3, pickable=False, reset_camera=False,
                                      render=False, lighting=False, opacity=0.85)
        self.cells = pv.PolyData()
        self.density_actor = p.add_mesh(self.cells, scalars=None, pickable=False, reset_camera=False, render=False,
                                        lighting=False, opacity=0.7)
        self.labels = SensorLabels(p.renderer, p.render_window, font_scale=lambda: self.canvas.font_scale)
        self.lut = _lut(self.table, 0.0, 1.0)
        self.actor = actor
        actor.SetVisibility(bool(self.layer.visible))
        prop.SetOpacity(float(self.layer.opacity))
        self.legend = None
        self.drawn = {}
        self.dirty = True

    def _set_visible(self) -> None:
        on = bool(self.layer.visible)
        self.actor.SetVisibility(on)
        self.track_actor.SetVisibility(on and not self.layer.shows_density)
        self.density_actor.SetVisibility(on and self.layer.shows_density)
        self.labels.set_visible(on and self.layer.show_labels)

    # --- events ---------------------------------------------------------------------------------
    def _changed(self, *_: Any) -> None:
        self.dirty = True
        self.canvas.request_render()

    def _on_time(self, when: Any) -> None:
        self.layer.set_clock_time(when)

    def _on_event(self, info: Any) -> None:
        name = info.signal.name
        if name == "opacity":
            self.actor.GetProperty().SetOpacity(float(self.layer.opacity))
        elif name != "view_side":
            self.dirty = True  # style, thresholds, density, labels: the next frame redraws the arrays
        self._set_visible()
        self.canvas.request_render()

    def _on_data_changed(self) -> None:
        self._changed()

    def rebuild(self) -> None:  # nothing is re-created: the arrays are refilled
        self._changed()

    def update_view(self) -> bool:
        """Called by the canvas before each render and by the GUI's poll timer (10 Hz): at most one
        refresh per frame; a pulsing alert or an ageing live layer asks for its own render. Always
        False: "busy" means streaming work the view waits for (tests, `render`, zoom-to settling),
        and an alert can pulse for as long as nobody acknowledges it."""
        now = time.monotonic()
        pulsing = self.view is not None and bool(self.view.pulsing.any()) and now - self._refreshed >= 1.0 / PULSE_FPS
        ageing = self.layer.live and now - self._refreshed >= LIVE_REFRESH_S and len(self.layer.store) > 0
        if self.dirty or pulsing or ageing:
            self.refresh()
            if pulsing or ageing:
                self.canvas.request_render()
        return False

    # --- drawing ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.dirty = False
        self._refreshed = time.monotonic()
        layer = self.layer
        view = self.view = layer.view()
        placed = view.known & ~np.isnan(view.positions[:, 0])
        show = placed & ~view.mover if layer.shows_density else placed
        rows = np.flatnonzero(show)
        lo_hi = layer.value_range() or (0.0, 1.0)
        lo, hi = lo_hi[0], lo_hi[1] if lo_hi[1] > lo_hi[0] else lo_hi[0] + 1.0
        value = view.value[rows]
        has = ~np.isnan(value)
        norm = np.clip((np.nan_to_num(value) - lo) / (hi - lo), 0.0, 1.0)
        size = np.full(len(rows), layer.glyph_size_m, dtype=np.float32)
        if layer.size_by_value:
            size = np.where(has, layer.glyph_size_m * (0.6 + 0.9 * norm), layer.glyph_size_m * 0.6).astype(np.float32)
        rgba = np.empty((len(rows), 4), dtype=np.uint8)
        rgba[:, 3] = 255
        rgba[:, :3] = np.where(has[:, None], self.table[(norm * (len(self.table) - 1)).astype(np.int64)], NO_VALUE_RGB)
        level = view.level[rows]
        rgba[level == 1, :3] = WARN_RGB
        rgba[level >= 2, :3] = ALERT_RGB
        stale = view.stale[rows]
        rgba[stale, :3] = STALE_RGB
        pulse = view.pulsing[rows] & ~stale
        if pulse.any():  # about 1.5 beats a second, up to 60 % larger
            phase = 0.5 + 0.5 * math.sin(2 * math.pi * PULSE_HZ * time.monotonic())
            size[pulse] *= np.float32(1.0 + 0.6 * phase)
        if self.highlighted is not None:
            mark = rows == self.highlighted
            rgba[mark, :3] = style.HIGHLIGHT_RGB
            size[mark] *= np.float32(1.3)
        self._set_resolution(len(rows))
        self._fill_points(view.positions[rows].astype(np.float32), size, rgba)
        self.shown = rows
        self._draw_tracks(layer.shows_density)
        self._draw_density(layer.shows_density)
        self._draw_labels(rows, view, size)
        self._update_legend(lo, hi)
        self.drawn = {"sensors": int(len(rows))}
        self._set_visible()

    def _set_resolution(self, n: int) -> None:
        """Coarser spheres for more sensors; past SPLAT_ABOVE one shaded disc each (vtkPointGaussianMapper):
        10,000 spheres of even 36 triangles cost this software renderer several times the frame."""
        mapper = self.splat_mapper if n > SPLAT_ABOVE else self.glyph_mapper
        if self.actor is not None and self.actor.GetMapper() is not mapper:
            self.actor.SetMapper(mapper)
        theta, phi = next(res for limit, res in GLYPH_RESOLUTION if n <= limit)
        if (self.sphere.GetThetaResolution(), self.sphere.GetPhiResolution()) != (theta, phi):
            self.sphere.SetThetaResolution(theta)
            self.sphere.SetPhiResolution(phi)

    def _fill_points(self, pts: np.ndarray, size: np.ndarray, rgba: np.ndarray) -> None:
        """Same count as before: the VTK arrays are written in place through numpy views; else new
        arrays of the new length on the same poly data (the glyph filter and actor stay)."""
        poly = self.points
        n = len(pts)
        arrays = poly.GetPointData()
        if poly.GetNumberOfPoints() == n and arrays.GetArray("size") is not None and n:
            vtk_to_numpy(poly.GetPoints().GetData())[:] = pts
            vtk_to_numpy(arrays.GetArray("size"))[:] = size
            vtk_to_numpy(arrays.GetArray("rgba"))[:] = rgba
            poly.GetPoints().Modified()
            arrays.GetArray("size").Modified()
            arrays.GetArray("rgba").Modified()
        else:
            points = vtk.vtkPoints()
            points.SetData(numpy_to_vtk(np.ascontiguousarray(pts, dtype=np.float32).reshape(-1, 3), deep=1))
            poly.SetPoints(points)
            verts = vtk.vtkCellArray()  # one vertex cell per point: the splats are picked as these cells
            if n:
                verts.SetData(numpy_to_vtkIdTypeArray(np.arange(n + 1, dtype=np.int64), deep=1),
                              numpy_to_vtkIdTypeArray(np.arange(n, dtype=np.int64), deep=1))
            poly.SetVerts(verts)
            sizes = numpy_to_vtk(np.ascontiguousarray(size, dtype=np.float32), deep=1)
            sizes.SetName("size")
            colours = numpy_to_vtk(np.ascontiguousarray(rgba, dtype=np.uint8).reshape(-1, 4), deep=1,
                                   array_type=vtk.VTK_UNSIGNED_CHAR)
            colours.SetName("rgba")
            arrays.RemoveArray("size")
            arrays.RemoveArray("rgba")
            arrays.AddArray(sizes)
            arrays.AddArray(colours)
        arrays.SetActiveScalars("size")
        poly.Modified()

    def _draw_tracks(self, density: bool) -> None:
        tracks = [] if density else [part for t in self.layer.tracks() for part in _split_jumps(t) if len(part) >= 2]
        if not tracks:
            self.tracks.copy_from(pv.PolyData())
            return
        pts = np.concatenate(tracks).astype(np.float32)
        cells, start = [], 0
        for t in tracks:
            cells.append(np.r_[len(t), np.arange(start, start + len(t))])
            start += len(t)
        self.tracks.copy_from(pv.PolyData(pts, lines=np.concatenate(cells).astype(np.int64)))

    def _draw_density(self, density: bool) -> None:
        centres, counts = self.layer.density_grid() if density else (np.zeros((0, 3)), np.zeros(0))
        if not len(centres):
            self.cells.copy_from(pv.PolyData())
            return
        half = self.layer.density_cell_m * 0.48
        corners = np.array([[-half, -half, 0.3], [half, -half, 0.3], [half, half, 0.3], [-half, half, 0.3]])
        pts = (centres[:, None, :] + corners[None]).reshape(-1, 3).astype(np.float32)
        faces = np.column_stack([np.full(len(centres), 4), np.arange(len(centres) * 4).reshape(-1, 4)]).ravel()
        grid = pv.PolyData(pts, faces=faces)
        top = max(int(counts.max()), self.layer.density_min_count + 1)
        t = (counts - self.layer.density_min_count) / max(1, top - self.layer.density_min_count)
        rgb = self.heat[(np.clip(t, 0, 1) * (len(self.heat) - 1)).astype(np.int64)]
        grid.cell_data["heat"] = rgb
        self.cells.copy_from(grid)
        mapper = self.density_actor.GetMapper()
        mapper.SetScalarModeToUseCellFieldData()
        mapper.SelectColorArray("heat")
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()

    def _draw_labels(self, rows: np.ndarray, view: SensorView, size: np.ndarray) -> None:
        if not self.layer.show_labels or not len(rows):
            self.labels.update(np.zeros((0, 3)), [], np.zeros(0, dtype=np.int64))
            return
        priority = view.level[rows].astype(np.int64) * 10 + (~view.stale[rows]).astype(np.int64)
        pick = np.argsort(-priority, kind="stable")[:MAX_LABELS]  # only these are formatted and placed
        texts = self.label_texts(rows[pick], view)
        pos = view.positions[rows[pick]].copy()
        pos[:, 2] += size[pick] * 0.75
        self.labels.update(pos, texts, priority[pick])

    def label_texts(self, rows: np.ndarray, view: SensorView) -> list[str]:
        """The shown quantity's latest value with its unit; a sensor without it shows its own first
        quantity (a crane's load in a layer coloured by vehicle speed)."""
        store, layer = self.layer.store, self.layer
        unit = layer.unit()
        shown = view.value[rows]
        lo_hi = layer.value_range()  # the legend's precision: 0-94 ug/m3 in whole numbers, 0-1 m in cm
        span = lo_hi[1] - lo_hi[0] if lo_hi else 100.0
        values = view.values[rows]
        has = ~np.isnan(values)
        first = has.argmax(axis=1) if values.shape[1] else np.zeros(len(rows), dtype=np.int64)
        out = []
        for k, v in enumerate(shown):
            if not math.isnan(v):
                out.append(f"{format_number(float(v), span)} {unit}".strip())
            elif values.shape[1] and has[k, first[k]]:
                name = store.quantities[int(first[k])]
                value = float(values[k, first[k]])
                out.append(f"{format_number(value, max(abs(value), 10.0))} {store.units.get(name, '')}".strip())
            else:
                out.append("\u2013")
        return out

    def _update_legend(self, lo: float, hi: float) -> None:
        layer = self.layer
        quantity = layer.shown_quantity()
        if not quantity:
            self.canvas.set_legend(self, None)
            self._legend_key = None
            return
        unit = layer.unit()
        title = f"{layer.name}: {quantity} ({unit})" if unit else f"{layer.name}: {quantity}"
        levels = layer.thresholds.get(quantity, {})
        notes = []
        if "alert" in levels:
            notes.append(tr("red \u2265 {level}").format(level=format_number(levels["alert"], hi - lo)))
        if "warn" in levels:
            notes.append(tr("orange \u2265 {level}").format(level=format_number(levels["warn"], hi - lo)))
        notes.append(tr("grey: stale"))
        if layer.shows_density:
            notes.append(tr("heat: movers per cell (\u2265 {n})").format(n=layer.density_min_count))
        note = tr(", ").join(notes)
        marks = tuple(v for v in (levels.get("warn"), levels.get("alert")) if v is not None)
        key = (title, lo, hi, note, marks)
        if key == self._legend_key:
            return
        self._legend_key = key
        self.lut.SetTableRange(lo, hi)
        self.legend = Legend(title, lut=self.lut, range=(lo, hi), marks=marks, note=note)
        self.canvas.set_legend(self, self.legend)

    # --- picking ------------------------------------------------------------------------------
    def row_for_cell(self, cell_id: int) -> int | None:
        if self.actor.GetMapper() is self.splat_mapper:  # a vertex cell of the input points
            return int(self.shown[cell_id]) if 0 <= cell_id < len(self.shown) else None
        out = self.glyph.GetOutput()
        if not (0 <= cell_id < out.GetNumberOfCells()):
            return None
        ids = out.GetPointData().GetArray("InputPointIds")
        point = out.GetCell(cell_id).GetPointId(0)
        k = int(ids.GetTuple1(point)) if ids is not None else -1
        return int(self.shown[k]) if 0 <= k < len(self.shown) else None

    def describe_pick(self, cell_id: int, position: np.ndarray) -> Selection:
        row = self.row_for_cell(cell_id)
        if row is None:
            return Selection(self.layer, -1, {"layer": self.layer.name})
        props = self.layer.describe(row)
        props.update(self.canvas.describe_position(self.layer.state().positions[row]))
        return Selection(self.layer, row, props)

    def set_highlight(self, index: int | None) -> None:
        self.highlighted = None if index is None or index < 0 else int(index)
        self._changed()

    def stats(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        self.layer.readings_added.disconnect(self._changed)
        self.layer.view_time_changed.disconnect(self._changed)
        self.layer.alerts.changed.disconnect(self._changed)
        self.layer.privacy_changed.disconnect(self._changed)
        self.clock.time_changed.disconnect(self._on_time)
        for actor in (self.track_actor, self.density_actor):
            self.canvas.plotter.remove_actor(actor, render=False)
        self.labels.close()
        super().close()
