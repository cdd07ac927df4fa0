"""Moving the scene origin: every layer re-placed in float64 (checked against pyproj's own
topocentric conversion), bookmarks and the camera re-expressed so they show the same place."""
from __future__ import annotations

import numpy as np
import pyproj
import pytest

from app.model.layers import MeshLayer, PointCloudLayer
from app.model.scene import Bookmark, Camera, Scene
from loaders.base import Georef, MeshData, PointCloudData

WUHAN = (529000.0, 3385000.0, 22.0)  # EPSG:4547
PHILADELPHIA = (486000.0, 4422000.0, 10.0)  # EPSG:32618 (UTM 18N)


def _cloud(name: str, crs: str, corner: tuple[float, float, float], seed: int, n: int = 2000) -> PointCloudData:
    rng = np.random.default_rng(seed)
    pts = np.asarray(corner) + rng.uniform(0, 200, (n, 3)) * [1, 1, 0.1]
    return PointCloudData(name=name, kind="pointcloud", format="test", positions=pts,
                          georef=Georef(kind="crs", crs=crs))


def _reference_enu(pts: np.ndarray, crs: str, origin: tuple[float, float, float]) -> np.ndarray:
    """pyproj alone: CRS -> ECEF -> topocentric (ENU) at `origin`, independent of SceneFrame."""
    to_ecef = pyproj.Transformer.from_crs(pyproj.CRS(crs).to_3d(), "EPSG:4978", always_xy=True)
    x, y, z = to_ecef.transform(pts[:, 0], pts[:, 1], pts[:, 2])
    lat, lon, h = origin
    topo = pyproj.Transformer.from_pipeline(f"+proj=topocentric +ellps=WGS84 +lat_0={lat!r} +lon_0={lon!r} +h_0={h!r}")
    return np.stack(topo.transform(x, y, z), axis=-1)


@pytest.fixture
def two_cities() -> tuple[Scene, PointCloudLayer, PointCloudLayer, PointCloudData, PointCloudData]:
    scene = Scene()
    wuhan, phila = _cloud("wuhan", "EPSG:4547", WUHAN, 1), _cloud("phila", "EPSG:32618", PHILADELPHIA, 2)
    wuhan_pts, phila_pts = wuhan.positions.copy(), phila.positions.copy()
    (a,) = scene.make_layers(wuhan)
    (b,) = scene.make_layers(phila)
    scene.layers.append(a)
    scene.layers.append(b)
    wuhan.positions, phila.positions = wuhan_pts, phila_pts
    return scene, a, b, wuhan, phila


def test_far_layer_is_detected_and_left_out_of_local_bounds(two_cities) -> None:
    scene, a, b, *_ = two_cities
    assert not scene.is_far(a)
    assert scene.is_far(b) and 12_000_000 < scene.distance_m(b) < 13_000_000  # Wuhan - Philadelphia
    local = scene.local_bounds()
    assert np.allclose(local, a.bounds())  # not a 12,000 km box


def test_move_origin_replaces_every_layer_as_pyproj_does(two_cities) -> None:
    scene, a, b, wuhan, phila = two_cities
    assert scene.frame.display_crs == "EPSG:4547"
    origin = scene.origin_for(b)
    scene.move_origin(origin, display_crs=scene.display_crs_of(b))
    assert scene.frame.origin_lla == origin and scene.frame.display_crs == "EPSG:32618"
    for layer, data in ((b, phila), (a, wuhan)):
        expected = _reference_enu(data.positions, data.georef.crs, origin)
        assert np.abs(layer.positions - expected).max() < 1e-3, layer.name  # < 1 mm, near and far
    assert not scene.is_far(b) and scene.is_far(a)
    assert abs(b.bounds()[0][2]) < 1.0  # the origin sits at the layer's ground level
    assert np.allclose(scene.local_bounds(), b.bounds())


