"""Camera flights and tours in the GUI, driven by a timer on the GUI thread.

The flight and the tour are functions of time (viewers/flight.py); the timer only samples them at
the time elapsed, so a slow frame makes the motion coarser, never longer. A tour's clock advances
at most 0.5 s per tick, so a window that stalls (a burst of feed data) delays the tour instead of
jumping past a stop the audience should see. Intermediate frames move
the VTK camera and clipping only; the scene's saved camera (and the point budget's allocation) is
set at arrival and a few times a second on the way, as during a mouse drag.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.model.clock import ClockError
from app.model.scene import Camera
from app.model.tours import Tour, missing_message, set_clock_time
from app.ui.i18n import tr
from viewers.flight import Flight, TourTimeline, apply_visibility

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

FRAME_MS = 16
LOD_INTERVAL_S = 0.25
MAX_TICK_S = 0.5  # tour time advances at most this much per timer tick


def ground_z(win: "MainWindow") -> float | None:
    b = win.scene.local_bounds()
    return float(b[0][2]) if b is not None else None


def show_camera(win: "MainWindow", cam: Camera) -> None:
    """One in-between frame: the VTK camera, clipping planes and a render; nothing saved."""
    c = win.canvas.plotter.camera
    c.position, c.focal_point, c.up = cam.position, cam.focal_point, cam.view_up
    c.view_angle = cam.view_angle
    win.canvas.update_clipping()
    win.canvas.request_render()


class CameraFlyer(QObject):
    """Smooth flights of the window's view (win.flyer): one at a time, a new one starts from
    wherever the camera is."""

    arrived = Signal(object)  # the target Camera

    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.flight: Flight | None = None
        self.speed = 1.0  # flight durations are divided by this (tests and impatient users)
        self._t0 = 0.0
        self._last_lod = 0.0
        self._timer = QTimer(self, interval=FRAME_MS, timeout=self._step)

    @property
    def flying(self) -> bool:
        return self.flight is not None

    def fly_to(self, cam: Camera, duration: float | None = None) -> Flight:
        """Start a flight (duration by distance when None); 0 s jumps at once."""
        start = self.win.canvas.get_camera() if self.flight is None else self._current()
        flight = Flight.between(start, cam, duration, ground_z(self.win))
        self.flight = Flight(flight.start, flight.end, flight.duration / max(self.speed, 1e-3), flight.ground_z)
        self._t0 = self._last_lod = time.perf_counter()
        if self.flight.duration <= 0:
            self._arrive()
        else:
            self._timer.start()
        return self.flight

    def stop(self) -> None:
        """Stop where the camera is now (that view becomes the scene's camera)."""
        if self.flight is not None:
            self._timer.stop()
            cam = self._current()
            self.flight = None
            self.win.canvas.set_camera(cam)

    def _current(self) -> Camera:
        assert self.flight is not None
        return self.flight.at(time.perf_counter() - self._t0)

    def _step(self) -> None:
        if self.flight is None:
            self._timer.stop()
            return
        now = time.perf_counter()
        if now - self._t0 >= self.flight.duration:
            self._arrive()
            return
        show_camera(self.win, self.flight.at(now - self._t0))
        if now - self._last_lod >= LOD_INTERVAL_S:  # detail follows the camera a few times a second
            self._last_lod = now
            self.win.canvas.update_lod()

    def _arrive(self) -> None:
        self._timer.stop()
        target = self.flight.end if self.flight is not None else self.win.canvas.get_camera()
        self.flight = None
        self.win.canvas.set_camera(target)
        self.win.canvas.request_render()
        self.arrived.emit(target)


class TourPlayer(QObject):
    """Plays a tour (win.tour_player): fly to each stop, apply its layers and clock time on arrival,
    pause, go on. `go_to(i)` shows one stop (briefing mode steps with it)."""

    stop_reached = Signal(int)  # index into the tour's playable stops
    finished = Signal()
    message = Signal(str)  # a readable problem (a missing bookmark or layer, a bad time)

    def __init__(self, win: "MainWindow", flyer: CameraFlyer) -> None:
        super().__init__(win)
        self.win = win
        self.flyer = flyer
        self.tour: Tour | None = None
        self.timeline: TourTimeline | None = None
        self.messages: list[str] = []
        self._t0 = 0.0
        self._applied = -1
        self._t = 0.0
        self._shown: Camera | None = None
        self._last_lod = 0.0
        self._said: set[str] = set()
        self._pending: Callable[[object], None] | None = None  # go_to's arrival, while its flight is on
        self._timer = QTimer(self, interval=FRAME_MS, timeout=self._step)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def current_tour(self) -> Tour | None:
        return self.tour

    def set_tour(self, tour: Tour | None) -> None:
        if tour is not self.tour:
            self.stop()
            self.tour = tour

    def _say(self, text: str) -> None:
        if text in self._said:
            return
        self._said.add(text)
        self.messages.append(text)
        self.message.emit(text)
        self.win.statusBar().showMessage(text, 10_000)

    def play(self, tour: Tour | None = None) -> bool:
        """Play from the current view; False (with a message) when nothing can play."""
        if tour is not None:
            self.set_tour(tour)
        self.stop()
        if self.tour is None:
            self._say(tr("no tour to play (make one in Present > Bookmarks and tours)"))
            return False
        marks = list(self.win.scene.bookmarks)
        problem = missing_message(self.tour, marks)
        if problem:
            self._say(problem)
        if not self.tour.playable(marks):
            self._say(tr("tour '{tour}' has no stop to play").format(tour=self.tour.name))
            return False
        self.flyer.stop()
        self.timeline = TourTimeline(self.tour, marks, self.win.canvas.get_camera(), ground_z(self.win))
        self._t0 = self._last_lod = time.perf_counter()
        self._t = 0.0
        self._applied = -1
        self._shown: Camera | None = None
        self._said.clear()
        self._timer.start()
        return True

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.win.canvas.set_camera(self.win.canvas.get_camera())  # where it stopped is the view now

    def _step(self) -> None:
        assert self.timeline is not None
        now = time.perf_counter()
        self._t += min(now - self._t0, MAX_TICK_S)  # a stalled frame delays the tour, never skips a stop
        self._t0 = now
        t = self._t
        state = self.timeline.state(t)
        if state.stop != self._applied:  # arrived: this stop's layers and time, the view saved
            self._apply(state.layers, state.time)
            self._applied = state.stop
            self.win.canvas.set_camera(state.camera)
            self.stop_reached.emit(state.stop)
        elif state.camera is not self._shown:
            show_camera(self.win, state.camera)
            if now - self._last_lod >= LOD_INTERVAL_S:
                self._last_lod = now
                self.win.canvas.update_lod()
        self._shown = state.camera
        if t >= self.timeline.duration:
            self._timer.stop()
            self.finished.emit()

    def go_to(self, index: int) -> None:
        """Fly to playable stop `index` and, on arrival, apply the layers and time of every stop up
        to it (stepping back shows the state that stop had when played forwards)."""
        if self.tour is None:
            return
        self.stop()
        pairs = self.tour.playable(self.win.scene.bookmarks)
        if not 0 <= index < len(pairs):
            return
        layers: dict[str, bool] = {}
        when: str | None = None
        for stop, _ in pairs[: index + 1]:
            layers.update(stop.layers or {})
            when = stop.time or when
        stop, mark = pairs[index]

        def arrived(_cam: object) -> None:
            self.flyer.arrived.disconnect(arrived)
            self._pending = None
            self._apply(layers, when)
            self.stop_reached.emit(index)

        if self._pending is not None:  # a step before this one had not arrived: only this one applies
            self.flyer.arrived.disconnect(self._pending)
        self._pending = arrived
        self.flyer.arrived.connect(arrived)
        self.flyer.fly_to(mark.camera, stop.transition)

    def _apply(self, layers: dict[str, bool], when: str | None) -> None:
        for name in apply_visibility(self.win.scene.layers, layers):
            self._say(tr("tour '{tour}': no layer named '{layer}'").format(tour=self.tour.name if self.tour else "", layer=name))
        if when is not None:
            try:
                set_clock_time(self.win.scene.clock, when)
            except ClockError as exc:
                self._say(tr("tour '{tour}': {problem}").format(tour=self.tour.name if self.tour else "", problem=exc))


def install_player(win: "MainWindow") -> tuple[CameraFlyer, TourPlayer]:
    win.flyer = CameraFlyer(win)  # type: ignore[attr-defined]
    win.tour_player = TourPlayer(win, win.flyer)  # type: ignore[attr-defined]
    return win.flyer, win.tour_player  # type: ignore[attr-defined]

