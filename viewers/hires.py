"""Hi-res export: the view as it is, 2-4x the window's pixels, with a title, legends, north arrow,
scale bar and date drawn at the same share of the picture. No Qt.

Why not vtkRenderLargeImage / vtkWindowToImageFilter.SetScale: they render tiles at the window's
size and shift 2D actors per tile; our overlays are laid out in pixels from the renderer's size
(legends, scale bar), so tiles would cut and misplace them. Instead the render window itself is
made `scale` times larger for one off-screen frame (VTK renders into its own framebuffer; the
Qt widget only blits it, later), the overlays are laid out for that size at `scale` x their font
(Canvas.set_font_scale), points and lines are thickened by `scale`, the pixels are read back,
and everything is put back before the next frame on screen.
"""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk, vtk_to_numpy

from viewers.fonts import apply_font
from viewers.legends import GAP, intersects, text_size
from viewers.overlays import north_arrow_rect

SCALES = (2, 3, 4)
MAX_SIDE_PX = 16384  # OpenGL framebuffers of common drivers (and llvmpipe) stop here
TITLE_FONT, DATE_FONT = 26, 14  # at 1x; multiplied by the export's font scale


class ExportError(ValueError):
    """An export that cannot be made (too large, no window); the message says why."""


@dataclass
class ExportOptions:
    scale: int = 2
    title: str = ""
    legend: bool = True
    north_arrow: bool = True
    scale_bar: bool = True
    date: str = ""  # drawn bottom-right when not empty (the scene clock's time, ISO with its zone)


def export_size(canvas: Any, scale: int) -> tuple[int, int]:
    """(width, height) in pixels of an export at `scale`; ExportError when it cannot be made."""
    if int(scale) != scale or not 1 <= scale <= max(SCALES):
        raise ExportError(f"scale must be a whole number from 1 to {max(SCALES)}, not {scale}")
    window = canvas.plotter.render_window
    if window is None:
        raise ExportError("the view is closed")
    w, h = (int(v) for v in window.GetSize())
    if w < 1 or h < 1:
        raise ExportError("the view has no size (is the window minimised?)")
    if max(w, h) * scale > MAX_SIDE_PX:
        raise ExportError(f"{w * scale} x {h * scale} px is larger than {MAX_SIDE_PX} px a side: choose a smaller scale")
    return w * int(scale), h * int(scale)


def _text_actor(text: str, font: int, bold: bool = False) -> vtk.vtkTextActor:
    actor = vtk.vtkTextActor()
    actor.SetInput(text)
    tp = actor.GetTextProperty()
    apply_font(tp)
    tp.SetFontSize(font)
    tp.SetBold(bold)
    tp.SetColor(0.1, 0.12, 0.15)
    tp.SetBackgroundColor(1, 1, 1)
    tp.SetBackgroundOpacity(0.8)  # reads over any scene, like the legends
    tp.SetFrame(False)
    return actor


def _scene_props(canvas: Any) -> list[Any]:
    """Every 3D actor of the scene's renderers (not the overlay): their points and lines thicken."""
    props = []
    renderers = canvas.plotter.render_window.GetRenderers()
    renderers.InitTraversal()
    for _ in range(renderers.GetNumberOfItems()):
        renderer = renderers.GetNextItem()
        if renderer is canvas.overlay:
            continue
        actors = renderer.GetActors()
        actors.InitTraversal()
        for _ in range(actors.GetNumberOfItems()):
            props.append(actors.GetNextActor().GetProperty())
    return props


@contextmanager
def _export_look(canvas: Any, options: ExportOptions) -> Iterator[dict[str, Any]]:
    """Overlays, fonts and point sizes for the export; all put back afterwards, whatever happens."""
    k = float(options.scale)
    before_scale = canvas.font_scale
    stats_on = canvas.stats_overlay.visible
    arrow = getattr(canvas.plotter.renderer, "axes_widget", None)
    marker = arrow.GetOrientationMarker() if arrow is not None else None
    marker_visible = marker.GetVisibility() if marker is not None else None
    props = [(p, p.GetPointSize(), p.GetLineWidth()) for p in _scene_props(canvas)]
    added: list[Any] = []
    font = before_scale * k
    try:
        canvas.set_font_scale(font)
        canvas.stats_overlay.show(False)  # a debugging aid, never in a picture
        if not options.legend:
            canvas.visible_legends = lambda: []  # this export only (the instance attribute is removed below)
        if marker is not None and not options.north_arrow:
            marker.SetVisibility(False)
        for actor in (canvas.scale_bar.bar, canvas.scale_bar.text):
            actor.SetVisibility(bool(options.scale_bar))
        for prop, size, width in props:
            prop.SetPointSize(size * k)
            prop.SetLineWidth(width * k)
        texts: dict[str, Any] = {}
        if options.title.strip():
            texts["title"] = _text_actor(options.title.strip(), round(TITLE_FONT * font), bold=True)
        if options.date.strip():
            texts["date"] = _text_actor(options.date.strip(), round(DATE_FONT * font))
        for actor in texts.values():
            canvas.overlay.AddActor(actor)
            added.append(actor)
        yield texts
    finally:
        for actor in added:
            canvas.overlay.RemoveActor(actor)
        for prop, size, width in props:
            prop.SetPointSize(size)
            prop.SetLineWidth(width)
        for actor in (canvas.scale_bar.bar, canvas.scale_bar.text):
            actor.SetVisibility(True)
        if marker is not None:
            marker.SetVisibility(marker_visible)
        canvas.__dict__.pop("visible_legends", None)
        canvas.stats_overlay.show(stats_on)
        canvas.set_font_scale(before_scale)