def test_bookmarks_and_camera_show_the_same_place(two_cities) -> None:
    scene, a, b, *_ = two_cities
    centre = a.bounds().mean(0)
    cam = Camera(tuple(centre + [100.0, -200.0, 150.0]), tuple(centre), (0.0, 0.0, 1.0))
    scene.bookmarks.append(Bookmark("site", cam))
    scene.camera = cam
    before = scene.frame.enu_to_lla(np.array([cam.position, cam.focal_point]))
    up_ecef = np.asarray(cam.view_up) @ np.array(_rows(scene))
    moved = []
    scene.origin_moved.connect(moved.append)
    scene.move_origin(scene.origin_for(b))
    assert len(moved) == 1 and moved[0].shape == (4, 4)
    for c in (scene.bookmarks[0].camera, scene.camera):
        after = scene.frame.enu_to_lla(np.array([c.position, c.focal_point]))
        assert np.abs(after[:, :2] - before[:, :2]).max() < 1e-9 and np.abs(after[:, 2] - before[:, 2]).max() < 1e-3
        assert np.allclose(np.asarray(c.view_up) @ np.array(_rows(scene)), up_ecef, atol=1e-9)
    # the bookmark still looks at the Wuhan layer, now 12,000 km away
    assert np.all(a.bounds()[0] - 1 <= scene.bookmarks[0].camera.focal_point)
    assert np.all(scene.bookmarks[0].camera.focal_point <= a.bounds()[1] + 1)


def _rows(scene: Scene) -> np.ndarray:
    from app.model.frame import enu_rotation

    lat, lon, _ = scene.frame.origin_lla
    return enu_rotation(lat, lon)


def test_layer_loaded_before_the_move_is_conformed_when_added(two_cities) -> None:
    scene, a, b, *_ = two_cities
    late_data = _cloud("late", "EPSG:4547", WUHAN, 3)
    pts = late_data.positions.copy()
    (late,) = scene.make_layers(late_data)  # made in the old frame, e.g. by a worker still loading
    origin = scene.origin_for(b)
    scene.move_origin(origin)
    scene.layers.append(late)
    assert np.abs(late.positions - _reference_enu(pts, "EPSG:4547", origin)).max() < 1e-3


def test_mesh_and_octree_move_with_the_origin(two_cities) -> None:
    from app.model.octree import build_octree

    scene, a, b, *_ = two_cities
    tree = build_octree(b.positions, max_points_per_node=200)
    b.data["octree"] = tree
    centre_before = scene.frame.enu_to_ecef(tree.center.copy())
    verts = a.positions[:3].copy()
    mesh = MeshLayer(name="tri", data={"vertices": verts, "faces": np.array([[0, 1, 2]])})
    mesh.info["frame_origin"] = scene.frame.origin_lla
    scene.layers.append(mesh)
    ecef_before = scene.frame.enu_to_ecef(verts)
    scene.move_origin(scene.origin_for(b))
    assert np.abs(scene.frame.enu_to_ecef(mesh.data["vertices"]) - ecef_before).max() < 1e-6
    assert np.abs(scene.frame.enu_to_ecef(tree.center) - centre_before).max() < 1e-6


def test_streamed_tileset_matrix_composes(tmp_path) -> None:
    from tests.conftest import corpus_file

    from app.model.opening import build_layers

    path = corpus_file("3dtiles/cesium-samples/1.0/TilesetWithRequestVolume")
    scene = Scene()
    (a,) = scene.make_layers(_cloud("wuhan", "EPSG:4547", WUHAN, 1))
    scene.layers.append(a)
    (tiles,) = build_layers(scene, str(path), stream_tiles=True)
    scene.layers.append(tiles)
    assert tiles.streamed and scene.is_far(tiles)
    corners = tiles.data["tree"].world_bounds()
    scene.move_origin(scene.origin_for(tiles))
    local = corners @ tiles.data["matrix"][:3, :3].T + tiles.data["matrix"][:3, 3]
    assert np.abs(scene.frame.enu_to_ecef(local) - corners).max() < 1e-3  # ECEF -> new ENU, exact
    assert not scene.is_far(tiles) and np.allclose(tiles.bounds(), [local.min(0), local.max(0)])


def test_single_point_transforms_raise_no_numpy_warning() -> None:
    """pyproj's scalar path turned one-element arrays into floats: a DeprecationWarning per camera move."""
    import warnings

    from app.model.frame import crs_to_ecef

    one = np.array([[529303.0, 3385880.0, 22.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        single = crs_to_ecef(one, "EPSG:4547")
    both = crs_to_ecef(np.vstack([one, one + 1.0]), "EPSG:4547")
    assert single.shape == (1, 3) and np.allclose(single[0], both[0], atol=1e-6)
