"""The visual of a comparison layer: draws nothing itself; it applies the comparison to the scan
and BIM layers it names (deviation colouring, element statuses) and keeps it applied.

Driven by events, as the schedule visual is: the scene's layer insertions (a reopened project
loads its layers in any order), the compared layers' `data_changed` (a streamed IFC replaces its
data when it finishes loading) and the layer's own events (its visibility turns the colouring on
and off; new results arrive with `data_changed`). Removing the layer takes the colouring away.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.model.comparison import ComparisonLayer, attach, detach
from app.model.layers import Layer
from viewers.visuals import Visual, register_visual

if TYPE_CHECKING:
    from viewers.canvas import Canvas


@register_visual(ComparisonLayer)
class ComparisonVisual(Visual):
    layer: ComparisonLayer

    def __init__(self, layer: ComparisonLayer, canvas: "Canvas") -> None:
        self._watched: list[Layer] = []
        self._busy = False
        super().__init__(layer, canvas)
        canvas.scene.layers.inserted.connect(self._on_layer_inserted)
        canvas.scene.layers.removed.connect(self._on_layer_removed)
        self._reattach(set_modes=not layer.attached_before)

    def build(self) -> None:
        self.actor = None
        self.drawn = {}

    def _on_event(self, info: Any) -> None:
        if info.signal.name == "visible":
            if self.layer.visible:
                self._reattach(set_modes=True)
            else:
                detach(self.layer)
            self.canvas.request_render()

    def _on_data_changed(self) -> None:  # new results (computed, or recomputed with other settings)
        self._reattach(set_modes=True)

    def _reattach(self, set_modes: bool = False) -> None:
        if not self.layer.visible or self._busy:  # attaching emits data_changed on the targets: no re-entry
            return
        self._busy = True
        try:
            attach(self.layer, self.canvas.scene.layers, set_modes=set_modes)
        finally:
            self._busy = False
        if self.layer.attached:
            self.layer.attached_before = True
        self._watch()

    def _watch(self) -> None:
        """Follow the data of every layer the comparison names (their data may be replaced)."""
        names = {self.layer.scan, *self.layer.design}
        wanted = [other for other in self.canvas.scene.layers if other is not self.layer and other.name in names]
        for other in self._watched:
            if not any(other is w for w in wanted):
                other.data_changed.disconnect(self._on_target_data)
        for other in wanted:
            if not any(other is w for w in self._watched):
                other.data_changed.connect(self._on_target_data)
        self._watched = wanted

    def _on_target_data(self) -> None:
        self._reattach(set_modes=False)

    def _on_layer_inserted(self, _index: int, other: Layer) -> None:
        if other is not self.layer and other.name in {self.layer.scan, *self.layer.design}:
            self._reattach(set_modes=False)

    def _on_layer_removed(self, _index: int, other: Layer) -> None:
        if any(other is w for w in self._watched):
            self.layer.attached = [a for a in self.layer.attached if a is not other]
            self._watch()

    def close(self) -> None:
        self.canvas.scene.layers.inserted.disconnect(self._on_layer_inserted)
        self.canvas.scene.layers.removed.disconnect(self._on_layer_removed)
        for other in self._watched:
            other.data_changed.disconnect(self._on_target_data)
        self._watched = []
        # Removing the comparison takes its colouring away; a canvas closing with the window does not
        # touch the model (changing layers then re-entered docks being torn down: a Qt crash, seen)
        if not any(other is self.layer for other in self.canvas.scene.layers):
            detach(self.layer)
        super().close()
