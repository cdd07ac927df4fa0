"""Data from anywhere, in the window: a far layer raises a non-blocking notice whose button
moves the scene origin to it; an ungeoreferenced model lands at the view centre with a notice
and Place... one click away; the Place dialog reopens on the placement it set."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.fixtures import write_las
from tests.ui.conftest import wait_loaded


def _far_las(path: Path, n: int = 5_000) -> Path:
    """A seeded scan in Philadelphia (EPSG:32618), 12,000 km from the Wuhan scans."""
    import laspy
    import pyproj

    rng = np.random.default_rng(11)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = [0.001] * 3, [486000.0, 4422000.0, 0.0]
    header.add_crs(pyproj.CRS("EPSG:32618"))
    las = laspy.LasData(header)
    las.x, las.y = 486000 + rng.uniform(0, 80, n), 4422000 + rng.uniform(0, 80, n)
    las.z = 10 + rng.uniform(0, 8, n)
    las.red = las.green = las.blue = np.full(n, 65535, np.uint16)
    las.write(str(path))
    return path


def _centre_is_not_sky(win) -> bool:
    """Non-sky pixels around the centre of the view (the sky is a blue gradient, the scans white/coloured)."""
    win.canvas.render()
    img = win.canvas.plotter.screenshot(return_img=True)[..., :3].astype(int)
    h, w = img.shape[:2]
    patch = img[h // 2 - 20: h // 2 + 20, w // 2 - 20: w // 2 + 20]
    sky_top, sky_bottom = img[2, w // 2], img[h - 3, w // 2]
    far_from_sky = np.minimum(np.abs(patch - sky_top).sum(-1), np.abs(patch - sky_bottom).sum(-1)) > 60
    return bool(far_from_sky.mean() > 0.05)


def test_far_layer_notice_and_move_origin_here(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "wuhan.las", n=5_000))])
    wait_loaded(qtbot, window)
    near = window.scene.layers[0]
    window.open_paths([str(_far_las(tmp_path / "philadelphia.las"))])
    wait_loaded(qtbot, window)
    far = window.scene.layers[1]

    area = window.notices.area
    assert area.is_shown() and len(area.texts()) == 1
    text = area.texts()[0]
    assert "philadelphia.las: 12," in text and "km from the scene origin: View > Scene origin > Move to this layer" in text
    assert "km from the scene origin" in window.statusBar().currentMessage()
    assert window.message_box is None or not window.message_box.isModal()  # a notice, not a dialog

    window.zoom_to_layer(far)  # zoom-to works for the far layer before anything moves
    qtbot.wait(50)
    assert _centre_is_not_sky(window)

    from PySide6.QtCore import Qt

    button = next(iter(area.notices.values())).buttons["Move origin here"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not area.is_shown(), timeout=5_000)
    assert not window.scene.is_far(far) and window.scene.is_far(near)
    lat, lon, _ = window.scene.frame.origin_lla
    assert abs(lat - 39.94) < 0.05 and abs(lon + 75.16) < 0.05  # Philadelphia
    assert "Scene origin moved to philadelphia.las" in window.statusBar().currentMessage()
    qtbot.wait(50)
    assert _centre_is_not_sky(window)  # the view shows the layer the origin moved to

    window.zoom_to_layer(near)  # and the old layers, now far, are still reachable
    qtbot.wait(50)
    assert _centre_is_not_sky(window)


def test_move_origin_from_the_view_menu(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "wuhan.las", n=3_000))])
    wait_loaded(qtbot, window)
    window.open_paths([str(_far_las(tmp_path / "far.las", n=3_000))])
    wait_loaded(qtbot, window)
    far = window.scene.layers[1]
    window.layer_tree.tree.setCurrentItem(window.layer_tree.item_for(far))
    window.move_origin_action.trigger()
    assert not window.scene.is_far(far)
    menu = window.layer_tree.context_menu(window.layer_tree.item_for(window.scene.layers[0]))
    labels = [a.text() for a in menu.actions()]
    assert "Move scene origin to this layer" in labels and "Place\u2026" in labels


def test_ungeoreferenced_model_lands_at_the_view_centre(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.model.scene import Camera
    from app.ui.place_dialog import PlaceDialog
    from tests.loaders.builders import make_ifc

    window.open_paths([str(write_las(tmp_path / "wuhan.las", n=3_000, size=400.0))])
    wait_loaded(qtbot, window)
    scan = window.scene.layers[0]
    focal = scan.bounds()[0] + [300.0, 250.0, 0.0]  # look at a corner of the scan, not its centre
    window.canvas.set_camera(Camera(tuple(focal + [60.0, -80.0, 60.0]), tuple(focal), (0.0, 0.0, 1.0)))
    make_ifc(tmp_path / "wall.ifc")  # no georeference
    window.open_paths([str(tmp_path / "wall.ifc")])
    wait_loaded(qtbot, window)
    wall = window.scene.layers[1]
    centre = wall.bounds().mean(0)
    assert np.linalg.norm(centre[:2] - focal[:2]) < 5.0  # at the view centre, not stacked on the origin
    assert "placement" in wall.info  # recorded: a saved project reopens it there
    area = window.notices.area
    assert any("wall.ifc has no georeference: placed at the view centre" in t for t in area.texts())

    seen: dict = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        seen["dialog"] = isinstance(dialog, PlaceDialog)
        if isinstance(dialog, PlaceDialog):
            seen["origin"] = (dialog.lat.value(), dialog.lon.value())
            dialog.reject()

    QTimer.singleShot(200, answer)
    button = area.notices[str(id(wall))].buttons["Place\u2026"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # one click to the Place dialog
    qtbot.waitUntil(lambda: "dialog" in seen, timeout=5_000)
    assert seen["dialog"]
    lat, lon, _ = window.scene.frame.enu_to_lla(focal)[0]
    assert abs(seen["origin"][0] - lat) < 1e-3 and abs(seen["origin"][1] - lon) < 1e-3


def test_place_dialog_reopens_on_the_placement_it_set(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.place_dialog import PlaceDialog
    from tests.loaders.builders import make_ifc

    window.scene.frame.origin_lla = (30.5928, 114.3055, 22.0)
    make_ifc(tmp_path / "wall.ifc")
    window.open_paths([str(tmp_path / "wall.ifc")])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    dock = window.layer_tree
    first = PlaceDialog("wall.ifc", (30.5928, 114.3055, 22.0), window)

    def fill() -> None:
        first.lat.setValue(30.5940)
        first.lon.setValue(114.3070)
        first.rotation.setValue(45.0)
        first.accept()

    QTimer.singleShot(100, fill)
    dock.place_current(first)
    assert layer.info["placement"]["rotation_deg"] == 45.0
    placed = layer.data["vertices"].copy()

    seen: dict = {}

    def reopen() -> None:  # the dialog the dock builds itself, as a user opens it
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PlaceDialog)
        seen.update(rotation=dialog.rotation.value(), lat=dialog.lat.value(), lon=dialog.lon.value(),
                    crs=dialog.crs.text())
        dialog.accept()  # OK without edits keeps the placement

    QTimer.singleShot(200, reopen)
    dock.place_current()
    assert seen == {"rotation": 45.0, "lat": 30.594, "lon": 114.307, "crs": ""}
    assert layer.info["placement"]["rotation_deg"] == 45.0
    np.testing.assert_allclose(layer.data["vertices"], placed, atol=1e-6)


def test_demo_with_a_far_tileset_and_a_far_scan(qtbot, window) -> None:
    """The issue's run: the Wuhan demo, then Philadelphia's tileset and Oregon's scan. Each is
    visible in turn through zoom-to, and the demo's bookmark still shows the demo."""
    from app.demo import demo_project_path
    from tests.conftest import corpus_file

    tileset = corpus_file("3dtiles/cesium-samples/1.0/TilesetWithRequestVolume")
    scan = corpus_file("pointcloud/pdal/autzen_trim.laz")
    window.open_paths([str(demo_project_path())])
    wait_loaded(qtbot, window)
    demo_layers = list(window.scene.layers)
    window.open_paths([str(tileset), str(scan)])
    wait_loaded(qtbot, window)
    far = [layer for layer in window.scene.layers if layer not in demo_layers]
    assert len(far) == 2 and all(window.scene.is_far(layer) for layer in far)
    assert len(window.notices.area.texts()) == 2
    for layer in far + demo_layers[:1]:
        window.zoom_to_layer(layer)
        qtbot.waitUntil(lambda: not window.canvas.tick(), timeout=30_000)  # streamed tiles for this view are in
        assert _centre_is_not_sky(window), layer.name
        near, far_plane = window.canvas.plotter.camera.GetClippingRange()
        assert far_plane / near <= 10_500
    assert window.scene.bookmarks
    window.canvas.set_camera(window.scene.bookmarks[0].camera)
    qtbot.waitUntil(lambda: not window.canvas.tick(), timeout=30_000)
    assert _centre_is_not_sky(window)


