"""Edit > Undo / Redo as a user drives them: keys in the window, controls following the model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from tests.ui.conftest import wait_loaded, write_las


def _two_scans(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "a.las", n=800)), str(write_las(tmp_path / "b.las", n=600, seed=5))])
    wait_loaded(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def test_remove_hide_and_opacity_undone_by_ctrl_z_and_redone(qtbot, window, tmp_path: Path) -> None:
    _two_scans(qtbot, window, tmp_path)
    a, b = window.scene.layers
    dock = window.layer_tree
    dock.tree.setCurrentItem(dock.item_for(a))
    qtbot.mouseClick(dock.remove_button, Qt.MouseButton.LeftButton)  # remove a
    dock.item_for(b).setCheckState(0, Qt.CheckState.Unchecked)  # hide b
    dock.tree.setCurrentItem(dock.item_for(b))
    dock.opacity.setValue(40)  # b at 0.4
    assert [layer.name for layer in window.scene.layers] == ["b.las"] and not b.visible and b.opacity == 0.4
    assert window.undo_action.isEnabled() and "Opacity" in window.undo_action.text()
    for _ in range(3):
        qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [layer.name for layer in window.scene.layers] == ["a.las", "b.las"] and window.scene.layers[0] is a
    assert b.visible and b.opacity == 1.0
    assert dock.item_for(b).checkState(0) == Qt.CheckState.Checked and dock.item_for(a) is not None
    dock.tree.setCurrentItem(dock.item_for(b))
    assert dock.opacity.value() == 100  # the slider shows what it controls
    assert window.canvas.stats()["points_drawn"] == 1400  # both drawn again
    assert not window.undo_action.isEnabled()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [layer.name for layer in window.scene.layers] == ["b.las"]
    qtbot.keyClick(window.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert not b.visible
    window.redo_action.trigger()
    assert b.opacity == 0.4 and dock.opacity.value() == 40


def test_colour_point_size_and_classes_are_undoable(qtbot, window, tmp_path: Path) -> None:
    _two_scans(qtbot, window, tmp_path)
    dock = window.layer_tree
    layer = window.scene.layers[1]
    dock.tree.setCurrentItem(dock.item_for(layer))
    mode = layer.color_mode
    dock.color_mode.setCurrentText("intensity")
    dock.point_size.setValue(6.0)
    dock.classes_menu.actions()[0].trigger()  # hide the first class present
    hidden = layer.hidden_classes
    assert layer.color_mode == "intensity" and layer.point_size == 6.0 and hidden
    for _ in range(3):
        window.undo_action.trigger()
    assert (layer.color_mode, layer.point_size, layer.hidden_classes) == (mode, 3.0, ())
    assert dock.color_mode.currentText() == mode and dock.point_size.value() == 3.0
    assert all(action.isChecked() for action in dock.classes_menu.actions())


def test_placing_a_model_is_undone(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer

    from app.ui.place_dialog import PlaceDialog
    from tests.loaders.builders import make_ifc

    window.scene.frame.origin_lla = (30.5928, 114.3055, 22.0)
    path = tmp_path / "wall.ifc"
    make_ifc(path)
    window.open_paths([str(path)])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    before = layer.bounds().copy()
    dialog = PlaceDialog("wall.ifc", (30.5928, 114.3055, 22.0), window)

    def fill() -> None:
        dialog.lat.setValue(30.5940)
        dialog.lon.setValue(114.3070)
        dialog.accept()

    QTimer.singleShot(100, fill)
    window.layer_tree.place_current(dialog)
    assert not np.allclose(layer.bounds(), before)
    assert window.undo.undo_label().startswith("Place")
    window.undo_action.trigger()
    assert np.allclose(layer.bounds(), before)
    assert "placement" not in (layer.source or {}).get("options", {})
    window.redo_action.trigger()
    assert not np.allclose(layer.bounds(), before)
