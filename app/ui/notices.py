"""Non-blocking notices about where layers landed, and the scene-origin actions they offer.

Why: a layer 12,000 km from the scene origin, or a model without georeference dropped at the
view centre, must be said, but a modal dialog would stop the user mid-work. Notices sit in a
strip above the view (and the status bar), each with the one action that fixes it: "Move
origin here" or "Place...". They close by themselves when their layer goes.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStatusBar, QToolButton, QVBoxLayout, QWidget

from app.model.layers import Layer, MissingLayer
from app.model.placement import needs_placement, place_at_view, place_layer
from app.model.reorigin import far_message
from app.model.scene import Scene
from app.ui.i18n import tr

STATUS_MS = 20_000
MAX_SHOWN = 2  # notices shown at once before the rest fold behind "N more"
Action = tuple[str, Callable[[], None]]


class Notice(QFrame):
    def __init__(self, text: str, actions: list[Action], on_close: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("notice")
        self.setStyleSheet("#notice { background: #fff4d6; border: 1px solid #e0b84c; border-radius: 3px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 2, 2)
        self.label = QLabel(tr('⚠ {text}').format(text=text))
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.label, 1)
        self.buttons: dict[str, QPushButton] = {}
        for label, callback in actions:
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, cb=callback: cb())
            row.addWidget(button)
            self.buttons[label] = button
        close = QToolButton()
        close.setText("\u2715")
        close.setToolTip(tr("Dismiss"))
        close.setAutoRaise(True)
        close.clicked.connect(on_close)
        row.addWidget(close)
        self.text = text


class NoticeArea(QWidget):
    """A column of notices, one per key (a layer); hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(2, 2, 2, 2)
        self._column.setSpacing(2)
        self.notices: dict[str, Notice] = {}
        self.shown_with: QWidget | None = None  # a container (the toolbar) shown and hidden with the notices
        self.expanded = False
        self.held: Callable[[str], None] | None = None  # briefing mode: notices are counted there, not shown
        # Seven models opened at once must not push the 3D view off the screen: the newest few
        # notices show, the rest fold behind one "N more" row that unfolds on demand.
        self.more = QPushButton()
        self.more.setFlat(True)
        self.more.setStyleSheet("text-align: left; color: #6b4f00; padding: 1px 8px;")
        self.more.clicked.connect(self._toggle_more)
        self._column.addWidget(self.more)
        self.more.hide()

    def _show(self, visible: bool) -> None:
        (self.shown_with or self).setVisible(visible and self.held is None)

    def hold(self, report: Callable[[str], None]) -> None:
        """Briefing mode: new notices go to `report` and wait, unseen, until `release`."""
        self.held = report
        self._show(False)

    def release(self) -> None:
        self.held = None
        self._show(bool(self.notices))

    def is_shown(self) -> bool:
        return bool(self.notices) and (self.shown_with or self).isVisible()

    def add(self, key: str, text: str, actions: list[Action] | None = None) -> Notice:
        self.remove(key)
        notice = Notice(text, actions or [], lambda: self.remove(key))
        self.notices[key] = notice
        self._column.insertWidget(self._column.count() - 1, notice)  # above the "more" row
        if self.held is not None:
            self.held(text)
        self._show(True)
        self._fold()
        return notice

    def remove(self, key: str) -> None:
        notice = self.notices.pop(key, None)
        if notice is not None:
            self._column.removeWidget(notice)
            notice.deleteLater()
        self._show(bool(self.notices))
        self._fold()

    def _toggle_more(self) -> None:
        self.expanded = not self.expanded
        self._fold()

    def _fold(self) -> None:
        """Show the newest MAX_SHOWN notices (all when unfolded); say how many are folded away."""
        ordered = list(self.notices.values())
        hidden = 0 if self.expanded else max(0, len(ordered) - MAX_SHOWN)
        for i, notice in enumerate(ordered):
            notice.setVisible(i >= hidden)
        folded = len(ordered) - MAX_SHOWN
        self.more.setVisible(folded > 0)
        if folded > 0:
            self.more.setText(tr("\u25b2 Fold the older notices") if self.expanded else
                              (tr("\u25bc {folded} more notices (click to show)") if folded > 1 else tr("\u25bc 1 more notice (click to show)")).format(folded=folded))

    def clear(self) -> None:
        for key in list(self.notices):
            self.remove(key)

    def texts(self) -> list[str]:
        return [n.text for n in self.notices.values()]


