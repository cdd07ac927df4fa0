"""One font with CJK coverage for every text VTK draws (legends, labels, overlays, title cards).

Why: VTK's compiled-in fonts (Arial, Courier, Times) hold no CJK glyphs: a legend reading
"Use: 办公楼 住宅 Office" was drawn as "Use:   Office". VTK can draw from a font file instead
(`SetFontFamily(VTK_FONT_FILE)` + `SetFontFile`), so the file is found with fontconfig, preferring
Simplified Chinese forms (the twins we serve are Chinese cities). Noto Sans CJK ships as a TrueType
collection whose first face is Japanese and VTK's FreeType opens face 0 only, so a face other than
the first is copied once into the cache as a plain OpenType file (fontTools, lazily: raw tables are
copied, nothing is decompiled; 0.8 s for the 16 MB SC face). Without any CJK font (make setup
installs fonts-noto-cjk) the compiled-in font is kept and one line goes to the log.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# Preferred families, best first: Simplified Chinese forms, then any font that covers zh-cn.
SANS_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN")
MONO_FAMILIES = ("Noto Sans Mono CJK SC", "WenQuanYi Zen Hei Mono", "WenQuanYi Micro Hei Mono") + SANS_FAMILIES
FC_TIMEOUT_S = 10


def _candidates() -> list[tuple[str, int, list[str]]]:
    """(file, face index, family names) of every installed font that covers Simplified Chinese."""
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(["fc-list", ":lang=zh-cn", "file", "index", "family"], capture_output=True,
                             text=True, timeout=FC_TIMEOUT_S, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines():  # "/usr/share/fonts/.../NotoSansCJK-Regular.ttc: Noto Sans CJK SC,...:index=2"
        path, _, rest = line.partition(": ")
        families, _, index = rest.rpartition(":index=")
        if not path or not index.strip().isdigit():
            continue
        found.append((path, int(index), [f.strip() for f in families.split(",")]))
    # Regular weights first: fc-list's order is arbitrary (it listed Bold before Regular here)
    return sorted(found, key=lambda c: (not any(w in Path(c[0]).stem for w in ("Regular", "Medium")), c[0]))


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "twinscape" / "fonts"


def _single_face(path: str, index: int) -> str | None:
    """A file VTK can open holding face `index` of a font collection (face 0 needs no copy)."""
    if index == 0:
        return path
    target = _cache_dir() / f"{Path(path).stem}-{index}.otf"
    if target.is_file() and target.stat().st_mtime >= os.stat(path).st_mtime:
        return str(target)
    try:
        from fontTools.ttLib import TTCollection

        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        TTCollection(path, lazy=True).fonts[index].save(str(tmp), reorderTables=False)
        os.replace(tmp, target)
        return str(target)
    except Exception as exc:  # noqa: BLE001 - a font we cannot copy is skipped, never fatal
        log.info("font %s face %d not usable: %s", path, index, exc)
        return None


@lru_cache(maxsize=2)
def cjk_font_file(mono: bool = False) -> str | None:
    """Path of the font file all scene text uses, or None when no CJK font is installed."""
    override = os.environ.get("TWINSCAPE_FONT_FILE")
    if override and os.path.isfile(override):
        return override
    candidates = _candidates()
    for family in MONO_FAMILIES if mono else SANS_FAMILIES:
        for path, index, families in candidates:
            if family in families:
                chosen = _single_face(path, index)
                if chosen:
                    return chosen
    for path, index, _ in candidates:  # any font that covers Chinese
        chosen = _single_face(path, index)
        if chosen:
            return chosen
    log.info("no CJK font found (install fonts-noto-cjk): Chinese text in the view will be blank")
    return None


def apply_font(text_property, mono: bool = False) -> None:
    """Make a vtkTextProperty draw with the CJK-capable font (keeps size, colour, bold)."""
    path = cjk_font_file(mono)
    if path is None:
        if mono:
            text_property.SetFontFamilyToCourier()
        return
    import vtk

    text_property.SetFontFamily(vtk.VTK_FONT_FILE)
    text_property.SetFontFile(path)
