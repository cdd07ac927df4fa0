"""Every LAS/LAZ/COPC file of the public corpus loads with its header's point count, through the
loader registry and through the scene (where the CRS places it or a warning says it cannot); a
binary PLY scan opens as coloured points."""
from __future__ import annotations

import numpy as np
import pytest

import loaders
from tests.loaders.conftest import CORPUS, corpus_path

FILES = sorted(str(p.relative_to(CORPUS)) for p in (CORPUS / "pointcloud").rglob("*.la[sz]")) \
    if (CORPUS / "pointcloud").is_dir() else ["pointcloud/(corpus absent)"]


def _header_count(path) -> int:
    import laspy

    with laspy.open(path) as reader:
        return int(reader.header.point_count)


@pytest.mark.parametrize("name", FILES)
def test_loads_with_header_count(name: str) -> None:
    from app.model.scene import Scene

    path = corpus_path(name)
    count = _header_count(path)
    [data] = loaders.load(path)
    assert len(data.positions) == count
    assert np.isfinite(data.positions).all()
    if data.georef.kind == "none":
        assert data.warnings, "an unreferenced cloud must say so"
    [layer] = Scene().make_layers(data)
    assert layer.counts() == {"points": count}
    assert np.isfinite(layer.positions).all() and np.abs(layer.positions).max() < 1e7


def test_autzen_trim_laz_reports_110000_points() -> None:
    [data] = loaders.load(corpus_path("pointcloud/laspy/autzen_trim.laz"))
    assert data.counts() == {"points": 110000}
    assert data.georef.kind == "crs"


def test_geographic_crs_with_projected_coordinates_is_ignored_with_a_warning() -> None:
    """laspy's simple1_4.las declares WGS84 degrees for coordinates up to 226 and 100."""
    from app.model.scene import Scene

    [data] = loaders.load(corpus_path("pointcloud/laspy/simple1_4.las"))
    assert data.georef.kind == "none" and len(data.positions) == 22600
    assert any("ignored" in w and "geographic" in w for w in data.warnings)
    scene = Scene()
    [layer] = scene.make_layers(data)
    assert layer.info["crs"] is None and not scene.frame.is_set
    np.testing.assert_allclose(layer.positions, data.positions)  # local metres, as the file has them


def test_scene_places_a_cloud_unreferenced_when_its_crs_cannot_transform_it() -> None:
    """Whatever a loader let through: a CRS that cannot place the points is dropped with a
    warning in the scene, never an error."""
    from app.model.scene import Scene
    from loaders.base import Georef, PointCloudData

    pts = np.c_[np.linspace(1, 226, 50), np.linspace(1, 100, 50), np.zeros(50)]  # "degrees" past the pole
    data = PointCloudData(name="x", kind="pointcloud", format="test", georef=Georef(kind="crs", crs="EPSG:4326"),
                          positions=pts)
    scene = Scene()
    [layer] = scene.make_layers(data)
    assert layer.info["crs"] is None and not scene.frame.is_set
    assert any("cannot place" in w for w in layer.warnings)
    np.testing.assert_allclose(layer.positions, pts)


def test_binary_ply_without_faces_is_a_coloured_point_cloud(tmp_path) -> None:
    """The common scanner export (binary little-endian, RGBA, a scalar field) opens as points."""
    from app.model.scene import Scene

    rng = np.random.default_rng(2)
    n = 1000
    dtype = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1"),
                      ("alpha", "u1"), ("scalar_Intensity", "<f4")])
    rows = np.zeros(n, dtype)
    for axis in "xyz":
        rows[axis] = rng.uniform(0, 10, n)
    for channel in ("red", "green", "blue"):
        rows[channel] = rng.integers(0, 256, n)
    rows["alpha"] = 255
    head = "ply\nformat binary_little_endian 1.0\nelement vertex %d\n" % n + "".join(
        f"property {'float' if dtype[name].kind == 'f' else 'uchar'} {name}\n" for name in dtype.names) + "end_header\n"
    path = tmp_path / "scan.ply"
    path.write_bytes(head.encode() + rows.tobytes())
    [data] = loaders.load(path)
    assert data.kind == "pointcloud" and data.format == "PLY" and len(data.positions) == n
    np.testing.assert_allclose(data.positions, np.c_[rows["x"], rows["y"], rows["z"]])
    np.testing.assert_array_equal(data.colors, np.c_[rows["red"], rows["green"], rows["blue"]])
    [layer] = Scene().make_layers(data)
    assert layer.color_mode == "rgb"
