"""Filter and colour 3D Tiles features from the layer dock, as a planner does: type, Enter, look."""
from __future__ import annotations

from PySide6.QtCore import Qt

from tests.model.test_feature_filter import district_tile as _district_tile
from tests.ui.conftest import wait_loaded


def _triangles(window) -> int:
    window.canvas.render()
    return window.canvas.stats()["triangles_drawn"]


def _submit(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_filter_hides_features_then_a_bad_expression_shows_red_and_everything(qtbot, window, tmp_path) -> None:
    window.open_paths([str(_district_tile(tmp_path))])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    dock = window.layer_tree
    assert len(layer.elements) == 6 and dock.filter_row.isVisible()
    all_triangles = _triangles(window)
    assert all_triangles == 72

    layer.set_elements_hidden([5], True)  # the user hid one tall building before filtering
    filter_action = next(a for a in dock.context_menu(dock.item_for(layer)).actions() if a.text() == "Filter\u2026")
    assert filter_action.isEnabled()
    filter_action.trigger()  # right-click > Filter... puts the cursor in the filter box
    assert window.focusWidget() is dock.filter_edit
    qtbot.keyClicks(dock.filter_edit, "height > 30")
    qtbot.keyClick(dock.filter_edit, Qt.Key.Key_Return)
    assert layer.feature_filter == "height > 30"
    assert dock.filter_status.text() == "4 of 6 features" and dock.filter_status.isVisible()
    assert _triangles(window) == 3 * 12  # 45, 80, 33.5 drawn; 60 stays hidden by the user
    assert layer.hidden == (5,)  # the user's own choice is untouched

    _submit(qtbot, dock.filter_edit, 'height > 30 and use == "office"')
    assert dock.filter_status.text() == "3 of 6 features" and _triangles(window) == 2 * 12

    _submit(qtbot, dock.filter_edit, "height >> 30")
    status = dock.filter_status
    assert "expected a value" in status.text() and "column 9" in status.text()
    assert "#c62828" in status.styleSheet() and status.isVisible()
    assert _triangles(window) == 5 * 12  # an invalid filter hides nothing (the user's hide stays)
    assert not window.errors  # no dialog, no error box

    _submit(qtbot, dock.filter_edit, "heigth > 30")  # a typo in the property name: said, not an error
    assert status.text() == "No feature has 'heigth'" and "#b26a00" in status.styleSheet()
    assert _triangles(window) == 5 * 12  # a tile without that property is not what the filter is about

    dock.filter_edit.clear()  # the clear button: everything is back
    assert layer.feature_filter == "" and not status.isVisible() and _triangles(window) == 5 * 12


def test_colour_tile_features_by_numeric_and_categorical_property(qtbot, window, tmp_path) -> None:
    window.open_paths([str(_district_tile(tmp_path))])
    wait_loaded(qtbot, window)
    dock = window.layer_tree
    modes = [dock.color_mode.itemText(i) for i in range(dock.color_mode.count())]
    assert {"property:height", "property:use"} <= set(modes)
    dock.color_mode.setCurrentText("property:height")
    window.canvas.render()
    name = window.scene.layers[0].name
    assert window.canvas.legends.titles() == [f"{name}: height"]
    dock.color_mode.setCurrentText("property:use")
    window.canvas.render()
    assert window.canvas.legends.labels() == [f"{name}: use", "office", "home", "retail"]
    # filtering keeps the colours of what remains and the count follows
    _submit(qtbot, dock.filter_edit, 'use in ("home", "retail")')
    assert dock.filter_status.text() == "3 of 6 features" and _triangles(window) == 36


def test_filter_set_elsewhere_shows_in_the_box_and_undo_brings_the_old_one_back(qtbot, window, tmp_path) -> None:
    """A filter set by a project, a script or Undo is the one the box shows (no box showing a
    filter that is not applied)."""
    window.open_paths([str(_district_tile(tmp_path))])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    dock = window.layer_tree
    dock.tree.setCurrentItem(dock.item_for(layer))
    _submit(qtbot, dock.filter_edit, "height > 30")
    layer.feature_filter = "height > 50"  # set from elsewhere
    assert dock.filter_edit.text() == "height > 50" and dock.filter_status.text() == "2 of 6 features"
    window.undo_action.trigger()  # Edit > Undo
    assert layer.feature_filter == "height > 30" and dock.filter_edit.text() == "height > 30"
    assert dock.filter_status.text() == "4 of 6 features"
