"""Chinese coordinate conventions (issue 17 item 4): CRS text as Chinese tools write it, the 1985
National Height Datum in compound CRSs, and a plain note when its geoid model is not installed
(PROJ would otherwise take the heights as ellipsoidal without a word)."""
from __future__ import annotations

import pytest

from app.model.placement import check_crs
from loaders.crs_names import height_datum_note, normalise_crs_text


@pytest.mark.parametrize("text, code", [
    ("CGCS2000 / 3-degree Gauss-Kruger CM 114E", "CGCS2000 / 3-degree Gauss-Kruger CM 114E"),  # pyproj reads it as is
    ("CGCS2000 3度带 中央经线114°", "EPSG:4547"),
    ("CGCS2000 三度带 CM 114E", "EPSG:4547"),
    ("CGCS2000 3度带 第38带", "EPSG:4526"),
    ("CGCS2000 6度带 中央经线117°", "EPSG:4509"),
    ("CGCS2000 6度带 19带", "EPSG:4497"),
    ("2000国家大地坐标系", "EPSG:4490"),
    ("CGCS2000 3度带 中央经线114° + 1985国家高程基准", "EPSG:4547+5737"),
    ("1985国家高程基准", "EPSG:5737"),
])
def test_chinese_crs_names_map_to_their_epsg_codes(text: str, code: str) -> None:
    assert normalise_crs_text(text) == code


@pytest.mark.parametrize("text, epsg", [("China Geodetic Coordinate System 2000", "EPSG:4490"),
                                        ("CGCS2000 / 3-degree Gauss-Kruger CM 114E", "EPSG:4547"),
                                        ("CGCS2000_3_Degree_GK_CM_114E", "EPSG:4547"),
                                        ("CGCS2000 3度带 中央经线114°", "EPSG:4547"),
                                        ("EPSG:4547+5737", None)])
def test_the_place_dialog_accepts_them(text: str, epsg: str | None) -> None:
    canonical = check_crs(text)
    if epsg:
        assert canonical == epsg
    else:
        assert "Yellow Sea 1985" in canonical  # a compound CRS has no single EPSG code: kept as WKT


def test_1985_heights_without_a_geoid_are_said_plainly_not_swapped_silently() -> None:
    note = height_datum_note("EPSG:4547+5737")
    assert note is not None and "Yellow Sea 1985" in note and "geoid" in note and "ellipsoidal" in note
    assert height_datum_note("EPSG:4547") is None  # a 2D CRS: z is taken as ellipsoidal by definition, said in the docs
    assert height_datum_note("CGCS2000 3度带 中央经线114° + 1985国家高程基准") is not None


def test_an_unknown_name_is_refused_with_its_text() -> None:
    with pytest.raises(ValueError, match="不是坐标系"):
        check_crs("不是坐标系")
