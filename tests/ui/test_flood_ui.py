"""Analysis > Planning > Flood... as a user drives it: open a DEM, open the dialog, type a level curve,
Compute; the flood layer, its depth legend (m) and the timeline appear, the building in the water is
highlighted, and the clock moves the water. A DEM without CRS opens with a warning."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.model.results import ResultLayer
from app.ui.flood_dialog import start_flood
from loaders.base import ElementInfo, Georef, MeshData
from tests.ui.conftest import wait_loaded

A = 50.0


def write_bowl(path, crs: str | None = "EPSG:4547", half: float = 40.0, cell: float = 1.0) -> None:
    import rasterio
    from rasterio.transform import Affine

    n = int(2 * half / cell)
    c = (np.arange(n) + 0.5) * cell - half
    x, y = np.meshgrid(c, -c)
    z = 10.0 + (x ** 2 + y ** 2) / A
    kwargs = {"crs": crs} if crs else {}
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       transform=Affine(cell, 0, 500000.0 - half, 0, -cell, 3000000.0 + half), **kwargs) as dst:
        dst.write(z.astype(np.float32), 1)


def box_building(centre: np.ndarray, size: float = 6.0, height: float = 12.0) -> MeshData:
    lo, hi = centre - size / 2, centre + size / 2
    v = np.array([[x, y, z] for z in (lo[2], lo[2] + height) for y in (lo[1], hi[1]) for x in (lo[0], hi[0])])
    faces = np.array([[0, 1, 3], [0, 3, 2], [4, 5, 7], [4, 7, 6], [0, 1, 5], [0, 5, 4], [2, 3, 7], [2, 7, 6],
                      [0, 2, 6], [0, 6, 4], [1, 3, 7], [1, 7, 5]])
    return MeshData(name="School", kind="citymodel", format="test", georef=Georef(), vertices=v, faces=faces,
                    face_element=np.zeros(12, dtype=np.int32), elements=[ElementInfo("b1", "Building", "School")])


def test_flood_dialog_makes_a_layer_with_legend_on_the_timeline(qtbot, window, tmp_path) -> None:
    win = window
    day = datetime(2026, 12, 21, 9, 0, tzinfo=timezone.utc)
    win.scene.clock.set_range(day - timedelta(hours=1), day + timedelta(hours=8))
    win.scene.clock.set_time(day)
    write_bowl(tmp_path / "bowl.tif")
    win.open_paths([str(tmp_path / "bowl.tif")])
    wait_loaded(qtbot, win)
    dem = win.scene.layers[0]
    assert isinstance(dem, ResultLayer) and not dem.time_aware
    centre = (dem.bounds()[0] + dem.bounds()[1]) / 2
    [building] = win.scene.make_layers(box_building(np.array([centre[0] + 15.0, centre[1], -12.0])))
    win.scene.layers.append(building)
    win.flood_action.trigger()
    dialog = win.flood_dialog
    assert dialog.isVisible() and dialog.terrain.currentText() == "bowl.tif"
    dialog.use_seed.setChecked(True)
    dialog.seed_e.setValue(float(centre[0]))
    dialog.seed_n.setValue(float(centre[1]))
    for line in ("09:00 12", "10:00 30", "12:00 15"):  # typed as a user does, one line at a time
        qtbot.keyClicks(dialog.curve, line)
        qtbot.keyClick(dialog.curve, Qt.Key.Key_Return)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, win)
    flood = win.scene.layers[-1]
    assert isinstance(flood, ResultLayer) and flood.name == "Flood 12-30 m" and flood.time_aware
    assert flood.info["derived"]["analysis"] == "flood" and flood.info["buildings touched"] == 1
    assert flood.info["crs"] == "EPSG:4979" and "placement" not in flood.info  # in the scene frame: never "unplaced"
    b = flood.bounds()
    assert abs((b[0][0] + b[1][0]) / 2 - centre[0]) < 2 and abs((b[0][1] + b[1][1]) / 2 - centre[1]) < 2  # where it was computed
    item = win.layer_tree.item_for(flood)
    assert item is not None and item.text(1) == "Result"
    titles = [legend.title for legend in win.canvas.visible_legends()]
    assert "Flood 12-30 m: depth (m)" in titles
    assert win.timeline.isVisible()
    visual = win.canvas.visuals[id(flood)]
    wet = lambda: int(np.isfinite(visual.grid.cell_data["values"]).sum())  # noqa: E731
    win.scene.clock.set_time(day)
    at_nine = wet()
    win.scene.clock.set_time(day + timedelta(hours=1))
    assert wet() > at_nine > 0  # the water rose with the clock, in place
    assert list(win.canvas.visuals[id(building)].highlighted) == [0]
    controls = win.layer_tree.kind_controls.show_for(flood)
    assert controls is not None and controls.isVisible() and controls.cmap.currentText() == "water"
    controls.display.setCurrentIndex(controls.display.findData("points"))
    assert flood.representation == "points"
    assert controls.step.text().startswith("step 2 of 3")
    assert controls.export_to(str(tmp_path / "flood.tif")) and (tmp_path / "flood.tif").stat().st_size > 0


def test_flood_dialog_says_why_when_the_level_floods_everything(qtbot, window, tmp_path) -> None:
    write_bowl(tmp_path / "bowl.tif", cell=2.0)
    window.open_paths([str(tmp_path / "bowl.tif")])
    wait_loaded(qtbot, window)
    window.flood_action.trigger()
    dialog = window.flood_dialog
    dialog.level.setValue(5000.0)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, window)
    assert len(window.scene.layers) == 1
    assert "above the highest ground" in window.errors[-1]
    dialog.level.setValue(20.0)
    task = start_flood(window, dialog.run_spec())
    task.cancel()  # the status bar's Cancel: nothing is added, whenever the worker notices
    wait_loaded(qtbot, window)
    assert len(window.scene.layers) == 1 and window.statusBar().currentMessage().startswith("Cancelled")


def test_raster_without_crs_opens_with_a_warning(qtbot, window, tmp_path) -> None:
    write_bowl(tmp_path / "local.tif", crs=None, cell=4.0)
    window.open_paths([str(tmp_path / "local.tif")])
    wait_loaded(qtbot, window)
    [layer] = window.scene.layers
    assert any("no CRS" in w for w in layer.warnings)
    assert window.layer_tree.item_for(layer).text(0).endswith("\u26a0")
    assert window.layer_tree.place_button.isEnabled()  # the user sets its CRS with Place...
    from app.model.placement import assign_crs

    assign_crs(window.scene, layer, "EPSG:4547")
    assert layer.info["crs"] == "EPSG:4547" and window.scene.frame.is_set
    assert np.abs(layer.bounds()).max() < 1000  # in the scene near the origin its coordinates set


def test_height_limits_dialog_lists_highlights_and_exports(qtbot, window, tmp_path) -> None:
    from app.model.results import ResultLayer as Result

    win = window
    low, high = box_building(np.array([0.0, 0.0, 0.0]), height=20.0), box_building(np.array([30.0, 0.0, 0.0]), height=70.0)
    high.name = "Tower"
    high.elements = [ElementInfo("t1", "Building", "Tower")]
    for data in (low, high):
        for layer in win.scene.make_layers(data):
            win.scene.layers.append(layer)
    win.height_limits_action.trigger()
    dialog = win.height_limit_dialog
    dialog.max_height.setValue(60.0)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert dialog.table.rowCount() == 1
    assert [dialog.table.item(0, c).text() for c in (0, 4)] == ["Tower", "10.0"]
    assert "1 of 2 buildings" in dialog.status.text()
    tower = win.scene.layers[1]
    assert list(win.canvas.visuals[id(tower)].highlighted) == [0]
    assert isinstance(win.scene.layers[-1], Result) and win.scene.layers[-1].info["derived"]["analysis"] == "height_limits"
    dialog.export_csv(str(tmp_path / "breaches.csv"))
    assert "Tower,70.00,60.00,10.00" in (tmp_path / "breaches.csv").read_text()
    dialog.close()


def test_relative_series_start_at_the_clock_and_fit_it() -> None:
    from app.model.scene import Scene
    from app.ui.flood_dialog import fit_clock
    from tests.model.test_results import series

    scene = Scene()
    start = datetime(2026, 12, 21, 0, 0, tzinfo=timezone.utc)
    scene.clock.set_range(start, start + timedelta(minutes=5))
    [layer] = scene.make_layers(series([0.0, 600.0], absolute=False))
    fit_clock(scene, layer)
    assert layer.time_origin == start.isoformat()  # a simulation's t = 0 is the clock's start
    assert (scene.clock.start, scene.clock.end) == (start, start + timedelta(minutes=10))  # widened to the series


def test_height_limit_zone_drawn_in_the_view(qtbot, window, tmp_path) -> None:
    win = window
    write_bowl(tmp_path / "bowl.tif", cell=4.0)
    win.open_paths([str(tmp_path / "bowl.tif")])
    wait_loaded(qtbot, win)
    centre = (win.scene.layers[0].bounds()[0] + win.scene.layers[0].bounds()[1]) / 2
    for dx in (0.0, 30.0):
        for data in win.scene.make_layers(box_building(np.array([centre[0] + dx, centre[1], -12.0]), height=40.0)):
            win.scene.layers.append(data)
    win.height_limits_action.trigger()
    dialog = win.height_limit_dialog
    dialog.max_height.setValue(30.0)
    drawer = dialog.start_drawing()
    win.canvas.zoom_to(view="top")
    win.canvas.render()
    qtbot.mouseClick(win.view, Qt.MouseButton.LeftButton, pos=win.view.rect().center())  # one corner by a real click
    assert len(drawer.points) == 1 and drawer.marker in list(win.scene.layers)
    qtbot.keyClick(win.view, Qt.Key.Key_Escape)  # dropped: its marker goes too
    assert "No zone drawn" in dialog.status.text() and all(la.name != "Zone being drawn" for la in win.scene.layers)
    drawer = dialog.start_drawing()
    for dx, dy in ((-10.0, 10.0), (-10.0, -10.0), (10.0, -10.0), (10.0, 10.0)):
        drawer.add((centre[0] + dx, centre[1] + dy, 0.0))
    qtbot.keyClick(win.view, Qt.Key.Key_Return)
    assert dialog.drawn_polygon is not None and "Zone drawn: 4 corners" in dialog.status.text()
    assert all(layer.name != "Zone being drawn" for layer in win.scene.layers)
    dialog.check()
    assert not dialog.everywhere.isChecked()  # one kind of limit at a time
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 5).text() == "drawn zone"  # the tower outside is not in it
    dialog.close()
