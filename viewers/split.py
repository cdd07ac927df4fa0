"""Side by side: a split view (two renderers, one shared camera) and a swipe (one view, a
draggable vertical line, layers clipped to its left or right). No Qt.

Both work at the level of VTK actors, so every layer kind follows without its visual knowing:
point clouds (octree nodes re-selected), meshes/BIM, merged and streamed 3D Tiles (one actor per
tile, attached while streaming). Actors are re-sorted before each render (the render window's
StartEvent), which also catches actors a visual re-created since the last frame.

- A layer's side is its model field `view_side` (saved with the project, undoable): "auto" follows
  default_side, else "left", "right" or "both".
- Split: the plotter's renderer becomes the left half; a second renderer in the right half shares
  its vtkCamera (linked by construction), lights and background. A layer's actors are members of
  the renderers of the sides that show it (an actor may be in two renderers of one window).
  Membership, not visibility: toggling visibility per renderer would touch the actor's MTime and
  re-upload its buffers every frame. Eye-dome lighting, when on, is a pass on both halves; the
  overlays (legends, north arrow, scale bar) live in the canvas's full-window overlay renderer.
- Swipe: one renderer; layers on the left are clipped by a world-space plane through the eye and
  the screen's vertical line at the swipe position, layers on the right by the opposite plane;
  the plane is recomputed from the camera before every render.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import vtk

from viewers.fonts import apply_font

from app.model.layers import Layer, PointCloudLayer, TilesetLayer

if TYPE_CHECKING:
    from viewers.canvas import Canvas

MODES = ("single", "split", "swipe")
SIDES = ("left", "right", "both")
CHOICES = ("auto",) + SIDES  # what a layer's view_side may hold (app.model.layers.VIEW_SIDES)
LINE_RGB = (1.0, 1.0, 1.0)
LINE_SHADOW_RGB = (0.1, 0.12, 0.16)


def default_side(layer: Layer) -> str:
    """Design left, scan right, context (city tiles) on both: the usual planned-versus-built look."""
    if isinstance(layer, TilesetLayer):
        return "both"
    if isinstance(layer, PointCloudLayer):
        return "right"
    return "left"


def visual_actors(visual: Any) -> Iterator[Any]:
    """Every VTK actor a visual draws: its one actor, or one per loaded tile part (streamed tiles)."""
    if getattr(visual, "actor", None) is not None:
        yield visual.actor
    for tile in list(getattr(visual, "loaded", {}).values()):
        for part in getattr(tile, "parts", ()):
            if getattr(part, "actor", None) is not None:
                yield part.actor


def swipe_plane(renderer: Any, fraction: float, keep: str) -> tuple[np.ndarray, np.ndarray]:
    """(origin, normal) of the world plane through the view's vertical line at `fraction` of the
    renderer's width; the normal points to the side to keep ("left" or "right")."""
    w, h = (max(int(v), 1) for v in renderer.GetSize())
    x0, y0 = renderer.GetOrigin()
    x = x0 + fraction * w

    def world(px: float, py: float, z: float) -> np.ndarray:
        renderer.SetDisplayPoint(px, py, z)
        renderer.DisplayToWorld()
        p = np.array(renderer.GetWorldPoint(), dtype=np.float64)
        return p[:3] / (p[3] if p[3] != 0 else 1.0)

    a, b, c = world(x, y0, 0.0), world(x, y0 + h, 0.0), world(x, y0 + h / 2, 1.0)
    normal = np.cross(b - a, c - a)
    norm = float(np.linalg.norm(normal))
    if norm == 0.0 or not np.isfinite(norm):
        return a, np.array([1.0, 0.0, 0.0])
    normal /= norm
    right = world(x + max(w * 0.1, 1.0), y0 + h / 2, 0.0)  # a point on the right of the line
    if float(np.dot(right - a, normal)) < 0:
        normal = -normal
    return a, (-normal if keep == "left" else normal)


