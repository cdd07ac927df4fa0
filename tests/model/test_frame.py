"""Scene frame: round trips ECEF <-> ENU <-> EPSG with known coordinates, and co-registration."""
from __future__ import annotations

import numpy as np
import pyproj
import pytest

from app.model.frame import SceneFrame, enu_to_ecef_matrix, lla_to_ecef
from app.model.scene import Scene
from loaders.base import Georef, MeshData, PointCloudData

WUHAN = (30.5928, 114.3055, 22.0)


def test_lla_to_ecef_known_points() -> None:
    np.testing.assert_allclose(lla_to_ecef(np.array(0.0), np.array(0.0), np.array(0.0)), [6378137.0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(lla_to_ecef(np.array(90.0), np.array(0.0), np.array(0.0)), [0, 0, 6356752.314245], atol=1e-3)
    t = pyproj.Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    expected = t.transform(WUHAN[1], WUHAN[0], WUHAN[2])
    np.testing.assert_allclose(lla_to_ecef(*map(np.array, WUHAN)), expected, atol=1e-6)


def test_origin_maps_to_zero_and_axes_point_east_north_up() -> None:
    frame = SceneFrame(WUHAN)
    np.testing.assert_allclose(frame.lla_to_enu([WUHAN]), [[0, 0, 0]], atol=1e-6)
    north = frame.lla_to_enu([(WUHAN[0] + 0.001, WUHAN[1], WUHAN[2])])[0]
    east = frame.lla_to_enu([(WUHAN[0], WUHAN[1] + 0.001, WUHAN[2])])[0]
    assert north[1] == pytest.approx(110.85, abs=0.1) and abs(north[0]) < 1e-6
    assert east[0] == pytest.approx(95.9, abs=0.2) and abs(east[1]) < 0.01
    up = frame.lla_to_enu([(WUHAN[0], WUHAN[1], WUHAN[2] + 10)])[0]
    np.testing.assert_allclose(up, [0, 0, 10], atol=1e-6)


def test_enu_ecef_lla_round_trip(rng: np.random.Generator) -> None:
    frame = SceneFrame(WUHAN)
    enu = rng.uniform(-2000, 2000, (100, 3))
    np.testing.assert_allclose(frame.ecef_to_enu(frame.enu_to_ecef(enu)), enu, atol=1e-6)
    np.testing.assert_allclose(frame.lla_to_enu(frame.enu_to_lla(enu)), enu, atol=1e-5)


@pytest.mark.parametrize("crs", ["EPSG:4547", "EPSG:32650", "EPSG:3857"])
def test_projected_crs_round_trip(crs: str) -> None:
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_crs.transform(WUHAN[1], WUHAN[0])
    pts = np.array([[x, y, 22.0], [x + 100, y + 50, 40.0]])
    frame = SceneFrame(WUHAN)
    enu = frame.to_local(pts, Georef(kind="crs", crs=crs))
    if crs == "EPSG:4547":  # Gauss-Kruger: metres on the ground near the CM: 100 m east stays ~100 m
        assert np.linalg.norm(enu[1, :2] - enu[0, :2]) == pytest.approx(np.hypot(100, 50), rel=2e-3)
    np.testing.assert_allclose(enu[0], [0, 0, 0], atol=1e-3)
    np.testing.assert_allclose(frame.enu_to_crs(enu, crs), pts, atol=1e-6)


def test_cgcs2000_geographic_uses_lon_lat_order() -> None:
    frame = SceneFrame(WUHAN)
    enu = frame.to_local(np.array([[WUHAN[1], WUHAN[0], WUHAN[2]]]), Georef(kind="crs", crs="EPSG:4490"))
    np.testing.assert_allclose(enu, [[0, 0, 0]], atol=0.01)  # CGCS2000 and WGS84 agree at the cm level


def test_gauss_kruger_4547_known_coordinates() -> None:
    """On the central meridian 114E, easting is the 500 km false easting."""
    frame = SceneFrame((30.0, 114.0, 0.0))
    t = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    x, y = t.transform(114.0, 30.0)
    assert x == pytest.approx(500000.0, abs=1e-6)
    enu = frame.to_local(np.array([[x, y, 0.0]]), Georef(kind="crs", crs="EPSG:4547"))
    np.testing.assert_allclose(enu, [[0, 0, 0]], atol=0.01)


def test_2d_crs_in_feet_scales_heights_to_metres() -> None:
    crs = "EPSG:2992"  # NAD83 / Oregon Lambert (ft)
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_crs.transform(-123.07, 44.05)
    frame = SceneFrame((44.05, -123.07, 0.0))
    enu = frame.to_local(np.array([[x, y, 0.0], [x, y, 100.0]]), Georef(kind="crs", crs=crs))
    assert enu[1, 2] - enu[0, 2] == pytest.approx(30.48, abs=1e-3)


def test_first_georeferenced_layer_sets_origin() -> None:
    frame = SceneFrame()
    pts = np.array([[548000.0, 3384000.0, 20.0], [548200.0, 3384100.0, 60.0]])
    enu = frame.to_local(pts, Georef(kind="crs", crs="EPSG:4547"))
    assert frame.is_set and frame.display_crs == "EPSG:4547"
    centre = enu.mean(0)
    assert abs(centre[0]) < 0.5 and abs(centre[1]) < 0.5 and enu[:, 2].min() == pytest.approx(0, abs=0.01)


def test_point_cloud_and_mesh_of_one_place_coincide(rng: np.random.Generator) -> None:
    """A scan in EPSG:4547, a mesh in ECEF under a tileset root transform, an IFC-style local ENU
    model: the same ground points land on the same scene coordinates to well under 1 cm."""
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    x0, y0 = to_crs.transform(WUHAN[1], WUHAN[0])
    local = rng.uniform([-300, -300, 0], [300, 300, 60], (500, 3))  # metres east/north/up of the site
    # point cloud: projected coordinates (built from true lat/lon/h of each point)
    frame_truth = SceneFrame(WUHAN)
    lla = frame_truth.enu_to_lla(local)
    gx, gy = to_crs.transform(lla[:, 1], lla[:, 0])
    cloud = PointCloudData(name="scan", kind="pointcloud", format="LAS", positions=np.stack([gx, gy, lla[:, 2]], -1),
                           georef=Georef(kind="crs", crs="EPSG:4547"))
    # mesh: ECEF through a 3D Tiles-style root transform (vertices relative to it)
    root = enu_to_ecef_matrix(*WUHAN)
    ecef = frame_truth.enu_to_ecef(local)
    rel = (ecef - root[:3, 3]) @ root[:3, :3]
    mesh = MeshData(name="tiles", kind="tileset", format="3D Tiles", vertices=rel, faces=np.zeros((0, 3), np.int64),
                    georef=Georef(kind="ecef", matrix=root))
    # IFC-style: local model coordinates rotated by true north at a reference lat/lon
    angle = np.radians(12.0)
    rot = np.eye(4)
    rot[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    model = local @ np.linalg.inv(rot[:3, :3]).T
    bim = MeshData(name="bim", kind="bim", format="IFC4", vertices=model, faces=np.zeros((0, 3), np.int64),
                   georef=Georef(kind="enu", origin_lla=WUHAN, matrix=rot))

    scene = Scene()
    a = scene.frame.to_local(cloud.positions, cloud.georef)  # the scan sets the frame origin
    b = scene.frame.to_local(mesh.vertices, mesh.georef)
    c = scene.frame.to_local(bim.vertices, bim.georef)
    assert np.abs(a - b).max() < 0.01
    assert np.abs(a - c).max() < 0.01
    # and the scene frame (origin set from the scan) is consistent with the truth frame
    assert np.abs((a - a.mean(0)) - (local - local.mean(0))).max() < 0.01


def test_transform_failure_is_a_value_error() -> None:
    frame = SceneFrame(WUHAN)
    with pytest.raises(ValueError):
        frame.to_local(np.array([[1e30, 1e30, 0.0]]), Georef(kind="crs", crs="EPSG:4547"))


def test_absurd_coordinates_are_refused_and_far_local_data_recentred() -> None:
    from app.model.opening import build_layers  # noqa: F401 - the same path the app uses
    from loaders.base import MeshData

    scene = Scene()
    far = MeshData(name="far", kind="bim", format="IFC4", vertices=np.array([[1e9, 0, 0], [1e9 + 1, 0, 0], [1e9, 1, 0]]),
                   faces=np.array([[0, 1, 2]]))
    with pytest.raises(ValueError, match="implausible coordinates"):
        scene.make_layers(far)
    projected = MeshData(name="utm", kind="bim", format="IFC2X3", vertices=np.array([[455000.0, 5400000, 10], [455010, 5400000, 10], [455000, 5400010, 12]]),
                         faces=np.array([[0, 1, 2]]))
    [layer] = scene.make_layers(projected)
    assert np.abs(layer.data["vertices"][:, :2]).max() < 20 and layer.data["vertices"][:, 2].max() == 12
    assert any("recentred" in w for w in layer.warnings)
