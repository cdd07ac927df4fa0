"""Present > Briefing mode (F11): the view full screen for an audience, and nothing that can go
wrong in front of it.

On entering: docks, toolbars, menu bar and status bar hidden (restored as they were on leaving,
Esc or F11), Qt fonts 1.5x and the texts over the scene 1.5x (Canvas.set_font_scale), the
statistics overlay off, sensor layers in density mode (their `set_privacy_density`), a title
card (project name, date, tour) shown first, a red laser dot following the mouse. PageDown /
Right (a presentation clicker's "next") and PageUp / Left step through the tour's stops, played
by the tour player (app/ui/tour_player.py).

Nothing may pop up over the audience: while briefing, load errors (MainWindow.show_errors),
comparison errors, notices and any warning or critical message box from background work become
a count on a small red dot in a corner whose tooltip lists them, and docks that would appear are
kept hidden until the briefing ends. A failed load or a dead feed never stops the briefing.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMessageBox, QToolBar, QWidget

from app.ui.i18n import tr
from app.ui.briefing_widgets import LaserPointer, ProblemIndicator, TitleCard
from app.ui.present_menu import present_menu

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

FONT_SCALE = 1.5
LASER_IDLE_MS = 2500  # the dot goes when the mouse rests (a presenter talking, not pointing)
FEED_WATCH_MS = 1000
BAD_FEED_STATES = ("reconnecting", "refused", "error")
# Boxes background work may open (a finished video export says so too); a question waits for an answer
# and none is asked from the background while the menus are hidden.
DIVERTED_ICONS = (QMessageBox.Icon.Warning, QMessageBox.Icon.Critical, QMessageBox.Icon.Information)
log = logging.getLogger(__name__)


def scaled_font(font: QFont, factor: float) -> QFont:
    out = QFont(font)
    if out.pointSizeF() > 0:
        out.setPointSizeF(out.pointSizeF() * factor)
    elif out.pixelSize() > 0:
        out.setPixelSize(int(round(out.pixelSize() * factor)))
    return out


class BriefingMode(QObject):
    """Briefing mode of one main window (win.briefing)."""

    entered = Signal()
    left = Signal()
    stepped = Signal(int)  # the stop shown now (-1: the title card)

    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.active = False
        self.index = -1  # -1: the title card; 0..n-1: the tour's stops
        self.tour: Any = None
        self._saved: dict[str, Any] = {}
        self.card: TitleCard | None = None
        self.laser: LaserPointer | None = None
        self.indicator: ProblemIndicator | None = None
        self._laser_idle = QTimer(self, singleShot=True, interval=LASER_IDLE_MS, timeout=self._hide_laser)
        self._feed_watch = QTimer(self, interval=FEED_WATCH_MS, timeout=self._watch_feeds)
        self._feed_states: dict[str, str] = {}  # feed -> the state last seen (a change to a bad one is counted once)
        self.action = QAction(tr("&Briefing mode"), win, checkable=True, shortcut=QKeySequence(Qt.Key.Key_F11))
        self.action.setToolTip(tr("Full screen for an audience: large fonts, no docks, PageDown steps the tour, "
                                  "errors go to a small indicator (Esc leaves)"))
        self.action.toggled.connect(self._toggled)
        present_menu(win).addAction(self.action)
        win.addAction(self.action)  # F11 still works with the menu bar hidden
        self.leave_action = self._key_action(tr("Leave briefing mode"), [Qt.Key.Key_Escape], lambda: self.action.setChecked(False))
        self.next_action = self._key_action(tr("Next stop"), [Qt.Key.Key_PageDown, Qt.Key.Key_Right], self.next)
        self.previous_action = self._key_action(tr("Previous stop"), [Qt.Key.Key_PageUp, Qt.Key.Key_Left], self.previous)
        keys = present_menu(win).addMenu(tr("Briefing &keys"))  # listed in Help > Keyboard shortcuts like every key
        keys.addActions([self.next_action, self.previous_action, self.leave_action])
        win.installEventFilter(self)  # closing the window leaves briefing mode first

    def _key_action(self, text: str, keys: list[Qt.Key], slot: Any) -> QAction:
        """A window-wide key that exists only while briefing (disabled otherwise: the key is the view's)."""
        action = QAction(text, self.win)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setEnabled(False)
        action.triggered.connect(slot)
        self.win.addAction(action)
        return action

    def _toggled(self, on: bool) -> None:
        if on:
            self.enter()
        else:
            self.leave()

    # --- entering and leaving -----------------------------------------------------------------
    def enter(self, tour: Any = None) -> None:
        if self.active:
            return
        win = self.win
        app = QApplication.instance()
        self.tour = tour if tour is not None else self.selected_tour()
        self._saved = {
            "widgets": [w for w in (*win.findChildren(QDockWidget), *win.findChildren(QToolBar))
                        if w.parent() is win and w.isVisible()],
            "menubar": win.menuBar().isVisible(), "statusbar": win.statusBar().isVisible(),
            "state": win.windowState(), "stats": win.stats_action.isChecked(),
            "font": QFont(app.font()), "font_scale": win.canvas.font_scale,
            "density": self._set_density(True),
        }
        self.active = True
        for widget in self._saved["widgets"]:
            widget.hide()
        win.menuBar().hide()
        win.statusBar().hide()
        area = getattr(getattr(win, "notices", None), "area", None)
        if area is not None and hasattr(area, "hold"):
            area.hold(self.divert)  # notices count on the indicator until the briefing ends
        win.stats_action.setChecked(False)  # no debug overlays
        app.setFont(scaled_font(self._saved["font"], FONT_SCALE))
        win.canvas.set_font_scale(self._saved["font_scale"] * FONT_SCALE)
        win.scene.layers.inserted.connect(self._on_layer_added)
        player = getattr(win, "tour_player", None)
        if player is not None and hasattr(player, "message"):
            player.message.connect(self.divert)  # a stop's missing bookmark or layer: counted, not said aloud
        app.installEventFilter(self)
        win.view.installEventFilter(self)
        self._feed_states = {}
        self._watch_feeds()  # feeds already down are said once; then only changes
        self._feed_watch.start()
        self._make_widgets()
        for action in (self.leave_action, self.next_action, self.previous_action):
            action.setEnabled(True)
        if not self.action.isChecked():
            self.action.blockSignals(True)
            self.action.setChecked(True)
            self.action.blockSignals(False)
        win.showFullScreen()
        self.show_title_card()
        win.view.setFocus()
        self.entered.emit()

    def leave(self) -> None:
        if not self.active:
            return
        win = self.win
        app = QApplication.instance()
        self.active = False
        app.removeEventFilter(self)
        win.view.removeEventFilter(self)
        self._feed_watch.stop()
        win.scene.layers.inserted.disconnect(self._on_layer_added)
        player = getattr(win, "tour_player", None)
        if player is not None and hasattr(player, "message"):
            player.message.disconnect(self.divert)
        for action in (self.leave_action, self.next_action, self.previous_action):
            action.setEnabled(False)
        if self.action.isChecked():
            self.action.blockSignals(True)
            self.action.setChecked(False)
            self.action.blockSignals(False)
        problems = list(self.indicator.problems) if self.indicator is not None else []
        for widget in (self.card, self.laser, self.indicator):
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.card = self.laser = self.indicator = None
        win.view.unsetCursor()
        saved = self._saved
        self._restore_density(saved.get("density", {}))
        app.setFont(saved["font"])
        win.canvas.set_font_scale(saved["font_scale"])
        win.stats_action.setChecked(saved["stats"])
        state = saved["state"]
        if state & Qt.WindowState.WindowFullScreen:
            win.showFullScreen()
        elif state & Qt.WindowState.WindowMaximized:
            win.showMaximized()
        else:
            win.showNormal()
        win.menuBar().setVisible(saved["menubar"])
        win.statusBar().setVisible(saved["statusbar"])
        for widget in saved["widgets"]:
            widget.show()
        area = getattr(getattr(win, "notices", None), "area", None)
        if area is not None and hasattr(area, "release"):
            area.release()
        self._saved = {}
        if problems:  # the audience has gone: now the presenter may read them
            win.statusBar().showMessage(tr("{n} problem(s) during the briefing: {last}").format(n=len(problems), last=problems[-1]),
                                        20_000)
        self.left.emit()

    # --- widgets over the view ----------------------------------------------------------------
    def _make_widgets(self) -> None:
        view = self.win.view
        self.indicator = ProblemIndicator(view, diameter=int(22 * FONT_SCALE))
        self.laser = LaserPointer(view, diameter=int(32 * FONT_SCALE))
        self.laser.hide()
        self.card = TitleCard(view)
        self.card.on_click = self.next
        self._place_widgets()
        view.setCursor(Qt.CursorShape.BlankCursor)  # the laser dot is the pointer

    def _place_widgets(self) -> None:
        view = self.win.view
        if self.card is not None:
            self.card.setGeometry(view.rect())
        if self.indicator is not None:
            margin = 12
            self.indicator.move(view.width() - self.indicator.width() - margin, view.height() - self.indicator.height() - margin)
            self.indicator.raise_()

    def show_title_card(self) -> None:
        if self.card is None:
            return
        files = self.win.project_files
        stops = len(self._stops())
        subtitle = ""
        if self.tour is not None:
            subtitle = (tr("{tour} \u00b7 1 stop") if stops == 1 else tr("{tour} \u00b7 {n} stops")).format(tour=self.tour.name, n=stops)
        self.card.set_text(files.name if files.name != "Untitled" else "Twinscape", subtitle)  # i18n: not shown (the window's key, the app's name)
        self.card.show()
        self.card.raise_()
        if self.indicator is not None:
            self.indicator.raise_()
        self.index = -1
        self.stepped.emit(-1)

    def _hide_laser(self) -> None:
        if self.laser is not None:
            self.laser.hide()

    # --- the tour -----------------------------------------------------------------------------
    def selected_tour(self) -> Any:
        """The tour chosen in the tour player or dock, else the project's first tour, else None."""
        for owner in (getattr(self.win, "bookmarks_dock", None), getattr(self.win, "tour_player", None)):
            for name in ("current_tour", "selected_tour"):
                getter = getattr(owner, name, None)
                tour = getter() if callable(getter) else None
                if tour is not None:
                    return tour
            tour = getattr(owner, "tour", None)
            if tour is not None:
                return tour
        tours = getattr(self.win.scene, "tours", None) or []
        return tours[0] if len(tours) else None

    def _stops(self) -> list[Any]:
        if self.tour is None:
            return []
        playable = getattr(self.tour, "playable", None)
        return list(playable(self.win.scene.bookmarks)) if callable(playable) else list(getattr(self.tour, "stops", []))

    def next(self) -> None:
        self.go_to(self.index + 1)

    def previous(self) -> None:
        self.go_to(self.index - 1)

    def go_to(self, index: int) -> None:
        """Show stop `index` (-1: the title card); past either end nothing happens."""
        if not self.active:
            return
        stops = self._stops()
        index = max(-1, min(index, max(len(stops), 1) - 1))  # no tour: one step, the view as it is
        if index == self.index:
            return
        if index < 0:
            self.show_title_card()
            return
        if self.card is not None:
            self.card.hide()
        self.index = index
        try:
            if stops:
                self._play_stop(index, stops[index])
        except Exception as exc:  # noqa: BLE001 - a stop that fails must not end the briefing
            log.exception("briefing: stop %d failed", index)
            self.divert(f"stop {index + 1}: {type(exc).__name__}: {exc}")
        self.stepped.emit(index)

    def _play_stop(self, index: int, stop: Any) -> None:
        """The tour player flies there and applies the stop's layers and time."""
        player = self._player()
        if player is not None:
            player.go_to(index)
            return
        bookmark = stop[1] if isinstance(stop, tuple) else None
        if bookmark is not None:
            self.win.canvas.set_camera(bookmark.camera)

    def _player(self) -> Any:
        """The window's tour player for the briefing's tour, when app/ui/tour_player.py offers one."""
        player = getattr(self.win, "tour_player", None)
        if player is not None and hasattr(player, "go_to"):
            if getattr(player, "tour", self.tour) is not self.tour and hasattr(player, "set_tour"):
                player.set_tour(self.tour)
            return player
        return None

    # --- sensors ------------------------------------------------------------------------------
    def _set_density(self, on: bool) -> dict[int, bool]:
        """Sensor layers (anything with set_privacy_density) show density, not individuals."""
        before: dict[int, bool] = {}
        for layer in self.win.scene.layers:
            setter = getattr(layer, "set_privacy_density", None)
            if callable(setter):
                before[id(layer)] = bool(getattr(layer, "privacy_density", False))
                setter(on)
        return before

    def _restore_density(self, before: dict[int, bool]) -> None:
        for layer in self.win.scene.layers:
            setter = getattr(layer, "set_privacy_density", None)
            if callable(setter):
                setter(before.get(id(layer), False))

    def _on_layer_added(self, _index: int, layer: Any) -> None:
        setter = getattr(layer, "set_privacy_density", None)
        if callable(setter):
            setter(True)

    # --- problems -----------------------------------------------------------------------------
    def _watch_feeds(self) -> None:
        """A live feed that lost its broker or its login (the network cable pulled) is counted on the
        indicator; the feed keeps reconnecting by itself and the briefing goes on."""
        hubs = getattr(getattr(self.win, "live", None), "hubs", None) or {}
        for key, hub in list(hubs.items()):
            stats = getattr(getattr(hub, "feed", None), "stats", None)
            state = str(getattr(stats, "state", ""))
            if state in BAD_FEED_STATES and self._feed_states.get(key) != state:
                url = getattr(hub.feed, "url", "") or key
                self.divert(f"{url}: {getattr(stats, 'message', '') or state}")
            self._feed_states[key] = state

    def divert(self, text: str) -> bool:
        """While briefing, a problem becomes a count on the indicator (True); otherwise False and
        the caller shows it as it always does."""
        if not self.active:
            return False
        log.warning("during briefing: %s", text)
        if self.indicator is not None:
            self.indicator.add(text)
            self._place_widgets()
        return True

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if obj is self.win and kind == QEvent.Type.Close:
            self.leave()  # the application font and the event filter are not left behind
            return False
        if not self.active:
            return False
        if kind == QEvent.Type.MouseMove and self.laser is not None and isinstance(obj, QWidget):
            self._follow_mouse(obj, event)
        elif obj is self.win.view and kind == QEvent.Type.Resize:
            self._place_widgets()
        elif kind == QEvent.Type.Show and isinstance(obj, QWidget):
            self._keep_off_screen(obj)
        return False

    def _follow_mouse(self, widget: QWidget, event: Any) -> None:
        view = self.win.view
        if widget is view or view.isAncestorOf(widget):  # local positions: right even while the window moves
            pos = widget.mapTo(view, event.position().toPoint())
        else:
            pos = view.mapFromGlobal(event.globalPosition().toPoint())
        if view.rect().contains(pos) and (self.card is None or not self.card.isVisible()):
            self.laser.centre_on(pos.x(), pos.y())
            self.laser.show()
            self.laser.raise_()
            self._laser_idle.start()
        else:
            self.laser.hide()

    def _keep_off_screen(self, widget: QWidget) -> None:
        """A message box from background work goes to the indicator instead (it is never mapped:
        Show reaches filters before the window appears); a dock or toolbar that would appear waits
        for the end of the briefing."""
        if isinstance(widget, QMessageBox) and widget.icon() in DIVERTED_ICONS:
            widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            self.divert(" ".join(t for t in (widget.windowTitle(), widget.text()) if t))
            QTimer.singleShot(0, widget.reject)
        elif isinstance(widget, (QDockWidget, QToolBar)) and widget.parent() is self.win:
            if widget not in self._saved.get("widgets", []):
                self._saved.setdefault("widgets", []).append(widget)
            QTimer.singleShot(0, lambda w=widget: w.hide() if self.active else None)


def install_briefing(win: "MainWindow") -> BriefingMode:
    """Present > Briefing mode (F11), File > Export image... (app/ui/screenshot_dialog.py) and
    autosave with recovery after a crash (app/ui/autosave.py, win.autosave)."""
    from app.ui.autosave import install_autosave
    from app.ui.screenshot_dialog import file_menu, install_export_image

    briefing = BriefingMode(win)
    win.export_image_action = install_export_image(win)
    win.autosave = install_autosave(win, file_menu(win))
    return briefing
