"""An ICP refinement applied to a layer: undoable, saved with the project (as an ECEF motion) and
re-applied on reopening, also when the project reopens with another scene origin; a new
placement drops it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.model.opening import open_paths
from app.model.project import write_project
from app.model.refinement import current_refinement, refine_layer
from app.model.scene import Scene
from app.model.undo import UndoStack, placement_step
from tests import scan_sim


def _rigid(deg: float, shift) -> np.ndarray:
    a = np.radians(deg)
    t = np.eye(4)
    t[:2, :2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
    t[:3, 3] = shift
    return t


@pytest.fixture
def las(tmp_path: Path) -> Path:
    scan = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(scan_sim.simple_site()), [(2.0, 2.0, 1.5)],
                                  target_points=3_000, seed=1)
    path = tmp_path / "scan.laz"
    scan_sim.write_las(path, scan, (500_000.0, 3_000_000.0, 20.0), epsg=4547)
    return path


def _open(scene: Scene, path: Path) -> list:
    layers = open_paths(scene, [str(path)], on_error=lambda e: pytest.fail(str(e)))
    for layer in layers:
        scene.layers.append(layer)
    return list(layers)


def test_refinement_is_undoable_and_saved_with_the_project(tmp_path: Path, las: Path) -> None:
    scene = Scene()
    (layer,) = _open(scene, las)
    undo = UndoStack(scene)
    before = layer.positions.copy()
    t = _rigid(1.5, (0.2, -0.1, 0.03))
    placement_step(undo, layer, lambda: refine_layer(scene, layer, t), "Refine alignment of scan")
    np.testing.assert_allclose(layer.positions, before @ t[:3, :3].T + t[:3, 3], atol=1e-9)
    np.testing.assert_allclose(current_refinement(scene, layer), t, atol=1e-9)
    assert "ecef" in layer.source["options"]["refine"]
    assert undo.undo_label() == "Refine alignment of scan" and undo.undo()
    np.testing.assert_allclose(layer.positions, before)
    assert "refine" not in layer.info and "refine" not in layer.source["options"]
    assert undo.redo()
    refine_layer(scene, layer, _rigid(-0.5, (0.0, 0.05, 0.0)))          # refinements compose
    moved = layer.positions.copy()
    write_project(scene, tmp_path / "p.twin")
    again = Scene()
    (reopened,) = _open(again, tmp_path / "p.twin")
    np.testing.assert_allclose(reopened.positions, moved, atol=1e-6)


def test_reopened_in_another_frame(tmp_path: Path, las: Path) -> None:
    scene = Scene()
    (layer,) = _open(scene, las)
    t = _rigid(2.0, (0.3, 0.0, 0.0))
    refine_layer(scene, layer, t)
    write_project(scene, tmp_path / "p.twin")
    lat, lon, h = scene.frame.origin_lla
    other = Scene()
    other.frame.origin_lla = (lat + 0.001, lon - 0.001, h + 5.0)          # an origin ~140 m away
    (reopened,) = _open(other, tmp_path / "p.twin")
    expected = scene.frame.matrix_to(other.frame.origin_lla)
    want = layer.positions @ expected[:3, :3].T + expected[:3, 3]
    np.testing.assert_allclose(reopened.positions, want, atol=1e-5)


def test_bad_transforms_and_a_new_placement(tmp_path: Path) -> None:
    from app.model.placement import place_layer

    scan = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(scan_sim.simple_site()), [(2.0, 2.0, 1.5)],
                                  target_points=2_000, seed=1)
    path = tmp_path / "local.las"
    scan_sim.write_las(path, scan)                                       # no CRS: placed by hand
    scene = Scene()
    (layer,) = _open(scene, path)
    with pytest.raises(ValueError, match="rigid"):
        refine_layer(scene, layer, np.diag([2.0, 2.0, 2.0, 1.0]))
    refine_layer(scene, layer, _rigid(1.0, (0.1, 0, 0)))
    assert "local" in layer.info["refine"]
    place_layer(scene, layer, (30.5, 114.3, 20.0), 10.0)
    assert "refine" not in layer.info and "refine" not in layer.source["options"]
