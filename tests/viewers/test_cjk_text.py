"""Chinese text in the 3D view (issue 17 item 1): every text VTK draws uses a font with CJK
coverage. VTK's compiled-in font drew "Use: 办公楼 住宅 Office" as "Use:   Office"."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from viewers import fonts
from viewers.legends import Legend, LegendStack

ROOT = Path(__file__).resolve().parents[2]
needs_font = pytest.mark.skipif(fonts.cjk_font_file() is None, reason="no CJK font installed (make setup installs fonts-noto-cjk)")


def _render_legend(title: str, entries: list[tuple[str, tuple[int, int, int]]]) -> tuple[np.ndarray, LegendStack]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=(360, 200))
    try:
        plotter.set_background("white")
        stack = LegendStack(plotter.renderer)
        stack.show([Legend(title=title, entries=tuple(entries))], (360, 200), [], 0.0)
        image = np.asarray(plotter.screenshot(None))
    finally:
        plotter.close()
    return image, stack


def _ink_columns(image: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    """Dark-pixel count per column inside a legend rectangle (VTK's y is up, the image's down)."""
    h = image.shape[0]
    x0, y0, x1, y1 = (int(v) for v in rect)
    box = image[h - y1:h - y0, x0:x1, :3].astype(int)
    return (box.sum(axis=2) < 250).sum(axis=0)


@needs_font
def test_chinese_category_names_are_drawn_not_blank(monkeypatch) -> None:
    cjk = [("办公楼", (200, 60, 60)), ("住宅", (60, 160, 60))]
    image, stack = _render_legend("用途", cjk)
    assert stack.labels() == ["用途", "办公楼", "住宅"]
    ink_cjk = _ink_columns(image, stack.rects[0]).sum()
    # the same legend with VTK's compiled-in font: the characters vanish (the bug this guards against)
    monkeypatch.setattr(fonts, "cjk_font_file", lambda mono=False: None)
    image_builtin, stack_builtin = _render_legend("用途", cjk)
    ink_builtin = _ink_columns(image_builtin, stack_builtin.rects[0]).sum()
    assert ink_cjk > 150, "Chinese glyphs were not drawn"
    assert ink_cjk > 5 * max(ink_builtin, 1)


@needs_font
def test_mixed_chinese_and_latin_lay_out_on_one_line() -> None:
    image, stack = _render_legend("Use: 办公楼 住宅 Office", [("Office 办公", (90, 90, 200))])
    title_w = fonts_text_width("Use: 办公楼 住宅 Office")
    assert title_w > fonts_text_width("Use:   Office") * 1.4  # the Chinese characters take their room
    assert _ink_columns(image, stack.rects[0]).sum() > 150


def fonts_text_width(text: str) -> int:
    from viewers.legends import text_size

    return text_size(text, 14)[0]


def test_every_module_that_creates_vtk_text_applies_the_cjk_font() -> None:
    """A text actor made without viewers.fonts.apply_font draws Chinese as blanks."""
    makers = re.compile(r"vtkTextActor\(|vtkTextProperty\(|vtkBillboardTextActor3D\(|vtkCaptionActor2D\(|add_point_labels\(|add_text\(")
    offenders = []
    for folder in ("viewers", "app"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if path.name == "fonts.py" or not makers.search(source):
                continue
            if "apply_font" not in source and "font_file" not in source:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
