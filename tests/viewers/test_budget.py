"""The point budget is one allocation per frame over every visible point layer (issue 9 item 11):
octree clouds, clouds too small for an octree and streamed COPC points all count; hidden
classes do not spend it; near, large-on-screen nodes win whichever layer they belong to."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.model import PointCloudLayer
from app.model.opening import build_layers
from app.model.octree import build_octree
from app.model.scene import Camera
from loaders.copc_tree import STREAMED_LOADER
from tests.loaders.copc_fixture import make_copc
from tests.viewers.test_tiles_streaming import settle
from viewers.canvas import Canvas
from tests.fixtures import offscreen_canvas


@pytest.fixture
def canvas():
    with offscreen_canvas((640, 480)) as c:
        yield c


def _cloud(name: str, centre: tuple[float, float], n: int, *, octree: bool, seed: int, ground_share: float = 0.0) -> PointCloudLayer:
    rng = np.random.default_rng(seed)
    pos = rng.uniform([-100, -100, 0], [100, 100, 30], (n, 3)) + [centre[0], centre[1], 0.0]
    classes = np.where(rng.random(n) < ground_share, 2, 6).astype(np.uint8)
    data = {"positions": pos, "colors": None, "attributes": {"classification": classes}}
    if octree:
        data["octree"] = build_octree(pos, max_points_per_node=2_000)
    return PointCloudLayer(name=name, color_mode="elevation", data=data)


def _drawn(canvas: Canvas, layer) -> int:
    return canvas.visuals[id(layer)].stats().get("points", 0)


def test_two_octree_clouds_and_a_small_cloud_share_one_budget(canvas: Canvas) -> None:
    near = _cloud("near", (0, 0), 120_000, octree=True, seed=1)
    far = _cloud("far", (0, 3000), 120_000, octree=True, seed=2)
    small = _cloud("small", (150, 0), 10_000, octree=False, seed=3)
    canvas.set_point_budget(60_000)
    for layer in (near, far, small):
        canvas.scene.layers.append(layer)
    canvas.set_camera(Camera((0.0, -300.0, 60.0), (0.0, 500.0, 0.0), (0.0, 0.0, 1.0)))  # the far cloud on the horizon
    total = canvas.stats()["points_drawn"]
    assert total <= 60_000 and total > 0.8 * 60_000  # honoured, and used
    assert _drawn(canvas, near) > 2 * _drawn(canvas, far) > 0  # near detail first; the far cloud keeps its overview
    assert _drawn(canvas, small) > 0  # the un-octreed cloud is counted, and drawn (whole or a subsample)
    canvas.set_point_budget(10_000)
    assert canvas.stats()["points_drawn"] <= 10_000
    near.visible = False  # a hidden layer gives its share to the others
    canvas.set_point_budget(60_000)
    assert _drawn(canvas, near) == 0 and _drawn(canvas, far) + _drawn(canvas, small) > 0.8 * 60_000 - 1
    assert canvas.stats()["points_drawn"] <= 60_000


def test_hidden_classes_do_not_spend_the_budget(canvas: Canvas) -> None:
    layer = _cloud("scan", (0, 0), 150_000, octree=True, seed=4, ground_share=0.6)
    canvas.set_point_budget(30_000)
    canvas.scene.layers.append(layer)
    canvas.set_camera(Camera((0.0, -250.0, 150.0), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0)))
    layer.hidden_classes = (2,)  # ground hidden: its 60% of the points must not use the budget
    visual = canvas.visuals[id(layer)]
    drawn = canvas.stats()["points_drawn"]
    assert 0.8 * 30_000 < drawn <= 30_000
    assert not (layer.data["attributes"]["classification"][visual.index] == 2).any()
    layer.hidden_classes = ()
    assert 0.8 * 30_000 < canvas.stats()["points_drawn"] <= 30_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_copc(tmp_path_factory.mktemp("copc_budget"), n=200_000)


def test_streamed_copc_points_count_toward_the_budget(canvas: Canvas, site: Path) -> None:
    [copc] = build_layers(canvas.scene, str(site), loader=STREAMED_LOADER, stream_tiles=True)
    canvas.set_point_budget(40_000)
    canvas.scene.layers.append(copc)
    b = copc.bounds()
    centre = (b[0] + b[1]) / 2
    cloud = _cloud("survey", (float(centre[0]), float(centre[1])), 30_000, octree=False, seed=5)
    canvas.scene.layers.append(cloud)
    canvas.set_camera(Camera(tuple(centre + [0.0, -60.0, 60.0]), tuple(centre), (0.0, 0.0, 1.0)))
    for _ in range(3):  # tiles stream in; every frame stays within the budget
        settle(canvas)
        canvas.update_lod()
        stats = canvas.stats()
        assert stats["points_drawn"] <= 40_000, stats
    visual = canvas.visuals[id(copc)]
    assert _drawn(canvas, cloud) > 0 and visual.drawn["points"] > 0  # both layers draw
