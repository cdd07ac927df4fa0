"""COPC as a streamable tile tree: the file's hierarchy as nodes, bounds that hold the points,
ECEF placement as pyproj gives it, lazily read hierarchy pages, one node decoded at a time,
a bad chunk failing its node only, and the open path choosing streaming for big files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loaders import LoadError
from loaders.copc_tree import GE_PER_SPACING, STREAMED_LOADER, open_copc_tree
from tests.loaders.conftest import corpus_path
from tests.loaders.copc_fixture import corrupt_node, make_copc
from tests.fixtures import mutated_copies


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_copc(tmp_path_factory.mktemp("copc_tree"))


def _inside(node, pts: np.ndarray, slack: float = 1e-3) -> bool:
    """Every point within the node's oriented box."""
    lengths = np.linalg.norm(node.half_axes, axis=0)
    local = (pts - node.center) @ (node.half_axes / lengths)
    return bool((np.abs(local) <= lengths + slack).all())


def test_tree_mirrors_the_hierarchy(site: Path) -> None:
    import laspy

    tree = open_copc_tree(str(site))
    with laspy.CopcReader.open(str(site)) as reader:
        entries = reader.root_page.entries
        total = reader.header.point_count
        spacing = reader.copc_info.spacing
    assert len(tree.nodes) == len(entries) and max(n.depth for n in tree.nodes) >= 3
    assert sum(e.count for e in tree.entry) == total == 300_000
    assert tree.georef_kind == "ecef" and not tree.warnings
    for node, e in zip(tree.nodes, tree.entry):
        assert node.refine == "ADD" and node.children is not None and node.contents
        assert node.depth == e.level and (node.parent == -1) == (e.level == 0)
        if node.parent >= 0:  # ADD: a child's box inside its parent's, error halves per level
            parent = tree.nodes[node.parent]
            corners = node.center + np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)]) @ node.half_axes.T
            assert _inside(parent, corners, slack=0.05)
            assert node.geometric_error == pytest.approx(parent.geometric_error / 2, rel=1e-3)
    assert tree.nodes[0].geometric_error == pytest.approx(GE_PER_SPACING * spacing, rel=1e-3)  # metres (UTM)


def test_root_holds_every_point_and_sits_where_pyproj_puts_it(site: Path) -> None:
    import laspy
    from pyproj import Transformer

    tree = open_copc_tree(str(site))
    las = laspy.read(str(site))
    xyz = np.c_[las.x, las.y, las.z]
    to_ecef = Transformer.from_crs("EPSG:32633", "EPSG:4978", always_xy=True)
    ecef = np.stack(to_ecef.transform(xyz[:, 0], xyz[:, 1], xyz[:, 2]), axis=-1)
    assert _inside(tree.nodes[0], ecef)
    centre = (np.asarray(las.header.mins) + np.asarray(las.header.maxs)) / 2
    expected = np.array(to_ecef.transform(*centre))
    assert np.linalg.norm(tree.nodes[0].center - expected) < 0.05  # metres
    lo, hi = tree.world_bounds().min(0), tree.world_bounds().max(0)
    assert (ecef.min(0) >= lo - 1e-3).all() and (ecef.max(0) <= hi + 1e-3).all()


def test_every_node_decodes_into_its_box(site: Path) -> None:
    import laspy

    tree = open_copc_tree(str(site))
    seen = 0
    for i, node in enumerate(tree.nodes):
        [content] = tree.load_content(i)
        g = content.geometry
        assert len(g.points) == tree.entry[i].count and _inside(node, g.points, slack=0.01)
        assert g.point_colors.dtype == np.uint8 and g.point_colors.shape == (len(g.points), 3)
        assert set(content.properties) == {"classification", "intensity", "return_number"}
        assert len(content.properties["intensity"]) == len(g.points)
        seen += len(g.points)
    assert seen == 300_000
    las = laspy.read(str(site))  # 16-bit colours come back shifted to 8 bits
    root = tree.load_content(0)[0].geometry.point_colors
    assert root.max() > 200 and np.isin(root[:, 0], (np.asarray(las.red) >> 8).astype(np.uint8)).all()


def test_no_crs_keeps_file_coordinates(tmp_path: Path) -> None:
    path = make_copc(tmp_path, 20_000, epsg=None)
    tree = open_copc_tree(str(path))
    assert tree.georef_kind == "none" and any("no CRS" in w for w in tree.warnings)
    root = tree.nodes[0]
    assert np.allclose(root.half_axes, np.diag(np.diag(root.half_axes)))  # axis-aligned, file units
    assert 500_000 < root.center[0] < 500_400 and 4_000_000 < root.center[1] < 4_000_400
    pts = tree.load_content(0)[0].geometry.points
    assert _inside(root, pts) and pts[:, 0].min() >= 500_000


