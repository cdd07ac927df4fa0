"""LAS/LAZ loader: corpus files against laspy, generated files with a known CRS."""
from __future__ import annotations

import numpy as np
import pytest

import loaders
from loaders import LoadCancelled, PointCloudData
from tests.loaders.builders import make_las
from tests.loaders.conftest import CORPUS, corpus_path

LASPY_FILES = sorted(p.name for p in (CORPUS / "pointcloud" / "laspy").glob("*.la[sz]")) if CORPUS.is_dir() else ["(corpus absent)"]


@pytest.fixture(scope="module")
def autzen() -> PointCloudData:
    [layer] = loaders.load(corpus_path("pointcloud/pdal/autzen_trim.las"))
    return layer


def test_autzen_matches_laspy(autzen: PointCloudData) -> None:
    import laspy

    las = laspy.read(corpus_path("pointcloud/pdal/autzen_trim.las"))
    assert autzen.kind == "pointcloud" and autzen.format == "LAS 1.2"
    assert autzen.counts() == {"points": 110000}
    assert autzen.positions.dtype == np.float64
    np.testing.assert_allclose(autzen.positions, np.c_[las.x, las.y, las.z])
    assert autzen.colors is not None and autzen.colors.dtype == np.uint8 and autzen.colors.shape == (110000, 3)
    expected = np.c_[las.red, las.green, las.blue]
    expected = expected >> 8 if expected.max() > 255 else expected
    np.testing.assert_array_equal(autzen.colors, expected)
    for name in ("intensity", "classification", "return_number", "number_of_returns", "gps_time", "point_source_id"):
        assert len(autzen.attributes[name]) == 110000, name
    np.testing.assert_array_equal(autzen.attributes["classification"], las.classification)


def test_autzen_crs_and_metadata(autzen: PointCloudData) -> None:
    import pyproj

    assert autzen.georef.kind == "crs"
    crs = pyproj.CRS.from_wkt(autzen.georef.crs)
    assert "Lambert" in crs.name or "Lambert" in autzen.georef.crs
    assert "foot" in crs.axis_info[0].unit_name.lower()
    md = autzen.metadata
    assert md["point_format"] == 3 and md["version"] == "1.2" and len(md["scale"]) == 3 and len(md["offset"]) == 3
    lo, hi = np.array(md["header_bounds"])
    assert np.all(autzen.positions.min(0) >= lo - 0.01) and np.all(autzen.positions.max(0) <= hi + 0.01)


@pytest.mark.parametrize("name", LASPY_FILES)
def test_laspy_corpus_loads_with_header_count(name: str) -> None:
    import laspy

    path = corpus_path(f"pointcloud/laspy/{name}")
    with laspy.open(path) as reader:
        count = reader.header.point_count
    [layer] = loaders.load(path)
    assert len(layer.positions) == count
    assert layer.format.startswith("LAZ" if name.endswith(".laz") else "LAS")
    assert layer.format.endswith("COPC") == name.endswith(".copc.laz")
    assert np.all(np.isfinite(layer.positions))


def test_generated_las_with_crs(tmp_path) -> None:
    path = tmp_path / "small.las"
    xyz = make_las(path, 500)
    seen = []
    [layer] = loaders.load(path, progress=lambda f, m: seen.append(f))
    np.testing.assert_allclose(layer.positions, xyz)
    assert layer.georef.kind == "crs" and layer.georef.crs_label() == "EPSG:4547"
    assert layer.colors.max() > 200 and layer.colors.dtype == np.uint8  # 16-bit scaled down
    assert seen and seen[-1] == 1.0
    assert not layer.warnings


def test_8bit_colors_are_kept(tmp_path) -> None:
    path = tmp_path / "c8.las"
    make_las(path, 50, rgb16=False)
    [layer] = loaders.load(path)
    import laspy

    las = laspy.read(path)
    np.testing.assert_array_equal(layer.colors[:, 0], las.red)


def test_no_crs_warns(tmp_path) -> None:
    path = tmp_path / "nocrs.las"
    make_las(path, 20, epsg=None)
    [layer] = loaders.load(path)
    assert layer.georef.kind == "none"
    assert any("no CRS" in w for w in layer.warnings)


def test_garbage_crs_warns(tmp_path) -> None:
    path = tmp_path / "badcrs.las"
    make_las(path, 20, epsg=None, wkt="THIS IS NOT WKT[[[")
    [layer] = loaders.load(path)
    assert layer.georef.kind == "none" and len(layer.positions) == 20
    assert layer.warnings and "unreadable" in layer.warnings[0]


def test_zero_points(tmp_path) -> None:
    path = tmp_path / "empty.las"
    make_las(path, 0)
    [layer] = loaders.load(path)
    assert layer.counts() == {"points": 0}
    assert any("no points" in w for w in layer.warnings)


def test_cancel(tmp_path) -> None:
    path = tmp_path / "c.las"
    make_las(path, 100)
    with pytest.raises(LoadCancelled):
        loaders.load(path, cancel=lambda: True)
