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