def test_models_opened_together_without_georeference_stay_aligned(qtbot, window, tmp_path: Path) -> None:
    """Storey models of one building (Schependomlaan) share a local grid: opened together, they
    share one placement at the view centre instead of each being centred on its own footprint."""
    import ifcopenshell
    import ifcopenshell.api as api

    from tests.loaders.builders import make_ifc

    window.open_paths([str(write_las(tmp_path / "wuhan.las", n=3_000, size=400.0))])
    wait_loaded(qtbot, window)
    make_ifc(tmp_path / "a.ifc")
    make_ifc(tmp_path / "b.ifc")
    f = ifcopenshell.open(str(tmp_path / "b.ifc"))
    wall = f.by_type("IfcWall")[0]
    matrix = np.eye(4)
    matrix[:3, 3] = (20.0, 7.0, 3.0)  # the next storey, 20 m east and 7 m north in the same grid
    api.run("geometry.edit_object_placement", f, product=wall, matrix=matrix)
    f.write(str(tmp_path / "b.ifc"))
    window.open_paths([str(tmp_path / "a.ifc"), str(tmp_path / "b.ifc")])
    wait_loaded(qtbot, window)
    a, b = (next(layer for layer in window.scene.layers if layer.name.startswith(n)) for n in ("a.ifc", "b.ifc"))
    offset = b.bounds()[0] - a.bounds()[0]
    assert np.allclose(offset, (20.0, 7.0, 3.0), atol=0.01), offset
    texts = window.notices.area.texts()
    assert any("b.ifc has no georeference: placed with a.ifc" in t for t in texts), texts


def test_many_notices_fold_behind_one_row(qtbot, window) -> None:
    """Seven models at once must not push the 3D view off the screen."""
    from PySide6.QtCore import Qt

    area = window.notices.area
    for i in range(7):
        area.add(f"k{i}", f"notice {i}")
    shown = [n for n in area.notices.values() if not n.isHidden()]
    assert [n.text for n in shown] == ["notice 5", "notice 6"]  # the newest stay in sight
    assert not area.more.isHidden() and "5 more notices" in area.more.text()
    qtbot.mouseClick(area.more, Qt.MouseButton.LeftButton)
    assert all(not n.isHidden() for n in area.notices.values())
    qtbot.mouseClick(area.more, Qt.MouseButton.LeftButton)
    area.remove("k6")
    area.remove("k5")
    area.remove("k4")
    assert sum(not n.isHidden() for n in area.notices.values()) == 2 and "2 more notices" in area.more.text()
    assert window.view.height() >= 150
