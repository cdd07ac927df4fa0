"""Side by side in the window: View > Side by side, the Sides dialog, dragging the swipe line, full screen."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from tests.viewers.test_split import _cloud, _is, _look, _wall


def _image(win) -> np.ndarray:
    win.canvas.render()
    img = win.view.screenshot(return_img=True)
    return img[::-1, :, :3].astype(int)  # row 0 at the bottom


def _drag(qtbot, view, x0: int, x1: int) -> None:
    y = view.height() // 2 + 20
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
    for x in np.linspace(x0, x1, 5)[1:]:
        qtbot.mouseMove(view, QPoint(int(x), y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(x1, y))


def test_swipe_drag_and_split_in_full_screen(qtbot, window) -> None:
    win = window
    design, scan = _wall("design", (1.0, 0.0, 0.0)), _cloud("scan", (20, 20, 230))
    win.scene.layers.append(design)
    win.scene.layers.append(scan)
    controls = win.split_controls
    dialog = controls.show_sides()  # defaults: design left, scan right; the user puts both on the left...
    assert dialog.combos["design"].currentText() == "Automatic (Left)"
    assert dialog.combos["scan"].currentText() == "Automatic (Right)"
    dialog.combos["scan"].setCurrentIndex(dialog.combos["scan"].findText("Left"))
    assert win.canvas.side_by_side.side(scan) == "left"
    assert scan.view_side == "left"  # the layer's own field: saved with the project
    dialog.combos["scan"].setCurrentIndex(dialog.combos["scan"].findText("Right"))  # ...and back
    dialog.close()
    controls.mode_actions["swipe"].trigger()
    _look(win.canvas)
    view = win.view
    w = view.width()
    _drag(qtbot, view, w // 2, int(w * 0.3))
    assert abs(win.canvas.side_by_side.swipe_fraction - 0.3) < 0.02
    assert win.scene.selection.layer is None  # grabbing the line is not a pick
    img = _image(win)
    sx = img.shape[1] / w  # device pixels per widget pixel
    row = img.shape[0] // 2 - int(30 * sx)
    assert _is(img[row, int(img.shape[1] * 0.15)], "red") and _is(img[row, int(img.shape[1] * 0.45)], "blue")
    _drag(qtbot, view, int(w * 0.3), int(w * 0.7))
    img = _image(win)
    assert _is(img[row, int(img.shape[1] * 0.45)], "red") and _is(img[row, int(img.shape[1] * 0.85)], "blue")
    assert _is(img[row, int(img.shape[1] * 0.15)], "red")
    # Split view in full screen: design in the left half, scan in the right, one camera.
    controls.mode_actions["split"].trigger()
    controls.full_screen_action.trigger()
    qtbot.waitUntil(lambda: win.isFullScreen(), timeout=5000)
    qtbot.wait(100)
    _look(win.canvas)
    img = _image(win)
    row = img.shape[0] // 2 - int(30 * sx)
    left, right = img[row, img.shape[1] // 4], img[row, 3 * img.shape[1] // 4]
    assert _is(left, "red") and not _is(left, "blue"), left
    assert _is(right, "blue") and not _is(right, "red"), right
    before = win.canvas.get_camera()
    _drag(qtbot, view, int(view.width() * 0.75), int(view.width() * 0.9))  # orbit from the right half
    after = win.canvas.get_camera()
    assert after.position != before.position
    assert win.canvas.side_by_side.right.GetActiveCamera().GetPosition() == after.position  # both halves moved
    controls.full_screen_action.trigger()
    assert not win.isFullScreen() and win.menuBar().isVisible()
    controls.mode_actions["single"].trigger()
    assert win.canvas.side_by_side.right is None


def test_sides_dialog_follows_layers_added_removed_and_undone(qtbot, window) -> None:
    win = window
    design = _wall("design", (1.0, 0.0, 0.0))
    win.scene.layers.append(design)
    dialog = win.split_controls.show_sides()
    assert list(dialog.combos) == ["design"]
    scan = _cloud("scan", (20, 20, 230))
    win.scene.layers.append(scan)  # opened while the dialog is open: a row appears
    assert list(dialog.combos) == ["design", "scan"]
    assert dialog.combos["scan"].currentText() == "Automatic (Right)"
    combo = dialog.combos["scan"]
    combo.setCurrentIndex(combo.findText("Both"))
    assert scan.view_side == "both" and win.canvas.side_by_side.side(scan) == "both"
    win.undo.undo()  # Edit > Undo: the side goes back to automatic
    assert scan.view_side == "auto"
    assert dialog.combos["scan"].currentData() == "auto"  # the row shows the side in force
    win.scene.layers.remove(design)  # removed while open: its row goes
    assert list(dialog.combos) == ["scan"]
    dialog.close()
    win.scene.layers.append(_wall("later", (0.0, 1.0, 0.0)))  # a closed dialog follows nothing
    assert list(dialog.combos) == ["scan"]
