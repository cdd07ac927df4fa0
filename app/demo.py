"""Where the embedded demo project lives, and the demo in the interface's language.

Why a localized copy: the demo's layer, bookmark and tour names are text the user reads (legend
titles, the layer tree, the tour's stops); in a Chinese interface they should be Chinese too. The
project refers to its own names (a comparison names its scan and design layers, a tour its
bookmarks and the layers it shows), so the copy replaces every string equal to a name, keys
included, and stays consistent. No Qt here: the GUI passes its translate function.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.model.i18n_marks import QT_TR_NOOP  # noqa: F401 - re-exported: one definition

LOCALIZED_FOLDER = "localized-demo"  # <cache>/localized-demo/<language>/demo.twin


# Every name in assets/demo/demo.twin (tests/ui/test_i18n.py checks the list is complete).
DEMO_TEXTS = (
    QT_TR_NOOP("Demo district (Wuhan, CGCS2000)"),
    QT_TR_NOOP("District (3D Tiles)"), QT_TR_NOOP("Block C design (IFC)"), QT_TR_NOOP("Site scan (LAZ)"),
    QT_TR_NOOP("Block C: scan vs design"), QT_TR_NOOP("Ground DEM (2 m, for Flood...)"),
    QT_TR_NOOP("Flood depth (rain event, 09:00-15:00)"), QT_TR_NOOP("Air quality (live)"), QT_TR_NOOP("Traffic (live)"),
    QT_TR_NOOP("Parking (live)"), QT_TR_NOOP("Site crane and vehicles (live)"),
    QT_TR_NOOP("Sunlight hours, Block C site (winter solstice)"),
    QT_TR_NOOP("Overview"), QT_TR_NOOP("Construction site"), QT_TR_NOOP("Scan vs design"), QT_TR_NOOP("Flood analysis"),
    QT_TR_NOOP("Sensors"), QT_TR_NOOP("Top"), QT_TR_NOOP("The twin's story"),
)


def demo_project_path() -> Path:
    return Path(__file__).resolve().parent.parent / "assets" / "demo" / "demo.twin"


def demo_names(doc: dict[str, Any]) -> set[str]:
    """The names a demo project shows: its own, its layers', bookmarks' and tours'."""
    names = {doc.get("name", "")}
    names |= {(layer.get("state") or {}).get("name", "") for layer in doc.get("layers") or []}
    names |= {mark.get("name", "") for mark in doc.get("bookmarks") or []}
    names |= {tour.get("name", "") for tour in doc.get("tours") or []}
    return names - {""}


def _replace(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, str):
        return table.get(value, value)
    if isinstance(value, list):
        return [_replace(v, table) for v in value]
    if isinstance(value, dict):
        return {table.get(k, k): _replace(v, table) for k, v in value.items()}
    return value


def localized_demo_project(translate: Callable[[str], str], language: str, folder: Path) -> Path:
    """The demo project with its names translated, written under `folder` (the app's cache); the
    original when nothing translates (English) or the copy cannot be written."""
    original = demo_project_path()
    table = {text: translate(text) for text in DEMO_TEXTS if translate(text) != text}
    if not table:
        return original
    try:
        doc = json.loads(original.read_text(encoding="utf-8"))
        for layer in doc.get("layers") or []:  # the copy lives elsewhere: paths relative to the demo become absolute
            source = layer.get("source") or {}
            path = str(source.get("path", ""))
            if path and not path.startswith("${") and "://" not in path and not os.path.isabs(path):
                source["path"] = str(original.parent / path)
        out = folder / language / original.name  # same file name: the window's title reads "demo" either way
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_replace(doc, table), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, out)
        return out
    except (OSError, ValueError):
        return original


def is_demo_project(path: str | os.PathLike) -> bool:
    """The demo or a localized copy of it: a template, so Save asks where."""
    p = Path(path).resolve()
    if p.parent == demo_project_path().parent.resolve():
        return True
    return p.name == demo_project_path().name and p.parent.parent.name == LOCALIZED_FOLDER
