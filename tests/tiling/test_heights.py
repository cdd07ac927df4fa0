"""A tiled cloud stands where the loaders put its source: every ECEF point of a `tile --format
3dtiles` output matches the scene frame's placement of the input file within 2 cm, for a CRS in
feet (z in feet too) and one in metres; a COPC output keeps the source coordinates and CRS.

Before the fix the pnts writer passed z in feet to pyproj as metres: autzen's root stood 320 m
too high and the cloud was stretched 3.28x vertically.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.model.frame import SceneFrame
from app.tiling import tile
from loaders.las import read_las
from loaders.tiles3d import read_tileset
from tests.conftest import corpus_file
from tests.tiling.helpers import make_cloud

SMALL = dict(workers=1, processes=False, chunk_points=4_000, max_cell_points=12_000, max_leaf=1_500)
OREGON_FT = 2994  # NAD83(HARN) / Oregon GIC Lambert (ft), autzen's CRS
UTM33 = 32633


def _tileset_ecef(folder: Path) -> np.ndarray:
    layer = read_tileset(str(folder / "tileset.json"))[0]
    m = layer.georef.matrix
    assert layer.georef.kind == "ecef"
    return layer.points.positions @ m[:3, :3].T + m[:3, 3]


def _source_ecef(path: Path) -> np.ndarray:
    cloud = read_las(str(path))[0]
    ecef = SceneFrame().georef_to_ecef(cloud.positions, cloud.georef)
    assert ecef is not None
    return ecef


def _gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance from a point of either cloud to the nearest point of the other (order-free)."""
    from scipy.spatial import cKDTree

    return float(max(cKDTree(b).query(a)[0].max(), cKDTree(a).query(b)[0].max()))


@pytest.mark.parametrize("epsg, origin", [(OREGON_FT, (4_243_000.0, 880_000.0)), (UTM33, (500_000.0, 4_000_000.0))])
def test_tiled_points_match_the_loaders_placement(epsg: int, origin: tuple[float, float], tmp_path: Path) -> None:
    src = tmp_path / "site.las"
    make_cloud(src, 6_000, epsg=epsg, point_format=3, origin=origin, side=300.0)
    tile([str(src)], str(tmp_path / "out"), fmt="3dtiles", **SMALL)
    got, want = _tileset_ecef(tmp_path / "out"), _source_ecef(src)
    assert got.shape == want.shape
    # heights first: the tiled cloud's up-extent equals the source's (a feet z read as metres is 3.28x)
    up = want.mean(axis=0) / np.linalg.norm(want.mean(axis=0))
    assert np.ptp(got @ up) == pytest.approx(np.ptp(want @ up), abs=0.02)
    assert _gap(got, want) < 0.02


def test_copc_output_keeps_feet_and_crs_so_the_loader_places_it_alike(tmp_path: Path) -> None:
    src = tmp_path / "site.las"
    make_cloud(src, 3_000, epsg=OREGON_FT, point_format=3, origin=(4_243_000.0, 880_000.0), side=200.0)
    tile([str(src)], str(tmp_path / "out.copc.laz"), workers=1, processes=False)
    got = read_las(str(tmp_path / "out.copc.laz"))[0]
    ecef = SceneFrame().georef_to_ecef(got.positions, got.georef)
    assert _gap(ecef, _source_ecef(src)) < 0.02


@pytest.mark.corpus
def test_autzen_tileset_root_height_matches_the_loader(tmp_path: Path) -> None:
    from pyproj import Transformer

    src = corpus_file("pointcloud/pdal/autzen_trim.laz")
    tile([str(src)], str(tmp_path / "t"), fmt="3dtiles", workers=1, processes=False)
    m = np.asarray(json.loads((tmp_path / "t" / "tileset.json").read_text())["root"]["transform"]).reshape(4, 4).T
    _, _, h = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(*m[:3, 3])
    assert 100 < h < 180  # about 140 m; 463 m with z left in feet
    got, want = _tileset_ecef(tmp_path / "t"), _source_ecef(src)
    assert _gap(got, want) < 0.02
