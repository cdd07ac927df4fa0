"""A model without georeference is placed by the user, and a saved project puts it there again."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.model import Scene
from app.model.opening import build_layers, open_paths
from app.model.placement import can_place, place_layer
from app.model.project import write_project
from tests.loaders.builders import make_ifc


def test_place_an_ungeoreferenced_ifc_and_reopen_it(tmp_path: Path) -> None:
    path = tmp_path / "wall.ifc"
    make_ifc(path)  # one 5 m wall, no georeference
    scene = Scene()
    scene.frame.origin_lla = (30.5928, 114.3055, 22.0)
    [layer] = build_layers(scene, str(path))
    assert can_place(layer)
    before = layer.data["vertices"].copy()
    place_layer(scene, layer, (30.5930, 114.3060, 25.0), rotation_deg=90.0)
    after = layer.data["vertices"]
    nearest = int(np.argmin(np.linalg.norm(before, axis=1)))  # the vertex at (or next to) the model's origin
    expected = scene.frame.lla_to_enu([(30.5930, 114.3060, 25.0)])[0]
    assert np.linalg.norm(after[nearest] - expected) <= np.linalg.norm(before[nearest]) + 0.01
    extent_before, extent_after = np.ptp(before, axis=0), np.ptp(after, axis=0)
    assert extent_after[0] == pytest.approx(extent_before[1], abs=0.01)  # rotated by 90 degrees
    assert extent_after[1] == pytest.approx(extent_before[0], abs=0.01)
    place_layer(scene, layer, (30.5930, 114.3060, 25.0), rotation_deg=0.0)  # placing again starts from its own coordinates
    np.testing.assert_allclose(np.ptp(layer.data["vertices"], axis=0), extent_before, atol=0.01)
    scene.layers.append(layer)
    write_project(scene, tmp_path / "p.twin")
    reopened = Scene()
    [again] = open_paths(reopened, [str(tmp_path / "p.twin")], on_error=lambda e: pytest.fail(e.reason))
    np.testing.assert_allclose(again.data["vertices"], layer.data["vertices"], atol=1e-3)


def test_georeferenced_layers_cannot_be_placed() -> None:
    from tests.fixtures import write_las

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        [layer] = build_layers(Scene(), str(write_las(Path(tmp) / "a.las", n=10)))
    assert not can_place(layer)
    with pytest.raises(ValueError):
        place_layer(Scene(), layer, (0, 0, 0))


def _las_without_crs(path: Path, n: int = 3_000) -> Path:
    import laspy

    rng = np.random.default_rng(8)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = [0.001] * 3, [529000.0, 3385000.0, 0.0]
    las = laspy.LasData(header)
    las.x, las.y, las.z = 529000 + rng.uniform(0, 80, n), 3385000 + rng.uniform(0, 60, n), 22 + rng.uniform(0, 10, n)
    las.write(str(path))
    return path


def test_assign_an_epsg_code_to_a_scan_without_crs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.model import scene as scene_module
    from app.model.placement import assign_crs
    from loaders.base import Georef
    from tests.fixtures import write_las

    monkeypatch.setattr(scene_module, "OCTREE_MIN_POINTS", 1_000)  # small data, real octree
    scene = Scene()
    [ref] = build_layers(scene, str(write_las(tmp_path / "ref.las", n=50)))  # sets the frame in EPSG:4547
    scene.layers.append(ref)
    [layer] = build_layers(scene, str(_las_without_crs(tmp_path / "nocrs.las")))
    assert layer.info["crs"] is None and any("recentred" in w for w in layer.warnings)
    assert can_place(layer)
    with pytest.raises(ValueError, match="not a coordinate reference system"):
        assign_crs(scene, layer, "EPSG:99999999")
    with pytest.raises(ValueError, match="do not fit"):
        assign_crs(scene, layer, "4326")  # metres read as degrees: outside the globe
    assert "placement" not in layer.info  # a refused CRS leaves the layer as it was
    assign_crs(scene, layer, "4547")
    assert layer.info["crs"] == "EPSG:4547" and layer.source["options"]["placement"] == {"crs": "EPSG:4547"}
    expected = scene.frame.to_local(np.array([[529040.0, 3385030.0, 27.0]]), Georef(kind="crs", crs="EPSG:4547"))[0]
    centre = (layer.data["positions"].min(0) + layer.data["positions"].max(0)) / 2
    assert np.linalg.norm(centre[:2] - expected[:2]) < 2.0  # the scan now stands where its coordinates say
    tree = layer.data["octree"]
    pts = layer.data["positions"]
    for node in range(tree.num_nodes):  # every cell's sphere still encloses its points
        own = pts[tree.node_indices(node)]
        if len(own):
            assert np.linalg.norm(own - tree.center[node], axis=1).max() <= tree.radius[node] * 1.001
    scene.layers.append(layer)
    write_project(scene, tmp_path / "p.twin")
    [_, again] = open_paths(Scene(), [str(tmp_path / "p.twin")], on_error=lambda e: pytest.fail(e.reason))
    np.testing.assert_allclose(again.data["positions"], layer.data["positions"], atol=1e-3)
