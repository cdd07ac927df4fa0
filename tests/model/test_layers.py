"""Layers: evented fields, state round trips for every kind, the ordered list, project files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.model import BimLayer, Layer, LayerList, MeshLayer, PointCloudLayer, Scene, TilesetLayer
from app.model.layers import layer_class_for
from app.model.project import SCHEMA_VERSION, read_project, write_project
from app.model.scene import Bookmark, Camera
from loaders.base import LoadError

KINDS = [PointCloudLayer, MeshLayer, BimLayer, TilesetLayer]


@pytest.mark.parametrize("cls", KINDS)
def test_state_round_trip_for_every_kind(cls: type[Layer]) -> None:
    layer = cls(name="a", visible=False, opacity=0.4)
    state = layer.get_state()
    assert "data" not in state and state["name"] == "a" and state["visible"] is False
    rebuilt = cls.from_state(json.loads(json.dumps(state)), data=layer.data)
    assert rebuilt.get_state() == state


def test_evented_fields_and_data_changed() -> None:
    layer = PointCloudLayer(name="scan", data={"positions": np.zeros((3, 3)), "colors": None, "attributes": {}})
    seen: list[tuple[str, object]] = []
    layer.events.connect(lambda info: seen.append((info.signal.name, info.args[0])))
    data_events: list[int] = []
    layer.data_changed.connect(lambda: data_events.append(1))
    layer.visible = False
    layer.opacity = 0.5
    layer.color_mode = "elevation"
    layer.data_changed.emit()
    assert ("visible", False) in seen and ("opacity", 0.5) in seen and data_events == [1]


def test_point_cloud_without_rgb_defaults_to_elevation() -> None:
    layer = PointCloudLayer(data={"positions": np.zeros((2, 3)), "colors": None, "attributes": {"intensity": np.ones(2)}})
    assert layer.color_mode == "elevation"
    assert layer.available_color_modes() == ["elevation", "intensity"]


def test_layer_list_keeps_order_and_unique_names() -> None:
    layers = LayerList()
    events: list[str] = []
    layers.inserted.connect(lambda i, layer: events.append(f"+{layer.name}"))
    layers.removed.connect(lambda i, layer: events.append(f"-{layer.name}"))
    a, b = MeshLayer(name="site"), MeshLayer(name="site")
    layers.append(a)
    layers.append(b)
    assert [layer.name for layer in layers] == ["site", "site [2]"]
    layers.move(1, 0)
    assert layers[0] is b
    layers.remove(a)
    assert events == ["+site", "+site [2]", "-site"] and len(layers) == 1


def test_layer_class_for_loader_kinds() -> None:
    from loaders.base import MeshData, PointCloudData

    assert layer_class_for(PointCloudData(name="p", kind="pointcloud", format="LAS")) is PointCloudLayer
    assert layer_class_for(MeshData(name="b", kind="bim", format="IFC4")) is BimLayer
    assert layer_class_for(MeshData(name="t", kind="tileset", format="3D Tiles")) is TilesetLayer


def test_project_round_trip(tmp_path: Path) -> None:
    data_file = tmp_path / "data" / "scan.las"
    data_file.parent.mkdir()
    data_file.write_bytes(b"")
    scene = Scene()
    scene.frame.origin_lla = (30.5, 114.3, 20.0)
    scene.frame.display_crs = "EPSG:4547"
    layer = PointCloudLayer(name="scan", opacity=0.5, color_mode="elevation")
    layer.source = {"path": str(data_file), "loader": None, "options": {}}
    scene.layers.append(layer)
    scene.bookmarks.append(Bookmark("Overview", Camera((1.0, 2.0, 3.0), (0.0, 0.0, 0.0))))
    out = tmp_path / "p.twin"
    write_project(scene, out)
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == SCHEMA_VERSION and doc["layers"][0]["source"]["path"] == "data/scan.las"
    spec = read_project(out)
    assert spec.frame.origin_lla == (30.5, 114.3, 20.0) and spec.frame.display_crs == "EPSG:4547"
    assert spec.layers[0].path == str(data_file) and spec.layers[0].state["opacity"] == 0.5
    assert spec.bookmarks[0].name == "Overview" and spec.bookmarks[0].camera.position == (1.0, 2.0, 3.0)


def test_project_migrates_v0(tmp_path: Path) -> None:
    out = tmp_path / "old.twin"
    out.write_text(json.dumps({"schema_version": 0, "layers": ["a.las"]}))
    spec = read_project(out)
    assert spec.layers[0].path == str(tmp_path / "a.las")


@pytest.mark.parametrize("content,reason", [
    ("{not json", "invalid JSON"),
    ("[]", "no schema_version"),
    ('{"schema_version": 99}', "unsupported project schema_version"),
    ('{"schema_version": 1, "layers": [{"state": {}}]}', "malformed project"),
    ('{"schema_version": 1, "layers": [{"source": {"path": "${nope}/a.las"}}]}', "unknown variable"),
])
def test_bad_project_files(tmp_path: Path, content: str, reason: str) -> None:
    out = tmp_path / "bad.twin"
    out.write_text(content)
    with pytest.raises(LoadError, match=reason):
        read_project(out)


def test_project_saved_from_a_scene_reopens_the_same_layers(tmp_path: Path) -> None:
    from app.model.opening import apply_opened, build_layers, open_paths
    from tests.fixtures import write_las

    las = write_las(tmp_path / "scan.las", n=500)
    scene = Scene()
    for layer in build_layers(scene, str(las)):
        scene.layers.append(layer)
    scene.layers[0].opacity = 0.25
    assert scene.layers[0].source["loader"] == "LAS/LAZ"
    write_project(scene, tmp_path / "site.twin")
    reopened = Scene()
    errors: list = []
    layers = open_paths(reopened, [str(tmp_path / "site.twin")], on_error=errors.append)
    apply_opened(reopened, layers.projects)  # the GUI thread's part: the project's frame, camera...
    assert not errors and [layer.name for layer in layers] == ["scan.las"]
    assert layers[0].opacity == 0.25 and reopened.frame.origin_lla == scene.frame.origin_lla
    np.testing.assert_allclose(layers[0].positions, scene.layers[0].positions, atol=1e-9)


def test_unknown_loader_name_in_a_project_is_a_clean_error(tmp_path: Path) -> None:
    from app.model.opening import open_paths
    from tests.fixtures import write_las

    write_las(tmp_path / "scan.las", n=10)
    (tmp_path / "p.twin").write_text(json.dumps({"schema_version": 1, "layers": [
        {"source": {"path": "scan.las", "loader": "no-such-loader"}}]}))
    errors: list[LoadError] = []
    assert open_paths(Scene(), [str(tmp_path / "p.twin")], on_error=errors.append) == []
    assert "unknown loader 'no-such-loader'" in errors[0].reason
