"""One visual per layer kind: turns a layer's arrays into VTK actors and follows its events.

A visual subscribes to its layer when created and unsubscribes in `close()`. Arrays change in
place where they can (`Modified()`), actors are not re-created for style changes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyvista as pv

from app.model.color_range import height_datum, shown_range, value_offset
from app.model.comparison import (
    DEVIATION_ATTR, DEVIATION_MODE, NOT_JUDGED, STATUS_MODE, STATUS_ORDER, STATUSES, beyond_tolerance_mask,
)
from app.model.fourd import APPEARANCE, HIDDEN
from app.model.layers import ASPRS_CLASSES, Layer, MeshLayer, MissingLayer, PointCloudLayer, TilesetLayer
from app.model.schedule_progress import SCHEDULE_STATUS_MODE
from app.model.scene import Selection
from viewers import schedule_status_colours, style
from viewers.text import tr
from viewers.legends import Legend
from viewers.textures import mesh_look

if TYPE_CHECKING:
    from viewers.canvas import Canvas

_VISUALS: dict[type, type["Visual"]] = {}


def register_visual(layer_type: type):
    def deco(cls: type["Visual"]) -> type["Visual"]:
        _VISUALS[layer_type] = cls
        return cls

    return deco


def visual_class_for(layer: Layer) -> type["Visual"]:
    """Walk the layer's class hierarchy, as napari's create_vispy_layer does."""
    for cls in type(layer).__mro__:
        if cls in _VISUALS:
            return _VISUALS[cls]
    raise TypeError(f"no visual for layer type {type(layer).__name__}")


class Visual:
    def __init__(self, layer: Layer, canvas: "Canvas") -> None:
        self.layer = layer
        self.canvas = canvas
        self.actor: Any = None
        self.drawn: dict[str, int] = {}
        self.build()
        layer.events.connect(self._on_event)
        layer.data_changed.connect(self._on_data_changed)

    # subclasses
    def build(self) -> None:
        raise NotImplementedError

    def describe_pick(self, cell_id: int, position: np.ndarray) -> Selection:
        return Selection(self.layer, cell_id, {"layer": self.layer.name})

    def set_highlight(self, index: int | None) -> None:
        pass

    # shared
    def _on_event(self, info: Any) -> None:
        name = info.signal.name
        if name == "visible":  # the legend and pick marker follow (Canvas.layout_overlays)
            self.actor.SetVisibility(bool(self.layer.visible))
        elif name == "opacity":
            self.actor.GetProperty().SetOpacity(float(self.layer.opacity))
        elif name == "point_size":
            self.actor.GetProperty().SetPointSize(float(self.layer.point_size))
        elif name == "view_side":  # viewers/split.py re-sorts the actors before the next frame: nothing to rebuild
            pass
        else:
            self.rebuild()
        self.canvas.request_render()

    def _on_data_changed(self) -> None:
        self.rebuild()
        self.canvas.request_render()

    def rebuild(self) -> None:
        self._remove_actor()
        self.build()

    def _remove_actor(self) -> None:
        if self.actor is not None:
            self.canvas.plotter.remove_actor(self.actor, render=False)
            self.actor = None

    def close(self) -> None:
        self.canvas.set_legend(self, None)
        self.layer.events.disconnect(self._on_event)
        self.layer.data_changed.disconnect(self._on_data_changed)
        self._remove_actor()

    def stats(self) -> dict[str, int]:
        return dict(self.drawn) if self.layer.visible else {}

    def _finish(self, actor: Any, legend: Legend | None = None) -> None:
        """Show the new actor; a colour bar legend takes the lookup table the mapper now uses."""
        self.actor = actor
        actor.SetVisibility(bool(self.layer.visible))
        actor.GetProperty().SetOpacity(float(self.layer.opacity))
        if legend is not None and legend.range is not None and legend.lut is None:
            legend.lut = actor.GetMapper().GetLookupTable()
        self.legend = legend
        self.canvas.set_legend(self, legend)
        actor.SetPosition(*getattr(self, "offset", (0.0, 0.0, 0.0)))  # float64: the vertices are relative to it


    def _ramp(self, mode: str, quantity: str, kwargs: dict[str, Any]) -> Legend | None:
        """Fixed colour limits for a numeric mode (the user's, else the whole layer's range, in
        display units) and its colour bar, titled with the layer's name."""
        frame = self.canvas.scene.frame
        offset = value_offset(mode, frame)
        if mode == "elevation":
            quantity = tr("Elevation ({datum})").format(datum=height_datum(frame)[1])
        shown = shown_range(self.layer, mode, frame)
        kwargs["show_scalar_bar"] = False
        if shown is None:
            return None
        clim = (shown[0] - offset, shown[1] - offset)
        kwargs["clim"] = clim
        return Legend(f"{self.layer.name}: {quantity}", range=clim, offset=offset)


