"""The one canvas: a pyvista plotter (QtInteractor in the GUI, off-screen for `render`).

It owns the visuals (layer -> visual), the look of the scene (sky, ground grid, sun light,
FXAA, north arrow, scale bar) and coalesces render requests into one render per frame.
"""
from __future__ import annotations

import time
import weakref
import warnings
from typing import Any, Callable

import numpy as np
import pyvista as pv
import vtk

from app.model.layers import Layer, PointCloudLayer
from app.model.scene import Camera, Scene, Selection
from viewers import style
from viewers.clipping import clipping_range
from viewers.navigation import DEFAULT_NAVIGATION, make_navigation
from viewers.lod import camera_state_from_vtk, frustum_planes_from_vtk
from viewers.budget import PointBudget
from viewers.legends import GAP, Legend, LegendStack, Rect
from viewers.overlays import NORTH_ARROW_VIEWPORT, ScaleBar, StatsOverlay, nice_length, north_arrow_rect
from viewers.split import SideBySide
from viewers.sun_light import SunLight
from viewers.annotation_visual import AnnotationOverlay
from viewers.section import SectionView
from viewers.visuals import Visual, visual_class_for
from viewers.tiles import visual as _tiles_visual  # noqa: F401  (registers the streamed tileset visual)

DRAG_LOD_INTERVAL_S = 0.25
SUN_DIRECTION = (0.45, -0.6, 0.66)
FAR_VIEW_M = 50_000.0  # farther from the origin than this, zoom-to looks along the local vertical there
FLOAT32_EXACT_M = 10_000.0  # float32 steps stay under 1 mm out to here; farther layers draw relative to their centre
DEFAULT_POINT_BUDGET = 300_000  # software GL here draws ~2.5 M points/s: keep frames interactive


