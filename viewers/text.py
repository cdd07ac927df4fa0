"""Text the 3D view draws (legend titles and entries, overlays) in the interface's language.

Why here and not app.ui.i18n: viewers never import the Qt shell. Qt's translate() works without
the shell: with no translator installed (headless `render` in English, tests) it returns the text."""
from __future__ import annotations


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("", text, disambiguation, n)


def QT_TR_NOOP(text: str) -> str:  # noqa: N802 - the name pyside6-lupdate looks for
    """Marks a constant for translation where it is defined; `tr(constant)` translates it where drawn."""
    return text
