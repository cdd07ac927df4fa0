"""Per-kind controls of the Layers dock, from a registry keyed by layer class (as visuals are):
a result layer's colour map and iso value, a sensor layer's thresholds... never isinstance chains
in the dock. A controls class takes `(scene, parent=None)` and has `set_layer(layer | None)`;
the dock shows the one registered for the nearest class in the current layer's MRO."""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QWidget

_CONTROLS: dict[type, type] = {}


def register_layer_controls(layer_type: type) -> Callable[[type], type]:
    def deco(cls: type) -> type:
        _CONTROLS[layer_type] = cls
        return cls

    return deco


def controls_class_for(layer: object) -> type | None:
    for cls in type(layer).__mro__:
        if cls in _CONTROLS:
            return _CONTROLS[cls]
    return None


class KindControls:
    """The dock's side: one widget per registered controls class, made when first needed and
    added to `add_widget`; `show_for(layer)` shows the right one and hides the others."""

    def __init__(self, scene: object, add_widget: Callable[[QWidget], None]) -> None:
        self.scene = scene
        self._add = add_widget
        self.widgets: dict[type, QWidget] = {}

    def show_for(self, layer: object | None) -> QWidget | None:
        wanted = controls_class_for(layer) if layer is not None else None
        if wanted is not None and wanted not in self.widgets:
            widget = wanted(self.scene)
            self.widgets[wanted] = widget
            self._add(widget)
        for cls, widget in self.widgets.items():
            if cls is wanted:
                widget.set_layer(layer)
                widget.setVisible(True)
            else:
                widget.set_layer(None)
                widget.setVisible(False)
        return self.widgets.get(wanted) if wanted is not None else None
