"""Text the 3D view draws (legend titles and entries, overlays) in the interface's language.

Why here and not app.ui.i18n: viewers never import the Qt shell, and headless commands (`render`,
`video`) never import Qt at all: there the text is returned as written (English)."""
from __future__ import annotations

import sys

from app.model.i18n_marks import QT_TR_NOOP  # noqa: F401 - re-exported: one definition


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    core = sys.modules.get("PySide6.QtCore")  # loaded by the Qt shell; headless commands never import Qt
    if core is None:
        return text
    return core.QCoreApplication.translate("", text, disambiguation, n)


# Words the model keeps as keys (comparison and schedule statuses, ASPRS class names, element
# groupings): marked here for the translation file, translated with tr() only where drawn.
MODEL_WORDS = (
    QT_TR_NOOP("built"), QT_TR_NOOP("partial"), QT_TR_NOOP("missing"), QT_TR_NOOP("deviating"), QT_TR_NOOP("not judged"),
    QT_TR_NOOP("ahead"), QT_TR_NOOP("on time"), QT_TR_NOOP("behind"), QT_TR_NOOP("not planned / not linked"),
    QT_TR_NOOP("Never classified"), QT_TR_NOOP("Unclassified"), QT_TR_NOOP("Ground"), QT_TR_NOOP("Low vegetation"),
    QT_TR_NOOP("Medium vegetation"), QT_TR_NOOP("High vegetation"), QT_TR_NOOP("Building"), QT_TR_NOOP("Low point (noise)"),
    QT_TR_NOOP("Model key-point"), QT_TR_NOOP("Water"), QT_TR_NOOP("Rail"), QT_TR_NOOP("Road surface"), QT_TR_NOOP("Overlap"),
    QT_TR_NOOP("Wire guard"), QT_TR_NOOP("Wire conductor"), QT_TR_NOOP("Transmission tower"), QT_TR_NOOP("Wire connector"),
    QT_TR_NOOP("Bridge deck"), QT_TR_NOOP("High noise"), QT_TR_NOOP("User defined"),
    QT_TR_NOOP("Class"), QT_TR_NOOP("Storey"), QT_TR_NOOP("Material"), QT_TR_NOOP("Height"),
)