def _fitted(actor: Any, font: int, width: float, bold: bool) -> tuple[int, int]:
    """The text's font shrunk until it fits `width` pixels; returns its drawn size."""
    tw, th = text_size(actor.GetInput(), font, bold=bold)
    if tw > width > 0:
        font = max(6, int(font * width / tw))
        tw, th = text_size(actor.GetInput(), font, bold=bold)
    actor.GetTextProperty().SetFontSize(font)
    return tw, th


def _place_texts(texts: dict[str, Any], size: tuple[int, int], font_scale: float,
                 avoid: list[tuple[float, float, float, float]]) -> dict[str, tuple[float, float, float, float]]:
    """Title centred at the top (legends are pushed below it), date bottom-right above the north
    arrow and scale bar when they would meet; each shrunk to fit the picture's width. Returns
    their pixel rectangles (x0, y0, x1, y1; y up)."""
    w, h = size
    margin = 12 * font_scale
    rects = {}
    title = texts.get("title")
    if title is not None:
        tw, th = _fitted(title, round(TITLE_FONT * font_scale), w - 2 * margin, bold=True)
        title.GetTextProperty().SetJustificationToCentered()
        title.SetPosition(w / 2, h - margin - th)
        rects["title"] = (w / 2 - tw / 2, h - margin - th, w / 2 + tw / 2, h - margin)
    date = texts.get("date")
    if date is not None:
        dw, dh = _fitted(date, round(DATE_FONT * font_scale), w - 2 * margin, bold=False)
        rect = (w - margin - dw, margin, w - margin, margin + dh)
        if any(intersects(rect, other) for other in avoid):  # a narrow view: above the scale bar
            y0 = max(other[3] for other in avoid) + margin / 2
            rect = (rect[0], y0, rect[2], y0 + dh)
        date.GetTextProperty().SetJustificationToRight()
        date.SetPosition(w - margin, rect[1])
        rects["date"] = rect
    return rects


def render_hires(canvas: Any, options: ExportOptions) -> tuple[np.ndarray, dict[str, tuple[float, float, float, float]]]:
    """The view at `options.scale` x the window's pixels as an (H, W, 3) uint8 array, top row
    first, and where the title, the date and each legend ("legend TITLE") were drawn (pixel
    rectangles, y up)."""
    width, height = export_size(canvas, options.scale)
    window = canvas.plotter.render_window
    old = tuple(int(v) for v in window.GetSize())
    rects: dict[str, tuple[float, float, float, float]] = {}
    with _export_look(canvas, options) as texts:
        try:
            window.SetSize(width, height)
            canvas.scale_bar.update()  # where it will be at this size (the render does it again)
            avoid = [north_arrow_rect((width, height))] + ([canvas.scale_bar.rect] if options.scale_bar else [])
            rects = _place_texts(texts, (width, height), canvas.font_scale, avoid)
            if "title" in rects:  # legends start below the title rather than under it
                canvas.legends.clear()
                original = canvas.layout_overlays

                def layout() -> None:
                    original()
                    _push_legends_below(canvas, rects["title"])

                canvas.layout_overlays = layout
            window.Render()
            for legend, rect in zip(canvas.legends.drawn, canvas.legends.rects):  # where they are in the picture
                rects[f"legend {legend.title}"] = rect
            grab = vtk.vtkWindowToImageFilter()
            grab.SetInput(window)
            grab.SetInputBufferTypeToRGB()
            grab.ReadFrontBufferOff()
            grab.ShouldRerenderOff()
            grab.Update()
            image = grab.GetOutput()
            w, h, _ = image.GetDimensions()
            pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(h, w, -1)[::-1, :, :3].copy()
        finally:
            canvas.__dict__.pop("layout_overlays", None)
            window.SetSize(*old)
    canvas.legends.clear()
    window.Render()  # the view on screen at its own size again, before Qt shows a frame
    return pixels, rects


def _push_legends_below(canvas: Any, title: tuple[float, float, float, float]) -> None:
    """Lay the legends out again below the title's band (the whole width: a legend beside a title
    reads as part of it), by the stack's own rule for rectangles to avoid."""
    size = tuple(int(v) for v in canvas.overlay.GetSize())
    floor = max(north_arrow_rect(size)[3], canvas.scale_bar.rect[3]) + GAP
    band = (0.0, title[1], float(size[0]), float(size[1]))
    canvas.legends.show(canvas.visible_legends(), size, [band], floor)


def save_png(pixels: np.ndarray, path: str | os.PathLike) -> None:
    """Write an (H, W, 3) uint8 array as PNG under a temporary name, then rename: never half a file."""
    h, w = pixels.shape[:2]
    image = vtk.vtkImageData()
    image.SetDimensions(w, h, 1)
    flat = np.ascontiguousarray(pixels[::-1]).reshape(-1, pixels.shape[2])
    image.GetPointData().SetScalars(numpy_to_vtk(flat, deep=True, array_type=vtk.VTK_UNSIGNED_CHAR))
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part.png")
    writer = vtk.vtkPNGWriter()
    writer.SetFileName(tmp)
    writer.SetInputData(image)
    try:
        writer.Write()
        if writer.GetErrorCode() or not os.path.exists(tmp):
            raise OSError(f"cannot write {path}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
