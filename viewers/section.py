"""The section: one clipping plane or a section box (6 planes) that cuts every layer at once,
its draggable handles (vtkImplicitPlaneWidget2 / vtkBoxWidget2) and the cut's outline on meshes.

Which actors are cut: every pickable vtkActor of the scene's renderers (both halves in split
view). What can be picked is data (meshes, BIM, point clouds, each streamed tile's actor); the
ground grid, the pick marker, the outline and the measurement overlays are not pickable and stay.
Tile actors come and go while streaming, so the planes are re-applied to the actors present before
every render (the render window's StartEvent), like the split view's sorting; a mapper is touched
only when it lacks a plane. VTK draws at most 6 clipping planes per mapper: with the swipe's plane
on as well, the box's floor is left out. Camera near/far clipping (viewers/clipping.py) is unrelated.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pyvista as pv
import vtk
from vtkmodules.util.numpy_support import vtk_to_numpy

from app.model.annotations import Section

if TYPE_CHECKING:
    from viewers.canvas import Canvas

OUTLINE_RGB = (0.85, 0.1, 0.1)
OUTLINE_WIDTH = 4.0
MAX_PLANES = 6  # vtkOpenGLPolyDataMapper's limit


def cut_segments(vertices: np.ndarray, faces: np.ndarray, point: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Segments (S, 2, 3) where triangles cross the plane: what vtkCutter gives, in numpy (float64,
    no pipeline, fast enough to redo when a handle is let go)."""
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    if not len(f):
        return np.zeros((0, 2, 3))
    d = (v[:, 0] - point[0]) * normal[0] + (v[:, 1] - point[1]) * normal[1] + (v[:, 2] - point[2]) * normal[2]
    df = d[f]
    pos = df > 0
    cross = pos.any(1) & ~pos.all(1)
    f, df = f[cross], df[cross]
    if not len(f):
        return np.zeros((0, 2, 3))
    pos = df > 0
    lone = np.where(pos.sum(1) == 1, np.argmax(pos, 1), np.argmin(pos, 1))  # the vertex alone on its side
    i0 = f[np.arange(len(f)), lone]
    i1 = f[np.arange(len(f)), (lone + 1) % 3]
    i2 = f[np.arange(len(f)), (lone + 2) % 3]

    def edge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        da, db = d[a], d[b]
        t = da / np.where(da - db == 0, 1e-300, da - db)
        return v[a] + t[:, None] * (v[b] - v[a])

    return np.stack([edge(i0, i1), edge(i0, i2)], axis=1)


