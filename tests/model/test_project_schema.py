"""Project files are checked against their schema on read: a bad value gives one readable
message naming its key path (issue 10 item 2), never a traceback from VTK, pyproj or json."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.model.project import read_project
from loaders.base import LoadError

BASE: dict[str, Any] = {"schema_version": 1, "layers": [{"source": {"path": "scan.las"}, "state": {}}]}


def _with(**changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(BASE)), **changes}


def _layer_state(**state: Any) -> dict[str, Any]:
    return _with(layers=[{"source": {"path": "scan.las"}, "state": state}])


BAD: list[tuple[dict[str, Any], str]] = [
    (_with(camera={"position": ["x", 0, 0]}), 'camera.position[0]: expected a number, got "x"'),
    (_with(camera={"position": [math.nan, 0, 0]}), "camera.position[0]: expected a finite number, got nan"),
    (_with(camera={"position": [1, 0, 0], "view_up": [0, 0, 0]}), "camera.view_up: must not be the zero vector"),
    (_with(camera={"position": [0, 0, 5], "view_up": [0, 0, 1]}), "camera.view_up: is parallel to the viewing direction"),
    (_with(camera={"position": [0, 0, 0]}), "camera.position: equals focal_point"),
    (_with(camera={"position": [1, 2]}), "camera.position: expected 3 numbers, got 2"),
    (_with(camera={"view_angle": 0}), "camera.view_angle: 0 is out of range"),
    (_with(camera="front"), 'camera: expected an object, got "front"'),
    (_with(frame="abc"), 'frame: expected an object or null, got "abc"'),
    (_with(frame={"origin_lla": [95, 0, 0]}), "frame.origin_lla[0]: 95 is out of range [-90, 90]"),
    (_with(frame={"display_crs": 4547}), "frame.display_crs: expected a string or null, got 4547"),
    (_layer_state(point_size=-3), "layers[0].state.point_size: -3 is out of range [1, 20]"),
    (_layer_state(opacity="half"), 'layers[0].state.opacity: expected a number, got "half"'),
    (_layer_state(visible="yes"), 'layers[0].state.visible: expected true or false, got "yes"'),
    (_layer_state(hidden_classes=[2, 900]), "layers[0].state.hidden_classes[1]: 900 is out of range [0, 255]"),
    (_layer_state(hidden=[1.5]), "layers[0].state.hidden[0]: expected an integer, got 1.5"),
    (_layer_state(max_sse=1e9), "layers[0].state.max_sse"),
    (_layer_state(name=""), "layers[0].state.name: must not be empty"),
    (_with(layers=[{"source": {"path": 7}}]), "layers[0].source.path: expected a string, got 7"),
    (_with(layers=[{"source": {"path": "a.las", "options": {"placement": {"origin_lla": [0, 500, 0]}}}}]),
     "layers[0].source.options.placement.origin_lla[1]: 500 is out of range [-180, 180]"),
    (_with(layers={"a": 1}), "layers: expected a list or null, got an object"),
    (_with(bookmarks=[{"name": "b", "camera": {"position": [1, "2", 3]}}]), "bookmarks[0].camera.position[1]"),
    (_with(bookmarks=[{"camera": {}}]), "bookmarks[0].name: expected a string, got None"),
]


@pytest.mark.parametrize("doc,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_values_name_their_key(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    path = tmp_path / "bad.twin"
    path.write_text(json.dumps(doc))  # NaN is written as the NaN token, which json.loads accepts
    with pytest.raises(LoadError) as info:
        read_project(path)
    assert message in info.value.reason


def test_deep_nesting_is_refused_without_recursion(tmp_path: Path) -> None:
    deep = tmp_path / "deep.twin"
    deep.write_text('{"schema_version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(LoadError, match="nested too deeply"):
        read_project(deep)
    medium = tmp_path / "medium.twin"  # under json's own limit, over the schema's
    medium.write_text('{"schema_version": 1, "x": ' + "[" * 500 + "]" * 500 + "}")
    with pytest.raises(LoadError, match="nested deeper than 64 levels"):
        read_project(medium)


def test_huge_integer_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "big.twin"
    path.write_text('{"schema_version": 1, "camera": {"view_angle": ' + "9" * 5000 + "}}")
    with pytest.raises(LoadError, match="invalid JSON|camera.view_angle"):
        read_project(path)


def test_good_project_and_unknown_state_keys_pass(tmp_path: Path) -> None:
    doc = _with(name="site", frame={"origin_lla": [30.5, 114.3, 20.0], "display_crs": "EPSG:4547"},
                camera={"position": [100, -100, 80], "focal_point": [0, 0, 0], "view_up": [0, 0, 1], "view_angle": 30},
                bookmarks=[{"name": "Overview", "camera": {"position": [1, 2, 3]}}])
    doc["layers"][0]["state"] = {"name": "scan", "opacity": 0.5, "point_size": 3, "hidden_classes": [7],
                                 "hidden": None, "future_key": {"anything": [1]}}
    path = tmp_path / "good.twin"
    path.write_text(json.dumps(doc))
    spec = read_project(path)
    assert spec.camera is not None and spec.camera.position == (100, -100, 80)
    assert spec.layers[0].state["future_key"] == {"anything": [1]}


def test_demo_project_fits_the_schema() -> None:
    from app.demo import demo_project_path

    spec = read_project(demo_project_path())
    files = [layer for layer in spec.layers if layer.loader != "feed"]  # besides the live sensor layers (issue 13)
    assert len(files) == 7 and spec.bookmarks  # district, design, scan, Block C comparison, DEM, flood series, sunlight hours
    # and the shadow study's sunlight hours (issue 14)


@pytest.mark.parametrize("command", ["info", "render"])
def test_cli_prints_one_error_line_and_exits_2(tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {"camera": _with(camera={"position": ["x", 0, 0]}), "state": _layer_state(point_size=-3)}
    for name, doc in cases.items():
        path = tmp_path / f"{name}.twin"
        path.write_text(json.dumps(doc))
        extra = ["-o", str(tmp_path / "out.png")] if command == "render" else []
        assert main([command, str(path), *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {path}: malformed project: ")
        assert "Traceback" not in err[0]
    assert not (tmp_path / "out.png").exists()
