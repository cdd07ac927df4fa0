"""The sun of the view: follows the scene clock, lights from the sun's direction and casts shadows.

Why not VTK shadow maps: tried first (vtkShadowMapPass + vtkSequencePass through pyvista's
enable_shadows) under Mesa llvmpipe with this canvas. A directional light shades a flat ground
unevenly and darkens everything outside a frustum VTK picks itself; a far spotlight (the usual
workaround) casts correct shadows from small meshes but leaves large, wrong dark regions on
scenes of few big triangles (a two-triangle ground, box buildings: exactly BIM and city models),
whatever the cone, resolution, normals or anti-aliasing. Shadows that are sometimes wrong are
worse than none for a planning tool, so the view shows computed shadows instead:

- the canvas's sun light turns to the clock's sun (directional; walls facing away read dark);
- the ground and roofs in shadow are covered by a translucent dark layer (darkness ~0.4, like
  CesiumJS's 0.3 darkness on its lit colour), from the same ray casting as the sunlight-hours
  analysis (app/analysis/rays.py, sunlight.shadow_mask): what the view shows is what the
  analysis counts. A grid of at most ~160k cells over the layers (1 m cells up to 400 m across),
  recomputed on each clock step (~0.1-0.3 s of ray casting on this machine). The shadow's alpha
  is set per lattice corner and blends across each cell: edges are soft over one cell, not stairs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from viewers.text import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from viewers.canvas import Canvas

# Legend titles of the sunlight-hours and viewshed layers: viewers/visuals.py draws an attribute's
# legend as tr(attribute.replace("_", " ").capitalize()), the attributes being app.analysis's
# HOURS_ATTR ("sun_hours (h)") and VISIBLE_ATTR ("visible (1 = seen)"); marked here for the .ts.
LEGEND_TITLES = (QT_TR_NOOP("Sun hours (h)"), QT_TR_NOOP("Visible (1 = seen)"))

MAX_CELLS_SIDE = 400
MIN_CELL_M = 1.0
LIFT_M = 0.15  # above the surface: the corners follow the terrain, no z-fighting
STEP_M = 1.5  # corner heights differing more than this: a wall's foot, not terrain
SHADOW_OPACITY = 0.42
NIGHT_INTENSITY = 0.08
SUN_INTENSITY = 0.85
DEFAULT_LAT_LON = (30.5928, 114.3055)  # an unplaced scene: the demo's place (Wuhan)


class SunLight:
    """Owned by the canvas (`canvas.sun_light`); `enabled` is the View > Shadows toggle."""

    def __init__(self, canvas: "Canvas") -> None:
        self.canvas = canvas
        self.enabled = False
        self.azimuth = 0.0
        self.elevation = 0.0
        self.shadowed_cells = 0
        self._direction: np.ndarray | None = None
        self._rays: Any = None  # app.analysis.rays.RayScene of the visible meshes, built when first needed
        self._grid: tuple[np.ndarray, tuple[int, int]] | None = None  # (N,3) lattice on the top surfaces, (ny, nx)
        self._actor: Any = None
        self._mesh: Any = None  # the actor's pyvista dataset, refilled per clock step
        self._pending = False
        self._watched: list[Any] = []  # mesh layers whose visibility changes what casts shadows
        canvas.scene.clock.time_changed.connect(self._on_time)
        canvas.scene.layers.inserted.connect(self._on_inserted)
        canvas.scene.layers.removed.connect(self._on_removed)
        for layer in canvas.scene.layers:
            self._watch(layer)

    # --- the sun ------------------------------------------------------------------------------
    def place_of_scene(self) -> tuple[float, float]:
        frame = self.canvas.scene.frame
        if frame.is_set and frame.origin_lla is not None:
            return float(frame.origin_lla[0]), float(frame.origin_lla[1])
        return DEFAULT_LAT_LON

    def direction(self) -> np.ndarray:
        """Unit ENU vector towards the sun at the clock's time (cached until the time changes)."""
        if self._direction is None:
            from app.analysis.sun import sun_position

            lat, lon = self.place_of_scene()
            pos = sun_position(self.canvas.scene.clock.time, lat, lon)
            self.azimuth, self.elevation = pos.azimuth, pos.elevation
            self._direction = pos.vector()
        return self._direction

    def describe(self) -> str:
        self.direction()
        return tr("sun azimuth {azimuth:.1f}\u00b0, elevation {elevation:.1f}\u00b0").format(
            azimuth=self.azimuth, elevation=self.elevation)

    def place(self, light: Any) -> bool:
        """Called at each render start (Canvas._orient_sun): aim the light; False when off."""
        if not self.enabled:
            return False
        d = self.direction()
        light.positional = False
        light.focal_point = (0.0, 0.0, 0.0)
        light.position = tuple(float(v) for v in (d if d[2] > 0 else np.array([0.0, 0.0, 1.0])))
        light.intensity = SUN_INTENSITY if d[2] > 0 else NIGHT_INTENSITY
        return True

    # --- events ---------------------------------------------------------------------------------
    def _on_time(self, _t: object = None) -> None:
        self._direction = None
        if self.enabled:
            self.update_shadows()
            self.canvas.request_render()

    def _watch(self, layer: Any) -> None:
        from app.model.layers import MeshLayer

        if isinstance(layer, MeshLayer) and not any(layer is w for w in self._watched):
            layer.events.visible.connect(self._on_visibility)
            self._watched.append(layer)

    def _unwatch_all(self) -> None:
        for layer in self._watched:
            layer.events.visible.disconnect(self._on_visibility)
        self._watched = []

    def _on_visibility(self, *_: object) -> None:
        self._rays = self._grid = None
        if self.enabled:
            self._request_update()

    def _on_inserted(self, _index: int, layer: Any) -> None:
        self._watch(layer)
        self._on_layers()

    def _on_removed(self, _index: int, layer: Any) -> None:
        if any(layer is w for w in self._watched):
            layer.events.visible.disconnect(self._on_visibility)
            self._watched = [w for w in self._watched if w is not layer]
        self._on_layers()

    def _on_layers(self) -> None:
        self._rays = self._grid = None
        if self.enabled:  # a project's layers arrive one by one: one update after them
            self._request_update()

    def _request_update(self) -> None:
        schedule = getattr(self.canvas, "_schedule", None)
        if schedule is None:
            self.update_shadows()
            return
        if not self._pending:
            self._pending = True
            schedule(self._deferred_update)

    def _deferred_update(self) -> None:
        self._pending = False
        if self.enabled:
            self.update_shadows()
            self.canvas.request_render()

    def set_enabled(self, on: bool) -> None:
        if bool(on) == self.enabled:
            return
        self.enabled = bool(on)
        if self.enabled:
            self._rays = self._grid = None  # layers may have been hidden or shown meanwhile
            self.update_shadows()
        else:
            self._remove_actor()
            light = self.canvas._sun
            light.positional = False
            light.focal_point = (0.0, 0.0, 0.0)
            light.intensity = 0.75
            self.canvas._sun_axes = np.zeros((3, 3))  # the canvas puts its fixed look light back
        self.canvas.request_render()

    # --- computed shadows -----------------------------------------------------------------------
    def _ensure_grid(self) -> bool:
        from app.analysis.rays import RayScene, scene_parts

        if self._rays is None:
            self._rays = RayScene(scene_parts(self.canvas.scene))
            self._grid = None
        rs = self._rays
        if rs.bounds is None:
            return False
        if self._grid is None:
            lo, hi = rs.bounds
            extent = float(max(hi[:2] - lo[:2]))
            cell = max(MIN_CELL_M, extent / MAX_CELLS_SIDE)
            xs = np.arange(lo[0] + cell / 2, hi[0], cell)
            ys = np.arange(lo[1] + cell / 2, hi[1], cell)
            gx, gy = np.meshgrid(xs, ys)
            xy = np.column_stack([gx.ravel(), gy.ravel()])
            z = rs.ground_heights(xy, float(lo[2]))
            self._grid = (np.column_stack([xy, z]), gx.shape)
        return True

    def update_shadows(self) -> None:
        """Shadowed cells for the clock's sun, drawn as one translucent dark mesh. The actor is made
        once; each clock step refills its dataset in place (one actor, Modified(), no re-creation)."""
        from app.analysis.sunlight import shadow_mask

        self.shadowed_cells = 0
        mask = None
        if self._ensure_grid():
            pts, shape = self._grid  # type: ignore[misc]
            d = self.direction()
            if d[2] > 0:  # night: the dim light says it; no shadow layer over everything
                mask = shadow_mask(self._rays, pts, d)
                self.shadowed_cells = int(mask.sum())
        if not self.shadowed_cells:
            if self._actor is not None:
                self._actor.SetVisibility(False)
            return
        surface = _shadow_surface(pts, shape, mask)
        if self._actor is None:
            self._mesh = surface
            self._actor = self.canvas.plotter.add_mesh(self._mesh, scalars="RGBA", rgba=True, lighting=False, pickable=False,
                                                       reset_camera=False, render=False, name="sun-shadows")
        else:
            self._mesh.copy_from(surface)  # same VTK object, new points, cells and colours
            self._mesh.Modified()
            self._actor.SetVisibility(True)

    def _remove_actor(self) -> None:
        if self._actor is not None:
            self.canvas.plotter.remove_actor(self._actor, render=False)
            self._actor = None
            self._mesh = None

    def close(self) -> None:
        """Idempotent: a window's canvas may be closed twice (closeEvent, then the view's close)."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self.canvas.scene.clock.time_changed.disconnect(self._on_time)
        self.canvas.scene.layers.inserted.disconnect(self._on_inserted)
        self.canvas.scene.layers.removed.disconnect(self._on_removed)
        self._unwatch_all()
        self._remove_actor()


def _shadow_surface(pts: np.ndarray, shape: tuple[int, int], mask: np.ndarray) -> Any:
    """The lattice cells with a shadowed corner, draped on the surface heights, black with an
    alpha per corner: the alpha blends across each cell, so shadow edges are soft (one cell
    wide) instead of stair-stepped. A cell across a height step (a wall's foot: roof corners and
    ground corners) lies flat at its lowest corner instead of as a slanted sheet over the wall."""
    import pyvista as pv

    ny, nx = shape
    m = mask.reshape(ny, nx)
    z = pts[:, 2].reshape(ny, nx)
    any_corner = m[:-1, :-1] | m[1:, :-1] | m[:-1, 1:] | m[1:, 1:]
    zs = np.stack([z[:-1, :-1], z[:-1, 1:], z[1:, 1:], z[1:, :-1]])
    step = (zs.max(0) - zs.min(0)) > STEP_M
    jj, ii = np.nonzero(any_corner)
    a = jj * nx + ii
    corners = np.column_stack([a, a + 1, a + nx + 1, a + nx])  # lattice indices, counter-clockwise
    flat = step[jj, ii]
    alpha = np.where(mask, int(255 * SHADOW_OPACITY), 0).astype(np.uint8)
    # smooth cells share the lattice's vertices; step cells get their own four, at the lowest corner
    fc = corners[flat]
    own = pts[fc.ravel()].copy()
    own[:, 2] = np.repeat(zs.min(0)[jj[flat], ii[flat]], 4)
    verts = np.concatenate([pts, own]) + np.array([0.0, 0.0, LIFT_M])
    own_idx = len(pts) + np.arange(4 * len(fc)).reshape(-1, 4)
    cells = np.concatenate([corners[~flat], own_idx])
    quads = np.column_stack([np.full(len(cells), 4), cells]).ravel()
    mesh = pv.PolyData(verts.astype(np.float32), quads)
    rgba = np.zeros((len(verts), 4), dtype=np.uint8)
    rgba[:, 3] = np.concatenate([alpha, alpha[fc.ravel()]])
    mesh.point_data["RGBA"] = rgba
    return mesh.clean(point_merging=False) if len(cells) else mesh
