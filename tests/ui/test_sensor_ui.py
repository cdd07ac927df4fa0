"""Live sensors in the window as a user sees them: readings change glyph colours, the legend and
labels; a threshold crossing is listed and acknowledged; silent sensors turn grey; the clock moved
back shows older values; picking a sensor shows its chart; density hides individual movers; the
Add feed dialog; the saved project keeps no login."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from vtkmodules.util.numpy_support import vtk_to_numpy

from app.model.sensors import SensorLayer
from app.sources.readings import FeedStats, Reading
from viewers.sensor_visual import ALERT_RGB, STALE_RGB


class FakeFeed:
    """The Feed protocol with readings a test puts in."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stats = FeedStats(state="connected")
        self.queue: list[Reading] = []
        self.stopped = False

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True

    def drain(self, max_items: int = 10_000) -> list[Reading]:
        out, self.queue = self.queue[:max_items], self.queue[max_items:]
        self.stats.received += len(out)
        return out

    def sensors(self) -> dict:
        return {}


def r(sid: str, value: float, t: float | None = None, pos=(0.0, 0.0, 0.0), kind: str = "sensor", q: str = "pm25",
      unit: str = "ug/m3") -> Reading:
    return Reading(sid, time.time() if t is None else t, {q: value}, {q: unit}, pos, "scene", kind, meta={"name": f"Station {sid}"})


@pytest.fixture
def live(window, monkeypatch):
    feeds: dict[str, FakeFeed] = {}

    def fake_open(url, mapping):
        feeds[url] = FakeFeed(url)
        return feeds[url]

    monkeypatch.setattr(window.live, "_open", fake_open)
    window.feeds = feeds
    return window


def _push(qtbot, win, layer: SensorLayer, readings: list[Reading]) -> None:
    win.feeds[layer.url].queue.extend(readings)
    win.live.drain()  # what the GUI timer does; the visual refreshes in the frame it asks for
    visual = win.canvas.visuals[id(layer)]
    qtbot.waitUntil(lambda: not visual.dirty, timeout=3000)


def _rgba(win, layer) -> np.ndarray:
    visual = win.canvas.visuals[id(layer)]
    return vtk_to_numpy(visual.points.GetPointData().GetArray("rgba"))


def test_readings_change_colours_legend_labels_and_alerts(qtbot, live) -> None:
    layer = live.live.add_feed("sim://test", name="Air", thresholds={"pm25": {"warn": 35, "alert": 75}})
    _push(qtbot, live, layer, [r("a", 10.0, pos=(0, 0, 0)), r("b", 20.0, pos=(40, 0, 0))])
    live.canvas.zoom_to()
    live.canvas.render()
    visual = live.canvas.visuals[id(layer)]
    assert "Air: pm25 (ug/m3)" in live.canvas.legends.titles()
    assert sorted(visual.labels.shown) == ["10 ug/m3", "20 ug/m3"]
    before = _rgba(live, layer).copy()
    _push(qtbot, live, layer, [r("a", 60.0)])
    assert not np.array_equal(before[0], _rgba(live, layer)[0]) and "60 ug/m3" in visual.labels.shown
    # a crossing of the alert level: red, pulsing, listed with its value; acknowledging clears it
    _push(qtbot, live, layer, [r("b", 90.0)])
    assert tuple(_rgba(live, layer)[1, :3]) == ALERT_RGB and visual.view.pulsing[1]
    dock = live.live.alerts_dock
    assert dock.isVisible() and dock.table.rowCount() == 1
    assert dock.table.item(0, 2).text() == "Station b" and dock.table.item(0, 4).text() == "90 ug/m3"
    dock.table.selectRow(0)
    qtbot.mouseClick(dock.ack_button, Qt.MouseButton.LeftButton)
    assert dock.table.rowCount() == 0 and not layer.alerts.active()
    qtbot.waitUntil(lambda: not visual.dirty, timeout=3000)
    assert not visual.view.pulsing.any() and tuple(_rgba(live, layer)[1, :3]) == ALERT_RGB  # still above the level
    live.layer_tree.tree.setCurrentItem(live.layer_tree.item_for(layer))  # the Layers dock's sensor panel
    assert live.live.panel.isVisible() and "connected \u2014 received 4, malformed 0" in live.live.panel.status.text()


def test_silent_sensor_turns_grey_and_clock_back_shows_older_value(qtbot, live) -> None:
    now = time.time()
    layer = live.live.add_feed("sim://test", name="Air", stale_after_s=600)
    _push(qtbot, live, layer, [r("a", 10.0, now - 3600), r("a", 50.0, now - 30), r("old", 5.0, now - 3000, pos=(30, 0, 0))])
    assert tuple(_rgba(live, layer)[1, :3]) == STALE_RGB and tuple(_rgba(live, layer)[0, :3]) != STALE_RGB
    visual = live.canvas.visuals[id(layer)]
    assert "50 ug/m3" in visual.label_texts(visual.shown, visual.view)
    clock = live.scene.clock
    back = datetime.fromtimestamp(now - 1800, timezone.utc)
    clock.set_range(back - timedelta(hours=2), back + timedelta(hours=4))
    clock.set_time(back)
    qtbot.waitUntil(lambda: not visual.dirty, timeout=3000)
    assert not layer.live and visual.label_texts(visual.shown, visual.view)[0] == "10 ug/m3"
    clock.set_speed(600.0)  # play replays: 3 s of play at 10 minutes a second is the last half hour
    clock.play()
    clock.advance(3.0)
    clock.pause()
    qtbot.waitUntil(lambda: not visual.dirty, timeout=3000)
    assert visual.label_texts(visual.shown, visual.view)[0] == "50 ug/m3"
    clock.set_time(back)
    live.live.go_live()
    qtbot.waitUntil(lambda: not visual.dirty, timeout=3000)
    assert layer.live and visual.label_texts(visual.shown, visual.view)[0] == "50 ug/m3"


