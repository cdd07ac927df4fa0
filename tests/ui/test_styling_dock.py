"""Filter and colour a streamed tileset from the layer dock in either order (issue 9 item 3):
no error, the box shows the filter that is applied, and what is left is coloured."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.model.scene import Camera
from assets.demo.generate import ensure_demo_data
from tests.ui.conftest import wait_loaded
from viewers.canvas import Canvas


def _submit(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _settle(qtbot, canvas: Canvas) -> None:
    qtbot.waitUntil(lambda: canvas.stats().get("tiles_pending", 1) == 0, timeout=30_000)
    canvas.tick(render=False)
    canvas.render()


def _building_cells(visual, limit: float) -> list[tuple[int, int]]:
    """(drawn cells, cells passing `height > limit`) per shown building tile part."""
    out = []
    for i in visual.shown:
        for part in visual.loaded[i].parts:
            if part.cell_feature is not None and "height" in part.properties:
                heights = np.asarray(part.properties["height"], dtype=float)[part.cell_feature]
                out.append((part.actor.GetMapper().GetInput().GetNumberOfCells(), int((heights > limit).sum())))
    return out


def test_filter_then_colour_then_filter_from_the_dock(qtbot, window) -> None:
    window.resize(1500, 800)  # a view wide enough for the legend beside the docks
    window.open_paths([str(ensure_demo_data() / "district_lod" / "tileset.json")])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    dock = window.layer_tree
    dock.tree.setCurrentItem(dock.item_for(layer))
    canvas = window.canvas
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    canvas.set_camera(Camera(tuple(centre + [0.0, -300.0, 700.0]), tuple(centre), (0.0, 0.0, 1.0)))
    _settle(qtbot, canvas)
    visual = canvas.visuals[id(layer)]

    _submit(qtbot, dock.filter_edit, "height > 9999")  # every building filtered away
    dock.color_mode.setCurrentText("property:use")  # then a colour mode: used to raise on empty tiles
    _settle(qtbot, canvas)
    assert layer.feature_filter == dock.filter_edit.text() == "height > 9999" and layer.color_mode == "property:use"
    assert all(drawn == want == 0 for drawn, want in _building_cells(visual, 9999))

    _submit(qtbot, dock.filter_edit, "height > 40")  # typing a filter while a colour mode is on
    _settle(qtbot, canvas)
    assert layer.feature_filter == "height > 40"
    cells = _building_cells(visual, 40)
    assert cells and all(drawn == want for drawn, want in cells) and sum(d for d, _ in cells) > 0
    dock.color_mode.setCurrentText("property:height")  # and the colour changed again
    _settle(qtbot, canvas)
    assert all(drawn == want for drawn, want in _building_cells(visual, 40))
    assert canvas.legends.titles() == [f"{layer.name}: height"]
    assert not window.errors
