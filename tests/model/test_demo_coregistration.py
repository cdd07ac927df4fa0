"""The demo's three files, through the real loaders and the scene frame, coincide to < 1 cm:
the scan's ground points lie on the tileset's terrain, its building points on the IFC surfaces."""
from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from scipy.interpolate import LinearNDInterpolator

from app.model import PointCloudLayer, Scene
from app.model.opening import build_layers
from assets.demo.generate import ensure_demo_data


@pytest.fixture(scope="module")
def demo_layers():
    folder = ensure_demo_data()
    scene = Scene()
    [tiles] = build_layers(scene, str(folder / "district" / "tileset.json"))
    [bim] = build_layers(scene, str(folder / "site_building.ifc"))
    [scan] = build_layers(scene, str(folder / "site_scan.laz"))
    return tiles, bim, scan


def test_scan_ground_lies_on_the_terrain_tile(demo_layers) -> None:
    tiles, _, scan = demo_layers
    assert isinstance(scan, PointCloudLayer)
    terrain = np.array([e.name == "terrain" for e in tiles.elements])
    faces = tiles.data["faces"][terrain[tiles.data["face_element"]]]
    verts = tiles.data["vertices"][np.unique(faces)]
    ground = scan.positions[scan.data["attributes"]["classification"] == 2]
    surface = LinearNDInterpolator(verts[:, :2], verts[:, 2])
    dz = ground[:, 2] - surface(ground[:, :2])
    dz = dz[np.isfinite(dz)]
    assert len(dz) > 10_000
    assert abs(np.median(dz)) < 0.01 and np.percentile(np.abs(dz), 95) < 0.02  # 5 mm scan noise


def test_scan_building_points_lie_on_the_ifc_design(demo_layers) -> None:
    _, bim, scan = demo_layers
    faces = bim.data["faces"]
    mesh = pv.PolyData(bim.data["vertices"], np.hstack([np.full((len(faces), 1), 3), faces]).ravel())
    building = scan.positions[scan.data["attributes"]["classification"] == 6]
    sample = building[np.random.default_rng(0).choice(len(building), 3000, replace=False)]
    _, closest = mesh.find_closest_cell(sample, return_closest_point=True)
    distance = np.linalg.norm(sample - closest, axis=1)
    assert np.median(distance) < 0.01 and np.percentile(distance, 99) < 0.02
