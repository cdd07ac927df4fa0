"""Measurements, annotations and the section: values, saved with the project, checked on read,
moved with the scene origin."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.model.annotations import Annotation, Measurement, Section
from app.model.project import read_project, write_project
from app.model.scene import Scene
from loaders.base import LoadError


def test_measurement_values_and_label() -> None:
    m = Measurement("distance", [(0, 0, 0), (3, 4, 12)])
    assert [(n, round(v, 6), u) for n, v, u in m.values()] == [("distance", 13.0, "m"), ("horizontal", 5.0, "m"),
                                                               ("vertical", 12.0, "m")]
    assert m.label().startswith("13.00 m")
    poly = Measurement("polygon", [(0, 0, 0), (4, 0, 0), (4, 5, 0), (0, 5, 0)])
    assert poly.values()[0] == ("area (horizontal)", pytest.approx(20.0), "m\u00b2")
    assert Measurement("height", [(1, 1, 30), (1, 1, 2)]).values() == [("height above ground", 28.0, "m")]
    with pytest.raises(ValueError):
        Measurement("volume", [(0, 0, 0)])


def test_section_box_planes_keep_the_inside() -> None:
    box = Section.box_from_bounds((0, 0, 0), (10, 20, 30))
    assert len(box.planes()) == 6
    keep = box.keeps(np.array([(5, 5, 5), (11, 5, 5), (5, 5, -1)]))
    assert keep.tolist() == [True, False, False]
    plane = Section("plane", origin=(0, 0, 10), normal=(0, 0, -2))
    assert plane.keeps(np.array([(0, 0, 5), (0, 0, 15)])).tolist() == [True, False]


def _project(tmp_path: Path, scene: Scene) -> Path:
    path = tmp_path / "p.twin"
    write_project(scene, path)
    return path


def test_round_trip_with_the_project(tmp_path: Path) -> None:
    scene = Scene()
    scene.annotations.append(Measurement("polygon", [(0, 0, 0), (4, 0, 0), (4, 5, 1)], name="roof"))
    scene.annotations.append(Annotation("Crane here", (10, 20, 30), "#FF0000", "warning"))
    axes = ((np.cos(0.3), np.sin(0.3), 0.0), (-np.sin(0.3), np.cos(0.3), 0.0), (0.0, 0.0, 1.0))
    scene.section = Section("box", origin=(1, 2, 3), half_size=(4, 5, 6), axes=axes)
    spec = read_project(_project(tmp_path, scene))
    assert [type(i).__name__ for i in spec.annotations] == ["Measurement", "Annotation"]
    m, a = spec.annotations
    assert m.name == "roof" and m.points[2] == (4.0, 5.0, 1.0)
    assert (a.text, a.anchor, a.color, a.marker) == ("Crane here", (10.0, 20.0, 30.0), "#ff0000", "warning")
    assert spec.section.kind == "box" and spec.section.half_size == (4.0, 5.0, 6.0)
    assert np.allclose(spec.section.axes, axes)
    scene.section = Section("plane", origin=(0, 0, 5), normal=(0, 1, 0), enabled=False)
    spec = read_project(_project(tmp_path, scene))
    assert spec.section.kind == "plane" and spec.section.normal == (0.0, 1.0, 0.0) and spec.section.enabled is False


def test_old_projects_have_none(tmp_path: Path) -> None:
    path = tmp_path / "old.twin"
    path.write_text(json.dumps({"schema_version": 1, "layers": []}))
    spec = read_project(path)
    assert spec.annotations == [] and spec.section is None


@pytest.mark.parametrize("doc, message", [
    ({"annotations": [{"type": "note"}]}, 'annotations[0].type: expected "measurement" or "annotation"'),
    ({"annotations": [{"type": "annotation", "text": "x", "anchor": [0, 0, "a"]}]}, "annotations[0].anchor[2]"),
    ({"annotations": [{"type": "annotation", "text": "x", "anchor": [0, 0, 0], "color": "red"}]}, "#rrggbb"),
    ({"annotations": [{"type": "measurement", "kind": "volume", "points": [[0, 0, 0]]}]}, "annotations[0].kind"),
    ({"annotations": [{"type": "measurement", "kind": "distance", "points": []}]}, "expected 1 to"),
    ({"section": {"kind": "cylinder", "origin": [0, 0, 0]}}, "section.kind"),
    ({"section": {"kind": "plane", "origin": [0, 0, 0], "normal": [0, 0, 0]}}, "section.normal: must not be the zero"),
    ({"section": {"kind": "box", "origin": [0, 0, 0], "half_size": [1, -1, 1]}}, "section.half_size[1]"),
    ({"section": {"kind": "box", "origin": [0, 0, 0], "half_size": [1, 1, 1], "axes": [[1, 0, 0], [1, 0, 0], [0, 0, 1]]}},
     "flat box"),
])
def test_bad_values_give_readable_messages(tmp_path: Path, doc: dict, message: str) -> None:
    path = tmp_path / "bad.twin"
    path.write_text(json.dumps({"schema_version": 1, "layers": [], **doc}))
    with pytest.raises(LoadError) as info:
        read_project(path)
    assert message in str(info.value) and "Traceback" not in str(info.value)


def test_they_move_with_the_scene_origin() -> None:
    scene = Scene()
    scene.frame.origin_lla = (52.0, 5.0, 0.0)
    scene.annotations.append(Annotation("A", (100.0, 0.0, 0.0)))
    scene.annotations.append(Measurement("distance", [(0, 0, 0), (100.0, 0, 0)]))
    scene.section = Section.box_from_bounds((90, -10, -10), (110, 10, 10))
    seen = []
    scene.annotations_changed.connect(lambda: seen.append("a"))
    scene.section_changed.connect(lambda s: seen.append("s"))
    before = scene.frame.enu_to_lla(np.array([scene.annotations[0].anchor]))[0]
    scene.move_origin((52.0, 5.001, 0.0))
    after = scene.frame.enu_to_lla(np.array([scene.annotations[0].anchor]))[0]
    assert np.allclose(before, after, atol=1e-7)
    assert np.allclose(scene.section.origin, scene.annotations[0].anchor, atol=1e-6)  # the box stays on the label
    assert scene.annotations[1].values()[0][1] == pytest.approx(100.0, abs=1e-6)
    assert "a" in seen and "s" in seen
