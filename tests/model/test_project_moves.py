"""Projects that move (issue 9 item 12): sources keep a relative and an absolute path, a layer
whose file is at neither is kept as a MissingLayer that saves back untouched, and a project
that failed leaves no dead camera or origin behind."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.model import Scene
from app.model.layers import MissingLayer, PointCloudLayer
from app.model.opening import adopt_frame_of, open_paths, relink_layers
from app.model.project import read_project, write_project
from loaders.base import LoadError
from tests.fixtures import write_las


def _saved_project(root: Path) -> Path:
    """root/site/site.twin with two scans in root/site/data, one styled."""
    data = root / "site" / "data"
    data.mkdir(parents=True)
    write_las(data / "a.las", n=300)
    write_las(data / "b.las", n=200)
    scene = Scene()
    errors: list[LoadError] = []
    for layer in open_paths(scene, [str(data / "a.las"), str(data / "b.las")], on_error=errors.append):
        scene.layers.append(layer)
    assert not errors
    scene.layers[0].opacity = 0.3
    scene.layers[1].point_size = 7.0
    project = root / "site" / "site.twin"
    write_project(scene, project)
    return project


def _open(path: Path, keep_missing: bool = True) -> tuple[Scene, list, list[LoadError]]:
    scene = Scene()
    errors: list[LoadError] = []
    layers = open_paths(scene, [str(path)], on_error=errors.append, keep_missing=keep_missing)
    return scene, layers, errors


def test_sources_are_saved_relative_and_absolute(tmp_path: Path) -> None:
    project = _saved_project(tmp_path)
    src = json.loads(project.read_text())["layers"][0]["source"]
    assert src["path"] == "data/a.las"
    assert src["absolute"] == str((tmp_path / "site" / "data" / "a.las").resolve())


def test_project_copied_with_its_data_opens_from_the_copy(tmp_path: Path) -> None:
    project = _saved_project(tmp_path)
    shutil.copytree(project.parent, tmp_path / "copy")
    shutil.rmtree(project.parent)  # the original is gone: only the relative path can work
    scene, layers, errors = _open(tmp_path / "copy" / "site.twin")
    assert not errors and [type(layer) for layer in layers] == [PointCloudLayer, PointCloudLayer]
    assert layers[0].source["path"] == str(tmp_path / "copy" / "data" / "a.las")
    assert layers[0].opacity == 0.3 and layers[1].point_size == 7.0


def test_project_moved_without_its_data_opens_through_the_absolute_path(tmp_path: Path) -> None:
    project = _saved_project(tmp_path)
    moved = tmp_path / "elsewhere" / "deep" / "site.twin"
    moved.parent.mkdir(parents=True)
    shutil.move(str(project), moved)
    scene, layers, errors = _open(moved)
    assert not errors and len(layers) == 2 and not any(isinstance(layer, MissingLayer) for layer in layers)
    assert layers[0].source["path"] == str(tmp_path / "site" / "data" / "a.las")
    write_project(_scene_of(scene, layers), moved)  # saved from its new place: the relative path follows
    assert json.loads(moved.read_text())["layers"][0]["source"]["path"] == "../../site/data/a.las"


def _scene_of(scene: Scene, layers: list) -> Scene:
    for layer in layers:
        scene.layers.append(layer)
    return scene


def test_missing_data_is_reported_with_the_paths_tried_and_kept(tmp_path: Path) -> None:
    project = _saved_project(tmp_path)
    moved = tmp_path / "other" / "site.twin"
    moved.parent.mkdir()
    shutil.copy(project, moved)
    shutil.move(str(tmp_path / "site" / "data"), tmp_path / "archive")  # the data moved too
    before = moved.read_text()
    scene, layers, errors = _open(moved)
    assert len(errors) == 2
    relative, absolute = str(tmp_path / "other" / "data" / "a.las"), str(tmp_path / "site" / "data" / "a.las")
    assert relative in errors[0].reason and absolute in errors[0].reason
    assert [type(layer) for layer in layers] == [MissingLayer, MissingLayer]
    missing = layers[0]
    assert missing.tried == [relative, absolute] and missing.name == "a.las" and missing.bounds() is None
    _scene_of(scene, layers)
    write_project(scene, moved)  # saving again drops nothing and changes nothing
    assert json.loads(moved.read_text())["layers"] == json.loads(before)["layers"]
    spec = read_project(moved)
    assert [entry.missing for entry in spec.layers] == [True, True]


def test_headless_open_reports_missing_layers_without_keeping_them(tmp_path: Path) -> None:
    project = _saved_project(tmp_path)
    (tmp_path / "site" / "data" / "b.las").unlink()
    scene, layers, errors = _open(project, keep_missing=False)
    assert len(layers) == 1 and isinstance(layers[0], PointCloudLayer)
    assert len(errors) == 1 and "no such file or directory; tried " in errors[0].reason


def test_relink_loads_the_file_with_its_saved_state(tmp_path: Path) -> None:
    project = _saved_project(tmp_path)
    shutil.move(str(tmp_path / "site" / "data"), tmp_path / "archive")
    scene, layers, _ = _open(project)
    _scene_of(scene, layers)
    assert not scene.frame.is_set  # nothing opened: the dead project's origin is not adopted
    [fresh] = relink_layers(scene, layers[1], str(tmp_path / "archive" / "b.las"))
    assert isinstance(fresh, PointCloudLayer) and fresh.point_size == 7.0
    assert fresh.source["path"] == str(tmp_path / "archive" / "b.las")
    assert not scene.frame.is_set  # the worker never writes the live frame
    adopt_frame_of(scene, [fresh])  # the GUI thread does, before adding: the project's own origin
    saved = json.loads(project.read_text())["frame"]["origin_lla"]
    assert scene.frame.origin_lla == pytest.approx(tuple(saved))


def test_failed_project_leaves_no_dead_view_or_origin(tmp_path: Path) -> None:
    project = _saved_project(tmp_path)
    doc = json.loads(project.read_text())
    doc["camera"] = {"position": [5000.0, 5000.0, 900.0], "focal_point": [4000.0, 4000.0, 0.0], "view_up": [0, 0, 1]}
    doc["frame"] = {"origin_lla": [10.0, 20.0, 0.0], "display_crs": "EPSG:32633"}
    doc["bookmarks"] = [{"name": "dead", "camera": doc["camera"]}]
    project.write_text(json.dumps(doc))
    shutil.rmtree(tmp_path / "site" / "data")
    scene, layers, errors = _open(project, keep_missing=False)
    assert layers == [] and len(errors) == 2
    assert scene.frame.origin_lla is None and scene.frame.display_crs is None
    assert scene.camera_from_project is False and scene.camera.position != (5000.0, 5000.0, 900.0)
    assert scene.bookmarks == []


def test_project_without_absolute_paths_still_reads(tmp_path: Path) -> None:
    write_las(tmp_path / "scan.las", n=50)
    (tmp_path / "old.twin").write_text(json.dumps({"schema_version": 1, "layers": [{"source": {"path": "scan.las"}}]}))
    scene, layers, errors = _open(tmp_path / "old.twin")
    assert not errors and isinstance(layers[0], PointCloudLayer)


@pytest.mark.parametrize("url", ["https://example.invalid/tiles/tileset.json"])
def test_url_sources_are_saved_without_an_absolute_path(tmp_path: Path, url: str) -> None:
    scene = Scene()
    layer = PointCloudLayer(name="remote")
    layer.source = {"path": url, "loader": None, "options": {}}
    scene.layers.append(layer)
    write_project(scene, tmp_path / "p.twin")
    src = json.loads((tmp_path / "p.twin").read_text())["layers"][0]["source"]
    assert src["path"] == url and "absolute" not in src


def test_source_through_a_symlink_loop_is_reported_missing(tmp_path: Path) -> None:
    """Path.resolve raised RuntimeError ("Symlink loop") and `info` said "internal error"."""
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "p.twin").write_text(json.dumps({"schema_version": 1, "layers": [{"source": {"path": "a/x.las"}}]}))
    spec = read_project(tmp_path / "p.twin")
    assert spec.layers[0].missing and spec.layers[0].tried == [str(tmp_path / "a" / "x.las")]


def test_info_on_a_moved_project_lists_what_is_missing(tmp_path: Path) -> None:
    """`twinscape info` on a moved project says which files it could not find and where it looked."""
    from app.info import describe

    project = _saved_project(tmp_path)
    (tmp_path / "site" / "data" / "b.las").unlink()
    out = describe(str(project))
    assert out["kind"] == "project" and out["layers"] == 2
    [missing] = out["missing"]
    assert missing["path"].endswith("b.las") and missing["tried"] == [missing["path"]]  # relative and absolute agree here
    assert out["warnings"][0].startswith("1 of 2 layers are missing: b.las (tried ")
