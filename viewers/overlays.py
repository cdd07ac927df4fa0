"""2D overlays drawn over the scene: a scale bar that follows the zoom."""
from __future__ import annotations

import math

import vtk


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
    """A bar of a round length in metres, measured at the focal point, bottom-left of the view."""

    TARGET_PX = 140

    def __init__(self, renderer: vtk.vtkRenderer) -> None:
        self.renderer = renderer
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
        tp.SetFontSize(15)
        tp.SetColor(0.1, 0.12, 0.15)
        tp.SetBackgroundColor(1, 1, 1)
        tp.SetBackgroundOpacity(0.6)  # a halo so the label reads over any scene
        tp.SetJustificationToCentered()
        self.poly = poly
        renderer.AddActor(self.bar)
        renderer.AddActor(self.text)
        self.length_m = 0.0

    def metres_per_pixel(self) -> float:
        cam = self.renderer.GetActiveCamera()
        height = max(self.renderer.GetSize()[1], 1)
        if cam.GetParallelProjection():
            return 2 * cam.GetParallelScale() / height
        dist = cam.GetDistance()
        return 2 * dist * math.tan(math.radians(cam.GetViewAngle() / 2)) / height

    def update(self) -> None:
        mpp = self.metres_per_pixel()
        length = nice_length(self.TARGET_PX * mpp)
        px = length / mpp if mpp > 0 else self.TARGET_PX
        x0, y0 = 120.0, 22.0
        for i, (x, y) in enumerate(((x0, y0), (x0 + px, y0), (x0, y0 - 5), (x0, y0 + 6), (x0 + px, y0 - 5), (x0 + px, y0 + 6))):
            self.points.SetPoint(i, x, y, 0)
        self.points.Modified()
        self.length_m = length
        self.text.SetInput(f"{length:g} m" if length >= 1 else f"{length * 100:g} cm")
        self.text.SetPosition(x0 + px / 2, y0 + 8)
