"""Live feeds in the window: the "Live" menu, one GUI timer that drains every feed, the alerts
dock, the sensor chart and the layer dock's sensor panel. `install_sensors(win)` is the one call
the main window makes.

Why one timer: readings arrive on feed threads (app.sources) at up to thousands a second; the GUI
takes them at most DRAIN_HZ times a second, folds them into each sensor layer (history, alerts)
and asks for one render; each sensor visual refreshes its arrays once, just before that frame.
Layers that name the same feed (URL and mapping) share one connection: the demo's air quality,
traffic, parking and crane layers all read one `sim://demo`.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from app.ui.i18n import tr
from app.model.layers import Layer
from app.model.sensors import SensorLayer, make_sensor_layer

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger("twinscape.live")
DRAIN_HZ = 10
MAX_PER_DRAIN = 10_000
CATCH_UP_S = 0.05  # a backlog is drained in one tick for up to this long (the rest at the next tick)


@dataclass
class FeedHub:
    """One open feed and the layers that show it."""

    key: str
    feed: Any
    layers: list[SensorLayer] = field(default_factory=list)
    error: str = ""


def feed_key(layer: SensorLayer) -> str:
    return json.dumps([layer.url, layer.mapping or {}], sort_keys=True)


class LiveController(QObject):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.scene = win.scene
        self.hubs: dict[str, FeedHub] = {}
        self.credentials: dict[str, Any] = {}  # asked this session, in memory only (never in the project)
        self.drains = 0
        self.timer = QTimer(self, interval=1000 // DRAIN_HZ, timeout=self.drain)
        self.timer.start()
        self.scene.layers.inserted.connect(self._on_inserted)
        self.scene.layers.removed.connect(self._on_removed)
        for layer in self.scene.layers:
            self._on_inserted(0, layer)
        win.installEventFilter(self)

    # --- feeds ------------------------------------------------------------------------------------
    def _on_inserted(self, _index: int, layer: Layer) -> None:
        if isinstance(layer, SensorLayer) and layer.url:
            self.attach(layer)

    def _on_removed(self, _index: int, layer: Layer) -> None:
        if isinstance(layer, SensorLayer):
            self.detach(layer)

    def attach(self, layer: SensorLayer) -> None:
        """Open (or share) the layer's feed; a feed that cannot open is said in the layer's status."""
        key = feed_key(layer)
        hub = self.hubs.get(key)
        if hub is None:
            hub = self.hubs[key] = FeedHub(key, None)
            try:
                hub.feed = self._open(layer.url, layer.mapping)
                hub.feed.start()
            except Exception as exc:  # noqa: BLE001 - FeedError, a bad mapping: shown, never raised into Qt
                hub.error = getattr(exc, "reason", None) or str(exc)
                log.info("feed %s not opened: %s", layer.url, hub.error)
        if not any(layer is other for other in hub.layers):
            hub.layers.append(layer)
        if hub.error:
            layer.set_status({"state": "error", "message": hub.error})

    def _open(self, url: str, mapping: dict | None) -> Any:
        from app.sources.credentials import load_credentials
        from app.sources.feed import open_feed
        from app.sources.mapping import FeedMapping

        creds = self.credentials.get(url) or load_credentials(url)
        return open_feed(url, FeedMapping.from_dict(mapping) if mapping else None, credentials=creds)

    def detach(self, layer: SensorLayer) -> None:
        for key, hub in list(self.hubs.items()):
            hub.layers = [other for other in hub.layers if other is not layer]
            if not hub.layers:
                self._stop(hub)
                del self.hubs[key]

    def reconnect(self, layer: SensorLayer, credentials: Any = None) -> None:
        """Open the layer's feed again (after a refused login, with the credentials just asked)."""
        if credentials is not None:
            self.credentials[layer.url] = credentials
        key = feed_key(layer)
        hub = self.hubs.pop(key, None)
        if hub is not None:
            self._stop(hub)
        for other in (hub.layers if hub is not None else [layer]):
            self.attach(other)

    @staticmethod
    def _stop(hub: FeedHub) -> None:
        if hub.feed is not None:
            try:
                hub.feed.stop()
            except Exception:  # noqa: BLE001 - closing never raises into the GUI
                log.debug("stopping %s failed", hub.key, exc_info=True)

    def drain(self) -> int:
        """One GUI tick: every feed's queued readings into its layers (the visuals redraw at the next frame)."""
        taken = 0
        frame = self.scene.frame
        for hub in list(self.hubs.values()):
            if hub.feed is None:
                continue
            readings = hub.feed.drain(MAX_PER_DRAIN)
            started = time.perf_counter()
            while len(readings) >= MAX_PER_DRAIN and time.perf_counter() - started < CATCH_UP_S:
                more = hub.feed.drain(MAX_PER_DRAIN)  # a backlog (history at open, a burst): catch up now
                readings.extend(more)
                if len(more) < MAX_PER_DRAIN:
                    break
            infos = hub.feed.sensors() if readings and any(r.position is None for r in readings) else None
            for layer in hub.layers:
                if readings and frame.is_set:
                    layer.ingest(readings, frame, infos)
                elif readings:  # the first lon/lat reading sets the origin of an empty scene
                    with self.scene._frame_lock:
                        layer.ingest(readings, frame, infos)
                layer.set_status(hub.feed.stats)
            taken += len(readings)
        self.drains += 1
        return taken

    def add_feed(self, url: str, mapping: dict | None = None, name: str = "", credentials: Any = None,
                 **state: Any) -> SensorLayer:
        """Live > Add feed...: a new sensor layer on `url` (credentials kept in memory for this session)."""
        if credentials is not None:
            self.credentials[url] = credentials
        layer = make_sensor_layer(url, mapping, name=name or url, **state)
        self.scene.layers.append(layer)
        return layer

    def sensor_layers(self) -> list[SensorLayer]:
        return [layer for layer in self.scene.layers if isinstance(layer, SensorLayer)]

    def go_live(self) -> None:
        """The clock to now (its range stretched to include now): every sensor layer shows live values."""
        clock = self.scene.clock
        now = datetime.now(timezone.utc).astimezone(clock.time.tzinfo)
        if now > clock.end or now < clock.start:
            clock.set_range(min(clock.start, now - timedelta(hours=1)), max(clock.end, now + timedelta(hours=1)))
        clock.set_time(now)
        for layer in self.sensor_layers():
            layer.set_clock_time(time.time())

    # --- shutting down ----------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.win and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._closed_check)
        return False

    def _closed_check(self) -> None:
        if not self.win.isVisible():
            self.close()

    def close(self) -> None:
        """Stop every feed (the window closed)."""
        self.timer.stop()
        for hub in self.hubs.values():
            self._stop(hub)
        self.hubs.clear()
        for dock in (getattr(self, "alerts_dock", None), getattr(self, "chart", None)):
            if dock is not None:
                try:
                    dock.detach()
                except (TypeError, ValueError, RuntimeError):  # already detached
                    pass
        try:
            self.scene.layers.inserted.disconnect(self._on_inserted)
            self.scene.layers.removed.disconnect(self._on_removed)
        except (TypeError, ValueError, RuntimeError):
            pass


