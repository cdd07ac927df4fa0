"""2D overlays drawn over the scene, each in its own corner so that none covers another:
north arrow bottom-left, scale bar along the bottom right of it, statistics top-left, legends
stacked top-right (viewers.legends). Positions follow the view's size on every render."""
from __future__ import annotations

import math

import vtk

from viewers.fonts import apply_font
from viewers.text import tr
from viewers.legends import Rect, text_size

NORTH_ARROW_VIEWPORT = (0.015, 0.015, 0.105, 0.145)  # x0, y0, x1, y1 as fractions of the view


def north_arrow_rect(size: tuple[int, int]) -> Rect:
    x0, y0, x1, y1 = NORTH_ARROW_VIEWPORT
    return (x0 * size[0], y0 * size[1], x1 * size[0], y1 * size[1])


def nice_length(x: float) -> float:
    """Largest 1-2-5 x 10^k not above x (for scale bars and grid steps)."""
    if x <= 0 or not math.isfinite(x):
        return 1.0
    k = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10**k <= x:
            return float(m * 10**k)
    return float(10**k)


class ScaleBar:
    """A bar of a round length in metres, measured at the focal point, along the bottom of the
    view just right of the north arrow."""

    TARGET_PX = 140

    def __init__(self, renderer: vtk.vtkRenderer, draw_on: vtk.vtkRenderer | None = None) -> None:
        self.renderer = renderer  # measured in: the scene's renderer (its camera, its height)
        self.draw_on = renderer if draw_on is None else draw_on  # drawn in: the whole view's overlay
        self.points = vtk.vtkPoints()
        self.points.SetNumberOfPoints(6)
        lines = vtk.vtkCellArray()
        for a, b in ((0, 1), (2, 3), (4, 5)):
            lines.InsertNextCell(2)
            lines.InsertCellPoint(a)
            lines.InsertCellPoint(b)
        poly = vtk.vtkPolyData()
        poly.SetPoints(self.points)
        poly.SetLines(lines)
        mapper = vtk.vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        self.bar = vtk.vtkActor2D()
        self.bar.SetMapper(mapper)
        self.bar.GetProperty().SetColor(0.1, 0.12, 0.15)
        self.bar.GetProperty().SetLineWidth(3)
        self.text = vtk.vtkTextActor()
        tp = self.text.GetTextProperty()
        apply_font(tp)
        tp.SetFontSize(15)
        tp.SetColor(0.1, 0.12, 0.15)
        tp.SetBackgroundColor(1, 1, 1)
        tp.SetBackgroundOpacity(0.6)  # a halo so the label reads over any scene
        tp.SetJustificationToCentered()
        self.poly = poly
        self.draw_on.AddActor(self.bar)
        self.draw_on.AddActor(self.text)
        self.length_m = 0.0
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.scale = 1.0  # font scale (Canvas.set_font_scale): text, bar length and line width grow with it

    def metres_per_pixel(self) -> float:
        cam = self.renderer.GetActiveCamera()
        height = max(self.renderer.GetSize()[1], 1)
        if cam.GetParallelProjection():
            return 2 * cam.GetParallelScale() / height
        dist = cam.GetDistance()
        return 2 * dist * math.tan(math.radians(cam.GetViewAngle() / 2)) / height

    def update(self) -> None:
        k = self.scale
        mpp = self.metres_per_pixel()
        length = nice_length(self.TARGET_PX * k * mpp)
        px = length / mpp if mpp > 0 else self.TARGET_PX * k
        x0, y0 = north_arrow_rect(tuple(self.draw_on.GetSize()))[2] + 14.0 * k, 22.0 * k
        for i, (x, y) in enumerate(((x0, y0), (x0 + px, y0), (x0, y0 - 5 * k), (x0, y0 + 6 * k), (x0 + px, y0 - 5 * k),
                                    (x0 + px, y0 + 6 * k))):
            self.points.SetPoint(i, x, y, 0)
        self.points.Modified()
        self.length_m = length
        font = max(1, round(15 * k))
        self.text.GetTextProperty().SetFontSize(font)
        self.bar.GetProperty().SetLineWidth(3 * k)
        self.text.SetInput(f"{length:g} m" if length >= 1 else f"{length * 100:g} cm")
        self.text.SetPosition(x0 + px / 2, y0 + 8 * k)
        tw, th = text_size(self.text.GetInput(), font)
        self.rect: Rect = (min(x0, x0 + px / 2 - tw / 2), y0 - 6 * k, max(x0 + px, x0 + px / 2 + tw / 2), y0 + 8 * k + th)


def stats_lines(stats: dict, frame_ms: float) -> list[str]:
    """The figures CesiumJS's debug panel shows, in its words, for the overlay and for tests."""
    lines = [tr("frame {ms:.0f} ms").format(ms=frame_ms),
             tr("points drawn {n:,}").format(n=stats.get("points_drawn", 0)),
             tr("triangles drawn {n:,}").format(n=stats.get("triangles_drawn", 0))]
    if "tiles_selected" in stats:
        lines += [tr("tiles visited {visited:,}, selected {selected:,}, culled {culled:,}").format(
                      visited=stats["tiles_visited"], selected=stats["tiles_selected"], culled=stats.get("tiles_culled", 0)),
                  tr("tiles loaded {loaded:,}, pending {pending:,}, failed {failed:,}").format(
                      loaded=stats["tiles_loaded"], pending=stats["tiles_pending"], failed=stats["tiles_failed"]),
                  tr("geometry {geometry:.1f} MiB, textures {textures:.1f} MiB, evicted {evicted:,}").format(
                      geometry=stats["tiles_geometry_bytes"] / 2**20, textures=stats.get("tiles_texture_bytes", 0) / 2**20,
                      evicted=stats.get("tiles_evicted", 0))]
    return lines


class StatsOverlay:
    """Top-left text panel with the renderer's statistics; off by default (View > Statistics)."""

    def __init__(self, renderer: vtk.vtkRenderer) -> None:
        self.renderer = renderer
        self.text = vtk.vtkTextActor()
        tp = self.text.GetTextProperty()
        tp.SetFontSize(13)
        apply_font(tp, mono=True)
        tp.SetColor(0.1, 0.12, 0.15)
        tp.SetBackgroundColor(1, 1, 1)
        tp.SetBackgroundOpacity(0.7)
        tp.SetVerticalJustificationToTop()
        self.text.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.text.SetPosition(0.01, 0.98)
        self.visible = False
        self._last: list[str] = []

    def show(self, on: bool) -> None:
        if on and not self.visible:
            self.renderer.AddViewProp(self.text)
        elif not on and self.visible:
            self.renderer.RemoveViewProp(self.text)
        self.visible = on

    def update(self, stats: dict, frame_ms: float) -> bool:
        """True when the text changed (the caller then asks for a render)."""
        if not self.visible:
            return False
        lines = stats_lines(stats, frame_ms)
        changed = lines[1:] != self._last[1:]  # a new frame time alone waits for the next render:
        self._last = lines                       # re-rendering for it would render forever
        self.text.SetInput("\n".join(lines))
        return changed

    def rect(self, size: tuple[int, int]) -> Rect | None:
        """Where the panel is drawn, in pixels (None when off)."""
        if not self.visible:
            return None
        w, h = text_size(self.text.GetInput() or " ", 13, courier=True)
        x0, top = 0.01 * size[0], 0.98 * size[1]
        return (x0, top - h - 4, x0 + w + 4, top)
