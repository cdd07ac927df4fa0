"""Undo and redo of layer operations, and the scene's unsaved-changes flag. No Qt, no VTK.

The stack listens to the model, so every way of changing a layer (the layer dock, the model tree,
a script) is undoable without each control knowing about it: an evented field change becomes a
(layer, field, old, new) step, a removal keeps the layer and its index so that undo re-inserts it,
and operations that are not evented fields (placement) push their own step with `push`.
Opening files is not undoable, but it does make the scene dirty.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from psygnal import Signal

from app.model.i18n_marks import QT_TR_NOOP
from app.model.layers import Layer
from app.model.scene import Scene

MAX_STEPS = 200


MERGED_FIELDS = ("opacity", "point_size", "max_sse", "memory_budget_mb")  # a slider drag is one step


@dataclass
class Step:
    label: str
    undo: Callable[[], None]
    redo: Callable[[], None]
    key: tuple[int, str] | None = None  # (layer id, field) of a field step, to merge a drag
    new: Any = None
    frame_bound: bool = False  # holds coordinates in the scene frame of its time (a placement)
    text: tuple[str, dict[str, str]] | None = None  # (template, values): the label for a translated interface


class UndoStack:
    changed = Signal()  # can_undo, can_redo, labels or dirty changed

    def __init__(self, scene: Scene, limit: int = MAX_STEPS) -> None:
        self.scene = scene
        self.limit = limit
        self._done: list[Step] = []
        self._undone: list[Step] = []
        self._paused = 0
        self._seal = False
        scene.dirty = False
        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)
        for layer in scene.layers:
            layer.events.all.connect(self._on_field)
        origin_moved = getattr(scene, "origin_moved", None)
        if origin_moved is not None:
            origin_moved.connect(self._on_origin_moved)

    # --- state --------------------------------------------------------------------------------
    def can_undo(self) -> bool:
        return bool(self._done)

    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo_label(self) -> str:
        return self._done[-1].label if self._done else ""

    def redo_label(self) -> str:
        return self._undone[-1].label if self._undone else ""

    def undo_text(self) -> tuple[str, dict[str, str]] | None:
        """The next undo's label as a template and its values (the shell translates the template)."""
        return (self._done[-1].text or (self._done[-1].label, {})) if self._done else None

    def redo_text(self) -> tuple[str, dict[str, str]] | None:
        return (self._undone[-1].text or (self._undone[-1].label, {})) if self._undone else None

    def set_dirty(self, dirty: bool = True) -> None:
        if self.scene.dirty != dirty:
            self.scene.dirty = dirty
            self.changed.emit()

    def mark_clean(self) -> None:
        """Just saved or just opened: nothing unsaved."""
        self.set_dirty(False)

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self.changed.emit()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Changes made by loading (a project's saved state applied to its layers) are not the
        user's: they are neither undoable nor unsaved."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    def seal(self) -> None:
        """The next change of the same field starts a new step (e.g. the slider was let go)."""
        self._seal = True

    # --- recording ----------------------------------------------------------------------------
    def push(self, label: str, undo: Callable[[], None], redo: Callable[[], None], key: tuple[int, str] | None = None,
             new: Any = None, frame_bound: bool = False, text: tuple[str, dict[str, str]] | None = None) -> None:
        """Record an operation already done; `undo` reverts it, `redo` does it again."""
        if self._paused:
            return
        top = self._done[-1] if self._done else None
        if key is not None and top is not None and top.key == key and key[1] in MERGED_FIELDS and not self._seal:
            top.redo, top.new = redo, new  # one slider drag, one step: keep the first old value
        else:
            self._done.append(Step(label, undo, redo, key, new, frame_bound, text))
            del self._done[: max(0, len(self._done) - self.limit)]
        self._seal = False
        self._undone.clear()
        self.scene.dirty = True
        self.changed.emit()

    def _on_field(self, info: Any) -> None:
        if self._paused:
            return
        group = getattr(info.signal, "instance", None)  # the layer's SignalGroup, whose instance is the layer
        layer = getattr(group, "instance", None)
        name = info.signal.name
        new, old = (info.args + (None, None))[:2]
        if not isinstance(layer, Layer):
            return
        field = _FIELD_LABELS.get(name, name.replace("_", " "))
        label = f"{field} of {layer.name}"

        def undo(layer: Layer = layer, name: str = name, old: Any = old) -> None:
            setattr(layer, name, old)

        def redo(layer: Layer = layer, name: str = name, new: Any = new) -> None:
            setattr(layer, name, new)

        self.push(label, undo, redo, key=(id(layer), name), new=new, text=(QT_TR_NOOP("{field} of {layer}"),
                                                                           {"field": field, "layer": layer.name}))

    def _on_origin_moved(self, *_: Any) -> None:
        """Every layer was re-expressed at a new origin: steps that hold coordinates of the old
        frame (placements) cannot be replayed; removed layers are conformed when re-inserted."""
        self._done = [step for step in self._done if not step.frame_bound]
        self._undone = [step for step in self._undone if not step.frame_bound]
        self.scene.dirty = True
        self.changed.emit()

    def _on_inserted(self, index: int, layer: Layer) -> None:
        layer.events.all.connect(self._on_field)
        if not self._paused:
            self.set_dirty(True)

    def _on_removed(self, index: int, layer: Layer) -> None:
        layer.events.all.disconnect(self._on_field)
        layers = self.scene.layers

        def undo(layer: Layer = layer, index: int = index) -> None:
            layers.insert(min(index, len(layers)), layer)

        def redo(layer: Layer = layer) -> None:
            if any(other is layer for other in layers):
                layers.remove(layer)

        self.push(f"Remove {layer.name}", undo, redo, text=(QT_TR_NOOP("Remove {layer}"), {"layer": layer.name}))

    # --- undo / redo --------------------------------------------------------------------------
    def undo(self) -> bool:
        if not self._done:
            return False
        step = self._done.pop()
        self._replay(step.undo)
        self._undone.append(step)
        self._after_replay()
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        step = self._undone.pop()
        self._replay(step.redo)
        self._done.append(step)
        self._after_replay()
        return True

    def _replay(self, fn: Callable[[], None]) -> None:
        self._paused += 1  # replaying is not a new step
        try:
            fn()
        finally:
            self._paused -= 1

    def _after_replay(self) -> None:
        self._seal = True
        self.scene.dirty = True
        self.changed.emit()


_FIELD_LABELS = {"visible": QT_TR_NOOP("Visibility"), "opacity": QT_TR_NOOP("Opacity"), "color_mode": QT_TR_NOOP("Colour"),
                 "point_size": QT_TR_NOOP("Point size"), "hidden_classes": QT_TR_NOOP("Classes"),
                 "hidden": QT_TR_NOOP("Hidden elements"), "feature_filter": QT_TR_NOOP("Filter"), "view_side": QT_TR_NOOP("Side")}


def placement_step(stack: UndoStack, layer: Layer, place: Callable[[], None], label: str = "") -> None:
    """Run a placement (place_layer, assign_crs) as one undoable step. A placement replaces the
    layer's coordinate array and octree cells (never edits them in place), so keeping references
    to the old ones is enough to go back."""
    before = _placement_state(layer)
    place()
    after = _placement_state(layer)
    same = all(after["arrays"].get(k) is v for k, v in before["arrays"].items()) and after["info"] == before["info"]
    if same:  # refused (an unknown CRS...): nothing to undo
        return
    text = None if label else (QT_TR_NOOP("Place {layer}"), {"layer": layer.name})
    stack.push(label or f"Place {layer.name}", lambda: _restore(layer, before), lambda: _restore(layer, after),
               frame_bound=True, text=text)


def _placement_state(layer: Layer) -> dict[str, Any]:
    data = layer.data if isinstance(layer.data, dict) else {}
    tree = data.get("octree")
    return {
        "arrays": {k: data[k] for k in ("positions", "vertices", "matrix", "bounds") if k in data},  # matrix: streamed tilesets
        "tree": (tree, getattr(tree, "center", None), getattr(tree, "half_size", None)),
        "info": dict(layer.info),
        "options": dict((layer.source or {}).get("options", {})),
    }


def _restore(layer: Layer, state: dict[str, Any]) -> None:
    layer.data.update(state["arrays"])
    tree, center, half = state["tree"]
    if tree is not None and center is not None:
        tree.center, tree.half_size = center, half
    layer.info = dict(state["info"])
    if layer.source is not None:
        layer.source["options"] = dict(state["options"])
    layer.data_changed.emit()
