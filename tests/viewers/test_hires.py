"""Hi-res export (issue 15 item 7): 2-4x the window's pixels, overlays at the same share of the
picture, a title and a date that are really drawn, and the view put back as it was."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import vtk

from tests.viewers.test_legends import _cloud
from viewers.canvas import Canvas
from viewers.hires import ExportError, ExportOptions, export_size, render_hires, save_png
from viewers.legends import intersects
from app.model import Scene

SIZE = (320, 200)


@pytest.fixture
def canvas():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    c = Canvas(plotter, Scene())
    c.scene.layers.append(_cloud("Elev", "elevation"))
    c.zoom_to()
    yield c
    c.close()
    c.plotter.close()


def _dark(pixels: np.ndarray, rect: tuple[float, float, float, float]) -> float:
    """Share of near-black pixels (text ink) in a rectangle given y-up, as overlays are placed."""
    h = pixels.shape[0]
    x0, y0, x1, y1 = (int(round(v)) for v in rect)
    region = pixels[h - y1:h - y0, x0:x1].astype(int)
    return float((region.sum(axis=2) < 200).mean()) if region.size else 0.0


def test_a_2x_export_has_twice_the_pixels_and_draws_its_title(canvas: Canvas, tmp_path: Path) -> None:
    canvas.render()
    legend_before = canvas.legends.rects[0]
    pixels, rects = render_hires(canvas, ExportOptions(scale=2, title="Riverside district", date="2026-11-30T09:00+00:00 UTC"))
    assert pixels.shape == (SIZE[1] * 2, SIZE[0] * 2, 3) and pixels.dtype == np.uint8
    assert _dark(pixels, rects["title"]) > 0.03  # letters, not an empty box
    assert _dark(pixels, rects["date"]) > 0.03
    assert rects["title"][3] <= 2 * SIZE[1] and rects["title"][1] > SIZE[1]  # top half, inside the picture
    drawn = rects["legend Elev: Elevation (m, local)"]  # below the title's band, at the right
    assert drawn[3] <= rects["title"][1] and drawn[2] > 1.5 * SIZE[0]
    # the window is as it was: its size, fonts, overlays and legends
    assert tuple(canvas.plotter.render_window.GetSize()) == SIZE and canvas.font_scale == 1.0
    canvas.render()
    assert canvas.legends.rects[0] == legend_before
    assert "layout_overlays" not in canvas.__dict__ and "visible_legends" not in canvas.__dict__
    out = tmp_path / "view.png"
    save_png(pixels, out)
    reader = vtk.vtkPNGReader()
    reader.SetFileName(str(out))
    reader.Update()
    assert reader.GetOutput().GetDimensions()[:2] == (SIZE[0] * 2, SIZE[1] * 2)
    assert [p.name for p in tmp_path.iterdir()] == ["view.png"]  # no temporary file left


def test_overlays_grow_with_the_export(canvas: Canvas) -> None:
    canvas.render()
    (x0, y0, x1, y1) = canvas.legends.rects[0]
    _, _ = render_hires(canvas, ExportOptions(scale=3))
    # laid out again at the window's size afterwards; during the export they were 3x (checked via the layout)
    canvas.set_font_scale(3)
    canvas.plotter.render_window.SetSize(SIZE[0] * 3, SIZE[1] * 3)
    canvas.render()
    X0, Y0, X1, Y1 = canvas.legends.rects[0]
    assert abs((X1 - X0) - 3 * (x1 - x0)) <= 6 and abs((Y1 - Y0) - 3 * (y1 - y0)) <= 6
    assert canvas.scale_bar.text.GetTextProperty().GetFontSize() == 45


def test_without_legend_north_arrow_and_scale_bar(canvas: Canvas) -> None:
    canvas.render()
    plain, _ = render_hires(canvas, ExportOptions(scale=2, legend=False, north_arrow=False, scale_bar=False))
    full, _ = render_hires(canvas, ExportOptions(scale=2))
    assert not np.array_equal(plain, full)
    h, w = plain.shape[:2]
    corner = (slice(0, h // 3), slice(w * 2 // 3, w))  # top-right: where the legend is
    assert np.abs(plain[corner].astype(int) - full[corner].astype(int)).sum() > 0
    assert canvas.legends.titles()  # still drawn in the window


def test_sizes_that_cannot_be_exported_are_refused(canvas: Canvas) -> None:
    assert export_size(canvas, 4) == (SIZE[0] * 4, SIZE[1] * 4)
    with pytest.raises(ExportError, match="whole number"):
        export_size(canvas, 5)
    with pytest.raises(ExportError, match="whole number"):
        export_size(canvas, 2.5)  # type: ignore[arg-type]
    canvas.plotter.render_window.SetSize(5000, 3000)
    with pytest.raises(ExportError, match="larger than"):
        export_size(canvas, 4)


def test_a_long_title_fits_and_the_date_keeps_clear_of_the_scale_bar(canvas: Canvas) -> None:
    canvas.render()
    title = "Riverside district: construction site, phase 2 (design against scan)"
    pixels, rects = render_hires(canvas, ExportOptions(scale=3, title=title, date="2026-12-21T10:00+08:00 Asia/Shanghai"))
    w = pixels.shape[1]
    x0, _, x1, _ = rects["title"]
    assert 0 <= x0 and x1 <= w  # shrunk to the picture's width, not cut at its edges
    canvas.plotter.render_window.SetSize(SIZE[0] * 3, SIZE[1] * 3)  # the scale bar where the export drew it
    canvas.set_font_scale(3)
    canvas.render()
    assert not intersects(rects["date"], canvas.scale_bar.rect)


def test_annotation_labels_follow_the_font_scale(canvas: Canvas) -> None:
    from app.model.annotations import Annotation

    canvas.scene.annotations.append(Annotation("Gate", (0.0, 0.0, 5.0)))
    sizes = lambda: [a.GetTextProperty().GetFontSize() for _, actors in canvas.annotations.items for a in actors  # noqa: E731
                     if isinstance(a, vtk.vtkTextActor)]
    assert sizes() == [15]
    canvas.set_font_scale(1.5)  # briefing mode
    assert sizes() == [22] or sizes() == [23]
    canvas.set_font_scale(1.0)
    assert sizes() == [15]


def test_sensor_value_labels_follow_the_font_scale(canvas: Canvas) -> None:
    from viewers.sensor_labels import SensorLabels

    p = canvas.plotter
    labels = SensorLabels(p.renderer, p.render_window, font_scale=lambda: canvas.font_scale)
    try:
        labels.update(np.array([[0.0, 0.0, 5.0]]), ["26 ug/m3"], np.array([1.0]))
        canvas.render()
        assert labels.shown == ["26 ug/m3"] and labels.actors[0].GetTextProperty().GetFontSize() == 12
        canvas.set_font_scale(2.0)  # a 2x export
        canvas.render()
        assert labels.actors[0].GetTextProperty().GetFontSize() == 24
    finally:
        labels.close()