class LayerNotices:
    """Watches layers as they arrive: an ungeoreferenced one joining others is placed at the
    view centre (and said so), a far one is said with "Move origin here". Also re-applies an
    automatic placement when a streaming layer's data is replaced by a fuller snapshot."""

    def __init__(self, scene: Scene, area: NoticeArea, status: QStatusBar, view_centre: Callable[[], np.ndarray],
                 place: Callable[[Layer], None], zoom_to: Callable[[Layer], None]) -> None:
        self.scene, self.area, self.status = scene, area, status
        self._view_centre, self._place, self._zoom_to = view_centre, place, zoom_to
        self._watched: dict[int, Callable[[], None]] = {}
        self._auto: dict[int, dict] = {}  # layers this placed: the placement survives new snapshots
        # Models opened together without georeference (the discipline or storey models of one
        # building) share one local grid: the first is placed at the view centre and the rest take
        # the same placement, so they stay aligned instead of each being centred on its own.
        self.batch: object | None = None  # set by the window to the loading task whose layers arrive
        self._batch_placement: dict[int, tuple[tuple[float, float, float], str]] = {}
        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)

    def close(self) -> None:
        self.scene.layers.inserted.disconnect(self._on_inserted)
        self.scene.layers.removed.disconnect(self._on_removed)
        for layer in list(self.scene.layers):
            self._unwatch(layer)

    # --- arriving layers ------------------------------------------------------------------------
    def _on_inserted(self, index: int, layer: Layer) -> None:
        if isinstance(layer, MissingLayer):
            return
        others = [other for other in self.scene.layers if other is not layer and not isinstance(other, MissingLayer)]
        if needs_placement(layer) and others:
            self._place_at_view(layer)
        elif self.scene.is_far(layer):
            self.notify_far(layer)
        on_data = lambda layer=layer: self._on_data(layer)  # noqa: E731 - one closure per layer, kept to disconnect
        self._watched[id(layer)] = on_data
        layer.data_changed.connect(on_data)

    def _place_at_view(self, layer: Layer) -> None:
        shared = self._batch_placement.get(id(self.batch)) if self.batch is not None else None
        if shared is not None:
            origin, first = shared
            place_layer(self.scene, layer, origin, 0.0)
            text = tr('{v0} has no georeference: placed with {first} (same local coordinates)').format(v0=layer.name, first=first)
        else:
            origin = place_at_view(self.scene, layer, self._view_centre())
            text = tr('{v0} has no georeference: placed at the view centre').format(v0=layer.name)
            if origin is not None and self.batch is not None:
                if len(self._batch_placement) > 64:
                    self._batch_placement.clear()
                self._batch_placement[id(self.batch)] = (origin, layer.name)
        if origin is not None:
            self._auto[id(layer)] = dict(layer.info.get("placement", {}))
        self.area.add(str(id(layer)), text, [(tr("Place\u2026"), lambda: self._place(layer))])
        self.status.showMessage(text + tr(" (Place\u2026 to put it where it belongs)"), STATUS_MS)

    def notify_far(self, layer: Layer) -> None:
        text = far_message(layer.name, self.scene.distance_m(layer))
        self.area.add(str(id(layer)), text, [(tr("Move origin here"), lambda: self.move_origin_to(layer)),
                                             (tr("Zoom to"), lambda: self._zoom_to(layer))])
        self.status.showMessage(text, STATUS_MS)

    def _on_data(self, layer: Layer) -> None:
        """A fuller snapshot (streamed IFC) replaced the data: placed again, in today's frame."""
        auto = self._auto.get(id(layer))
        if auto is not None and layer.info.get("placement", {}).get("origin_lla"):
            self._auto[id(layer)] = auto = dict(layer.info["placement"])  # placed again by hand: that one holds
        if auto and "placement" not in layer.info and auto.get("origin_lla"):
            place_layer(self.scene, layer, tuple(auto["origin_lla"]), auto.get("rotation_deg", 0.0))  # emits again
        elif self.scene.conform(layer):
            layer.data_changed.emit()

    def _on_removed(self, index: int, layer: Layer) -> None:
        self._unwatch(layer)
        self.area.remove(str(id(layer)))

    def _unwatch(self, layer: Layer) -> None:
        on_data = self._watched.pop(id(layer), None)
        if on_data is not None:
            layer.data_changed.disconnect(on_data)
        self._auto.pop(id(layer), None)

    # --- the scene origin -----------------------------------------------------------------------
    def move_origin_to(self, layer: Layer | None) -> bool:
        """Re-place every layer around this one; the view then shows it. False when it has no extent."""
        if layer is None or not any(layer is other for other in self.scene.layers):
            return False
        origin = self.scene.origin_for(layer)
        if origin is None:
            self.status.showMessage(tr('{v0} has no extent yet: the scene origin stays').format(v0=layer.name), STATUS_MS)
            return False
        self.scene.move_origin(origin, display_crs=self.scene.display_crs_of(layer))
        self.area.clear()
        far = [other.name for other in self.scene.layers if other is not layer and self.scene.is_far(other)]
        text = tr('Scene origin moved to {v0} ({v1:.5f}°, {v2:.5f}°)').format(v0=layer.name, v1=origin[0], v2=origin[1])
        if far:
            text += (tr("; {n} layers now far away ({names})") if len(far) > 1 else tr("; {n} layer now far away ({names})")).format(
                n=len(far), names=", ".join(far[:3]))
        self.status.showMessage(text, STATUS_MS)
        self._zoom_to(layer)
        return True


