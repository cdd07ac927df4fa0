"""The main window as a user drives it: open, see the layer tree and status bar, toggle, pick, fail."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.conftest import corpus_file
from tests.ui.conftest import wait_loaded, write_las


def _centre_click(qtbot, win) -> None:
    """Click the middle of the 3D view the way a user does."""
    win.canvas.render()
    qtbot.mouseClick(win.view, Qt.MouseButton.LeftButton, pos=QPoint(win.view.width() // 2, win.view.height() // 2))
    qtbot.wait(50)


def test_open_point_cloud_shows_layer_and_stats(qtbot, window, tmp_path: Path) -> None:
    las = write_las(tmp_path / "scan.las")
    window.open_paths([str(las)])
    wait_loaded(qtbot, window)
    tree = window.layer_tree.tree
    assert tree.topLevelItemCount() == 1
    item = tree.topLevelItem(0)
    assert (item.text(0), item.text(1), item.text(2)) == ("scan.las", "Point cloud", "20,000 points")
    qtbot.waitUntil(lambda: "20,000 points" in window.drawn_label.text(), timeout=3000)
    assert window.frame_label.text().startswith("frame ")
    assert window.scene.frame.display_crs == "EPSG:4547"
    assert str(las) in window.recent_files()


def test_visibility_opacity_colour_and_remove(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las"))])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    item = window.layer_tree.tree.topLevelItem(0)
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert layer.visible is False and window.canvas.stats()["points_drawn"] == 0
    item.setCheckState(0, Qt.CheckState.Checked)
    assert layer.visible is True
    window.layer_tree.opacity.setValue(30)
    assert layer.opacity == 0.3
    assert window.canvas.visuals[id(layer)].actor.GetProperty().GetOpacity() == 0.3
    window.layer_tree.color_mode.setCurrentText("classification")
    assert layer.color_mode == "classification"
    qtbot.mouseClick(window.layer_tree.remove_button, Qt.MouseButton.LeftButton)
    assert len(window.scene.layers) == 0 and window.layer_tree.tree.topLevelItemCount() == 0


def test_bad_file_shows_message_and_keeps_open_layers(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las"))])
    wait_loaded(qtbot, window)
    bad = tmp_path / "broken.las"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    window.open_paths([str(bad)])
    wait_loaded(qtbot, window)
    assert window.errors and "broken.las" in window.errors[-1]
    assert window.message_box is not None and window.message_box.isVisible()
    assert "Traceback" not in window.message_box.text()
    assert len(window.scene.layers) == 1 and window.scene.layers[0].visible
    assert window.canvas.stats()["points_drawn"] == 20_000


def test_pick_a_point_shows_its_attributes(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=60_000))])
    wait_loaded(qtbot, window)
    window.canvas.zoom_to(view="top")
    _centre_click(qtbot, window)
    props = window.properties
    assert props.value("classification") == "2" and props.value("class name") == "Ground"
    assert props.value("intensity") is not None
    lat = float(props.value("lat (deg)"))
    assert 30.5 < lat < 30.65  # the scan is in Wuhan
    assert props.value("EPSG:4547 x") is not None


def test_cursor_position_in_status_bar(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=60_000))])
    wait_loaded(qtbot, window)
    window.canvas.zoom_to(view="top")
    window.canvas.render()
    centre = QPoint(window.view.width() // 2, window.view.height() // 2)
    qtbot.mouseMove(window.view, centre)
    window._hover_pos = window._vtk_xy(QPointF(centre))  # Xvfb has no pointer motion without a real mouse
    qtbot.waitUntil(lambda: "\u00b0" in window.cursor_label.text(), timeout=3000)
    assert window.cursor_label.text().startswith("EPSG:4547:")


def test_cancel_a_load(qtbot, window, tmp_path: Path) -> None:
    task = window.open_paths([str(write_las(tmp_path / "scan.las"))])
    assert window.cancel_button.isVisible()
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert task.cancelled()
    wait_loaded(qtbot, window)
    assert len(window.scene.layers) == 0 and not window.errors


def test_drop_files_opens_them(qtbot, window, tmp_path: Path) -> None:
    las = write_las(tmp_path / "dropped.las", n=1000)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(las))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_loaded(qtbot, window)
    assert [layer.name for layer in window.scene.layers] == ["dropped.las"]


def test_open_ifc_and_pick_an_element(qtbot, window) -> None:
    ifc = corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc")
    window.open_paths([str(ifc)])
    wait_loaded(qtbot, window)
    item = window.layer_tree.tree.topLevelItem(0)
    assert item.text(1) == "BIM" and "elements" in item.text(2)
    window.canvas.zoom_to(view="north")
    _centre_click(qtbot, window)
    props = window.properties
    assert props.value("GlobalId") and len(props.value("GlobalId")) == 22
    assert props.value("class").startswith("Ifc")
    assert "FZK" not in window.errors


def test_open_tileset(qtbot, window) -> None:
    tileset = corpus_file("3dtiles/cesium-samples/1.1/MultipleContents/tileset.json")
    window.open_paths([str(tileset)])
    wait_loaded(qtbot, window)
    item = window.layer_tree.tree.topLevelItem(0)  # meshes and points in one tile: one streamed layer (issue 16)
    assert window.layer_tree.tree.topLevelItemCount() == 1
    assert item.text(1) == "3D Tiles" and "tiles" in item.text(2)

    def drawn() -> bool:
        window.canvas.render()
        return window.canvas.stats()["triangles_drawn"] > 0

    qtbot.waitUntil(drawn, timeout=60_000)  # nothing is fetched at open: the view's tiles stream in


def test_place_an_ungeoreferenced_model(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer

    from tests.loaders.builders import make_ifc

    window.scene.frame.origin_lla = (30.5928, 114.3055, 22.0)
    path = tmp_path / "wall.ifc"
    make_ifc(path)
    window.open_paths([str(path)])
    wait_loaded(qtbot, window)
    dock = window.layer_tree
    assert dock.place_button.isEnabled()
    from app.ui.place_dialog import PlaceDialog

    dialog = PlaceDialog("wall.ifc", (30.5928, 114.3055, 22.0), window)

    def fill() -> None:
        dialog.lat.setValue(30.5940)
        dialog.lon.setValue(114.3070)
        dialog.accept()

    QTimer.singleShot(100, fill)
    dock.place_current(dialog)
    layer = window.scene.layers[0]
    centre = layer.bounds().mean(0)
    lat, lon, _ = window.scene.frame.enu_to_lla(centre)[0]
    assert abs(lat - 30.5940) < 5e-5 and abs(lon - 114.3070) < 5e-5
    assert layer.source["options"]["placement"]["origin_lla"][:2] == [30.594, 114.307]


def test_point_size_classes_and_eye_dome_lighting(qtbot, window, tmp_path: Path) -> None:
    from tests.fixtures import write_las

    window.open_paths([str(write_las(tmp_path / "ground.las", n=3000, classification=2))])
    window.open_paths([str(write_las(tmp_path / "noise.las", n=1000, seed=9, classification=7))])
    wait_loaded(qtbot, window)
    dock = window.layer_tree
    layer = next(lyr for lyr in window.scene.layers if lyr.name.startswith("noise"))  # two loads may finish in either order
    dock.tree.setCurrentItem(dock.item_for(layer))
    assert dock.points_row.isVisible() and dock.classes_button.isEnabled()
    dock.point_size.setValue(5.5)
    assert layer.point_size == 5.5
    [noise] = dock.classes_menu.actions()
    assert noise.text() == "7 Low point (noise)" and noise.isChecked()
    noise.trigger()  # untick: hide the noise class
    assert layer.hidden_classes == (7,) and window.canvas.stats()["points_drawn"] == 3000
    window.edl_action.trigger()
    assert window.canvas.eye_dome_lighting
    window.canvas.render()
    window.edl_action.trigger()
    assert not window.canvas.eye_dome_lighting
