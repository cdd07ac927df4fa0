"""The visual of a schedule layer: draws nothing itself, follows the scene clock and shows the 4D
states on the linked model's visual, in place (MeshVisual.set_element_states).

Driven by events only: the clock's `time_changed`, the layer's `states_changed`/`highlight_changed`
and the scene's layer insertions (a project reopens its links once the target model is there).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.model.schedule_layer import ScheduleLayer
from viewers.schedule_status_colours import ScheduleStatusFollower
from viewers.visuals import MeshVisual, Visual, register_visual

if TYPE_CHECKING:
    from viewers.canvas import Canvas


@register_visual(ScheduleLayer)
class ScheduleVisual(Visual):
    layer: ScheduleLayer

    def __init__(self, layer: ScheduleLayer, canvas: "Canvas") -> None:
        self._shown_on: MeshVisual | None = None
        super().__init__(layer, canvas)
        self.clock = canvas.scene.clock
        self.clock.time_changed.connect(self._on_time)
        layer.states_changed.connect(self._apply)
        layer.highlight_changed.connect(self._on_highlight)
        canvas.scene.layers.inserted.connect(self._on_layer_inserted)
        canvas.scene.layers.removed.connect(self._on_layer_removed)
        self._relink()
        self._on_time(self.clock.time)
        self._apply()
        self.status_follower = ScheduleStatusFollower(layer, canvas)  # planned versus actual colours, if compared

    def build(self) -> None:
        self.actor = None
        self.drawn = {}

    def _on_event(self, info: Any) -> None:
        if info.signal.name == "visible":  # a hidden schedule leaves the model as it is without 4D
            self._apply()
            self.canvas.request_render()

    def _on_data_changed(self) -> None:
        self._apply()

    def _on_time(self, when: Any) -> None:
        self.layer.set_time(when)

    def _on_layer_inserted(self, _index: int, _layer: Any) -> None:
        if self._relink():
            self._apply()

    def _on_layer_removed(self, _index: int, layer: Any) -> None:
        """The linked model went away: drop the links but keep what they were, so that the model coming
        back (undo of the removal, opening it again) links again."""
        if layer is self.layer.target_layer:
            self._shown_on = None
            self.layer.unlink()

    def _relink(self) -> bool:
        if self.layer.needs_relink():
            self.layer.relink(self.canvas.scene.layers)
            if self.layer.links is not None:
                self.layer.set_time(self.clock.time, force=True)
                return True
        return False

    def _target(self) -> MeshVisual | None:
        target = self.layer.target_layer
        visual = self.canvas.visuals.get(id(target)) if target is not None else None
        return visual if isinstance(visual, MeshVisual) else None

    def _apply(self) -> None:
        """Hand the current states to the target's visual (and clear them from a former target)."""
        target = self._target()
        if self._shown_on is not None and self._shown_on is not target and self._shown_on in self.canvas.visuals.values():
            self._shown_on.set_element_states(None)
        self._shown_on = target
        if target is not None:
            states = self.layer.states if self.layer.visible else None
            target.set_element_states(states)
            self.drawn = {"4D elements": int(self.layer.links.report.elements_linked)} if self.layer.links is not None else {}
        self.canvas.request_render()

    def _on_highlight(self, elements: Any) -> None:
        target = self._target()
        if target is not None:
            target.set_highlight_elements(elements)
            self.canvas.request_render()

    def stats(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        self.status_follower.close()
        self.clock.time_changed.disconnect(self._on_time)
        self.layer.states_changed.disconnect(self._apply)
        self.layer.highlight_changed.disconnect(self._on_highlight)
        self.canvas.scene.layers.inserted.disconnect(self._on_layer_inserted)
        self.canvas.scene.layers.removed.disconnect(self._on_layer_removed)
        if self._shown_on is not None and self._shown_on in self.canvas.visuals.values():
            self._shown_on.set_element_states(None)
            self.canvas.request_render()
        super().close()
