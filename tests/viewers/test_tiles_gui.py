"""The window streams a deep tileset by itself: its poll timer attaches tiles as workers finish,
the status bar shows the tile counters, picking a building fills the selection."""
from __future__ import annotations

from app.model.scene import Camera
from assets.demo.generate import ensure_demo_data
from tests.ui.conftest import wait_loaded, window  # noqa: F401 - the GUI fixture


def test_window_streams_the_demo_lod_tileset(qtbot, window) -> None:  # noqa: F811
    window.open_paths([str(ensure_demo_data() / "district_lod" / "tileset.json")])
    wait_loaded(qtbot, window)
    [layer] = list(window.scene.layers)
    assert layer.streamed and layer.max_sse == 16.0 and layer.memory_budget_mb == 512.0
    visual = window.canvas.visuals[id(layer)]
    quadrant = visual.tree.nodes[2].children[0]
    c = visual.tree.nodes[quadrant].center
    target = visual.matrix[:3, :3] @ c + visual.matrix[:3, 3]
    window.canvas.set_camera(Camera(tuple(target + (20.0, -60.0, 60.0)), tuple(target), (0.0, 0.0, 1.0)))
    qtbot.waitUntil(lambda: any(visual.tree.nodes[i].depth == 3 for i in visual.shown), timeout=20_000)  # no manual ticks
    window._update_stats()
    assert "tiles (" in window.drawn_label.text() and "loaded" in window.drawn_label.text()
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    window.canvas.set_camera(Camera(tuple(centre + (600.0, -600.0, 450.0)), tuple(centre), (0.0, 0.0, 1.0)))
    qtbot.waitUntil(lambda: max(visual.tree.nodes[i].depth for i in visual.shown) == 2, timeout=20_000)
    layer.max_sse = 1000.0  # the user loosens the error: the coarse blocks again
    qtbot.waitUntil(lambda: max(visual.tree.nodes[i].depth for i in visual.shown) <= 1, timeout=20_000)
    picks = [window.canvas.pick(x, y) for x in range(100, 700, 25) for y in range(80, 400, 25)]
    assert any(sel.layer is layer and sel.properties.get("name", "").startswith("block") for sel in picks)
