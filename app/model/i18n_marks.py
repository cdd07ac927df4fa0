"""`QT_TR_NOOP`: marks a constant for the translation file (pyside6-lupdate looks for this name)
where it is defined; the shell translates it with tr() where it is shown. No Qt here, so the model,
the demo, the viewers and the shell can all mark text with this one function."""
from __future__ import annotations


def QT_TR_NOOP(text: str) -> str:  # noqa: N802 - the name pyside6-lupdate looks for
    return text