class SideBySide:
    """The canvas's single / split / swipe state and the VTK objects that draw it."""

    def __init__(self, canvas: "Canvas") -> None:
        self.canvas = canvas
        self.mode = "single"
        self.swipe_fraction = 0.5
        self.right: Any = None  # the right half's renderer in split mode
        self._in_right: dict[int, Any] = {}  # id(actor) -> actor in the right renderer
        self._planes = {"left": vtk.vtkPlane(), "right": vtk.vtkPlane()}
        self._clipped: dict[int, Any] = {}  # id(mapper) -> mapper given one of our planes
        self._line = self._make_line()
        window = canvas.plotter.render_window
        window.AddObserver("StartEvent", self._before_render)

    # --- choices --------------------------------------------------------------------------------
    def side(self, layer: Layer) -> str:
        """Where the layer is drawn: its own choice, or default_side when that is "auto"."""
        chosen = getattr(layer, "view_side", "auto")
        return chosen if chosen in SIDES else default_side(layer)

    def set_side(self, layer: Layer, side: str) -> None:
        """Set the layer's view_side (a model field: saved, undoable); "auto" gives it back to default_side."""
        if side not in CHOICES:
            raise ValueError(f"side must be one of {CHOICES}, not {side!r}")
        layer.view_side = side
        self.canvas.request_render()

    def set_eye_dome_lighting(self, on: bool) -> None:
        """The right half gets its own EDL pass (a pass belongs to one renderer; the left half is
        the plotter's renderer, whose pass pyvista sets).

        vtkEDLShading's compose step clears the whole window, not its viewport, so the right
        half's pass would wipe the left half drawn just before it: the left half's pixels are
        kept (colour and depth) when it ends and put back when the right half ends (one read and
        one write of half the window per frame, only while split view and EDL are both on)."""
        if self.right is None:
            return
        if on:
            steps = vtk.vtkRenderPassCollection()  # the chain pyvista builds for the left half
            steps.AddItem(vtk.vtkRenderStepsPass())
            sequence = vtk.vtkSequencePass()
            sequence.SetPasses(steps)
            camera = vtk.vtkCameraPass()
            camera.SetDelegatePass(sequence)
            edl = vtk.vtkEDLShading()
            edl.SetDelegatePass(camera)
            self.right.SetPass(edl)
        else:
            self._drop_pass()

    def _drop_pass(self) -> None:
        """Give the right half's EDL pass back its GL objects (VTK complains when a pass dies holding them)."""
        edl = self.right.GetPass() if self.right is not None else None
        if edl is not None:
            edl.ReleaseGraphicsResources(self.canvas.plotter.render_window)
            self.right.SetPass(None)

    def _keep_left(self, *_: Any) -> None:
        if self.right is None or self.right.GetPass() is None:
            return
        main = self.canvas.plotter.renderer
        (x0, y0), (w, h) = main.GetOrigin(), main.GetSize()
        self._left_box = (x0, y0, x0 + w - 1, y0 + h - 1)
        window = self.canvas.plotter.render_window
        window.GetRGBACharPixelData(*self._left_box, 0, self._left_pixels)
        window.GetZbufferData(*self._left_box, self._left_depth)  # navigation reads it under the cursor

    def _restore_left(self, *_: Any) -> None:
        if self._left_box is not None and self.right is not None and self.right.GetPass() is not None:
            window = self.canvas.plotter.render_window
            window.SetRGBACharPixelData(*self._left_box, self._left_pixels, 0, 0)
            window.SetZbufferData(*self._left_box, self._left_depth)
        self._left_box = None

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if mode == self.mode:
            return
        self._leave()
        self.mode = mode
        if mode == "split":
            self._enter_split()
        self._line_update()
        self.canvas.request_render()

    def set_swipe_fraction(self, fraction: float) -> None:
        """Where the swipe line stands, as a fraction of the view's width (kept inside 2-98%)."""
        self.swipe_fraction = float(min(max(fraction, 0.02), 0.98))
        self._line_update()
        self.canvas.request_render()

    def renderer_at(self, x: int, y: int) -> Any:
        """The renderer under display point (x, y; VTK convention): picking follows the half clicked."""
        if self.right is not None:
            w = max(int(self.canvas.plotter.render_window.GetSize()[0]), 1)
            if x >= w * 0.5:
                return self.right
        return self.canvas.plotter.renderer

    def line_x(self) -> float | None:
        """The swipe line's x in display pixels (None unless swiping)."""
        if self.mode != "swipe":
            return None
        ren = self.canvas.plotter.renderer
        return ren.GetOrigin()[0] + self.swipe_fraction * ren.GetSize()[0]

    # --- split ----------------------------------------------------------------------------------
    def _enter_split(self) -> None:
        main = self.canvas.plotter.renderer
        right = vtk.vtkRenderer()
        right.SetViewport(0.5, 0.0, 1.0, 1.0)
        right.SetActiveCamera(main.GetActiveCamera())  # one camera: the halves cannot drift apart
        right.SetBackground(main.GetBackground())
        right.SetBackground2(main.GetBackground2())
        right.SetGradientBackground(main.GetGradientBackground())
        right.SetAutomaticLightCreation(False)
        lights = main.GetLights()
        lights.InitTraversal()
        for _ in range(lights.GetNumberOfItems()):
            right.AddLight(lights.GetNextItem())
        right.SetUseFXAA(main.GetUseFXAA())
        main.SetViewport(0.0, 0.0, 0.5, 1.0)
        self.canvas.plotter.render_window.AddRenderer(right)  # after the left half: drawn after it
        self.right = right
        self._left_pixels, self._left_depth, self._left_box = vtk.vtkUnsignedCharArray(), vtk.vtkFloatArray(), None
        self._keep_tag = main.AddObserver("EndEvent", self._keep_left)
        right.AddObserver("EndEvent", self._restore_left)
        self.set_eye_dome_lighting(bool(getattr(self.canvas, "eye_dome_lighting", False)))

    def _leave(self) -> None:
        main = self.canvas.plotter.renderer
        for mapper in self._clipped.values():
            self._unclip(mapper)  # only the swipe's planes: the section's stay (viewers/section.py)
        self._clipped.clear()
        if self.right is not None:
            main.RemoveObserver(self._keep_tag)
            self.right.RemoveAllObservers()
            self._drop_pass()
            self.right.RemoveAllViewProps()
            self.canvas.plotter.render_window.RemoveRenderer(self.right)
            self.right = None
            self._in_right.clear()
            main.SetViewport(0.0, 0.0, 1.0, 1.0)
        for _layer, actor in self._layer_actors():  # actors split mode took out of the left half
            if not main.HasViewProp(actor):
                main.AddActor(actor)

    def _sync_split(self) -> None:
        main = self.canvas.plotter.renderer
        wanted: dict[int, Any] = {}
        for layer, actor in self._layer_actors():
            side = self.side(layer)
            if side in ("right", "both"):
                wanted[id(actor)] = actor
            on_left = main.HasViewProp(actor)
            if side == "right" and on_left:
                main.RemoveActor(actor)
            elif side != "right" and not on_left:
                main.AddActor(actor)
        ground = getattr(self.canvas, "_ground", None)
        if ground is not None:
            wanted[id(ground)] = ground
        for key, actor in list(self._in_right.items()):
            if key not in wanted:
                self.right.RemoveActor(actor)
                del self._in_right[key]
        for key, actor in wanted.items():
            if key not in self._in_right:
                self.right.AddActor(actor)
                self._in_right[key] = actor

    # --- swipe ----------------------------------------------------------------------------------
    def _sync_swipe(self) -> None:
        main = self.canvas.plotter.renderer
        for keep, plane in self._planes.items():
            origin, normal = swipe_plane(main, self.swipe_fraction, keep)
            plane.SetOrigin(*origin)
            plane.SetNormal(*normal)
        seen: set[int] = set()
        for layer, actor in self._layer_actors():
            plane = self._planes.get(self.side(layer))
            mapper = actor.GetMapper()
            if mapper is None:
                continue
            planes = mapper.GetClippingPlanes()
            has = planes is not None and plane is not None and planes.IsItemPresent(plane)
            if plane is None:
                if id(mapper) in self._clipped:
                    self._unclip(mapper)
                continue
            seen.add(id(mapper))
            if not has:  # the other side's plane out, ours in; a section's planes are left alone
                self._unclip(mapper)
                mapper.AddClippingPlane(plane)
            self._clipped[id(mapper)] = mapper
        for key in [k for k in self._clipped if k not in seen]:
            del self._clipped[key]

    def _unclip(self, mapper: Any) -> None:
        planes = mapper.GetClippingPlanes()
        for plane in self._planes.values():
            if planes is not None and planes.IsItemPresent(plane):
                mapper.RemoveClippingPlane(plane)

    def _layer_actors(self) -> Iterator[tuple[Layer, Any]]:
        """(layer, actor) for every visual's actors, and the pick marker with its selected layer."""
        for visual in list(self.canvas.visuals.values()):
            for actor in visual_actors(visual):
                yield visual.layer, actor
        marker, selected = getattr(self.canvas, "_marker", None), self.canvas.scene.selection.layer
        if marker is not None and selected is not None:
            yield selected, marker

    def _before_render(self, *_: Any) -> None:
        if self.mode == "split" and self.right is not None:
            self._sync_split()
        elif self.mode == "swipe":
            self._sync_swipe()

    # --- the line -------------------------------------------------------------------------------
    def _make_line(self) -> list[Any]:
        """Two 2D lines (a dark one under a light one, so it reads over sky and scene alike)."""
        actors = []
        for rgb, width in ((LINE_SHADOW_RGB, 6.0), (LINE_RGB, 3.0)):
            points = vtk.vtkPoints()
            points.SetNumberOfPoints(2)
            poly = vtk.vtkPolyData()
            poly.SetPoints(points)
            cells = vtk.vtkCellArray()
            cells.InsertNextCell(2)
            cells.InsertCellPoint(0)
            cells.InsertCellPoint(1)
            poly.SetLines(cells)
            coordinate = vtk.vtkCoordinate()
            coordinate.SetCoordinateSystemToNormalizedViewport()
            mapper = vtk.vtkPolyDataMapper2D()
            mapper.SetInputData(poly)
            mapper.SetTransformCoordinate(coordinate)
            actor = vtk.vtkActor2D()
            actor.SetMapper(mapper)
            actor.GetProperty().SetColor(*rgb)
            actor.GetProperty().SetLineWidth(width)
            actor.SetPickable(False)
            actor.SetVisibility(False)
            self.canvas.plotter.renderer.AddViewProp(actor)
            actors.append((actor, points, poly))
        self._handle = vtk.vtkTextActor()  # a grip in the line's middle says "drag me"
        self._handle.SetInput("< >")
        text = self._handle.GetTextProperty()
        apply_font(text)
        text.SetFontSize(18)
        text.SetColor(*LINE_SHADOW_RGB)
        text.SetBackgroundColor(*LINE_RGB)
        text.SetBackgroundOpacity(1.0)
        text.SetFrame(True)
        text.SetFrameColor(*LINE_SHADOW_RGB)
        text.SetJustificationToCentered()
        text.SetVerticalJustificationToCentered()
        self._handle.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self._handle.SetPickable(False)
        self._handle.SetVisibility(False)
        self.canvas.plotter.renderer.AddViewProp(self._handle)
        return actors

    def _line_update(self) -> None:
        """The swipe line at its fraction; in split mode the divider on the left half's right edge."""
        x = {"swipe": self.swipe_fraction, "split": 0.999}.get(self.mode)
        for actor, points, poly in self._line:
            actor.SetVisibility(x is not None)
            if x is not None:
                points.SetPoint(0, x, 0.0, 0.0)
                points.SetPoint(1, x, 1.0, 0.0)
                points.Modified()
                poly.Modified()
        self._handle.SetVisibility(self.mode == "swipe")
        if x is not None:
            self._handle.SetPosition(x, 0.5)

    def close(self) -> None:
        self._leave()
        for actor, _points, _poly in self._line:
            self.canvas.plotter.renderer.RemoveViewProp(actor)
        self.canvas.plotter.renderer.RemoveViewProp(self._handle)
        self._line = []