def clip_segments(segments: np.ndarray, planes: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Keep the parts of segments on the kept side of every plane (Liang-Barsky per plane)."""
    s = np.asarray(segments, dtype=np.float64)
    if not len(s):
        return s
    a, b = s[:, 0], s[:, 1]
    t0, t1 = np.zeros(len(s)), np.ones(len(s))
    for q, n in planes:
        da, db = (a - q) @ n, (b - q) @ n
        denom = da - db
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(denom != 0, da / denom, 0.0)
        entering = (da < 0) & (db >= 0)
        leaving = (da >= 0) & (db < 0)
        t0 = np.where(entering, np.maximum(t0, t), t0)
        t1 = np.where(leaving, np.minimum(t1, t), t1)
        t1 = np.where((da < 0) & (db < 0), -1.0, t1)
    keep = t1 > t0 + 1e-12
    d = b - a
    return np.stack([a[keep] + t0[keep, None] * d[keep], a[keep] + t1[keep, None] * d[keep]], axis=1)


def section_outline(surfaces: Iterable[tuple[np.ndarray, np.ndarray]], section: Section) -> np.ndarray:
    """The cut's outline on triangle surfaces ((vertices, faces) in ENU): for each plane, its
    crossing with them, kept within the other planes (a box's faces)."""
    planes = section.planes()
    normals = np.array([n for _, n in planes])
    offsets = np.array([float(np.dot(q, n)) for q, n in planes])
    full = (1 << len(planes)) - 1
    out = []
    for v, f in surfaces:
        v = np.asarray(v, dtype=np.float64)
        f = np.asarray(f, dtype=np.int64)
        if not len(f):
            continue
        # one bit per plane: the vertex is on the kept side. A triangle matters when it crosses some
        # plane and is not wholly outside any: a few thousand of a million, found in one pass.
        bits = np.zeros(len(v), dtype=np.uint8)
        for k, n in enumerate(normals):  # elementwise, not a BLAS call: matmul stalled here on a busy machine
            bits |= ((v[:, 0] * n[0] + v[:, 1] * n[1] + v[:, 2] * n[2]) > offsets[k]).astype(np.uint8) << k
        b0, b1, b2 = bits[f[:, 0]], bits[f[:, 1]], bits[f[:, 2]]
        some, every = b0 | b1 | b2, b0 & b1 & b2
        f = f[(some == full) & ((some ^ every) != 0)]
        if not len(f):
            continue
        used, f = np.unique(f, return_inverse=True)  # only the vertices of those triangles
        v, f = v[used], f.reshape(-1, 3)
        for k, (q, n) in enumerate(planes):
            seg = cut_segments(v, f, q, n)
            if len(seg):
                out.append(clip_segments(seg, [p for j, p in enumerate(planes) if j != k]))
    return np.concatenate(out) if out else np.zeros((0, 2, 3))


def _actor_matrix(actor: Any) -> np.ndarray:
    m = actor.GetMatrix()  # position and user matrix: far layers and tiles draw relative to a centre
    return np.array([[m.GetElement(r, c) for c in range(4)] for r in range(4)])


def drawn_triangle_actors(renderer: Any, xy: Sequence[float] | None = None) -> list[Any]:
    """Visible, pickable actors drawing triangles (meshes, BIM, each streamed tile), optionally only
    those whose box spans the point (x, y)."""
    out = []
    actors = renderer.GetActors()
    actors.InitTraversal()
    for _ in range(actors.GetNumberOfItems()):
        actor = actors.GetNextActor()
        if actor is None or not actor.GetVisibility() or not actor.GetPickable() or actor.GetMapper() is None:
            continue
        data = actor.GetMapper().GetInput()
        polys = data.GetPolys() if data is not None and hasattr(data, "GetPolys") else None
        if polys is None or polys.GetNumberOfCells() == 0:
            continue
        if xy is not None:
            x0, x1, y0, y1, _z0, _z1 = actor.GetBounds()
            if not (x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1):
                continue
        out.append(actor)
    return out


def actor_triangles(actor: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(vertices in ENU, faces) an actor draws, or None when its cells are not all triangles."""
    data = actor.GetMapper().GetInput()
    polys = data.GetPolys()
    offsets = vtk_to_numpy(polys.GetOffsetsArray())
    if not len(offsets) or not np.all(np.diff(offsets) == 3):
        return None
    faces = vtk_to_numpy(polys.GetConnectivityArray()).reshape(-1, 3)
    mat = _actor_matrix(actor)
    local = vtk_to_numpy(data.GetPoints().GetData()).astype(np.float64)
    return local @ mat[:3, :3].T + mat[:3, 3], faces


class SectionView:
    """Draws the scene's section: planes on every data mapper, handles, outline."""

    def __init__(self, canvas: "Canvas") -> None:
        self.canvas = canvas
        self.planes = [vtk.vtkPlane() for _ in range(MAX_PLANES)]
        self.active: list[Any] = []  # the planes in use now, in order (a box's floor last)
        self._mappers: dict[int, Any] = {}  # id(mapper) -> mapper holding our planes
        self.outline_actor: Any = None
        self.widget: Any = None
        self._widget_kind = ""
        self._updating = False
        self._dragging = False
        self._outline_drawn: tuple = ()
        self.outline_segments = np.zeros((0, 2, 3))
        self.handles = True  # draggable handles shown while a section is on (a real window only)
        canvas.plotter.render_window.AddObserver("StartEvent", self._before_render)
        canvas.scene.section_changed.connect(self._on_section)
        self._on_section(canvas.scene.section)

    # --- state -----------------------------------------------------------------------------------
    def _on_section(self, section: Section | None) -> None:
        on = section is not None and section.enabled
        self.active = self._set_planes(section if on else None)
        if not self._updating:  # a handle drag moves the planes; the widget already shows the box
            self._sync_widget(section if on else None)
        self._sync_all()
        self.update_outline()
        self.canvas.request_render()

    def _set_planes(self, section: Section | None) -> list[Any]:
        """Our vtkPlanes take the section's planes (a box's floor last: the one left out when the
        swipe's plane needs the sixth slot); returns those in use."""
        planes = section.planes() if section is not None else []
        if len(planes) == 6:
            planes = planes[:4] + [planes[5], planes[4]]
        for plane, (q, n) in zip(self.planes, planes):
            plane.SetOrigin(*(float(x) for x in q))
            plane.SetNormal(*(float(x) for x in n))
        return self.planes[: len(planes)]

    def _scene_renderers(self) -> list[Any]:
        out = [self.canvas.plotter.renderer]
        right = getattr(self.canvas.side_by_side, "right", None)
        if right is not None:
            out.append(right)
        return out

    def _before_render(self, *_: Any) -> None:
        self._sync_all()
        if not self._dragging:
            self.update_outline(force=False)  # tiles came or went: the outline follows

    def _sync_all(self) -> None:
        """Give every data mapper the active planes (and take them from mappers that no longer draw)."""
        seen: dict[int, Any] = {}
        for renderer in self._scene_renderers():
            actors = renderer.GetActors()
            actors.InitTraversal()
            for _ in range(actors.GetNumberOfItems()):
                actor = actors.GetNextActor()
                mapper = actor.GetMapper() if actor is not None and actor.GetPickable() else None
                if mapper is None or id(mapper) in seen:
                    continue
                seen[id(mapper)] = mapper
                self._apply(mapper)
        for key, mapper in list(self._mappers.items()):
            if key not in seen:
                self._strip(mapper)
                del self._mappers[key]

    def _apply(self, mapper: Any) -> None:
        current = mapper.GetClippingPlanes()
        ours = [p for p in self.planes if current is not None and current.IsItemPresent(p)]
        others = (current.GetNumberOfItems() if current is not None else 0) - len(ours)
        if getattr(self.canvas.side_by_side, "mode", "single") == "swipe":
            others = max(others, 1)  # the swipe's plane comes (or came) this frame
        wanted = self.active[: max(0, MAX_PLANES - others)]
        if ours == wanted:
            if wanted:
                self._mappers[id(mapper)] = mapper
            return
        for p in ours:
            mapper.RemoveClippingPlane(p)
        for p in wanted:
            mapper.AddClippingPlane(p)
        if wanted:
            self._mappers[id(mapper)] = mapper
        else:
            self._mappers.pop(id(mapper), None)

    def _strip(self, mapper: Any) -> None:
        current = mapper.GetClippingPlanes()
        for p in self.planes:
            if current is not None and current.IsItemPresent(p):
                mapper.RemoveClippingPlane(p)

    def clipped_mappers(self) -> int:
        return len(self._mappers)

    # --- outline ---------------------------------------------------------------------------------
    def _outline_key(self, section: Section | None) -> tuple:
        if section is None or not section.enabled or not section.outline:
            return ()
        actors = drawn_triangle_actors(self.canvas.plotter.renderer)
        return (id(section), tuple(sorted((id(a), a.GetMapper().GetInput().GetMTime()) for a in actors)))

    def update_outline(self, force: bool = True) -> None:
        """The thick line where the section cuts what the view draws (meshes, BIM, loaded tiles):
        again when the section changes or the set of drawn meshes does (tiles streaming in)."""
        section = self.canvas.scene.section
        key = self._outline_key(section)
        if not force and key == self._outline_drawn:
            return
        self._outline_drawn = key
        if not key:
            self._set_outline(np.zeros((0, 2, 3)), np.zeros(3))
            return
        surfaces = [t for a in drawn_triangle_actors(self.canvas.plotter.renderer) for t in [actor_triangles(a)] if t]
        self._set_outline(section_outline(surfaces, section), np.round(np.asarray(section.origin)))

    def _set_outline(self, seg: np.ndarray, origin: np.ndarray) -> None:
        """Fill the one outline actor's lines in place (float32 relative to the section's origin)."""
        self.outline_segments = seg
        if self.outline_actor is None:
            if not len(seg):
                return
            actor = self.canvas.plotter.add_mesh(pv.PolyData(np.zeros((2, 3), np.float32), lines=[2, 0, 1]),
                                                 color=OUTLINE_RGB, line_width=OUTLINE_WIDTH, lighting=False,
                                                 pickable=False, reset_camera=False, render=False)
            actor.GetMapper().SetResolveCoincidentTopologyToPolygonOffset()
            self.outline_actor = actor
        poly = self.outline_actor.GetMapper().GetInput()
        if len(seg):
            fresh = pv.PolyData((seg.reshape(-1, 3) - origin).astype(np.float32),
                                lines=np.hstack([np.full((len(seg), 1), 2), np.arange(2 * len(seg)).reshape(-1, 2)]).ravel())
            poly.ShallowCopy(fresh)
            poly.Modified()
        self.outline_actor.SetPosition(*origin)
        self.outline_actor.SetVisibility(bool(len(seg)))

    # --- handles ---------------------------------------------------------------------------------
    def set_handles(self, on: bool) -> None:
        self.handles = bool(on)
        self._sync_widget(self.canvas.scene.section if self.canvas.scene.section and self.canvas.scene.section.enabled else None)
        self.canvas.request_render()

    def _interactor(self) -> Any:
        iren = getattr(self.canvas.plotter, "iren", None)
        return getattr(iren, "interactor", None) if iren is not None else None

    def _drop_widget(self) -> None:
        if self.widget is not None:
            self.widget.Off()
            self.widget.RemoveAllObservers()
            self.widget.SetInteractor(None)
            self.widget = None
            self._widget_kind = ""

    def _sync_widget(self, section: Section | None) -> None:
        interactor = self._interactor()
        if section is None or not self.handles or interactor is None or getattr(self.canvas.plotter, "off_screen", False):
            self._drop_widget()
            return
        if self._widget_kind != section.kind:
            self._drop_widget()
            self.widget = self._make_box(interactor) if section.kind == "box" else self._make_plane(interactor)
            self._widget_kind = section.kind
        rep = self.widget.GetRepresentation()
        if section.kind == "box":
            h = section.half_size
            rep.PlaceWidget([-h[0], h[0], -h[1], h[1], -h[2], h[2]])
            m = np.eye(4)
            m[:3, :3] = np.asarray(section.axes).T
            m[:3, 3] = section.origin
            t = vtk.vtkTransform()
            t.SetMatrix(m.ravel().tolist())
            rep.SetTransform(t)
        else:
            b = self.canvas.scene.local_bounds()
            o = np.asarray(section.origin)
            r = float(np.linalg.norm(b[1] - b[0])) / 2 if b is not None else 50.0
            rep.PlaceWidget([o[0] - r, o[0] + r, o[1] - r, o[1] + r, o[2] - r, o[2] + r])
            rep.SetOrigin(*section.origin)
            rep.SetNormal(*section.normal)
        self.widget.On()

    def _make_box(self, interactor: Any) -> Any:
        rep = vtk.vtkBoxRepresentation()
        rep.SetPlaceFactor(1.0)
        rep.GetOutlineProperty().SetColor(*OUTLINE_RGB)
        rep.GetOutlineProperty().SetLineWidth(2.0)
        rep.SetInsideOut(False)
        widget = vtk.vtkBoxWidget2()
        widget.SetInteractor(interactor)
        widget.SetRepresentation(rep)
        widget.SetCurrentRenderer(self.canvas.plotter.renderer)
        widget.AddObserver("InteractionEvent", lambda *_: self._from_widget(final=False))
        widget.AddObserver("EndInteractionEvent", lambda *_: self._from_widget(final=True))
        return widget

    def _make_plane(self, interactor: Any) -> Any:
        rep = vtk.vtkImplicitPlaneRepresentation()
        rep.SetPlaceFactor(1.0)
        rep.OutlineTranslationOff()
        rep.ScaleEnabledOff()
        rep.SetDrawOutline(False)
        rep.GetPlaneProperty().SetOpacity(0.15)
        widget = vtk.vtkImplicitPlaneWidget2()
        widget.SetInteractor(interactor)
        widget.SetRepresentation(rep)
        widget.SetCurrentRenderer(self.canvas.plotter.renderer)
        widget.AddObserver("InteractionEvent", lambda *_: self._from_widget(final=False))
        widget.AddObserver("EndInteractionEvent", lambda *_: self._from_widget(final=True))
        return widget

    def widget_section(self) -> Section | None:
        """What the handles show now, as a Section."""
        current = self.canvas.scene.section
        if self.widget is None or current is None:
            return None
        rep = self.widget.GetRepresentation()
        if self._widget_kind == "box":
            poly = vtk.vtkPolyData()
            rep.GetPolyData(poly)
            p = np.array([poly.GetPoint(i) for i in range(8)])
            edges = np.array([p[1] - p[0], p[3] - p[0], p[4] - p[0]])
            size = np.linalg.norm(edges, axis=1)
            axes = edges / np.maximum(size, 1e-9)[:, None]
            return Section("box", origin=tuple(p.mean(0)), half_size=tuple(size / 2), axes=tuple(map(tuple, axes)),
                           enabled=current.enabled, outline=current.outline)
        return Section("plane", origin=rep.GetOrigin(), normal=rep.GetNormal(), enabled=current.enabled,
                       outline=current.outline)

    def _from_widget(self, final: bool) -> None:
        """A handle moved: the model follows (planes at once; the outline when let go)."""
        section = self.widget_section()
        if section is None:
            return
        self._updating = True
        self._dragging = not final
        try:
            if final:
                self.canvas.scene.section = section
            else:  # while dragging: the planes only, no outline, no project change per mouse move
                self._set_planes(section)
                if self.outline_actor is not None:
                    self.outline_actor.SetVisibility(False)
        finally:
            self._updating = False

    def close(self) -> None:
        self.canvas.scene.section_changed.disconnect(self._on_section)
        self._drop_widget()
        for mapper in self._mappers.values():
            self._strip(mapper)
        self._mappers.clear()