def test_picking_a_sensor_shows_metadata_and_chart(qtbot, live) -> None:
    now = time.time()
    layer = live.live.add_feed("sim://test", name="Air", glyph_size_m=30)
    _push(qtbot, live, layer, [r("a", float(v), now - 60 + v) for v in range(20)])
    live.canvas.zoom_to(view="top")
    live.canvas.render()
    qtbot.mouseClick(live.view, Qt.MouseButton.LeftButton, pos=QPoint(live.view.width() // 2, live.view.height() // 2))
    qtbot.waitUntil(lambda: live.scene.selection.layer is layer, timeout=3000)
    chart = live.live.chart
    assert chart.isVisible() and "Station a" in chart.title.text()
    t, v = chart.curve.getData()
    assert len(v) == 20 and v[-1] == 19.0
    assert live.properties.value("sensor") == "a"


def test_many_sensors_draw_as_splats_and_still_pick(qtbot, live) -> None:
    now = time.time()
    layer = live.live.add_feed("sim://test", name="Grid", glyph_size_m=8, show_labels=False)
    xs = np.arange(-12, 13) * 20.0  # 625 sensors on a 20 m grid, the middle one at the origin
    _push(qtbot, live, layer, [r(f"s{i}_{j}", float(i + j), now, pos=(x, y, 0)) for i, x in enumerate(xs)
                               for j, y in enumerate(xs)])
    visual = live.canvas.visuals[id(layer)]
    assert visual.actor.GetMapper() is visual.splat_mapper and visual.drawn["sensors"] == 625
    live.canvas.zoom_to(view="top")
    live.canvas.render()
    qtbot.mouseClick(live.view, Qt.MouseButton.LeftButton, pos=QPoint(live.view.width() // 2, live.view.height() // 2))
    qtbot.waitUntil(lambda: live.scene.selection.layer is layer, timeout=3000)
    assert live.properties.value("sensor") == "s12_12"


def test_density_mode_hides_individual_movers(qtbot, live) -> None:
    now = time.time()
    layer = live.live.add_feed("sim://test", name="People", density_cell_m=20, density_min_count=3)
    movers = [r(f"p{j}", 1.0, now - 5 + k, pos=(5.0 + j, 5.0 + k, 0), kind="mover", q="speed", unit="km/h")
              for k in range(5) for j in range(3)]
    _push(qtbot, live, layer, movers + [r("fixed", 3.0, now, pos=(200, 0, 0), q="speed", unit="km/h")])
    visual = live.canvas.visuals[id(layer)]
    assert visual.points.GetNumberOfPoints() == 4 and visual.tracks.n_lines == 3
    steps = len(live.undo._done)
    layer.set_privacy_density(True)  # what briefing mode does
    assert len(live.undo._done) == steps  # a presentation setting, not an edit of the project
    qtbot.waitUntil(lambda: not visual.dirty, timeout=3000)
    pts = vtk_to_numpy(visual.points.GetPoints().GetData())
    assert len(pts) == 1 and np.allclose(pts[0], (200, 0, 0))  # only the fixed sensor
    assert visual.tracks.n_points == 0 and visual.cells.n_cells >= 1
    assert all("km/h" not in t or t == "3.0 km/h" for t in visual.labels.shown)


def test_add_feed_dialog_and_project_keeps_no_login(qtbot, live, tmp_path) -> None:
    from app.model.project import write_project
    from app.ui.feed_dialog import FeedDialog

    dialog = FeedDialog(live)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.url, "not a url")
    dialog.accept()
    assert "not a feed URL" in dialog.message.text() and dialog.isVisible() is False or dialog.result() == 0
    dialog.url.clear()
    qtbot.keyClicks(dialog.url, "mqtt://broker.example:1883/city/#")
    qtbot.keyClicks(dialog.name, "City")
    qtbot.keyClicks(dialog.personal, "plate")
    qtbot.keyClicks(dialog.username, "operator")
    qtbot.keyClicks(dialog.password, "s3cret-pass")
    dialog.accepted_feed.connect(lambda spec: live.live.add_feed(**spec))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    layer = live.scene.layers[-1]
    assert isinstance(layer, SensorLayer) and layer.name == "City" and layer.mapping["personal"] == ["plate"]
    path = tmp_path / "p.twin"
    write_project(live.scene, path)
    text = path.read_text()
    assert "s3cret-pass" not in text and "operator" not in text
    entry = json.loads(text)["layers"][0]
    assert entry["source"]["loader"] == "feed" and entry["source"]["path"] == "mqtt://broker.example:1883/city/#"


def test_live_menu_stays_before_help_in_chinese(qtbot, tmp_path) -> None:
    """The Live menu finds Help by its title in either language (it went after Help in zh_CN)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMenu

    from app.ui import i18n
    from app.ui.main_window import MainWindow

    assert i18n.install_translator("zh_CN")
    win = None
    try:
        win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(win)
        win.resize(900, 520)
        win.show()
        qtbot.waitExposed(win)
        titles = [a.text() for a in win.menuBar().actions()]
        help_title, live_title = i18n.tr("&Help"), win.findChild(QMenu, "live_menu").title()
        assert help_title != "&Help" and live_title != "&Live", titles  # the menus speak Chinese
        assert titles.index(live_title) < titles.index(help_title), titles
    finally:
        if win is not None:
            win.close()
            win.view.close()
        i18n.install_translator("en")