def install_notices(window) -> LayerNotices:
    """The notice strip above the view (a fixed top toolbar, hidden while empty) and its
    watcher, wired to the window's layer dock, canvas and status bar."""
    from PySide6.QtWidgets import QToolBar

    area = NoticeArea(window)
    bar = QToolBar(tr("Notices"), window)
    bar.setObjectName("NoticeBar")
    bar.setMovable(False)
    bar.setFloatable(False)
    bar.toggleViewAction().setVisible(False)
    bar.addWidget(area)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def place(layer: Layer) -> None:
        item = window.layer_tree.item_for(layer)
        if item is not None:
            window.layer_tree.tree.setCurrentItem(item)
            window.layer_tree.place_current()

    notices = LayerNotices(window.scene, area, window.statusBar(),
                           view_centre=lambda: np.asarray(window.canvas.get_camera().focal_point, dtype=np.float64),
                           place=place, zoom_to=window.zoom_to_layer)
    area.shown_with = bar  # the toolbar shows and hides (a toolbar's widget must not hide itself)
    bar.setVisible(False)
    window.layer_tree.move_origin = notices.move_origin_to
    return notices


def add_scene_origin_menu(window, view_menu, notices: LayerNotices):
    """View > Scene origin: move it to the current layer, or to any layer by name."""
    from PySide6.QtGui import QAction

    menu = view_menu.addMenu(tr("Scene &origin"))

    def to_current() -> None:
        layer = window.layer_tree.current_layer()
        if layer is None:
            window.statusBar().showMessage(tr("Choose a layer in the Layers dock first"), STATUS_MS)
            return
        notices.move_origin_to(layer)

    window.move_origin_action = QAction(tr("Move to &this layer"), window, triggered=to_current)
    window.move_origin_action.setToolTip(tr("Re-place every layer around the current layer (for data far from the others)"))
    menu.addAction(window.move_origin_action)
    by_name = menu.addMenu(tr("Move to &layer"))

    def fill() -> None:
        by_name.clear()
        for layer in window.scene.layers:
            if not isinstance(layer, MissingLayer) and layer.bounds() is not None:
                by_name.addAction(QAction(layer.name, window, triggered=lambda _=False, lyr=layer: notices.move_origin_to(lyr)))
        by_name.setEnabled(True)

    by_name.aboutToShow.connect(fill)
    return menu
