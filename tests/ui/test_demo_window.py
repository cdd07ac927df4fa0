"""The demo as `make run` shows it: three data kinds in one scene, bookmarks, picking."""
from __future__ import annotations

from app.demo import demo_project_path
from tests.ui.conftest import wait_loaded


def test_demo_opens_with_all_three_kinds(qtbot, window) -> None:
    window.open_paths([str(demo_project_path())])
    wait_loaded(qtbot, window)
    tree = window.layer_tree.tree
    rows = [(tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1)) for i in range(tree.topLevelItemCount())]
    assert rows[:4] == [("District (3D Tiles)", "3D Tiles"), ("Block C design (IFC)", "BIM"), ("Site scan (LAZ)", "Point cloud"),
                        ("Block C: scan vs design", "Comparison")]  # Block C compared with its design on open (issue 12)
    live = [layer for layer in window.scene.layers if layer.kind == "sensors"]  # issue 13: live when the demo opens
    assert [layer.name for layer in live] == ["Air quality (live)", "Traffic (live)", "Parking (live)",
                                              "Site crane and vehicles (live)"]
    qtbot.waitUntil(lambda: all(len(layer.store) and window.canvas.visuals[id(layer)].drawn.get("sensors") for layer in live),
                    timeout=30_000)
    crane = live[-1]
    assert {"load", "hook_height", "speed"} <= set(crane.store.quantities) and crane.store.mover.any()
    assert not window.errors
    district = window.scene.layers[0]
    assert district.streamed  # the district streams by level of detail as the camera moves
    qtbot.waitUntil(lambda: window.canvas.stats().get("tiles_pending", 1) == 0 and window.canvas.stats()["tiles_drawn"] > 2,
                    timeout=30_000)
    stats = window.canvas.stats()
    assert stats["points_drawn"] == 150_000 and stats["triangles_drawn"] > 8000 and stats["tiles_failed"] == 0
    bookmarks = [a.text() for a in window.bookmark_menu.actions()]
    assert bookmarks[:2] == ["Overview", "Construction site"] and len(bookmarks) >= 4  # issue 15: the demo tour's stops
    design = window.scene.layers[1]
    assert design.opacity == 0.55 and window.layer_tree.opacity.value() in (55, 100)
    assert window.scene.frame.display_crs == "EPSG:4547"
    window.bookmark_menu.actions()[1].trigger()  # flies there (issue 15)
    qtbot.waitUntil(lambda: not window.flyer.flying, timeout=10_000)
    assert window.canvas.get_camera().focal_point[0] == 34.3
