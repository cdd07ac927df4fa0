"""CRS text as Chinese tools write it, and heights that need a geoid model that is not installed.

Why: pyproj knows "CGCS2000 / 3-degree Gauss-Kruger CM 114E" and Esri's "CGCS2000_3_Degree_GK_CM_114E",
but survey reports and Chinese GIS software write "CGCS2000 3度带 中央经线114°", "2000国家大地坐标系" or
"1985国家高程基准"; those are mapped to their EPSG codes here. And for a compound CRS with the 1985
National Height Datum (EPSG:5737, "Yellow Sea 1985 height") PROJ has no geoid model installed, so it
quietly offers a "ballpark vertical transformation" that takes the orthometric heights as
ellipsoidal ones: off by the local geoid undulation (metres to tens of metres in China). `height_datum_note`
says so plainly, so the user sees it on the layer instead of a silent swap.
"""
from __future__ import annotations

import re
from functools import lru_cache

# 3-degree zones: CM 75E..135E are EPSG:4534..4554; with the zone number in the easting, zones 25..45 are 4513..4533.
# 6-degree zones: CM 75E..135E are EPSG:4502..4512; zones 13..23 (zone in the easting) are 4491..4501.
_GEOGRAPHIC = re.compile(r"^(cgcs\s*2000|国家\s*2000(坐标系)?|2000\s*国家大地坐标系|中国\s*2000\s*国家大地坐标系|"
                         r"china geodetic coordinate system 2000)$", re.I)
_HEIGHT_1985 = re.compile(r"(1985\s*(年)?\s*国家高程基准|1985\s*national\s*height\s*datum|yellow\s*sea\s*1985(\s*height)?|"
                          r"黄海\s*1985|85\s*高程)", re.I)
_CGCS = re.compile(r"(cgcs\s*2000|国家\s*2000|2000\s*国家大地坐标|china geodetic coordinate system 2000)", re.I)
_THREE = re.compile(r"(3|三)\s*(度|°|-?\s*degree)", re.I)
_SIX = re.compile(r"(6|六)\s*(度|°|-?\s*degree)", re.I)
_CM = re.compile(r"(?:cm|中央经线|中央子午线|central meridian)\s*[:：]?\s*(\d{2,3})(?:\s*°)?\s*(?:e|东)?", re.I)
_ZONE = re.compile(r"(?:zone|第)\s*(\d{2})\s*(?:带)?|(\d{2})\s*带", re.I)


def _horizontal_code(text: str) -> int | None:
    if _GEOGRAPHIC.match(text.strip()):
        return 4490
    if not _CGCS.search(text):
        return None
    three, six = bool(_THREE.search(text)), bool(_SIX.search(text))
    cm = _CM.search(text)
    zone = _ZONE.search(text)
    if cm and not zone:
        meridian = int(cm.group(1))
        if three and 75 <= meridian <= 135 and meridian % 3 == 0:
            return 4534 + (meridian - 75) // 3
        if (six or not three) and 75 <= meridian <= 135 and (meridian - 75) % 6 == 0:
            return 4502 + (meridian - 75) // 6
    if zone:
        number = int(zone.group(1) or zone.group(2))
        if three and 25 <= number <= 45:
            return 4513 + number - 25
        if not three and 13 <= number <= 23:
            return 4491 + number - 13
    if not (three or six or cm or zone):
        return 4490
    return None


@lru_cache(maxsize=256)
def normalise_crs_text(text: str) -> str:
    """CRS text -> text pyproj reads: Chinese names become "EPSG:h" or "EPSG:h+v"; anything else unchanged."""
    import pyproj

    raw = text.strip()
    try:
        pyproj.CRS.from_user_input(raw)
        return raw  # pyproj reads it (EPSG codes, WKT, PROJ, English and Esri names): keep it as written
    except pyproj.exceptions.CRSError:
        pass
    parts = re.split(r"\s*[+＋]\s*", raw)
    height = next((p for p in parts if _HEIGHT_1985.search(p)), None)
    rest = " ".join(p for p in parts if p is not height)
    if height is not None and _HEIGHT_1985.sub("", height).strip(" /,，") and height is parts[0] and len(parts) == 1:
        rest = _HEIGHT_1985.sub("", height)  # "CGCS2000 3度带 114E 1985国家高程基准" in one phrase
    code = _horizontal_code(rest) if rest.strip() else None
    if height is None:
        return f"EPSG:{code}" if code else raw
    if code is None and not rest.strip():
        return "EPSG:5737"
    return f"EPSG:{code}+5737" if code else raw


def height_datum_note(crs_text: str | None) -> str | None:
    """A plain sentence when heights in this CRS cannot be converted exactly (no geoid model installed)."""
    if not crs_text:
        return None
    import warnings

    import pyproj
    from pyproj.transformer import TransformerGroup

    try:
        crs = pyproj.CRS.from_user_input(normalise_crs_text(crs_text))
    except pyproj.exceptions.CRSError:
        return None
    if not crs.is_compound or len(crs.sub_crs_list) < 2:
        return None
    vertical = crs.sub_crs_list[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyproj warns "best transformation is not available": said below instead
        group = TransformerGroup(crs, pyproj.CRS.from_epsg(4979), always_xy=True)
    best = group.transformers[0].description if group.transformers else ""
    missing = sorted({g.short_name for op in group.unavailable_operations for g in op.grids if not g.available})
    if group.transformers and "ballpark vertical" not in best.lower() and group.best_available:
        return None
    grid = f" (missing grid: {', '.join(missing[:3])})" if missing else ""
    return (f"heights in {vertical.name} need a geoid model that is not installed{grid}: they are used as "
            f"ellipsoidal heights, off by the local geoid undulation (several metres to tens of metres); "
            f"install the geoid grid for PROJ (projsync) to convert them exactly")
