"""Value labels over sensor glyphs, placed on screen before every render so that no two overlap
(higher priority first: alerts, then warnings, then fresh sensors), each on a light box so it
reads over any scene (LOOK.md).

Why our own placement: VTK's vtkLabelPlacementMapper here drew labels over each other and lost
their backgrounds off-screen. A small pool of text actors is reused; per render the candidates'
positions are projected with the camera's matrix in numpy and accepted greedily.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import vtk

from viewers.fonts import apply_font
from viewers.legends import TEXT_RGB, text_size

MAX_LABELS = 300  # candidates formatted and placed per update (alerts and warnings first)
MAX_SHOWN = 40  # labels on screen at once
FONT = 12
LIFT_PX = 8  # the box sits this far above its sensor


class SensorLabels:
    def __init__(self, renderer: Any, window: Any, font_scale: Callable[[], float] | None = None) -> None:
        self.renderer = renderer
        self.window = window
        self.font_scale = font_scale or (lambda: 1.0)  # the canvas's: 1.5x in briefing mode, 2-4x in hi-res exports
        self.actors: list[vtk.vtkTextActor] = []
        self.positions = np.zeros((0, 3))
        self.texts: list[str] = []
        self.visible = True
        self.shown: list[str] = []  # texts placed at the last render (for tests and checks)
        self._char_w = text_size("0000000000", FONT, bold=True)[0] / 10.0
        self._observer = window.AddObserver("StartEvent", lambda *_: self.place())  # i18n: not shown (VTK event name)

    def update(self, positions: np.ndarray, texts: list[str], priority: np.ndarray) -> None:
        """New candidates at (N,3) world positions; placed at the next render."""
        order = np.argsort(-np.asarray(priority), kind="stable")[:MAX_LABELS]
        self.positions = np.asarray(positions, dtype=np.float64)[order]
        self.texts = [texts[i] for i in order]

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        if not on:
            for actor in self.actors:
                actor.SetVisibility(False)
            self.shown = []

    def _actor(self, i: int) -> vtk.vtkTextActor:
        while len(self.actors) <= i:
            actor = vtk.vtkTextActor()
            tp = actor.GetTextProperty()
            apply_font(tp)  # units and sensor feeds may be Chinese: VTK's own font draws them blank
            tp.SetFontSize(FONT)
            tp.SetBold(True)
            tp.SetColor(*TEXT_RGB)
            tp.SetBackgroundColor(1.0, 1.0, 1.0)
            tp.SetBackgroundOpacity(0.85)
            tp.SetFrame(True)
            tp.SetFrameColor(0.55, 0.58, 0.62)
            tp.SetJustificationToCentered()
            tp.SetVerticalJustificationToBottom()
            actor.PickableOff()
            self.renderer.AddViewProp(actor)
            self.actors.append(actor)
        return self.actors[i]

    def place(self) -> None:
        """Project, cull what is behind the camera or off screen, accept greedily without overlap."""
        placed: list[tuple[float, float, float, float]] = []
        self.shown = []
        if self.visible and self.texts:
            w, h = (int(v) for v in self.renderer.GetSize())
            if w > 0 and h > 0:
                m = vtk.vtkMatrix4x4()
                m.DeepCopy(self.renderer.GetActiveCamera().GetCompositeProjectionTransformMatrix(w / h, -1, 1))
                mat = np.array([[m.GetElement(r, c) for c in range(4)] for r in range(4)])
                hom = np.c_[self.positions, np.ones(len(self.positions))] @ mat.T
                with np.errstate(divide="ignore", invalid="ignore"):
                    ndc = hom[:, :3] / hom[:, 3:4]
                ok = (hom[:, 3] > 0) & (np.abs(ndc[:, 0]) <= 1) & (np.abs(ndc[:, 1]) <= 1) & np.isfinite(ndc).all(axis=1)
                xs, ys = (ndc[:, 0] + 1) * 0.5 * w, (ndc[:, 1] + 1) * 0.5 * h
                k = float(self.font_scale())
                for i in np.flatnonzero(ok):
                    text = self.texts[i]
                    bw, bh = (len(text) * self._char_w + 8) * k, (FONT + 8) * k
                    x, y = float(xs[i]), float(ys[i]) + LIFT_PX * k
                    rect = (x - bw / 2, y, x + bw / 2, y + bh)
                    if any(rect[0] < r[2] and r[0] < rect[2] and rect[1] < r[3] and r[1] < rect[3] for r in placed):
                        continue
                    actor = self._actor(len(placed))
                    actor.SetInput(text)
                    actor.GetTextProperty().SetFontSize(max(1, round(FONT * k)))
                    actor.SetDisplayPosition(int(x), int(y))
                    actor.SetVisibility(True)
                    placed.append(rect)
                    self.shown.append(text)
                    if len(placed) >= MAX_SHOWN:
                        break
        for actor in self.actors[len(placed):]:
            actor.SetVisibility(False)

    def close(self) -> None:
        self.window.RemoveObserver(self._observer)
        for actor in self.actors:
            self.renderer.RemoveViewProp(actor)
        self.actors = []
