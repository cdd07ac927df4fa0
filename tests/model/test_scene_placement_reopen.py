"""A placement survives a project round trip as a placement: the reopened layer can be placed
again and the Place dialog is given what was set (rotation and origin, or the CRS)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.model.opening import build_layers, open_paths
from app.model.placement import assign_crs, can_place, current_placement, place_layer
from app.model.project import write_project
from app.model.scene import Scene
from tests.fixtures import write_las


def _scan_without_crs(path: Path) -> Path:
    import laspy

    rng = np.random.default_rng(8)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = [0.001] * 3, [529000.0, 3385000.0, 0.0]
    las = laspy.LasData(header)
    las.x, las.y, las.z = 529000 + rng.uniform(0, 80, 500), 3385000 + rng.uniform(0, 60, 500), 22 + rng.uniform(0, 5, 500)
    las.write(str(path))
    return path


def _reopen(scene: Scene, tmp_path: Path):
    write_project(scene, tmp_path / "p.twin")
    layers = open_paths(Scene(), [str(tmp_path / "p.twin")], on_error=lambda e: pytest.fail(e.reason))
    return layers[-1]


@pytest.mark.parametrize("how", ["crs", "origin"])
def test_placement_is_still_a_placement_after_reopening(tmp_path: Path, how: str) -> None:
    scene = Scene()
    [ref] = build_layers(scene, str(write_las(tmp_path / "ref.las", n=50)))  # the frame, in EPSG:4547
    scene.layers.append(ref)
    [layer] = build_layers(scene, str(_scan_without_crs(tmp_path / "nocrs.las")))
    if how == "crs":
        assign_crs(scene, layer, "4547")
        expected = {"crs": "EPSG:4547"}
    else:
        place_layer(scene, layer, (30.594, 114.307, 20.0), 45.0)
        expected = {"origin_lla": [30.594, 114.307, 20.0], "rotation_deg": 45.0}
    scene.layers.append(layer)
    assert {k: current_placement(layer)[k] for k in expected} == expected
    again = _reopen(scene, tmp_path)
    assert can_place(again), "a reopened placement can be changed again"
    got = current_placement(again)
    assert {k: got[k] for k in expected} == expected
