"""What briefing mode draws over the 3D view: the title card, the laser pointer and the small
problem indicator. Plain Qt widgets, children of the view: the view is a QOpenGLWidget, so Qt
composites them (translucency included) over its last frame without a new VTK render, and a
laser dot following the mouse costs no 3D frame.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QRadialGradient
from PySide6.QtWidgets import QWidget

from app.ui.i18n import tr

INK = QColor("#f4f6f8")
CARD_TOP, CARD_BOTTOM = QColor("#13202d"), QColor("#0b1117")
ACCENT = QColor("#e74c3c")
MAX_LISTED = 20  # problems listed in the indicator's tooltip (newest last)


class TitleCard(QWidget):
    """Full-view card: the project's name large, the date, the tour and how to go on."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("briefing_title_card")
        self.title = ""
        self.subtitle = ""
        self.date_text = ""
        self.hint = tr("PageDown or \u2192 to begin  \u00b7  Esc to leave")
        self.on_click: Callable[[], None] | None = None  # a click on the card begins, as PageDown does

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.on_click is not None:
            self.on_click()

    def set_text(self, title: str, subtitle: str = "", when: date | None = None) -> None:
        self.title = title or "Twinscape"  # i18n: not shown (the app's name)
        self.subtitle = subtitle
        self.date_text = f"{(when or date.today()):%d %B %Y}".lstrip("0")
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        h, w = self.height(), self.width()
        p.fillRect(self.rect(), CARD_BOTTOM)
        p.fillRect(QRectF(0, 0, w, h * 0.62), CARD_TOP)
        p.fillRect(QRectF(w * 0.08, h * 0.62 - 3, w * 0.12, 6), ACCENT)  # a short accent rule under the title
        self._text(p, self.title, QRectF(w * 0.08, h * 0.22, w * 0.84, h * 0.36), max(18, int(h / 11)), True,
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self._text(p, self.subtitle, QRectF(w * 0.08, h * 0.66, w * 0.84, h * 0.08), max(12, int(h / 26)), False)
        self._text(p, self.date_text, QRectF(w * 0.08, h * 0.74, w * 0.84, h * 0.07), max(11, int(h / 30)), False,
                   color=QColor("#aab6c2"))
        self._text(p, self.hint, QRectF(w * 0.08, h * 0.88, w * 0.84, h * 0.06), max(9, int(h / 48)), False,
                   color=QColor("#6f7d8a"))
        p.end()

    @staticmethod
    def _text(p: QPainter, text: str, rect: QRectF, px: int, bold: bool,
              align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
              color: QColor = INK) -> None:
        if not text:
            return
        font = QFont(p.font())
        font.setPixelSize(px)
        font.setBold(bold)
        p.setFont(font)
        p.setPen(color)
        p.drawText(rect, int(align | Qt.TextFlag.TextWordWrap), text)


class LaserPointer(QWidget):
    """A red translucent dot where the mouse is; mouse events go through it to the view."""

    def __init__(self, parent: QWidget, diameter: int = 34) -> None:
        super().__init__(parent)
        self.setObjectName("briefing_laser")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.resize(diameter, diameter)

    def centre_on(self, x: float, y: float) -> None:
        self.move(int(round(x - self.width() / 2)), int(round(y - self.height() / 2)))

    def centre(self) -> tuple[int, int]:
        return self.x() + self.width() // 2, self.y() + self.height() // 2

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.width() / 2
        glow = QRadialGradient(QPointF(r, r), r)
        glow.setColorAt(0.0, QColor(255, 40, 30, 235))
        glow.setColorAt(0.3, QColor(255, 40, 30, 200))
        glow.setColorAt(0.65, QColor(255, 30, 20, 90))
        glow.setColorAt(1.0, QColor(255, 30, 20, 0))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(glow)
        p.drawEllipse(QRectF(0, 0, self.width(), self.height()))
        p.setBrush(QColor(255, 235, 230, 230))  # a bright core, as a real laser spot has
        p.drawEllipse(QPointF(r, r), r * 0.12, r * 0.12)
        p.end()


class ProblemIndicator(QWidget):
    """A small red dot with a count in a corner; its tooltip lists what went wrong. Nothing else:
    the audience sees a dot, the presenter can hover it, the briefing goes on."""

    def __init__(self, parent: QWidget, diameter: int = 22) -> None:
        super().__init__(parent)
        self.setObjectName("briefing_problems")
        self.problems: list[str] = []
        self.resize(diameter, diameter)
        self.hide()

    def add(self, text: str) -> None:
        self.problems.append(text)
        listed = self.problems[-MAX_LISTED:]
        more = len(self.problems) - len(listed)
        head = tr("{n} problem(s) during the briefing").format(n=len(self.problems))
        if more:
            head += " " + tr("({n} older not listed)").format(n=more)
        self.setToolTip("\n".join([head + ":"] +
                                  [f"\u2022 {t}" for t in listed]))
        self.show()
        self.raise_()
        self.update()

    def clear(self) -> None:
        self.problems.clear()
        self.setToolTip("")
        self.hide()

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(255, 255, 255, 200), 1.5))
        p.setBrush(QColor(200, 30, 30, 220))
        p.drawEllipse(QRectF(1, 1, self.width() - 2, self.height() - 2))
        count = len(self.problems)
        font = QFont(p.font())
        font.setPixelSize(max(8, int(self.height() * 0.55)))
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor("white"))
        p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), str(count) if count < 100 else "99+")
        p.end()
