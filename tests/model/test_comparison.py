"""The comparison result as part of the scene: applied to layers, saved in sidecars, restored."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.model.comparison import (
    DEVIATION_ATTR, NOT_JUDGED, ComparisonData, ComparisonLayer, attach, beyond_tolerance_mask, detach,
)
from app.model.derived import sidecar_dir
from app.model.layers import BimLayer, PointCloudLayer
from app.model.opening import open_paths
from app.model.project import read_project, write_project
from app.model.scene import Scene
from loaders.base import ElementInfo, LoadError


def _scan(n: int = 6) -> PointCloudLayer:
    pos = np.column_stack([np.arange(n, dtype=float), np.zeros(n), np.zeros(n)])
    return PointCloudLayer(name="scan", data={"positions": pos, "colors": None, "attributes": {}})


def _bim() -> BimLayer:
    elements = [ElementInfo(id="G-wall", ifc_class="IfcWall", storey="L1"),
                ElementInfo(id="G-col", ifc_class="IfcColumn", storey="L1"),
                ElementInfo(id="G-space", ifc_class="IfcSpace", hidden_by_default=True)]
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=float)
    faces = np.array([[0, 1, 2], [1, 3, 2], [0, 1, 3]], dtype=np.int64)
    return BimLayer(name="design", data={"vertices": v, "faces": faces, "face_element": np.array([0, 1, 2]),
                                         "elements": elements})


def _data() -> ComparisonData:
    distance = np.array([0.01, -0.2, 0.3, np.nan, -0.04, 0.5], dtype=np.float32)
    table = {"layer": np.array([0, 0], np.int32), "guid": np.array(["G-wall", "G-col"]),
             "ifc_class": np.array(["IfcWall", "IfcColumn"]), "name": np.array(["W", "C"]),
             "storey": np.array(["L1", "L1"]), "status": np.array(["built", "deviating"]),
             "coverage": np.array([0.93, 0.8]), "points": np.array([4, 1], np.int64),
             "mean_distance": np.array([-0.00001, 0.12]), "max_distance": np.array([0.04, 0.2]),
             "offset": np.array([[0, 0, 0], [0.12, -0.0001, 0]], dtype=float)}
    summary = {"overall": {"elements": 2, "built": 1, "partial": 0, "missing": 0, "deviating": 1, "progress_pct": 100.0},
               "by_storey": {"L1": {"elements": 2, "progress_pct": 100.0}}, "by_class": {}}
    return ComparisonData(distance, np.array([0, 1, 1, -1, 0, 1], np.int32), np.linspace(-1, 1, 5),
                          np.array([0, 1, 3, 1], np.int64), table, summary)


def _comparison(data: ComparisonData | None = None) -> ComparisonLayer:
    return ComparisonLayer(name="scan vs design", scan="scan", design=("design",), tolerance=0.05, max_distance=1.0,
                           data=data if data is not None else _data())


def test_attach_gives_deviations_statuses_and_properties() -> None:
    scan, bim, comp = _scan(), _bim(), _comparison()
    done = attach(comp, [scan, bim, comp])
    assert done == [scan, bim]
    assert scan.color_mode == "deviation" and bim.color_mode == "status"
    assert scan.data["attributes"][DEVIATION_ATTR].dtype == np.float32
    assert "deviation" in scan.available_color_modes() and "deviation_m" not in scan.available_color_modes()
    near = np.abs(_data().distance[np.isfinite(_data().distance)]).astype(np.float64)
    lo, hi = scan.data_range("deviation")  # where 99% of the near points are, 3x tolerance to the cut-off
    assert hi == pytest.approx(float(np.percentile(near, 99))) and lo == -hi
    assert list(bim.data["comparison_status"]) == ["built", "deviating", NOT_JUDGED]
    assert "status" in bim.available_color_modes()
    wall = bim.describe_element(0)
    assert wall["Comparison.Status"] == "built" and wall["Comparison.Coverage"] == 0.93
    assert bim.describe_element(1)["Comparison.Offset_m"] == "0.120, 0.000, 0.000"  # never "-0.000"
    assert str(wall["Comparison.MeanDistance_m"]) == "0.0"  # -0.00001 m rounds to 0, not -0
    assert comp.counts()["built"] == 1 and comp.counts()["deviating"] == 1


def test_attach_again_changes_nothing_and_detach_takes_it_away() -> None:
    scan, bim, comp = _scan(), _bim(), _comparison()
    attach(comp, [scan, bim])
    events: list[str] = []
    scan.data_changed.connect(lambda: events.append("scan"))
    bim.data_changed.connect(lambda: events.append("bim"))
    attach(comp, [scan, bim])
    assert events == []  # idempotent: no event loop when a visual reattaches on data_changed
    detach(comp)
    assert DEVIATION_ATTR not in scan.data["attributes"] and "deviation" not in scan.available_color_modes()
    assert "comparison_status" not in bim.data and "status" not in bim.available_color_modes()
    assert not any(k.startswith("Comparison.") for k in bim.describe_element(0))


def test_scan_of_another_size_is_not_coloured() -> None:
    scan, comp = _scan(n=5), _comparison()
    assert attach(comp, [scan]) == []
    assert DEVIATION_ATTR not in scan.data["attributes"]


def test_only_beyond_tolerance_mask() -> None:
    scan, comp = _scan(), _comparison()
    attach(comp, [scan])
    assert beyond_tolerance_mask(scan) is None  # the filter is off
    scan.only_beyond_tolerance = True
    assert beyond_tolerance_mask(scan).tolist() == [False, True, True, False, False, True]  # far points hidden too


def test_point_counts_and_rows() -> None:
    d = _data()
    assert d.point_counts(0.05) == {"within": 2, "below": 1, "above": 2, "far": 1}
    rows = d.rows()
    assert rows[1]["guid"] == "G-col" and rows[1]["status"] == "deviating" and rows[1]["offset"] == [0.12, -0.0001, 0.0]


def _project_with(tmp_path: Path, las: Path, comp: ComparisonLayer) -> tuple[Scene, Path]:
    scene = Scene()
    opened = open_paths(scene, [str(las)], on_error=lambda e: pytest.fail(str(e)))
    for layer in opened:
        scene.layers.append(layer)
    scene.layers.append(comp)
    path = tmp_path / "site.twin"
    write_project(scene, path)
    return scene, path


def test_results_saved_in_sidecar_and_restored_without_recomputing(tmp_path: Path) -> None:
    from tests.fixtures import write_las

    las = write_las(tmp_path / "scan.las", n=6)
    data = _data()
    comp = ComparisonLayer(name="cmp", scan="scan.las", design=("design",), data=data)
    _, path = _project_with(tmp_path, las, comp)
    files = sorted(p.name for p in sidecar_dir(path).iterdir())
    assert files == ["cmp.npz"]
    doc = json.loads(path.read_text())
    entry = doc["layers"][-1]
    assert entry["source"]["loader"] == "comparison" and entry["source"]["path"] == "site.derived/cmp.npz"
    assert entry["state"]["design"] == ["design"] and entry["state"]["tolerance"] == 0.05
    with np.load(sidecar_dir(path) / "cmp.npz", allow_pickle=False) as f:  # plain arrays, no pickle
        assert f["distance"].dtype == np.float32
    errors: list[LoadError] = []
    reopened = open_paths(Scene(), [str(path)], on_error=errors.append)
    assert not errors
    back = [layer for layer in reopened if isinstance(layer, ComparisonLayer)][0]
    assert back.computed and back.scan == "scan.las" and back.design == ("design",)
    np.testing.assert_array_equal(back.data.distance, data.distance)
    assert list(back.data.table["status"]) == ["built", "deviating"]
    assert back.data.summary["overall"]["deviating"] == 1
    scan = [layer for layer in reopened if isinstance(layer, PointCloudLayer)][0]
    attach(back, reopened, set_modes=False)
    assert DEVIATION_ATTR in scan.data["attributes"]


def test_missing_sidecar_comes_back_pending(tmp_path: Path) -> None:
    from tests.fixtures import write_las

    las = write_las(tmp_path / "scan.las", n=6)
    _, path = _project_with(tmp_path, las, ComparisonLayer(name="cmp", scan="scan.las", design=("d",), data=_data()))
    (sidecar_dir(path) / "cmp.npz").unlink()
    reopened = open_paths(Scene(), [str(path)], on_error=lambda e: pytest.fail(str(e)))
    back = [layer for layer in reopened if isinstance(layer, ComparisonLayer)][0]
    assert not back.computed and "pending" in back.info


def test_damaged_sidecar_is_a_readable_error(tmp_path: Path) -> None:
    from tests.fixtures import write_las

    las = write_las(tmp_path / "scan.las", n=6)
    _, path = _project_with(tmp_path, las, ComparisonLayer(name="cmp", scan="scan.las", design=("d",), data=_data()))
    (sidecar_dir(path) / "cmp.npz").write_bytes(b"not a zip")
    errors: list[LoadError] = []
    reopened = open_paths(Scene(), [str(path)], on_error=errors.append)
    assert len(errors) == 1 and "sidecar" in errors[0].reason
    assert [type(layer).__name__ for layer in reopened] == ["PointCloudLayer"]  # the rest still opens


def test_generic_derived_layer_round_trips(tmp_path: Path) -> None:
    """A layer an analysis made (no file source, info["derived"]) is saved as arrays and comes
    back as the same kind, with its attributes and analysis parameters (change layers use this)."""
    from loaders.base import PointCloudData

    scene = Scene()
    pts = np.random.default_rng(3).normal(size=(50, 3))
    data = PointCloudData(name="New material", kind="pointcloud", format="derived", positions=pts,
                          attributes={"change_m": np.linspace(0, 1, 50).astype(np.float32)},
                          metadata={"derived": {"analysis": "change", "params": {"lod": 0.02}}})
    layer = scene.make_layers(data)[0]
    assert layer.info["derived"]["analysis"] == "change"
    layer.point_size = 5.0
    scene.layers.append(layer)
    path = tmp_path / "p.twin"
    write_project(scene, path)
    assert (sidecar_dir(path) / "New_material.npz").exists()
    back = open_paths(Scene(), [str(path)], on_error=lambda e: pytest.fail(str(e)))
    assert len(back) == 1 and isinstance(back[0], PointCloudLayer)
    assert back[0].name == "New material" and back[0].point_size == 5.0
    assert back[0].info["derived"] == {"analysis": "change", "params": {"lod": 0.02}}
    np.testing.assert_allclose(back[0].positions, pts)
    np.testing.assert_array_equal(back[0].data["attributes"]["change_m"], data.attributes["change_m"])
    # saved again: the sidecar is rewritten, a stale file of an earlier save is removed
    (sidecar_dir(path) / "old.npz").write_bytes(b"x")
    scene2 = Scene()
    for layer in back:
        scene2.layers.append(layer)
    write_project(scene2, path)
    assert sorted(p.name for p in sidecar_dir(path).iterdir()) == ["New_material.npz"]
    assert read_project(path).layers[0].loader == "derived"


def test_attach_sets_both_colour_modes_when_a_listener_attaches_again_meanwhile() -> None:
    """The comparison visual reattaches on its targets' data_changed (set_modes=False): the outer
    attach, which emitted it, must still colour the BIM layer by status."""
    scan, bim, comp = _scan(), _bim(), _comparison()
    scan.data_changed.connect(lambda: attach(comp, [scan, bim], set_modes=False))
    attach(comp, [scan, bim])
    assert scan.color_mode == "deviation" and bim.color_mode == "status"


def test_hand_edited_settings_out_of_range_are_a_readable_error(tmp_path: Path) -> None:
    from tests.fixtures import write_las

    las = write_las(tmp_path / "scan.las", n=6)
    _, path = _project_with(tmp_path, las, ComparisonLayer(name="cmp", scan="scan.las", design=("d",), data=_data()))
    doc = json.loads(path.read_text())
    doc["layers"][-1]["state"]["tolerance"] = -0.05
    path.write_text(json.dumps(doc))
    errors: list[LoadError] = []
    reopened = open_paths(Scene(), [str(path)], on_error=errors.append)
    assert len(errors) == 1 and "tolerance -0.05 m must be more than 0" in errors[0].reason
    assert [layer.kind for layer in reopened] == ["pointcloud"]
