"""GUI frame time while live readings arrive against the frame time idle (`make bench`, issue 13).

A real main window (800x600 view area aside, docks as a user has them) with one sensor layer on
`sim://demo?sensors=N&rate=1000` through the Live controller's 10 Hz drain timer. Each frame of the
measurement is what a user orbiting the view gets (see `_frames`): the sensor visual refreshes its
arrays, when readings came, in the same frame. Idle: the same N sensors drawn, the feed stopped. Printed for the README; nothing
here is a timed assertion (the ratio and frame times are reported, the counts are checked).
"""
from __future__ import annotations

import json
import statistics
import time

import pytest

from tests.ui.conftest import window  # noqa: F401 - the GUI tests' small main window fixture

CASES = ((1_000, 1_000), (10_000, 1_000))  # sensors, messages per second
IDLE_S, LIVE_S = 3.0, 5.0


def _frames(qtbot, win, seconds: float) -> list[float]:
    """Frames as a user orbiting the view gets them: the camera turns 2 degrees and asks for a
    render; the event loop runs (the drain timer and the poll timer fold in what arrived) until that
    frame is on screen. One frame's time: from the request to the end of its render."""
    from PySide6.QtWidgets import QApplication

    canvas = win.canvas
    done = [0]
    tag = canvas.plotter.render_window.AddObserver("EndEvent", lambda *_: done.__setitem__(0, done[0] + 1))
    out: list[float] = []
    end = time.perf_counter() + seconds
    try:
        while time.perf_counter() < end:
            seen = done[0]
            t0 = time.perf_counter()
            canvas.plotter.camera.Azimuth(2.0)
            canvas.request_render()
            while done[0] == seen:
                QApplication.processEvents()
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        canvas.plotter.render_window.RemoveObserver(tag)
    return out


def _summary(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"frames": len(ms), "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1)}


def _prefill(layer, frame, n: int) -> None:
    """Every sensor once (the simulator's own messages through the demo mapping), so idle draws N glyphs."""
    from app.sources.mapping import FeedMapping
    from app.sources.simulator import CitySimulator, demo_mapping_dict

    sim = CitySimulator(n)
    mapping = FeedMapping.from_dict(demo_mapping_dict())
    now = time.time()
    readings = [r for i in range(n) for r in mapping.parse(json.dumps(sim.message(i, now)).encode(), "sim/demo", now, 0.0)]
    layer.ingest(readings, frame)


@pytest.mark.gui
@pytest.mark.parametrize("sensors,rate", CASES)
def test_frame_time_receiving_vs_idle(qtbot, window, monkeypatch, sensors: int, rate: int) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.ui.project_files import ProjectFiles

    monkeypatch.setattr(ProjectFiles, "ask_save_changes", lambda self: QMessageBox.StandardButton.Discard)
    window.resize(1100, 700)
    live = window.live
    layer = live.add_feed(f"sim://demo?sensors={sensors}&rate={rate}", name="bench", show_labels=True,
                          thresholds={"pm25": {"warn": 35, "alert": 75}})
    hub = next(iter(live.hubs.values()))
    hub.feed.stop()
    hub.feed.drain(10**7)
    _prefill(layer, window.scene.frame, sensors)
    window.canvas.zoom_to()
    qtbot.wait(200)
    visual = window.canvas.visuals[id(layer)]
    idle = _summary(_frames(qtbot, window, IDLE_S))
    assert visual.drawn["sensors"] == sensors
    costs: dict[str, list[float]] = {"drain": [], "refresh": []}

    def timed(name, fn):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                costs[name].append((time.perf_counter() - t0) * 1000)
        return run

    monkeypatch.setattr(live, "drain", timed("drain", live.drain))
    live.timer.timeout.disconnect()
    live.timer.timeout.connect(live.drain)
    monkeypatch.setattr(visual, "refresh", timed("refresh", visual.refresh))
    live.reconnect(layer)  # the same layer, its feed running again
    hub = next(iter(live.hubs.values()))
    received0, drains0 = layer.status.get("received", 0), live.drains
    t0 = time.perf_counter()
    receiving = _summary(_frames(qtbot, window, LIVE_S))
    elapsed = time.perf_counter() - t0
    live.drain()
    got = hub.feed.stats.received
    result = {"sensors": sensors, "rate_msg_s": rate, "idle": idle, "receiving": receiving,
              "ratio_median": round(receiving["median_ms"] / idle["median_ms"], 2),
              "ratio_p95": round(receiving["p95_ms"] / idle["p95_ms"], 2),
              "received_per_s": round(got / elapsed), "drains_per_s": round((live.drains - drains0) / elapsed, 1),
              "dropped": hub.feed.stats.dropped,
              "drain_ms_median": round(statistics.median(costs["drain"]), 1) if costs["drain"] else None,
              "refresh_ms_median": round(statistics.median(costs["refresh"]), 1) if costs["refresh"] else None}
    print("\nBENCH feed_frame_time " + json.dumps(result))
    assert got > 0 and received0 == 0 or got > received0
    assert hub.feed.stats.malformed == 0
