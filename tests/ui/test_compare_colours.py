"""Scan versus design in the window, without the engine: a comparison layer's colours, legends,
histogram, filter, save and reopen, and the dialog's answers to bad input."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.model.comparison import ComparisonData, ComparisonLayer
from app.model.layers import BimLayer, PointCloudLayer
from loaders.base import ElementInfo
from tests.ui.conftest import wait_loaded, write_las

N = 2_000


def _bim() -> BimLayer:
    """Two quads far apart (element 0 and 1) and a space (hidden by default)."""
    v = np.array([[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0], [20, 0, 0], [30, 0, 0], [30, 10, 0], [20, 10, 0]], float)
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]], dtype=np.int64)
    elements = [ElementInfo(id="G-slab", ifc_class="IfcSlab", name="Slab", storey="Level 1"),
                ElementInfo(id="G-wall", ifc_class="IfcWall", name="Wall", storey="Level 1"),
                ElementInfo(id="G-space", ifc_class="IfcSpace", hidden_by_default=True)]
    return BimLayer(name="design.ifc", data={"vertices": v, "faces": faces, "face_element": np.array([0, 0, 1, 1]),
                                             "elements": elements})


def _data(n: int = N) -> ComparisonData:
    """Deviations in four equal groups: within tolerance, -0.3 m, +0.3 m and far."""
    distance = np.repeat(np.array([0.01, -0.3, 0.3, np.nan], dtype=np.float32), n // 4)
    table = {"layer": np.array([0, 0], np.int32), "guid": np.array(["G-slab", "G-wall"]),
             "ifc_class": np.array(["IfcSlab", "IfcWall"]), "name": np.array(["Slab", "Wall"]),
             "storey": np.array(["Level 1", "Level 1"]), "status": np.array(["built", "missing"]),
             "coverage": np.array([0.95, 0.0]), "points": np.array([n // 2, 0], np.int64),
             "mean_distance": np.array([-0.0001, np.nan]), "max_distance": np.array([0.04, np.nan]),
             "offset": np.zeros((2, 3))}
    edges = np.linspace(-1.0, 1.0, 41)
    counts = np.histogram(distance[np.isfinite(distance)], edges)[0]
    progress = {"overall": {"elements": 2, "built": 1, "partial": 0, "missing": 1, "deviating": 0, "progress_pct": 50.0},
               "by_storey": {"Level 1": {"elements": 2, "built": 1, "partial": 0, "missing": 1, "deviating": 0, "progress_pct": 50.0}},
               "by_class": {"IfcSlab": {"elements": 1, "built": 1, "partial": 0, "missing": 0, "deviating": 0, "progress_pct": 100.0},
                            "IfcWall": {"elements": 1, "built": 0, "partial": 0, "missing": 1, "deviating": 0, "progress_pct": 0.0}}}
    summary = {"points_total": n, "elements_by_status": {"built": 1, "partial": 0, "missing": 1, "deviating": 0},
               "progress_pct": 50.0, "progress": progress}  # as app.analysis.compare writes it
    return ComparisonData(distance, np.zeros(n, np.int32), edges, counts, table, summary)


def _scene(qtbot, window, tmp_path: Path) -> tuple[PointCloudLayer, BimLayer, ComparisonLayer]:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=N))])
    wait_loaded(qtbot, window)
    scan = window.scene.layers[0]
    bim = _bim()
    window.scene.layers.append(bim)
    comp = ComparisonLayer(name="scan vs design", scan="scan.las", design=("design.ifc",), data=_data())
    window.scene.layers.append(comp)
    window.canvas.render()
    return scan, bim, comp


def _drawn_rgb(window, layer) -> np.ndarray:
    return np.asarray(window.canvas.visuals[id(layer)].mesh.point_data["RGB"])


def test_deviation_colours_status_legend_and_histogram(qtbot, window, tmp_path: Path) -> None:
    scan, bim, comp = _scene(qtbot, window, tmp_path)
    assert scan.color_mode == "deviation" and bim.color_mode == "status"
    visual = window.canvas.visuals[id(scan)]
    rgb, d = _drawn_rgb(window, scan), scan.data["attributes"]["deviation_m"][visual.index]
    within, below, above, far = (rgb[np.isclose(d, v)] if np.isfinite(v) else rgb[np.isnan(d)] for v in (0.01, -0.3, 0.3, np.nan))
    assert (within == 255).all()  # white inside the tolerance band
    assert (below[:, 2] > below[:, 0] + 60).all()  # blue: behind / inside the design
    assert (above[:, 0] > above[:, 2] + 60).all()  # red: beyond / outside it
    assert (far == 150).all()  # grey: far
    window.canvas.render()
    titles = window.canvas.legends.titles()
    assert "scan.las: Deviation (m)" in titles and "design.ifc: Comparison status" in titles
    labels = window.canvas.legends.labels()
    assert {"built (1)", "missing (1)", "partial (0)", "deviating (0)"} <= set(labels)  # the space is not counted
    # the ramp spans where 99% of the near points are (here +/-0.3 m), not the whole 1 m cut-off
    assert "white: \u00b10.05 m   grey: far > 1 m" in labels and "-0.300" in labels and "0.300" in labels
    mesh_rgba = window.canvas.visuals[id(bim)].mesh.cell_data["RGBA"]
    assert tuple(mesh_rgba[0][:3]) == (46, 160, 67) and tuple(mesh_rgba[-1][:3]) == (214, 39, 40)  # green, red
    dock = window.comparisons.deviation_dock
    assert dock.isVisible() and dock.histogram.counts.sum() == 3 * N // 4
    assert np.allclose(dock.histogram.view_range(), (-0.35, 0.35))  # out to the outermost bin with points
    assert "within \u00b10.05 m: 500 (25.0%)" in dock.counts_label.text() and "far (&gt; 1 m): 500" in dock.counts_label.text()
    progress = window.comparisons.comparison_dock
    assert progress.isVisible() and progress.by_storey.item(0, 0).text() == "Level 1"
    assert progress.by_storey.item(0, 6).text() == "50.0" and progress.elements.rowCount() == 2
    slab_row = next(r for r in range(2) if progress.elements.item(r, 1).text() == "IfcSlab")
    assert progress.elements.item(slab_row, 5).text() == "0.000"  # a mean of -0.0001 m is not "-0.000"
    row = window.layer_tree.item_for(comp)
    assert (row.text(1), row.text(2)) == ("Comparison", "1 built, 1 missing, 2,000 points")
    progress.elements.sortItems(1)  # IfcSlab, IfcWall
    progress.elements.cellClicked.emit(1, 2)  # a row of the elements table selects that element
    assert window.scene.selection.layer is bim and window.scene.selection.index == 1
    assert window.properties.value("Comparison.Status") == "missing"


def test_only_beyond_tolerance_filter_and_colour_range(qtbot, window, tmp_path: Path) -> None:
    scan, _bim_layer, _comp = _scene(qtbot, window, tmp_path)
    dock = window.comparisons.deviation_dock
    qtbot.mouseClick(dock.beyond_only, Qt.MouseButton.LeftButton)
    assert scan.only_beyond_tolerance
    window.canvas.render()
    d = scan.data["attributes"]["deviation_m"][window.canvas.visuals[id(scan)].index]
    assert len(d) == N // 2 and (np.abs(d) > 0.05).all()  # within-tolerance and far points hidden
    qtbot.mouseClick(dock.beyond_only, Qt.MouseButton.LeftButton)
    assert window.canvas.stats()["points_drawn"] == N
    actor = window.canvas.visuals[id(scan)].actor
    assert scan.data_range("deviation") == pytest.approx((-0.3, 0.3))  # default: where 99% of the near points are
    assert dock.reach.value() == pytest.approx(0.3)
    dock.reach.setValue(0.2)
    dock.reach.editingFinished.emit()
    assert scan.color_limits["deviation"] == (-0.2, 0.2)
    assert window.canvas.visuals[id(scan)].actor is actor  # recoloured in place, not rebuilt
    window.canvas.render()
    assert {"-0.200", "0.200"} <= set(window.canvas.legends.labels())
    rgb, d = _drawn_rgb(window, scan), scan.data["attributes"]["deviation_m"][window.canvas.visuals[id(scan)].index]
    assert tuple(rgb[np.isclose(d, 0.3)][0]) == (103, 0, 31)  # beyond the narrower range: the ramp's end


def test_removing_the_comparison_takes_its_colours_away(qtbot, window, tmp_path: Path) -> None:
    scan, bim, comp = _scene(qtbot, window, tmp_path)
    window.layer_tree.tree.setCurrentItem(window.layer_tree.item_for(comp))
    qtbot.mouseClick(window.layer_tree.remove_button, Qt.MouseButton.LeftButton)
    assert "deviation_m" not in scan.data["attributes"] and "comparison_status" not in bim.data
    assert "RGB" not in window.canvas.visuals[id(scan)].mesh.point_data  # elevation colours again
    assert not window.comparisons.deviation_dock.histogram.counts.sum()
    window.canvas.render()
    assert not any("Deviation" in t or "status" in t for t in window.canvas.legends.titles())
    window.undo.undo()  # the removal is undone: the comparison and its colours are back
    assert "deviation_m" in scan.data["attributes"] and "RGB" in window.canvas.visuals[id(scan)].mesh.point_data
    assert window.comparisons.deviation_dock.histogram.counts.sum() == 3 * N // 4


def test_saved_results_reopen_without_recomputing(qtbot, window, tmp_path: Path) -> None:
    scan, _bim_layer, comp = _scene(qtbot, window, tmp_path)
    scan.only_beyond_tolerance = True
    path = tmp_path / "site.twin"
    assert window.project_files._write(str(path))
    assert (tmp_path / "site.derived" / "scan_vs_design.npz").exists()
    window.project_files.close_project()
    assert not len(window.scene.layers)
    window.open_paths([str(path)])
    wait_loaded(qtbot, window)
    kinds = [layer.kind for layer in window.scene.layers]
    assert kinds == ["pointcloud", "comparison"]  # the BIM layer was built in memory (no file): not saved
    back = window.scene.layers[1]
    assert back.computed and window.comparisons.task is None  # nothing recomputed
    scan2 = window.scene.layers[0]
    assert scan2.color_mode == "deviation" and scan2.only_beyond_tolerance
    np.testing.assert_array_equal(scan2.data["attributes"]["deviation_m"], comp.data.distance)
    assert window.comparisons.deviation_dock.histogram.counts.sum() == 3 * N // 4
    assert window.comparisons.export_report(str(tmp_path / "r.json")) is None  # its BIM layer is not open
    assert "BIM layers are not all open" in window.errors[-1]


def test_report_of_saved_results_rebuilt_from_the_table(qtbot, window, tmp_path: Path) -> None:
    """A comparison without the live engine result (a reopened project) still exports its report."""
    import json

    _scan_layer, _bim_layer, comp = _scene(qtbot, window, tmp_path)
    assert comp.result is None
    path = window.comparisons.export_report(str(tmp_path / "report.json"))
    report = json.loads(Path(path).read_text())
    rows = {row["guid"]: row for row in report["elements"]}
    assert rows["G-slab"]["status"] == "built" and rows["G-wall"]["status"] == "missing"
    assert rows["G-slab"]["coverage"] == 0.95 and rows["G-wall"]["mean_distance"] is None
    assert report["summary"]["progress"]["by_storey"]["Level 1"]["progress_pct"] == 50.0
    csv = window.comparisons.export_report(str(tmp_path / "report.csv"))
    assert "G-wall" in Path(csv).read_text()


def test_export_from_the_menu_adds_the_chosen_type(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    _scene(qtbot, window, tmp_path)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args: (str(tmp_path / "progress"), "JSON (*.json)"))  # typed without an extension
    next(a for a in window.analysis_menu.actions() if a.text().startswith("&Export")).trigger()
    assert (tmp_path / "progress.json").is_file() and "Report written" in window.statusBar().currentMessage()


def test_bad_input_is_said_in_the_dialog_and_changes_nothing(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=N))])
    wait_loaded(qtbot, window)
    action = next(a for a in window.analysis_menu.actions() if a.text().startswith("&Compare"))
    action.trigger()
    dialog = window.compare_dialog
    assert "no BIM layer" in dialog.message.text()  # only a scan is open
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and "at least one BIM layer" in dialog.message.text()
    dialog.close()
    window.scene.layers.append(_bim())
    action.trigger()
    dialog = window.compare_dialog
    dialog.tolerance.setValue(0.0)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and "tolerance must be more than 0" in dialog.message.text()
    dialog.tolerance.setValue(0.05)
    dialog.max_distance.setValue(0.02)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert "far cut-off" in dialog.message.text()
    dialog.close()
    assert not window.tasks.tasks and [layer.kind for layer in window.scene.layers] == ["pointcloud", "bim"]
    assert window.scene.layers[0].color_mode != "deviation"


def test_analysis_menu_and_layer_menu_open_the_analysis_dialogs(qtbot, window, tmp_path: Path) -> None:
    scan, bim, _comp = _scene(qtbot, window, tmp_path)
    texts = [a.text() for a in window.analysis_menu.actions() if a.text()]
    assert texts[:4] == ["&Compare scan with design\u2026", "&Export comparison report\u2026",
                         "C&hange between scans\u2026", "&Refine alignment (ICP)\u2026"]
    next(a for a in window.analysis_menu.actions() if a.text().startswith("C&hange")).trigger()
    assert window.change_dialog.isVisible()
    window.change_dialog.close()
    layer_menu = window.layer_tree.context_menu(window.layer_tree.item_for(bim))
    assert not any(a.text().startswith("Refine") for a in layer_menu.actions())  # ICP aligns point clouds
    layer_menu = window.layer_tree.context_menu(window.layer_tree.item_for(scan))
    next(a for a in layer_menu.actions() if a.text() == "Refine alignment (ICP)\u2026").trigger()
    assert window.registration_dialog.isVisible() and scan.name in window.registration_dialog.windowTitle()
    window.registration_dialog.close()


def _quad_over(scan: PointCloudLayer, shift: float = 0.0) -> BimLayer:
    """One slab element under the whole scan (shifted east by `shift` metres)."""
    (x0, y0, _z0), (x1, y1, _z1) = scan.bounds()
    z0 = float(np.median(scan.positions[:, 2]))  # the flat scan's own level
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0]], dtype=float) + [shift, 0.0, 0.0]
    element = ElementInfo(id="G-ground-slab", ifc_class="IfcSlab", name="Slab", storey="Level 0")
    layer = BimLayer(name="slab.ifc", data={"vertices": v, "faces": np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64),
                                            "face_element": np.zeros(2, dtype=np.int32), "elements": [element]})
    layer.info["crs"] = "EPSG:4547"  # in the scan's frame already: not an unplaced model put at the view
    return layer


def _compare_from_menu(window) -> None:
    next(a for a in window.analysis_menu.actions() if a.text().startswith("&Compare")).trigger()
    dialog = window.compare_dialog
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible()  # started: the work goes on in a worker


def test_scan_and_design_without_overlap_is_a_readable_message(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=N))])
    wait_loaded(qtbot, window)
    scan = window.scene.layers[0]
    window.scene.layers.append(_quad_over(scan, shift=5_000.0))
    _compare_from_menu(window)
    wait_loaded(qtbot, window, timeout=60_000)
    assert window.errors and "overlap" in window.errors[-1].lower() and "Traceback" not in window.errors[-1]
    assert window.message_box.isVisible() and window.message_box.windowTitle() == "Could not compare"
    assert [layer.kind for layer in window.scene.layers] == ["pointcloud", "bim"]  # nothing added or changed
    assert "deviation_m" not in scan.data["attributes"] and scan.color_mode != "deviation"


def test_cancel_leaves_the_scene_as_it_was(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=N))])
    wait_loaded(qtbot, window)
    scan = window.scene.layers[0]
    window.scene.layers.append(_quad_over(scan))
    _compare_from_menu(window)
    assert window.cancel_button.isVisible() and window.progress.format() == "Comparing %p%"
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, window, timeout=60_000)
    assert [layer.kind for layer in window.scene.layers] == ["pointcloud", "bim"] and not window.errors
    assert "cancelled" in window.statusBar().currentMessage()
    _compare_from_menu(window)  # not cancelled: the flat scan (1 cm noise) lies on the slab, within tolerance
    wait_loaded(qtbot, window, timeout=60_000)
    [comp] = [layer for layer in window.scene.layers if isinstance(layer, ComparisonLayer)]
    assert comp.data.point_counts(0.05)["within"] == N and scan.color_mode == "deviation"
    assert comp.data.n_elements == 1  # 2,000 points over 100 m x 100 m cover too few 10 cm cells to judge it built


def test_a_streamed_copc_scan_is_pointed_to_the_command_line(qtbot, window) -> None:
    cloud = PointCloudLayer(name="big.copc.laz", data={"positions": np.zeros((10, 3)), "colors": None, "attributes": {}})
    cloud.info.update({"copc": True, "crs": "EPSG:4547"})
    window.scene.layers.append(cloud)
    window.scene.layers.append(_bim())
    next(a for a in window.analysis_menu.actions() if a.text().startswith("&Compare")).trigger()
    dialog = window.compare_dialog
    assert dialog.scan_box.count() == 0 and "twinscape compare" in dialog.message.text()
    dialog.close()


def test_a_comparison_removed_while_it_runs_is_not_brought_back(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=N))])
    wait_loaded(qtbot, window)
    scan = window.scene.layers[0]
    slab = _quad_over(scan)
    window.scene.layers.append(slab)
    comp = ComparisonLayer(name="asked for", scan=scan.name, design=(slab.name,))  # no results yet
    window.scene.layers.append(comp)
    assert window.comparisons.start(scan, [slab], 0.05, 1.0, target=comp) is None
    window.scene.layers.remove(comp)  # in the same turn of the GUI thread: the worker has not been answered
    wait_loaded(qtbot, window, timeout=60_000)
    assert [layer.kind for layer in window.scene.layers] == ["pointcloud", "bim"]
    assert "deviation_m" not in scan.data["attributes"] and "dropped" in window.statusBar().currentMessage()


def test_the_comparison_checkbox_turns_its_colouring_off_and_on(qtbot, window, tmp_path: Path) -> None:
    scan, bim, comp = _scene(qtbot, window, tmp_path)
    item = window.layer_tree.item_for(comp)
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert not comp.visible and "deviation_m" not in scan.data["attributes"] and "comparison_status" not in bim.data
    window.canvas.render()
    assert not any("Deviation" in t or "status" in t for t in window.canvas.legends.titles())
    item.setCheckState(0, Qt.CheckState.Checked)
    window.canvas.render()
    assert "scan.las: Deviation (m)" in window.canvas.legends.titles() and bim.color_mode == "status"


def test_scanner_stations_typed_in_the_display_crs(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    import app.analysis.compare as compare

    window.open_paths([str(write_las(tmp_path / "scan.las", n=N))])
    wait_loaded(qtbot, window)
    scan = window.scene.layers[0]
    window.scene.layers.append(_quad_over(scan))
    seen: list = []
    real = compare.compare_arrays
    monkeypatch.setattr(compare, "compare_arrays", lambda *a, **k: seen.append(k.get("stations")) or real(*a, **k))
    next(a for a in window.analysis_menu.actions() if a.text().startswith("&Compare")).trigger()
    dialog = window.compare_dialog
    assert "EPSG:4547" in dialog.stations.placeholderText()
    dialog.stations.setText("529050, 3385050")  # two numbers: not a station
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and "three numbers" in dialog.message.text() and not window.tasks.tasks
    dialog.stations.setText("529050, 3385050, 23.5; 529000, 3385000, 23.5")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    wait_loaded(qtbot, window, timeout=60_000)
    [stations] = seen
    centre = scan.positions.mean(axis=0)
    assert stations.shape == (2, 3) and np.allclose(stations[0, :2], centre[:2], atol=3.0)  # the scan's middle
    assert abs(stations[0, 2] - 1.5) < 0.05  # 23.5 m ellipsoidal = 1.5 m above the scan at 22 m
    [comp] = [layer for layer in window.scene.layers if isinstance(layer, ComparisonLayer)]
    assert comp.get_state()["stations"] == "529050, 3385050, 23.5; 529000, 3385000, 23.5"  # saved, for a recompute