@register_visual(MissingLayer)
class MissingVisual(Visual):
    """A project layer whose file was not found: nothing to draw until it is re-linked."""

    def build(self) -> None:
        self.actor = None

    def _on_event(self, info: Any) -> None:
        pass


@register_visual(PointCloudLayer)
class PointCloudVisual(Visual):
    """Points drawn up to the canvas's point budget: octree nodes chosen for the camera when the
    cloud has an octree, else a seeded uniform subsample; hidden classes left out."""

    layer: PointCloudLayer

    def build(self) -> None:
        pos = self.layer.positions
        self.budget_key = self.canvas.budget.key_for(self.layer)
        self.index, self.nodes = self.canvas.budget_selection(self.layer)
        attrs = self.layer.data.get("attributes", {})
        if self.layer.hidden_classes and "classification" in attrs:  # per-class visibility
            keep = ~np.isin(attrs["classification"][self.index], self.layer.hidden_classes)
            self.index = self.index[keep]
        beyond = beyond_tolerance_mask(self.layer)  # "only beyond tolerance" (a compared scan)
        if beyond is not None:
            self.index = self.index[beyond[self.index]]
        self.offset = self.canvas.render_offset(self.layer)  # far layers: float32 relative to their centre
        mesh = pv.PolyData((pos[self.index] - self.offset).astype(np.float32))
        kwargs: dict[str, Any] = {"point_size": self.layer.point_size, "render_points_as_spheres": False,
                                  "reset_camera": False, "render": False, "show_scalar_bar": False, "pickable": True, "lighting": False}
        mode = self.layer.color_mode
        legend: Legend | None = None
        colors = self.layer.data.get("colors")
        if len(self.index) == 0:  # every point hidden, or an empty cloud: pyvista refuses empty scalars
            kwargs.update(color=style.DEFAULT_MESH_RGB)
        elif mode == "rgb" and colors is not None:
            mesh.point_data["RGB"] = colors[self.index]
            kwargs.update(scalars="RGB", rgb=True)
        elif mode == "classification" and "classification" in attrs:
            classes = attrs["classification"][self.index]
            mesh.point_data["RGB"] = style.classification_colors(classes)
            kwargs.update(scalars="RGB", rgb=True)
            title = tr("Classification (ASPRS)")  # tr outside the f-string: pyside6-lupdate does not look inside
            legend = Legend(f"{self.layer.name}: {title}", tuple(
                (f"{c} " + tr(ASPRS_CLASSES.get(int(c), "User defined")), tuple(style.classification_colors(np.array([c]))[0].tolist()))
                for c in np.unique(classes)))
        elif mode == DEVIATION_MODE and DEVIATION_ATTR in attrs and self.layer.data.get("comparison"):
            legend = self._deviation(mesh, kwargs)
        elif mode in attrs and getattr(attrs[mode], "ndim", 0) == 1:
            title = mode.replace("_", " ").capitalize()
            values = attrs[mode][self.index].astype(np.float32)
            mesh.point_data[title] = values
            cmap = style.INTENSITY_CMAP if mode == "intensity" else style.ELEVATION_CMAP
            kwargs.update(scalars=title, cmap=cmap)
            legend = self._ramp(mode, tr(title), kwargs)  # the array keeps its English name; the legend is translated
        else:
            mesh.point_data["Elevation (m)"] = mesh.points[:, 2] + self.offset[2]  # i18n: not shown (array name)
            kwargs.update(scalars="Elevation (m)", cmap=style.ELEVATION_CMAP)  # i18n: not shown (array name)
            legend = self._ramp("elevation", tr("Elevation"), kwargs)
        self.mesh = mesh
        self.drawn = {"points": int(len(self.index))}
        self._finish(self.canvas.plotter.add_mesh(mesh, **kwargs), legend)

    def _deviation_legend(self) -> Legend:
        """Signed deviations from the design: white within tolerance, blue negative, red positive,
        clipped at +/- the range (the user's, made symmetric, else the layer's default: where 99% of
        the near points are, from 3x the tolerance to the far cut-off), far grey."""
        info = self.layer.data["comparison"]
        tol, far = float(info["tolerance"]), float(info["max_distance"])
        limits = self.layer.color_limits.get(DEVIATION_MODE) or self.layer.data_range(DEVIATION_MODE)
        reach = max(abs(limits[0]), abs(limits[1])) if limits else far
        reach = max(reach, tol * 1.01)
        title = tr("Deviation (m)")
        return Legend(f"{self.layer.name}: {title}", lut=style.deviation_lut(tol, reach), range=(-reach, reach),
                      marks=(-tol, tol), note=tr("white: \u00b1{tol:g} m   grey: far > {far:g} m").format(tol=tol, far=far))

    def _deviation_rgb(self, legend: Legend) -> np.ndarray:
        d = self.layer.data["attributes"][DEVIATION_ATTR][self.index]
        return style.deviation_colors(d, float(self.layer.data["comparison"]["tolerance"]), legend.range[1])

    def _deviation(self, mesh: pv.PolyData, kwargs: dict[str, Any]) -> Legend:
        legend = self._deviation_legend()
        mesh.point_data["RGB"] = self._deviation_rgb(legend)
        kwargs.update(scalars="RGB", rgb=True)
        return legend

    def _recolour_deviation(self) -> bool:
        """A new deviation colour range: the same points and actor, their RGB array refilled in place."""
        attrs = self.layer.data.get("attributes", {})
        if (self.layer.color_mode != DEVIATION_MODE or self.actor is None or DEVIATION_ATTR not in attrs
                or not self.layer.data.get("comparison") or "RGB" not in self.mesh.point_data):
            return False
        legend = self._deviation_legend()
        self.mesh.point_data["RGB"][:] = self._deviation_rgb(legend)  # a numpy view of the VTK array
        self.mesh.GetPointData().GetArray("RGB").Modified()
        self.legend = legend
        self.canvas.set_legend(self, legend)
        return True

    def _on_event(self, info: Any) -> None:
        """Shown, hidden or classes hidden: the frame's budget is split again over what is drawn."""
        name = info.signal.name
        if name == "visible":
            self.actor.SetVisibility(bool(self.layer.visible))
            self.canvas.reallocate_points()
        elif name in ("hidden_classes", "only_beyond_tolerance"):
            self.canvas.reallocate_points(force=self)
        elif name == "color_limits" and self._recolour_deviation():
            self.canvas.request_render()
        else:
            super()._on_event(info)

    def describe_pick(self, cell_id: int, position: np.ndarray) -> Selection:
        if not (0 <= cell_id < len(self.index)):
            return Selection(self.layer, -1, {"layer": self.layer.name})
        i = int(self.index[cell_id])
        props = {"layer": self.layer.name, "point": i, **self.canvas.describe_position(self.layer.positions[i])}
        props.update(self.layer.point_attributes(i))
        return Selection(self.layer, i, props)


