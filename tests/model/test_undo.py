"""The undo stack: layer operations go back and forth in order; loading is neither undoable nor unsaved."""
from __future__ import annotations

import numpy as np

from app.model.layers import PointCloudLayer
from app.model.scene import Scene
from app.model.undo import UndoStack, placement_step


def _scene() -> tuple[Scene, UndoStack, PointCloudLayer, PointCloudLayer]:
    scene = Scene()
    stack = UndoStack(scene)
    a = PointCloudLayer(name="a", data={"positions": np.zeros((3, 3))})
    b = PointCloudLayer(name="b", data={"positions": np.ones((3, 3))})
    with stack.paused():
        scene.layers.append(a)
        scene.layers.append(b)
    return scene, stack, a, b


def test_remove_hide_style_undo_in_reverse_order_and_redo() -> None:
    scene, stack, a, b = _scene()
    assert not scene.dirty and not stack.can_undo()
    mode = b.color_mode
    scene.layers.remove(a)
    b.visible = False
    b.color_mode = "intensity"
    b.point_size = 6.0
    b.hidden_classes = (7,)
    assert scene.dirty and stack.undo_label() == "Classes of b"
    for _ in range(5):
        assert stack.undo()
    assert [layer.name for layer in scene.layers] == ["a", "b"] and scene.layers[0] is a  # re-inserted at its index
    assert (b.visible, b.color_mode, b.point_size, b.hidden_classes) == (True, mode, 3.0, ())
    assert not stack.undo()
    for _ in range(5):
        assert stack.redo()
    assert [layer.name for layer in scene.layers] == ["b"]
    assert (b.visible, b.color_mode, b.point_size, b.hidden_classes) == (False, "intensity", 6.0, (7,))


def test_a_slider_drag_is_one_step_and_a_new_change_drops_redo() -> None:
    scene, stack, a, _ = _scene()
    for value in (0.9, 0.8, 0.7, 0.6):
        a.opacity = value
    a.visible = False
    stack.undo()
    stack.undo()
    assert a.opacity == 1.0 and a.visible
    assert stack.can_redo()
    a.color_mode = "intensity"
    assert not stack.can_redo()


def test_loading_changes_are_not_recorded_and_mark_clean() -> None:
    scene, stack, a, _ = _scene()
    with stack.paused():
        a.opacity = 0.9  # a project's saved state applied while it opens
    assert not stack.can_undo() and not scene.dirty
    a.opacity = 0.5
    assert scene.dirty
    stack.mark_clean()
    assert not scene.dirty and stack.can_undo()


def test_placement_is_one_undoable_step() -> None:
    scene, stack, a, _ = _scene()
    a.source = {"path": "a.las", "options": {}}
    before = a.data["positions"]

    def place() -> None:
        a.data["positions"] = before + 10.0
        a.info["placement"] = {"origin_lla": [1.0, 2.0, 3.0]}
        a.source["options"]["placement"] = a.info["placement"]

    placement_step(stack, a, place)
    assert stack.undo_label() == "Place a"
    stack.undo()
    assert a.data["positions"] is before and "placement" not in a.info and "placement" not in a.source["options"]
    stack.redo()
    assert np.allclose(a.data["positions"], 10.0) and a.source["options"]["placement"]["origin_lla"] == [1.0, 2.0, 3.0]


def test_moving_the_scene_origin_drops_placements_but_keeps_other_steps() -> None:
    scene, stack, a, b = _scene()
    scene.frame.origin_lla = (30.59, 114.30, 20.0)
    a.source = {"path": "a.las", "options": {}}
    placement_step(stack, a, lambda: a.data.__setitem__("positions", a.data["positions"] + 1.0))
    b.visible = False
    stack.mark_clean()
    scene.move_origin((30.60, 114.31, 20.0))
    assert scene.dirty and stack.undo_label() == "Visibility of b"
    stack.undo()
    assert b.visible and not stack.can_undo()  # the placement, in the old frame's coordinates, is gone