def live_menu(win: "MainWindow") -> QMenu:
    """The top-level "Live" menu (before Help when there is one)."""
    found = win.findChild(QMenu, "live_menu")
    if found is not None:
        return found
    menu = QMenu(tr("&Live"), win)
    menu.setObjectName("live_menu")
    bar = win.menuBar()
    help_action = next((a for a in bar.actions() if a.text() in ("&Help", tr("&Help"))), None)  # either language
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)
    return menu


def install_sensors(win: "MainWindow") -> LiveController:
    """Everything live feeds add to the window: menu, timer, alerts dock, chart, layer-dock panel."""
    from app.ui.alerts_dock import AlertsDock
    from app.ui.feed_dialog import FeedDialog
    from app.ui.sensor_chart import SensorChartDock
    from app.ui.dock_tabs import tab_beside_when_shown
    from app.ui.sensor_panel import install_sensor_panel

    live = LiveController(win)
    win.live = live
    live.alerts_dock = AlertsDock(win.scene, win)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, live.alerts_dock)
    tab_beside_when_shown(win, win.properties, live.alerts_dock)  # tabs with Properties: the view keeps its room
    live.alerts_dock.hide()
    live.chart = SensorChartDock(win.scene, win)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, live.chart)
    tab_beside_when_shown(win, win.properties, live.chart)
    live.chart.hide()
    live.panel = install_sensor_panel(win, live)
    menu = live_menu(win)

    def add_feed() -> None:
        live.dialog = FeedDialog(win)
        live.dialog.accepted_feed.connect(lambda spec: live.add_feed(**spec))
        live.dialog.show()

    live.add_action = QAction(tr("&Add feed\u2026"), win, triggered=add_feed)
    live.add_action.setToolTip(tr("Show a live sensor feed (MQTT, SensorThings, a recording, sim://demo) as a layer"))
    live.live_action = QAction(tr("&Go live (clock to now)"), win, triggered=live.go_live)
    menu.addAction(live.add_action)
    menu.addAction(live.live_action)
    menu.addSeparator()
    menu.addAction(live.alerts_dock.toggleViewAction())
    menu.addAction(live.chart.toggleViewAction())
    return live
