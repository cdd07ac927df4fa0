"""Legends: one per visible coloured layer, stacked top-right, titled with the layer's name.

Why our own actors instead of pyvista's scalar bars: pyvista keys its bars by title and puts
them all in one spot (two layers' bars overlapped and their titles merged), and its tick labels
sit partly under the bar without a background. Here each legend is a box of known pixel size, so
the stack never overlaps itself or the other overlays, and every text has a light background.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import vtk

from viewers.fonts import apply_font

TEXT_RGB = (0.1, 0.12, 0.15)
FONT, SMALL = 14, 12
LINE = 20  # one category row
BAR_W, BAR_H = 170, 12
PAD, GAP = 6, 8  # inside a legend box; between two legends
MAX_ROWS = 12  # categories shown per legend; the rest are summarised in one row


def format_number(value: float, span: float | None = None) -> str:
    """A label for a colour bar or a status line: precision from the range shown (0.1 m steps for
    a 35 m range, whole numbers for 1-225), thousands separated, never "-0" or "-0.0"."""
    if not math.isfinite(value):
        return str(value)
    span = abs(value) if span is None else abs(span)
    decimals = 0 if span >= 50 else max(0, min(4, 2 - math.floor(math.log10(span)))) if span > 0 else 2
    text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":  # -0, -0.0, -0.00: zero has no sign
        text = text.lstrip("-")
    return text


def text_size(text: str, size: int, bold: bool = False, courier: bool = False) -> tuple[int, int]:
    """Pixel width and height VTK will draw `text` at (the free-type renderer, 72 dpi)."""
    tp = vtk.vtkTextProperty()
    tp.SetFontSize(size)
    tp.SetBold(bold)
    apply_font(tp, mono=courier)  # measured with the font it is drawn with (CJK-capable)
    bbox = [0, 0, 0, 0]
    vtk.vtkTextRenderer().GetBoundingBox(tp, text or " ", bbox, 72)
    return bbox[1] - bbox[0] + 1, bbox[3] - bbox[2] + 1


@dataclass
class Legend:
    """What one layer's legend shows: categories (label, RGB), or a colour bar (lut and range).
    `offset` is added to the values for the labels (scene heights shown as absolute heights)."""

    title: str
    entries: tuple[tuple[str, tuple[int, int, int]], ...] = ()
    lut: Any = None
    range: tuple[float, float] | None = None
    offset: float = 0.0
    marks: tuple[float, ...] = ()  # values ticked on the bar (a tolerance band's edges)
    note: str = ""  # one line under a bar ("white: within ±0.05 m")

    @property
    def is_bar(self) -> bool:
        return self.lut is not None and self.range is not None

    def key(self) -> tuple:
        lut = (id(self.lut), self.lut.GetMTime()) if self.lut is not None else None
        return (self.title, self.entries, lut, self.range, self.offset, self.marks, self.note)

    def tick_labels(self) -> list[str]:
        """Minimum, middle and maximum, in the units the title names."""
        lo, hi = self.range or (0.0, 1.0)
        return [format_number(v + self.offset, hi - lo) for v in (lo, (lo + hi) / 2, hi)]

    def rows(self, max_rows: int = MAX_ROWS) -> list[tuple[str, tuple[int, int, int] | None]]:
        rows: list[tuple[str, tuple[int, int, int] | None]] = list(self.entries[:max_rows])
        if len(self.entries) > max_rows:
            rows.append((f"+{len(self.entries) - max_rows} more", None))
        return rows

    def size(self, max_rows: int = MAX_ROWS, scale: float = 1.0) -> tuple[int, int]:
        """Box width and height in pixels (`scale`: the canvas's font scale, briefing or hi-res)."""
        font, small, line, pad = (scaled(v, scale) for v in (FONT, SMALL, LINE, PAD))
        title_w, _ = text_size(self.title, font, bold=True)
        if self.is_bar:
            labels_w = sum(text_size(t, small)[0] for t in self.tick_labels()) + 2 * pad
            note_w = text_size(self.note, small)[0] if self.note else 0
            return (max(title_w, scaled(BAR_W, scale), labels_w, note_w) + 2 * pad,
                    line + scaled(BAR_H, scale) + line + (line if self.note else 0) + 2 * pad)
        rows = self.rows(max_rows)
        width = max([title_w] + [scaled(22, scale) + text_size(label, font)[0] for label, _ in rows])
        return width + 2 * pad, line * (1 + len(rows)) + 2 * pad


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, y up


def scaled(pixels: float, scale: float) -> int:
    """A size in pixels at a font scale (1.5 in briefing mode, 2-4 in a hi-res export)."""
    return max(1, int(round(pixels * scale)))


def intersects(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class LegendStack:
    """Draws legends right-aligned from the top-right corner downwards, below `avoid` rectangles
    they would otherwise cross and above `floor` (pixels kept free at the bottom)."""

    def __init__(self, renderer: vtk.vtkRenderer) -> None:
        self.renderer = renderer
        self.actors: list[Any] = []
        self.drawn: list[Legend] = []
        self.rects: list[Rect] = []
        self._key: tuple | None = None
        self.scale = 1.0  # font scale (Canvas.set_font_scale): every size below is multiplied by it

    def show(self, legends: list[Legend], size: tuple[int, int], avoid: list[Rect], floor: float) -> None:
        key = (tuple(legend.key() for legend in legends), tuple(size), tuple(avoid), floor, self.scale)
        if key == self._key:
            return
        self._key = key
        self.clear_actors()
        w, h = size
        margin, gap = 10.0 * self.scale, scaled(GAP, self.scale)
        top = h - margin
        for legend in legends:
            rows = MAX_ROWS
            bw, bh = legend.size(rows, self.scale)
            rect = (w - margin - bw, top - bh, w - margin, top)
            for other in avoid:  # a narrow window: go below the statistics rather than over them
                if intersects(rect, other):
                    top = min(top, other[1] - gap)
                    rect = (rect[0], top - bh, rect[2], top)
            while rect[1] < floor and not legend.is_bar and rows > 1:  # fewer rows before giving up
                rows = max(1, rows - 4)
                bw, bh = legend.size(rows, self.scale)
                rect = (w - margin - bw, top - bh, w - margin, top)
            if rect[1] < floor or rect[0] < 0:
                break  # no room left: the rest are not drawn rather than drawn over something
            self._draw(legend, rect, size, rows)
            self.drawn.append(legend)
            self.rects.append(rect)
            top = rect[1] - gap

    def titles(self) -> list[str]:
        return [legend.title for legend in self.drawn]

    def labels(self) -> list[str]:
        """Every text drawn, in order (titles, categories, tick labels): for tests and checks."""
        return [a.GetInput() for a in self.actors if isinstance(a, vtk.vtkTextActor)]

    def clear(self) -> None:
        self._key = None
        self.clear_actors()

    def clear_actors(self) -> None:
        for actor in self.actors:
            self.renderer.RemoveActor(actor)
        self.actors, self.drawn, self.rects = [], [], []

    # --- drawing --------------------------------------------------------------------------------
    def _text(self, text: str, x: float, y: float, size: tuple[int, int], font: int = FONT, bold: bool = False,
              justify: str = "left") -> None:
        actor = vtk.vtkTextActor()
        actor.SetInput(text)
        tp = actor.GetTextProperty()
        apply_font(tp)
        tp.SetFontSize(font)
        tp.SetBold(bold)
        tp.SetColor(*TEXT_RGB)
        tp.SetBackgroundColor(1, 1, 1)
        tp.SetBackgroundOpacity(0.8)  # reads over any scene
        {"left": tp.SetJustificationToLeft, "center": tp.SetJustificationToCentered,
         "right": tp.SetJustificationToRight}[justify]()
        coord = actor.GetPositionCoordinate()
        coord.SetCoordinateSystemToNormalizedViewport()  # anchored as a fraction of the view
        actor.SetPosition(x / max(size[0], 1), y / max(size[1], 1))
        self.renderer.AddActor(actor)
        self.actors.append(actor)

    def _quads(self, quads: list[tuple[float, float, float, float, tuple[int, int, int]]], size: tuple[int, int]) -> None:
        points, cells = vtk.vtkPoints(), vtk.vtkCellArray()
        colors = vtk.vtkUnsignedCharArray()
        colors.SetNumberOfComponents(3)
        for x0, y0, x1, y1, rgb in quads:
            cells.InsertNextCell(4)
            for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
                cells.InsertCellPoint(points.InsertNextPoint(x / max(size[0], 1), y / max(size[1], 1), 0))
            colors.InsertNextTuple3(*rgb)
        poly = vtk.vtkPolyData()
        poly.SetPoints(points)
        poly.SetPolys(cells)
        poly.GetCellData().SetScalars(colors)
        coord = vtk.vtkCoordinate()
        coord.SetCoordinateSystemToNormalizedViewport()
        mapper = vtk.vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        mapper.SetTransformCoordinate(coord)
        mapper.SetColorModeToDirectScalars()
        actor = vtk.vtkActor2D()
        actor.SetMapper(mapper)
        self.renderer.AddActor(actor)
        self.actors.append(actor)

    def _draw(self, legend: Legend, rect: Rect, size: tuple[int, int], rows: int) -> None:
        """Box and colours first, texts after: 2D props draw in the order they were added.
        Every size is at the stack's font scale (`px`)."""
        x0, y0, x1, y1 = rect

        def px(v: float) -> int:
            return scaled(v, self.scale)

        font, small, line, pad = px(FONT), px(SMALL), px(LINE), px(PAD)
        quads: list[tuple[float, float, float, float, tuple[int, int, int]]] = [(x0, y0, x1, y1, (248, 249, 250))]
        texts: list[tuple] = [(legend.title, x0 + pad, y1 - pad - line + px(4), font, True, "left")]
        if legend.is_bar:
            lo, hi = legend.range
            by1 = y1 - pad - line - px(2)
            by0 = by1 - px(BAR_H)
            bx0, bx1 = x0 + pad, x1 - pad
            steps = 48
            rgb = [0.0, 0.0, 0.0]
            for i in range(steps):
                legend.lut.GetColor(lo + (hi - lo) * (i + 0.5) / steps, rgb)
                quads.append((bx0 + (bx1 - bx0) * i / steps, by0, bx0 + (bx1 - bx0) * (i + 1) / steps, by1,
                              tuple(int(round(c * 255)) for c in rgb)))
            for value in legend.marks:  # a dark tick across the bar, 2 px wide
                if lo < value < hi:
                    mx = bx0 + (bx1 - bx0) * (value - lo) / (hi - lo)
                    quads.append((mx - px(1), by0 - px(3), mx + px(1), by1 + px(3), (40, 40, 40)))
            ty = by0 - px(4) - small - px(2)  # tick labels wholly below the bar
            for text, x, justify in zip(legend.tick_labels(), (bx0, (bx0 + bx1) / 2, bx1), ("left", "center", "right")):
                texts.append((text, x, ty, small, False, justify))
            if legend.note:
                texts.append((legend.note, bx0, ty - line, small, False, "left"))
        else:
            for i, (label, rgb) in enumerate(legend.rows(rows)):
                y = y1 - pad - line * (i + 2) + px(4)
                if rgb is not None:
                    quads.append((x0 + pad, y, x0 + pad + px(13), y + px(13), rgb))
                texts.append((label, x0 + pad + px(20), y, font, False, "left"))
        self._quads(quads, size)
        for text, x, y, font, bold, justify in texts:
            self._text(text, x, y, size, font, bold, justify)