@register_visual(MeshLayer)
class MeshVisual(Visual):
    """Triangles coloured per element (BIM class, storey, material, any property; tile features)
    or by vertex colours. Hidden elements' faces are left out of the drawn mesh; `face_ids` maps
    drawn cells back to the layer's faces, so picking and highlighting stay right.

    4D (`set_element_states`): per-element states change the same mesh in place (its triangle list
    and its per-cell RGBA array, then `Modified()`); the actor is never re-created per clock step."""

    layer: MeshLayer
    element_states: np.ndarray | None = None  # app.model.fourd states per element, or None: no 4D
    highlighted: np.ndarray = np.zeros(0, dtype=np.int64)  # element indices tinted in the highlight colour

    def _drawn_face_ids(self, n_faces: int) -> np.ndarray:
        """Faces of elements not hidden by the user, the filter or the 4D state."""
        fe = self.layer.data.get("face_element")
        hidden = self.layer.not_drawn_mask()  # user-hidden or filtered out
        states = self._fourd_states()
        if states is not None and len(states) == len(hidden):
            hidden = hidden | (states == HIDDEN)
        if fe is not None and hidden.any() and len(fe) == n_faces:
            fe_arr = np.asarray(fe)
            visible = ~hidden[np.clip(fe_arr, 0, max(len(hidden) - 1, 0))] | (fe_arr < 0)
            return np.flatnonzero(visible)
        return np.arange(n_faces)

    def build(self) -> None:
        d = self.layer.data
        faces = np.asarray(d["faces"], dtype=np.int64)
        self.face_ids = self._drawn_face_ids(len(faces))
        self.face_rgba: np.ndarray | None = None  # (F,4) per-face colours of every face, for 4D updates in place
        drawn = faces[self.face_ids]
        cells = np.hstack([np.full((len(drawn), 1), 3, dtype=np.int64), drawn]).ravel()
        self.offset = self.canvas.render_offset(self.layer)  # far layers: float32 relative to their centre
        mesh = pv.PolyData(np.asarray(d["vertices"] - self.offset, dtype=np.float32), cells)
        kwargs: dict[str, Any] = {"reset_camera": False, "render": False, "show_scalar_bar": False, "pickable": True,
                                  "smooth_shading": False, "ambient": 0.22, "diffuse": 0.8, "specular": 0.05}
        self.legend: Legend | None = None
        self.base_colors = None
        look = None
        mode = self.layer.color_mode
        if mode == "elevation":
            mesh.point_data["Elevation (m)"] = mesh.points[:, 2] + self.offset[2]  # i18n: not shown (array name)
            kwargs.update(scalars="Elevation (m)", cmap=style.ELEVATION_CMAP)  # i18n: not shown (array name)
            self.legend = self._ramp("elevation", tr("Elevation"), kwargs)
        elif len(drawn) and (mode in ("class", "storey", "material") or mode.startswith("property:")):
            self._color_by_element(mesh, mode, kwargs)
        elif len(drawn) and mode == STATUS_MODE and d.get("comparison_status") is not None and d.get("face_element") is not None:
            self._color_by_status(mesh, kwargs)
        elif len(drawn) and mode == SCHEDULE_STATUS_MODE and schedule_status_colours.has_statuses(self.layer):
            schedule_status_colours.colour_by_schedule_status(self, mesh, kwargs)
        else:
            base = self._face_colors(len(faces), len(mesh.points)) if len(drawn) else None
            if base is not None and base.shape[0] == len(faces):
                self.face_rgba = base
                self.base_colors = self._tinted(base[self.face_ids])
                mesh.cell_data["RGBA"] = self.base_colors.copy()
                kwargs.update(scalars="RGBA", rgba=True)
            elif base is not None:
                mesh.point_data["RGBA"] = base
                kwargs.update(scalars="RGBA", rgba=True)
            else:
                kwargs.update(color=style.DEFAULT_MESH_RGB)
            look = mesh_look(d, mesh, self.face_ids)  # glTF materials: textures, normals, unlit, culling
        self.mesh = mesh
        self.drawn = {"triangles": int(len(drawn))}
        if isinstance(self.layer, TilesetLayer) and len(faces):
            self.drawn["tiles"] = int(d.get("tiles", 0))
        self._finish(self.canvas.plotter.add_mesh(mesh, **kwargs), self.legend)
        if look is not None:
            look.apply(self.actor)
            self.drawn["tiles_texture_bytes"] = look.texture_bytes

    def _color_by_element(self, mesh: pv.PolyData, mode: str, kwargs: dict[str, Any]) -> None:
        fe = self.layer.data.get("face_element")
        if fe is None or not self.layer.elements:
            kwargs.update(color=style.DEFAULT_MESH_RGB)
            return
        face_el = np.asarray(fe)[self.face_ids]
        values = self.layer.element_values(mode)
        title = mode[len("property:"):] if mode.startswith("property:") else mode.capitalize()
        numbers = style.numeric_values(values)
        if numbers is not None:
            per_face = np.where(face_el >= 0, numbers[np.clip(face_el, 0, None)], np.nan)
            mesh.cell_data[title] = per_face
            kwargs.update(scalars=title, cmap=style.ELEVATION_CMAP, nan_color=style.OTHER_RGB)
            self.legend = self._ramp(mode, tr(title), kwargs)
            return
        colors, legend = style.category_colors(values, natural_order=(mode == "storey"))
        all_el = np.asarray(fe)
        rgba = np.full((len(all_el), 4), 255, dtype=np.uint8)
        rgba[:, :3] = np.where((all_el >= 0)[:, None], colors[np.clip(all_el, 0, None)], style.OTHER_RGB)
        self.face_rgba = rgba
        self.base_colors = self._tinted(rgba[self.face_ids])
        mesh.cell_data["RGBA"] = self.base_colors.copy()
        kwargs.update(scalars="RGBA", rgba=True)
        self.legend = Legend(f"{self.layer.name}: {tr(title)}", tuple(legend))

    def _color_by_status(self, mesh: pv.PolyData, kwargs: dict[str, Any]) -> None:
        """Comparison statuses in their fixed colours; the legend counts elements per status."""
        status = self.layer.data["comparison_status"]
        all_el = np.asarray(self.layer.data["face_element"])
        lut = np.array([style.STATUS_RGB.get(str(v), style.OTHER_RGB) for v in status] + [style.STATUS_RGB[NOT_JUDGED]],
                       dtype=np.uint8).reshape(-1, 3)
        rgba = np.full((len(all_el), 4), 255, dtype=np.uint8)
        rgba[:, :3] = lut[np.where((all_el >= 0) & (all_el < len(status)), all_el, len(status))]
        self.face_rgba = rgba
        self.base_colors = self._tinted(rgba[self.face_ids])
        mesh.cell_data["RGBA"] = self.base_colors.copy()
        kwargs.update(scalars="RGBA", rgba=True)
        shown = ~np.fromiter((e.hidden_by_default for e in self.layer.elements), bool, len(self.layer.elements))
        values = np.asarray(status, dtype=object)[shown[: len(status)]] if len(shown) == len(status) else status
        entries = tuple((tr(s) + f" ({int(np.count_nonzero(values == s))})", style.STATUS_RGB[s]) for s in STATUS_ORDER
                        if s in STATUSES or np.count_nonzero(values == s))
        title = tr("Comparison status")
        self.legend = Legend(f"{self.layer.name}: {title}", entries)

    def _face_colors(self, n_faces: int, n_points: int) -> np.ndarray | None:
        d = self.layer.data
        fe, elements = d.get("face_element"), d.get("elements") or []
        vc = d.get("vertex_colors")
        if vc is not None and len(vc) == n_points:
            rgba = np.full((n_points, 4), 255, dtype=np.uint8)
            rgba[:, : min(4, vc.shape[1])] = vc[:, :4]
            return rgba
        if fe is not None and elements and len(fe) == n_faces:
            lut = np.array([self._element_rgba(e) for e in elements] + [(*style.DEFAULT_MESH_RGB, 255)], dtype=np.uint8)
            return lut[np.where((fe >= 0) & (fe < len(elements)), fe, len(elements))]
        return None

    @staticmethod
    def _element_rgba(e: Any) -> tuple[int, int, int, int]:
        if e.color is not None:
            r, g, b, a = (list(e.color) + [1.0])[:4]
            return (int(r * 255), int(g * 255), int(b * 255), int(a * 255))
        return (*style.DEFAULT_MESH_RGB, 255)  # loaders give colours (IFC styles, else per class); others stay neutral

    def describe_pick(self, cell_id: int, position: np.ndarray) -> Selection:
        face = int(self.face_ids[cell_id]) if 0 <= cell_id < len(self.face_ids) else -1
        element = self.layer.element_for_face(face)
        if element is None:
            return Selection(self.layer, -1, {"layer": self.layer.name, **self.canvas.describe_position(position)})
        index = int(self.layer.data["face_element"][face])
        props = self.layer.describe_element(index)
        props.update(self.canvas.describe_position(position))
        return Selection(self.layer, index, props)

    def set_highlight(self, index: int | None) -> None:
        """Tint the picked element's faces in the highlight colour, in place."""
        self.set_highlight_elements([] if index is None or index < 0 else [index])

    def set_highlight_elements(self, indices: Any) -> None:
        """Tint these elements' faces (a schedule task's elements, a pick) in the highlight colour, in place."""
        self.highlighted = np.asarray(list(indices), dtype=np.int64)
        if self.base_colors is None or "RGBA" not in self.mesh.cell_data or self.layer.data.get("face_element") is None:
            return
        if not len(self.face_ids):
            return
        rgba = self.mesh.cell_data["RGBA"]
        rgba[:] = self.base_colors
        if len(self.highlighted):
            mask = np.isin(np.asarray(self.layer.data["face_element"])[self.face_ids], self.highlighted)
            rgba[mask, :3] = style.HIGHLIGHT_RGB
            rgba[mask, 3] = 255  # opaque: stands out from 4D's translucent amber (elements under construction)
        self.mesh.cell_data["RGBA"] = rgba
        self.mesh.Modified()

    # --- 4D: per-element appearance in place ------------------------------------------------------
    def _tinted(self, rgba: np.ndarray) -> np.ndarray:
        """Drawn faces' colours with the 4D appearance of their element's state (amber and
        translucent while built, red while demolished, yellow while temporary)."""
        states, fe = self._fourd_states(), self.layer.data.get("face_element")
        if states is None or fe is None:
            return rgba
        face_el = np.asarray(fe)[self.face_ids]
        face_state = np.where(face_el >= 0, states[np.clip(face_el, 0, len(states) - 1)], -1) if len(states) else \
            np.full(len(face_el), -1)
        out = rgba.copy()
        for state, (rgb, opacity) in APPEARANCE.items():
            if rgb is None and opacity >= 1.0:
                continue
            mask = face_state == state
            if mask.any():
                if rgb is not None:
                    out[mask, :3] = np.round(np.asarray(rgb) * 255).astype(np.uint8)
                out[mask, 3] = int(round(opacity * 255))
        return out

    def _fourd_states(self) -> np.ndarray | None:
        """The 4D states to show: none while coloured by schedule status (an element built ahead of plan
        is one 4D would hide; there it shows blue)."""
        return None if self.layer.color_mode == SCHEDULE_STATUS_MODE else self.element_states

    def set_element_states(self, states: np.ndarray | None) -> None:
        """Show each element as its 4D state says (None: as without 4D). The same mesh's triangle list
        and RGBA cell array are replaced in place and marked Modified(); the actor stays. Colourings
        with other per-cell arrays (a numeric property) rebuild instead."""
        self.element_states = None if states is None else np.asarray(states)
        faces = np.asarray(self.layer.data["faces"], dtype=np.int64)
        if self.actor is None or self.layer.data.get("face_element") is None or not len(faces):
            return
        if self.face_rgba is None and any(k != "RGBA" for k in self.mesh.cell_data.keys()):
            self.rebuild()
            return
        from vtkmodules.util.numpy_support import numpy_to_vtkIdTypeArray, vtk_to_numpy

        self.face_ids = self._drawn_face_ids(len(faces))
        n = len(self.face_ids)
        polys = self.mesh.GetPolys()
        polys.SetData(numpy_to_vtkIdTypeArray(np.arange(0, 3 * n + 1, 3, dtype=np.int64), deep=1),
                      numpy_to_vtkIdTypeArray(faces[self.face_ids].ravel(), deep=1))
        polys.Modified()
        self.mesh.DeleteCells()  # the picker's cell lookup is built again from the new list
        rgba = self.mesh.GetCellData().GetArray("RGBA")
        if self.face_rgba is not None and rgba is not None:  # the same VTK array, resized and refilled
            self.base_colors = self._tinted(self.face_rgba[self.face_ids])
            rgba.SetNumberOfTuples(n)
            if n:
                vtk_to_numpy(rgba)[:] = self.base_colors
            rgba.Modified()
            if len(self.highlighted):
                self.set_highlight_elements(self.highlighted)
        self.mesh.Modified()
        self.drawn["triangles"] = n


from viewers import schedule_visual  # noqa: E402,F401 - registers the schedule layer's visual
from viewers import comparison_visual  # noqa: E402,F401 - registers the comparison layer's visual
from viewers import results_visual  # noqa: E402,F401 - registers the result layer visual
from viewers import sensor_visual  # noqa: E402,F401 - registers the live sensor layer's visual
