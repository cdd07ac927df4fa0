"""A streamed tileset without georeference is placed through its tileset -> scene matrix (its
tiles stay relative to their centres), keeps that placement for the Place dialog, and moves with
the scene origin."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.model.opening import build_layers
from app.model.placement import current_placement, needs_placement, place_at_view, place_layer, placement_georef
from app.model.scene import Scene
from tests.viewers.tiles_fixtures import write_quadtree


def _streamed(tmp_path: Path, scene: Scene):
    path = write_quadtree(tmp_path / "q", 3, size=400.0)  # local metres, no transform: not georeferenced
    (layer,) = build_layers(scene, str(path), stream_tiles=True)
    assert layer.streamed and needs_placement(layer)
    return layer


def test_streamed_tileset_is_placed_by_its_matrix(tmp_path: Path) -> None:
    scene = Scene()
    scene.frame.origin_lla = (30.5928, 114.3055, 22.0)
    layer = _streamed(tmp_path, scene)
    origin = (30.5940, 114.3070, 25.0)
    place_layer(scene, layer, origin, rotation_deg=45.0)
    assert current_placement(layer) == {"origin_lla": list(origin), "rotation_deg": 45.0}
    local = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [0.0, 100.0, 5.0]])  # tileset coordinates
    m = layer.data["matrix"]
    expected = scene.frame.to_local(local, placement_georef(origin, 45.0))
    assert np.abs(local @ m[:3, :3].T + m[:3, 3] - expected).max() < 1e-6
    north_of_y = (expected[2] - expected[0])[:2]
    assert abs(np.degrees(np.arctan2(north_of_y[0], north_of_y[1])) - 45.0) < 0.01  # +y 45 degrees east of north
    corners = layer.data["tree"].world_bounds() @ m[:3, :3].T + m[:3, 3]
    assert np.allclose(layer.bounds(), [corners.min(0), corners.max(0)])
    scene.layers.append(layer)
    before = scene.frame.enu_to_ecef(expected)
    scene.move_origin((30.6, 114.31, 20.0))
    m = layer.data["matrix"]
    assert np.abs(scene.frame.enu_to_ecef(local @ m[:3, :3].T + m[:3, 3]) - before).max() < 1e-6


def test_unplaced_layer_lands_at_a_point(tmp_path: Path) -> None:
    scene = Scene()
    scene.frame.origin_lla = (30.5928, 114.3055, 22.0)
    layer = _streamed(tmp_path, scene)
    target = np.array([250.0, -120.0, 3.0])
    origin = place_at_view(scene, layer, target)
    assert origin is not None and not needs_placement(layer)
    b = layer.bounds()
    assert np.linalg.norm((b[0] + b[1])[:2] / 2 - target[:2]) < 0.5


def test_placing_a_streamed_tileset_is_undone(tmp_path: Path) -> None:
    from app.model.undo import UndoStack, placement_step

    scene = Scene()
    scene.frame.origin_lla = (30.5928, 114.3055, 22.0)
    layer = _streamed(tmp_path, scene)
    scene.layers.append(layer)
    stack = UndoStack(scene)
    before = layer.data["matrix"].copy()
    placement_step(stack, layer, lambda: place_layer(scene, layer, (30.5940, 114.3070, 25.0), 45.0))
    assert not np.allclose(layer.data["matrix"], before)
    stack.undo()
    assert np.allclose(layer.data["matrix"], before) and "placement" not in layer.info