class Canvas:
    def __init__(self, plotter: pv.BasePlotter, scene: Scene, schedule: Callable[[Callable[[], None]], None] | None = None,
                 point_budget: int = DEFAULT_POINT_BUDGET) -> None:
        self.plotter = plotter
        self.scene = scene
        self.point_budget = int(point_budget)
        self._schedule = schedule
        self._render_pending = False
        self._last_drag_lod = 0.0
        self.visuals: dict[int, Visual] = {}
        self.frame_ms = 0.0
        self._ground: Any = None
        self._highlight: Visual | None = None
        self._marker: Any = None
        self.eye_dome_lighting = False
        self.navigation = DEFAULT_NAVIGATION
        self._legends: dict[int, Legend] = {}  # id(visual) -> its legend; drawn while its layer is visible
        self.font_scale = 1.0  # texts over the scene (set_font_scale): larger in briefing mode and hi-res exports
        self.budget = PointBudget(self)  # one allocation of point_budget over every visible point layer
        self._setup_look()
        self.side_by_side = SideBySide(self)  # split view and swipe (viewers/split.py)
        self.sun_light = SunLight(self)  # the sun follows the clock and casts shadows when on (viewers/sun_light.py)
        self.section = SectionView(self)  # clipping plane / section box cutting every layer (viewers/section.py)
        self.annotations = AnnotationOverlay(self)  # measurements and labels over the view (viewers/annotation_visual.py)
        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)
        scene.selection_changed.connect(self._on_selection)
        scene.origin_moved.connect(self._on_origin_moved)
        for layer in scene.layers:
            self._on_inserted(0, layer)

    # --- look ---------------------------------------------------------------------------------
    def _setup_look(self) -> None:
        p = self.plotter
        pv.global_theme.allow_empty_mesh = True  # every element hidden, an empty cloud: draw nothing, do not fail
        p.theme.allow_empty_mesh = True  # the plotter copied the global theme when it was made
        p.set_background(style.SKY_BOTTOM, top=style.SKY_TOP)
        p.remove_all_lights()
        sun = pv.Light(light_type="scene light", intensity=0.75)
        sun.positional = False
        sun.position = SUN_DIRECTION  # from the south-east, ~40 deg up
        sun.focal_point = (0, 0, 0)
        p.add_light(sun)
        self._sun, self._sun_axes = sun, np.eye(3)
        self._boxes: dict[int, tuple[Any, Any, np.ndarray | None]] = {}  # id(layer) -> (array ref, shape, bounds)
        p.add_light(pv.Light(light_type="headlight", intensity=0.35))
        self._enable_antialiasing()
        self.overlay = self._make_overlay_renderer()
        arrow = p.add_north_arrow_widget(viewport=NORTH_ARROW_VIEWPORT, color="#c0392b", interactive=False)
        arrow.SetCurrentRenderer(self.overlay)  # its viewport is a fraction of this renderer's: the window's
        self.scale_bar = ScaleBar(p.renderer, self.overlay)
        self.legends = LegendStack(self.overlay)
        self.stats_overlay = StatsOverlay(self.overlay)
        if getattr(p, "iren", None) is not None:  # a real window: refine the clouds when the user lets go
            self.set_navigation(DEFAULT_NAVIGATION)
            p.iren.add_observer("EndInteractionEvent", lambda *_: self.update_lod())
            p.iren.add_observer("InteractionEvent", lambda *_: self._refine_during_drag())
        # Time the render window, not the renderer: software GL rasterises at finish/swap time.
        self._t_start = 0.0
        p.render_window.AddObserver("StartEvent", self._on_render_start)
        p.render_window.AddObserver("EndEvent", self._on_rendered)

    def _make_overlay_renderer(self) -> Any:
        """A renderer over the whole window, on a layer above the scene, for 2D overlays (legends,
        north arrow, scale bar, statistics): in split view the scene's renderer is only the left
        half, and these belong to the whole view. It shares the scene's camera (the north arrow
        turns with it), takes no mouse events and clears neither colour (a layer above 0) nor depth."""
        window = self.plotter.render_window
        overlay = vtk.vtkRenderer()
        window.SetNumberOfLayers(max(2, window.GetNumberOfLayers()))
        overlay.SetLayer(1)
        overlay.SetViewport(0.0, 0.0, 1.0, 1.0)
        overlay.InteractiveOff()
        overlay.PreserveDepthBufferOn()  # navigation reads the scene's depth under the cursor
        overlay.SetActiveCamera(self.plotter.renderer.GetActiveCamera())
        window.AddRenderer(overlay)
        return overlay

    def set_navigation(self, mode: str) -> None:
        """Terrain (turntable, z up, the default) or trackball. Either way VTK's and pyvista's
        own keys (w, s, 3, r, e, q, f, p, j, t, v, b, +, -...) are off: only the app's shortcuts act."""
        iren = getattr(self.plotter, "iren", None)
        if iren is None:
            return
        iren.style = make_navigation(mode)
        iren.clear_key_event_callbacks()
        self.navigation = iren.style.mode

    def _enable_antialiasing(self) -> None:
        """FXAA on a real window; off-screen VTK (EGL/OSMesa) has no FXAA and pyvista would
        fall back to 4x-cost SSAA, so use multisampling there instead."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                self.plotter.enable_anti_aliasing("msaa" if self.plotter.off_screen else "fxaa")
            except Exception:  # noqa: BLE001 - a GL context without either still renders
                pass

    def _on_render_start(self, *_: Any) -> None:
        self._t_start = time.perf_counter()
        self.update_clipping()  # after whatever reset it (interactor styles, pyvista): what is in view
        self._orient_sun()
        self.scale_bar.update()
        self.layout_overlays()

    def _on_rendered(self, *_: Any) -> None:
        self.frame_ms = (time.perf_counter() - self._t_start) * 1000.0

    def set_eye_dome_lighting(self, on: bool) -> None:
        """EDL shades points by depth so that uncoloured scans show their shape (Potree, CloudCompare)."""
        if on == self.eye_dome_lighting:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if on:
                self.plotter.enable_eye_dome_lighting()
            else:
                self.plotter.disable_eye_dome_lighting()
        self.eye_dome_lighting = on
        self.side_by_side.set_eye_dome_lighting(on)  # the split view's right half too
        self.request_render()

    def set_font_scale(self, scale: float) -> None:
        """Every text and 2D overlay drawn over the scene at `scale` x its size: 1.5 in briefing
        mode (readable on a projector), 2-4 in a hi-res export (the same share of the picture).
        Visuals that draw labels read `font_scale` too."""
        self.font_scale = max(0.25, float(scale))
        self.legends.scale = self.font_scale
        self.scale_bar.scale = self.font_scale
        self.legends.clear()
        self.annotations.rebuild()  # measurement and annotation labels
        self.request_render()

    def set_legend(self, owner: object, legend: Legend | None) -> None:
        """A visual's legend (categories or a colour bar), or None to drop it. One per layer,
        drawn while the layer is visible, stacked in layer order (layout_overlays)."""
        if legend is None or (not legend.entries and not legend.is_bar):
            self._legends.pop(id(owner), None)
        else:
            self._legends[id(owner)] = legend
        self.request_render()

    def visible_legends(self) -> list[Legend]:
        """The legends of visible layers, in the layer list's order."""
        out = []
        for layer in self.scene.layers:
            visual = self.visuals.get(id(layer))
            legend = self._legends.get(id(visual)) if visual is not None else None
            if legend is not None and layer.visible:
                out.append(legend)
        return out

    def layout_overlays(self) -> None:
        """Every overlay in its own corner for the current view size (called before each render):
        legends stacked top-right, below the statistics panel when the view is too narrow for
        both, above the north arrow and the scale bar. The pick marker follows its layer."""
        size = tuple(int(v) for v in self.overlay.GetSize())
        stats = self.stats_overlay.rect(size)
        if stats:  # rounded out to 32 px: a new frame time must not rebuild the legends every frame
            stats = (stats[0], stats[1] // 32 * 32, -(-stats[2] // 32) * 32, stats[3])
        floor = max(north_arrow_rect(size)[3], self.scale_bar.rect[3]) + GAP
        self.legends.show(self.visible_legends(), size, [stats] if stats else [], floor)
        if self._marker is not None:
            layer = self.scene.selection.layer
            self._marker.SetVisibility(bool(layer is not None and layer.visible))

    def overlay_rects(self) -> dict[str, Rect]:
        """Pixel rectangles (x0, y0, x1, y1; y up) of what is drawn over the scene, for checks."""
        size = tuple(int(v) for v in self.overlay.GetSize())
        out: dict[str, Rect] = {"north arrow": north_arrow_rect(size), "scale bar": self.scale_bar.rect}
        stats = self.stats_overlay.rect(size)
        if stats:
            out["statistics"] = stats
        for legend, rect in zip(self.legends.drawn, self.legends.rects):
            out[f"legend {legend.title}"] = rect
        return out

    def update_ground(self) -> None:
        """A subtle grid at the scene's ground level so that objects never float in the sky."""
        if self._ground is not None:
            self.plotter.remove_actor(self._ground, render=False)
            self._ground = None
        b = self.scene.local_bounds()  # the layers near the origin: never a grid 12,000 km wide
        if b is None:
            return
        size = float(max(b[1][:2] - b[0][:2]) * 1.6 + 50)
        step = nice_length(size / 20)
        n = int(min(60, max(2, size / step)))
        centre = (b[0] + b[1]) / 2
        grid = pv.Plane(center=(centre[0], centre[1], b[0][2] - 0.05), i_size=n * step, j_size=n * step,
                        i_resolution=n, j_resolution=n)
        self._ground = self.plotter.add_mesh(grid, style="wireframe", color=style.GROUND_GRID, opacity=0.25,
                                             line_width=1, pickable=False, reset_camera=False, render=False,
                                             lighting=False)

    # --- layers -------------------------------------------------------------------------------
    def _on_inserted(self, index: int, layer: Layer) -> None:
        self.budget.dirty = True
        self.visuals[id(layer)] = visual_class_for(layer)(layer, self)
        if isinstance(layer, PointCloudLayer):
            self.update_lod()  # the other clouds give up their share of the budget
        self.update_ground()
        self.request_render()

    def _on_removed(self, index: int, layer: Layer) -> None:
        self._boxes.pop(id(layer), None)
        visual = self.visuals.pop(id(layer), None)
        if visual is not None:
            if self._highlight is visual:
                self._highlight = None
            visual.close()
        if self.scene.selection.layer is layer:
            self.scene.select(Selection())
        if isinstance(layer, PointCloudLayer):
            self.reallocate_points()
        self.update_ground()
        self.request_render()

    def budget_selection(self, layer: PointCloudLayer) -> tuple[np.ndarray, np.ndarray | None]:
        """This layer's part of the frame's one point budget (viewers.budget): octree nodes, the
        whole cloud, or a subsample of it. Returns (point indices, node ids or None)."""
        return self.budget.selection(layer)

    def reallocate_points(self, force: object = None) -> None:
        """Point layers came, went, were shown, hidden or had classes hidden: split the budget
        again (and rebuild `force`, a visual whose drawing changed whatever its share)."""
        self.budget.dirty = True
        self.update_lod(force)

    def update_lod(self, force: object = None) -> None:
        """After the camera moved: one new allocation; rebuild only clouds whose share changed."""
        self.budget.dirty = True
        for visual in list(self.visuals.values()):
            if isinstance(visual.layer, PointCloudLayer) and hasattr(visual, "budget_key"):
                if visual is force or self.budget.key_for(visual.layer) != visual.budget_key:
                    visual.rebuild()
        self.tick(render=False)
        self.request_render()

    def tick(self, render: bool = True) -> bool:
        """One streaming step for visuals that stream (3D Tiles): upload finished tiles, follow the
        camera. Called per render, on camera changes and by the GUI's poll timer; True while busy."""
        busy = False
        for visual in list(self.visuals.values()):
            step = getattr(visual, "update_view", None)
            if step is not None:
                busy = bool(step()) or busy
        if busy and render:
            self.request_render()
        return busy

    def _refine_during_drag(self) -> None:
        """Potree-like: detail follows the camera while the user drags, at most a few times a
        second so that re-selection never costs more than the frames it improves."""
        now = time.perf_counter()
        if now - self._last_drag_lod >= DRAG_LOD_INTERVAL_S:
            self._last_drag_lod = now
            self.update_lod()

    def set_point_budget(self, budget: int) -> None:
        if max(1, int(budget)) == self.point_budget:
            return
        self.point_budget = max(1, int(budget))
        self.budget.dirty = True
        for visual in self.visuals.values():
            if isinstance(visual.layer, PointCloudLayer):
                visual.rebuild()
        self.request_render()

    # --- rendering ----------------------------------------------------------------------------
    def request_render(self) -> None:
        """Coalesce: many changes in one event-loop turn give one render."""
        if self._schedule is None or self._render_pending:
            return
        self._render_pending = True
        self._schedule(self._do_render)

    def _do_render(self) -> None:
        self._render_pending = False
        self.tick(render=False)
        self.render()

    def render(self) -> None:
        window = self.plotter.render_window
        if window is not None:  # a render queued just before the window closed: nothing to draw
            window.Render()

    def show_stats_overlay(self, on: bool) -> None:
        self.stats_overlay.show(bool(on))
        self.refresh_stats_overlay()
        self.request_render()

    def refresh_stats_overlay(self) -> None:
        if self.stats_overlay.update(self.stats(), self.frame_ms):
            self.request_render()

    def stats(self) -> dict[str, int]:
        out = {"points_drawn": 0, "triangles_drawn": 0, "tiles_drawn": 0}
        for visual in self.visuals.values():
            s = visual.stats()
            out["points_drawn"] += s.get("points", 0)
            out["triangles_drawn"] += s.get("triangles", 0)
            out["tiles_drawn"] += s.get("tiles", 0)
            for key, value in s.items():  # streamed tilesets: visited/selected/loaded/failed/pending...
                if key.startswith("tiles_"):
                    out[key] = out.get(key, 0) + int(value)
        return out

    # --- camera -------------------------------------------------------------------------------
    def zoom_to(self, bounds: np.ndarray | None = None, view: str = "iso") -> None:
        """Fit bounds (default: the layers near the origin) in view. Far from the origin the
        view direction and "up" follow the local vertical there, so a layer 12,000 km away is
        seen upright, not on its side."""
        b = self.scene.local_bounds() if bounds is None else np.asarray(bounds, dtype=np.float64)
        if b is None:
            return
        centre = (b[0] + b[1]) / 2
        radius = max(float(np.linalg.norm(b[1] - b[0])) / 2, 1.0)
        direction = {"top": (0.0, -0.001, 1.0), "north": (0.0, -1.0, 0.35), "iso": (0.55, -0.8, 0.55)}.get(view, (0.55, -0.8, 0.55))
        axes = self.scene.frame.axes_at(centre) if self._far_from_origin(centre) else np.eye(3)
        d = axes @ (np.array(direction) / np.linalg.norm(direction))
        dist = radius / np.tan(np.radians(self.plotter.camera.view_angle / 2)) * 1.05
        self.set_camera(Camera(tuple(centre + d * dist), tuple(centre), tuple(float(v) for v in axes[:, 2])))

    def _far_from_origin(self, point: np.ndarray) -> bool:
        return self.scene.frame.is_set and float(np.linalg.norm(point)) > FAR_VIEW_M

    def set_camera(self, cam: Camera) -> None:
        c = self.plotter.camera
        c.position, c.focal_point, c.up = cam.position, cam.focal_point, cam.view_up
        c.view_angle = cam.view_angle
        self.update_clipping()
        self.scene.camera = cam
        self.update_lod()

    def update_clipping(self) -> None:
        """Near/far planes from the visible layers in the view frustum (viewers.clipping), not
        VTK's union of every prop: with layers continents apart that union pushes the near
        plane past what the user looks at. Nothing in view: VTK's own reset."""
        cam = self.plotter.camera
        w, h = self.plotter.window_size
        boxes = [b for layer in self.scene.layers if layer.visible for b in [self._box(layer)] if b is not None]
        if self._ground is not None:
            boxes.append(np.asarray(self._ground.GetBounds(), dtype=np.float64).reshape(3, 2).T)
        state = camera_state_from_vtk(cam)
        planes = frustum_planes_from_vtk(cam, w / max(h, 1))[:4]
        span = clipping_range(boxes, state["camera_position"], state["view_dir"], planes,
                              focal_distance=float(cam.GetDistance()))
        if span is None:
            self.plotter.renderer.ResetCameraClippingRange()
        else:
            cam.SetClippingRange(*span)

    def _box(self, layer: Layer) -> np.ndarray | None:
        """A layer's bounds, cached per coordinate array: every render asks, and min/max over a
        20M-point cloud costs ~100 ms. Placement, origin moves and snapshots replace the array."""
        data = layer.data if isinstance(layer.data, dict) else {}
        arr = data.get("positions", data.get("vertices"))
        if arr is None or "bounds" in data:
            return layer.bounds()
        cached = self._boxes.get(id(layer))
        if cached is None or cached[0]() is not arr or cached[1] != getattr(arr, "shape", None):
            cached = self._boxes[id(layer)] = (weakref.ref(arr), getattr(arr, "shape", None), layer.bounds())
        return cached[2]

    def _orient_sun(self) -> None:
        """The sun shines from the same sky wherever the camera looks: 12,000 km from the
        origin the scene's "up" points sideways, and a fixed sun would light the data from below."""
        if getattr(self, "sun_light", None) is not None and self.sun_light.place(self._sun):
            return  # View > Shadows: the clock's sun (viewers/sun_light.py)
        focal = np.asarray(self.plotter.camera.GetFocalPoint(), dtype=np.float64)
        axes = self.scene.frame.axes_at(focal) if self._far_from_origin(focal) else np.eye(3)
        if np.allclose(axes, self._sun_axes, atol=1e-3):
            return
        self._sun_axes = axes
        self._sun.position = tuple(float(v) for v in axes @ np.array(SUN_DIRECTION))

    def render_offset(self, layer: Layer) -> np.ndarray:
        """Where a layer's float32 vertices are measured from: zero near the origin, else its
        centre (the actor's float64 position carries it), so a layer far away does not jitter."""
        b = layer.bounds()
        if b is None:
            return np.zeros(3)
        centre = (np.asarray(b[0], dtype=np.float64) + np.asarray(b[1], dtype=np.float64)) / 2
        return np.round(centre) if float(np.abs(centre).max()) > FLOAT32_EXACT_M else np.zeros(3)

    def _on_origin_moved(self, matrix: np.ndarray) -> None:
        """The scene origin moved: the view keeps looking at the same place on Earth."""
        from app.model.reorigin import transform_camera

        self.set_camera(transform_camera(matrix, self.get_camera()))
        self.update_ground()
        self.request_render()

    def get_camera(self) -> Camera:
        c = self.plotter.camera
        return Camera(tuple(c.position), tuple(c.focal_point), tuple(c.up), float(c.view_angle))

    # --- picking ------------------------------------------------------------------------------
    def describe_position(self, enu: np.ndarray) -> dict[str, Any]:
        """Scene ENU point -> what the status bar and properties dock show (scene CRS and lat/lon)."""
        enu = np.asarray(enu, dtype=np.float64).reshape(1, 3)
        out: dict[str, Any] = {"x (m, ENU)": round(float(enu[0, 0]), 3), "y (m, ENU)": round(float(enu[0, 1]), 3),
                               "z (m, ENU)": round(float(enu[0, 2]), 3)}
        frame = self.scene.frame
        if frame.is_set:
            lat, lon, h = frame.enu_to_lla(enu)[0]
            out.update({"lat (deg)": round(float(lat), 8), "lon (deg)": round(float(lon), 8), "h (m)": round(float(h), 3)})
            if frame.display_crs:
                try:
                    x, y, z = frame.enu_to_crs(enu, frame.display_crs)[0]
                    out[f"{frame.display_crs} x"] = round(float(x), 3)
                    out[f"{frame.display_crs} y"] = round(float(y), 3)
                except Exception:  # noqa: BLE001 - a CRS that cannot express this point: show lat/lon only
                    pass
        return {k: v + 0.0 if isinstance(v, float) else v for k, v in out.items()}  # + 0.0: no "-0.0" shown

    def pick(self, x: int, y: int) -> Selection:
        """Pick at display coordinates (VTK convention: y from the bottom)."""
        picker = vtk.vtkCellPicker()
        picker.SetTolerance(0.004)
        if not picker.Pick(x, y, 0, self.side_by_side.renderer_at(x, y)):
            return Selection()
        actor = picker.GetActor()
        for visual in self.visuals.values():
            if visual.actor is actor:
                return visual.describe_pick(int(picker.GetCellId()), np.array(picker.GetPickPosition()))
            many = getattr(visual, "describe_actor_pick", None)  # a visual with one actor per tile
            if many is not None and (sel := many(actor, int(picker.GetCellId()), np.array(picker.GetPickPosition()))) is not None:
                return sel
        return Selection()

    def world_position(self, x: int, y: int) -> np.ndarray | None:
        picker = vtk.vtkCellPicker()
        picker.SetTolerance(0.002)
        if picker.Pick(x, y, 0, self.side_by_side.renderer_at(x, y)) and picker.GetActor() is not None:
            return np.array(picker.GetPickPosition())
        return None

    def _on_selection(self, sel: Selection) -> None:
        if self._highlight is not None:
            self._highlight.set_highlight(None)
            self._highlight = None
        if self._marker is not None:
            self.plotter.remove_actor(self._marker, render=False)
            self._marker = None
        visual = self.visuals.get(id(sel.layer)) if sel.layer is not None else None
        if visual is not None:
            visual.set_highlight(sel.index)
            self._highlight = visual
            if isinstance(sel.layer, PointCloudLayer) and sel.index >= 0:
                offset = self.render_offset(sel.layer)
                p = (sel.layer.positions[sel.index] - offset).astype(np.float32).reshape(1, 3)
                self._marker = self.plotter.add_mesh(pv.PolyData(p), color=style.HIGHLIGHT_RGB, point_size=14,
                                                     render_points_as_spheres=True, pickable=False,
                                                     reset_camera=False, render=False)
                self._marker.SetPosition(*offset)
        self.request_render()

    def close(self) -> None:
        if getattr(self, "_closed", False):  # a window closed twice closes its canvas once
            return
        self._closed = True
        self.scene.layers.inserted.disconnect(self._on_inserted)
        self.scene.layers.removed.disconnect(self._on_removed)
        self.scene.selection_changed.disconnect(self._on_selection)
        self.scene.origin_moved.disconnect(self._on_origin_moved)
        self.section.close()
        self.annotations.close()
        self.sun_light.close()
        self.side_by_side.close()
        for visual in list(self.visuals.values()):
            visual.close()
        self.visuals.clear()