def test_corpus_files_through_the_tree() -> None:
    simple = open_copc_tree(str(corpus_path("pointcloud/laspy/simple.copc.laz")))
    assert len(simple.nodes) == 65 and sum(e.count for e in simple.entry) == 1065 and simple.georef_kind == "ecef"
    got = sum(len(c.geometry.points) for i in range(len(simple.nodes)) for c in simple.load_content(i))
    assert got == 1065
    paged = open_copc_tree(str(corpus_path("pointcloud/laspy/simple_with_page.copc.laz")))
    lazy = [i for i, n in enumerate(paged.nodes) if n.children is None]
    assert len(paged.nodes) < 65 and len(lazy) == 1 and not paged.nodes[lazy[0]].contents  # page not read yet
    kids = paged.expand(lazy[0])
    assert len(kids) == 4 and paged.nodes[lazy[0]].contents and len(paged.nodes) == 65
    assert sum(e.count for e in paged.entry) == 1065
    assert np.allclose(paged.nodes[lazy[0]].center, simple.nodes[lazy[0]].center)


def test_a_corrupt_chunk_fails_that_node_only(site: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.copc.laz"
    key, count = corrupt_node(site, bad, level=2)
    tree = open_copc_tree(str(bad))
    victim = next(i for i, e in enumerate(tree.entry) if e.key == key)
    with pytest.raises(LoadError) as info:
        tree.load_content(victim)
    assert "-".join(map(str, key)) in info.value.path
    good = sum(len(tree.load_content(i)[0].geometry.points) for i in range(len(tree.nodes)) if i != victim)
    assert good == 300_000 - count


def test_bad_files_are_load_errors(tmp_path: Path) -> None:
    las = tmp_path / "plain.copc.laz"
    las.write_bytes(corpus_path("pointcloud/laspy/simple.laz").read_bytes())
    with pytest.raises(LoadError, match="not a COPC"):
        open_copc_tree(str(las))
    short = tmp_path / "short.copc.laz"
    short.write_bytes(b"LASF" + b"\0" * 50)
    with pytest.raises(LoadError):
        open_copc_tree(str(short))


def test_open_path_streams_big_copc_files_only(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.model import Scene, TilesetLayer
    from app.model import opening
    from app.model.layers import PointCloudLayer

    [whole] = opening.build_layers(Scene(), str(site), stream_tiles=True)  # 300k < 5M: loaded whole
    assert isinstance(whole, PointCloudLayer) and whole.source["loader"] == "COPC"
    monkeypatch.setattr(opening, "COPC_STREAM_MIN_POINTS", 100_000)
    scene = Scene()
    [layer] = opening.build_layers(scene, str(site), stream_tiles=True)
    assert isinstance(layer, TilesetLayer) and layer.streamed and layer.source["loader"] == STREAMED_LOADER
    assert layer.name == "site.copc.laz" and layer.info["kind"] == "pointcloud" and layer.info["points"] == 300_000
    assert layer.info["crs"] == "EPSG:32633" and 0 in layer.data["preloaded"]
    lat, lon, _ = scene.frame.origin_lla
    assert scene.frame.display_crs == "EPSG:32633"
    assert 36.1 < lat < 36.2 and 14.9 < lon < 15.1  # UTM 33N, 500 km E / 4000 km N
    b = layer.bounds()
    assert np.all(np.abs(b[:, :2]) < 300) and b[1][2] - b[0][2] < 80  # ENU metres around the origin
    # a project entry reopens it streamed; headless (no streaming) loads the whole file
    [again] = opening.build_layers(Scene(), str(site), loader=STREAMED_LOADER, stream_tiles=True)
    assert isinstance(again, TilesetLayer) and again.streamed
    monkeypatch.setattr(opening, "COPC_STREAM_MIN_POINTS", 10**9)
    [still] = opening.build_layers(Scene(), str(site), loader=STREAMED_LOADER, stream_tiles=True)
    assert isinstance(still, TilesetLayer) and still.streamed
    [headless] = opening.build_layers(Scene(), str(site), loader=STREAMED_LOADER, stream_tiles=False)
    assert isinstance(headless, PointCloudLayer) and len(headless.positions) == 300_000


def test_mutated_copc_never_crashes(tmp_path: Path) -> None:
    """Seeded flips anywhere past the header: a tree whose nodes load or fail one by one, or a
    LoadError; never another exception, a non-finite point or a hang."""
    import time

    data = corpus_path("pointcloud/laspy/simple_with_page.copc.laz").read_bytes()
    start = time.perf_counter()
    outcomes = {"tree": 0, "error": 0, "failed nodes": 0}
    for path in mutated_copies(data, tmp_path, ".copc.laz", seed=23, count=40, skip=400):
        try:
            tree = open_copc_tree(str(path))
        except LoadError as exc:
            assert exc.reason
            outcomes["error"] += 1
            continue
        outcomes["tree"] += 1
        queue = [0]
        while queue:
            index = queue.pop()
            queue.extend(tree.expand(index))
            try:
                for content in tree.load_content(index):
                    assert np.isfinite(content.geometry.points).all()
            except LoadError as exc:
                assert exc.reason
                outcomes["failed nodes"] += 1
    assert outcomes["tree"] > 0 and time.perf_counter() - start < 30
