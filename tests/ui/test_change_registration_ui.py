"""Change between scans and ICP refinement from the GUI: the dialogs are opened as the menu does
(open_change_dialog / open_registration_dialog), run their engine in a worker with progress and
Cancel, and the result shows in the scene: change layers added, or the scan moved (undoably)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests import scan_sim
from tests.ui.conftest import wait_loaded

STATIONS = [(2.0, 2.0, 1.5), (8.0, 6.0, 1.5)]
ORIGIN = (500_000.0, 3_000_000.0, 20.0)
PALLET = scan_sim.BoxElement(8, "Pallet", "IfcBuildingElementProxy", (7.5, 1.5, 0.0), (8.5, 2.5, 0.8))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ui_change")
    site = scan_sim.simple_site()
    later = scan_sim.as_built(site, omit=["Column A"]) + [PALLET]
    s1 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(site), STATIONS, target_points=15_000, sigma=0.003, seed=1)
    s2 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(later), STATIONS, target_points=15_000, sigma=0.003, seed=2)
    a = np.radians(2.0)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    centre = np.array([5.0, 4.0, 1.0])
    off = scan_sim.Scan(**{**s1.__dict__, "points": (s1.points - centre) @ rot.T + centre + [0.3, -0.1, 0.05]})
    out = {"e1": folder / "epoch1.laz", "e2": folder / "epoch2.laz", "off": folder / "offset.laz",
           "ifc": folder / "design.ifc"}
    scan_sim.write_las(out["e1"], s1, ORIGIN, epsg=4547)
    scan_sim.write_las(out["e2"], s2, ORIGIN, epsg=4547)
    scan_sim.write_las(out["off"], off, ORIGIN, epsg=4547)
    scan_sim.write_site_ifc(out["ifc"], site, map_origin=ORIGIN, epsg=4547)
    return out


def _open(qtbot, window, paths) -> None:
    window.open_paths([str(p) for p in paths])
    wait_loaded(qtbot, window)
    assert not window.errors, window.errors


def test_change_dialog_adds_the_change_layers(qtbot, window, files, tmp_path) -> None:
    from app.ui.change_dialog import open_change_dialog

    _open(qtbot, window, [files["e1"], files["e2"]])
    open_change_dialog(window)
    dialog = window.change_dialog
    assert dialog.isVisible() and dialog.before.count() == 2
    dialog.before.setCurrentIndex(0)
    dialog.after.setCurrentIndex(0)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "two different scans" in dialog.message.text() and len(window.scene.layers) == 2
    dialog.after.setCurrentIndex(1)
    dialog.cylinder.setValue(0.0)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "cylinder radius" in dialog.message.text() and dialog.task is None
    dialog.cylinder.setValue(0.25)              # these simulated scans are sparse (about 6 cm apart)
    dialog.normal.setValue(0.5)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.task is not None and not dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=180_000)
    names = [layer.name for layer in window.scene.layers]
    assert names[2:] == ["epoch1.laz \u2192 epoch2.laz: M3C2 distance", "epoch1.laz \u2192 epoch2.laz: new material",
                         "epoch1.laz \u2192 epoch2.laz: removed material"]
    m3c2, new, removed = window.scene.layers[2:]
    assert m3c2.color_mode == "m3c2_m" and set(m3c2.data["attributes"]) == {"m3c2_m", "lod_m", "significant"}
    assert m3c2.info["derived"]["analysis"] == "change" and m3c2.source is None
    assert len(new.positions) > 20 and len(removed.positions) > 20
    # relative to the site's south-west corner: new material on the pallet, removed on Column A
    # (no stations known here, so some hidden floor shows too)
    corner = window.scene.layers[0].bounds()[0][:2]

    def inside(p: np.ndarray, lo, hi) -> float:
        q = p[:, :2] - corner
        return float(np.mean(np.all((q >= lo) & (q <= hi), axis=1)))

    assert inside(new.positions, (7.3, 1.3), (8.7, 2.7)) > 0.3
    assert inside(removed.positions, (2.8, 3.6), (3.6, 4.4)) > 0.3
    assert window.scene.dirty and "stations unknown" in window.statusBar().currentMessage()
    # saved with the project as sidecar arrays, reopened without recomputing
    from app.model.opening import open_paths
    from app.model.project import write_project
    from app.model.scene import Scene

    write_project(window.scene, tmp_path / "site.twin")
    again = Scene()
    reopened = open_paths(again, [str(tmp_path / "site.twin")], on_error=lambda e: pytest.fail(str(e)))
    by_name = {layer.name: layer for layer in reopened}
    back = by_name["epoch1.laz \u2192 epoch2.laz: M3C2 distance"]
    np.testing.assert_allclose(back.positions, m3c2.positions, atol=1e-6)
    np.testing.assert_array_equal(back.data["attributes"]["significant"], m3c2.data["attributes"]["significant"])
    assert back.info["derived"]["analysis"] == "change"
    assert len(by_name["epoch1.laz \u2192 epoch2.laz: new material"].positions) == len(new.positions)


def test_change_dialog_with_scanner_stations(qtbot, window, files) -> None:
    """Stations typed in the scene's CRS (EPSG:4547, as the status bar shows): hidden points are
    told from removed ones, and bad text is said in the dialog."""
    from app.ui.change_dialog import open_change_dialog

    _open(qtbot, window, [files["e1"], files["e2"]])
    open_change_dialog(window)
    dialog = window.change_dialog
    assert "EPSG:4547" in dialog.stations.placeholderText()
    qtbot.keyClicks(dialog.stations, "1, 2")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "three numbers" in dialog.message.text() and dialog.task is None
    dialog.stations.clear()
    qtbot.keyClicks(dialog.stations, "; ".join(f"{x + ORIGIN[0]}, {y + ORIGIN[1]}, {z + ORIGIN[2]}" for x, y, z in STATIONS))
    dialog.cylinder.setValue(0.25)
    dialog.normal.setValue(0.5)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=180_000)
    assert dialog.summary["occlusion_checked"] and len(window.scene.layers) == 5
    assert "stations unknown" not in window.statusBar().currentMessage()
    corner = window.scene.layers[0].bounds()[0][:2]
    q = window.scene.layers[3].positions[:, :2] - corner            # new material, site metres
    assert len(q) > 10 and np.mean(np.all((q >= (7.3, 1.3)) & (q <= (8.7, 2.7)), axis=1)) > 0.9   # all on the pallet


def test_change_dialog_cancel_adds_nothing(qtbot, window, files) -> None:
    from app.ui.change_dialog import open_change_dialog

    _open(qtbot, window, [files["e1"], files["e2"]])
    open_change_dialog(window)
    dialog = window.change_dialog
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: dialog.task is None, timeout=180_000)
    assert "Cancelled" in dialog.status.text() and len(window.scene.layers) == 2
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not dialog.isVisible()


def test_change_dialog_needs_two_scans(qtbot, window, files) -> None:
    from app.ui.change_dialog import open_change_dialog

    _open(qtbot, window, [files["e1"]])
    open_change_dialog(window)
    assert "two point cloud scans" in window.change_dialog.message.text()
    assert not window.change_dialog.run_button.isEnabled()
    window.change_dialog.close()


def test_registration_dialog_refines_onto_the_design_and_undoes(qtbot, window, files) -> None:
    from app.ui.registration_dialog import open_registration_dialog

    _open(qtbot, window, [files["ifc"], files["e1"], files["off"]])
    design, truth, scan = window.scene.layers
    before = scan.positions.copy()
    from app.ui.registration_dialog import shown_faces

    beam = next(i for i, e in enumerate(design.elements) if e.name == "Beam AB")
    design.set_elements_hidden([beam], True)                  # hidden elements are no reference surface
    fe = np.asarray(design.data["face_element"])
    assert len(shown_faces(design)) == int((fe != beam).sum()) < len(design.data["faces"])
    design.show_all()
    open_registration_dialog(window, scan)
    dialog = window.registration_dialog
    assert dialog.reference.count() == 2 and dialog.reference.currentText().startswith("design")
    assert not dialog.apply_button.isEnabled()
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.apply_button.isEnabled() or dialog.message.isVisible(), timeout=180_000)
    assert "RMS residual" in dialog.result_label.text() and not dialog.message.isVisible()
    assert dialog.result.rms_before > 0.05 and dialog.result.rms_after < 0.006
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert np.abs(scan.positions - truth.positions).max() < 0.01          # back on the design, to < 1 cm
    assert "ecef" in scan.source["options"]["refine"] and window.scene.dirty
    assert window.undo_action.text() == f"&Undo Refine alignment of {scan.name}"
    window.undo_action.trigger()
    np.testing.assert_allclose(scan.positions, before)
    assert "refine" not in scan.source["options"]
    dialog.close()


def test_registration_dialog_bad_input(qtbot, window, files, tmp_path) -> None:
    from app.ui.registration_dialog import open_registration_dialog

    far = tmp_path / "far.laz"
    s = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(scan_sim.simple_site()), STATIONS[:1], target_points=3_000)
    scan_sim.write_las(far, s, (ORIGIN[0] + 300, ORIGIN[1], ORIGIN[2]), epsg=4547)
    _open(qtbot, window, [files["e1"]])
    open_registration_dialog(window, window.scene.layers[0])
    assert "Open a reference first" in window.registration_dialog.message.text()
    window.registration_dialog.close()
    _open(qtbot, window, [far])
    scan = window.scene.layers[1]
    before = scan.positions.copy()
    open_registration_dialog(window, scan)
    dialog = window.registration_dialog
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.task is None, timeout=180_000)
    assert "do not overlap" in dialog.message.text() and not dialog.apply_button.isEnabled()
    np.testing.assert_array_equal(scan.positions, before)
    dialog.close()
