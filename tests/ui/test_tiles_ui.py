"""A streamed tileset in the window: its detail and memory settings in the layer dock, and the
statistics overlay a user turns on from the View menu."""
from __future__ import annotations

from assets.demo.generate import ensure_demo_data
from tests.ui.conftest import wait_loaded, write_las


def test_streaming_settings_and_statistics_overlay(qtbot, window, tmp_path) -> None:
    window.open_paths([str(ensure_demo_data() / "district_lod" / "tileset.json")])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    assert layer.streamed
    dock = window.layer_tree
    dock.tree.setCurrentItem(dock.item_for(layer))
    controls = dock.tiles_row
    assert controls.isVisible() and controls.sse.value() == 16.0 and controls.memory.value() == 512
    controls.sse.setValue(4.0)
    controls.memory.setValue(64)
    controls.points.setValue(5.0)  # streamed point tiles' base size
    assert layer.max_sse == 4.0 and layer.memory_budget_mb == 64.0 and layer.point_size == 5.0
    assert "property:height" in [dock.color_mode.itemText(i) for i in range(dock.color_mode.count())]
    layer.color_mode = "property:height"  # set from elsewhere: the combo follows
    assert dock.color_mode.currentText() == "property:height"
    qtbot.waitUntil(lambda: window.canvas.stats().get("tiles_pending", 1) == 0, timeout=30_000)
    assert not window.canvas.stats_overlay.visible
    window.stats_action.trigger()  # View > Statistics overlay (F3)
    window._update_stats()
    text = window.canvas.stats_overlay.text.GetInput()
    assert "tiles visited" in text and "failed 0" in text and "geometry" in text
    assert "tiles (" in window.drawn_label.text()  # the status bar counts tiles too
    window.stats_action.trigger()
    assert not window.canvas.stats_overlay.visible
    window.open_paths([str(write_las(tmp_path / "scan.las", n=100))])
    wait_loaded(qtbot, window)
    dock.tree.setCurrentItem(dock.item_for(window.scene.layers[-1]))
    assert not controls.isVisible()  # a point cloud selected: no streaming controls
