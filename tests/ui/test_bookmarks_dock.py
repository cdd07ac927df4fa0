"""Bookmarks you make (dock: add with a typed name, rename, reorder, delete, fly, next/previous keys)
and a tour played in the GUI, driven as a user would."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from app.model.scene import Bookmark, Camera
from app.model.tours import Tour, TourStop
from tests.fixtures import write_las
from tests.ui.conftest import wait_loaded

A = Camera((120.0, -90.0, 70.0), (10.0, 10.0, 0.0))
B = Camera((-60.0, -140.0, 40.0), (-10.0, 20.0, 0.0))


def _scan(qtbot, window, tmp_path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=3000, size=60.0, z_spread=8.0))])
    wait_loaded(qtbot, window)


def _close(cam: Camera, other: Camera) -> bool:
    return np.allclose(cam.position, other.position, atol=1e-6) and np.allclose(cam.focal_point, other.focal_point, atol=1e-6)


def test_make_rename_reorder_and_fly_between_bookmarks(qtbot, window, tmp_path) -> None:
    _scan(qtbot, window, tmp_path)
    dock = window.bookmarks_dock
    window.flyer.speed = 4.0  # quarter-length flights: the easing itself is tested in tests/viewers/test_flight.py
    window.canvas.set_camera(A)
    qtbot.keyClicks(dock.name_edit, "Gate")
    qtbot.keyClick(dock.name_edit, Qt.Key.Key_Return)
    window.canvas.set_camera(B)
    qtbot.keyClicks(dock.name_edit, "Roof")
    qtbot.mouseClick(dock.add_button, Qt.MouseButton.LeftButton)
    assert [dock.list.item(i).text() for i in range(dock.list.count())] == ["Gate", "Roof"]
    assert window.scene.bookmarks[0].thumbnail.startswith(b"\x89PNG") and window.scene.dirty
    assert [a.text() for a in window.bookmark_menu.actions()] == ["Gate", "Roof"]  # View > Bookmarks follows

    qtbot.keyClicks(dock.name_edit, "gate")  # a name given twice: refused, with a free one to use
    qtbot.keyClick(dock.name_edit, Qt.Key.Key_Return)
    assert dock.status.text() == "a bookmark named 'Gate' already exists (try 'gate (2)')" and len(window.scene.bookmarks) == 2
    dock.name_edit.clear()

    dock.list.setCurrentRow(1)  # rename in place with F2, as a user types
    dock.list.setFocus()
    qtbot.keyClick(dock.list, Qt.Key.Key_F2)
    editor = dock.list.findChild(QLineEdit)
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, "Roof terrace")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.scene.bookmarks[1].name == "Roof terrace")

    qtbot.mouseClick(dock.up_button, Qt.MouseButton.LeftButton)  # reorder
    assert [b.name for b in window.scene.bookmarks] == ["Roof terrace", "Gate"] and dock.list.currentRow() == 0

    item = dock.list.item(1)  # double-click flies (smoothly) to "Gate"
    dock.list.scrollToItem(item)
    rect = dock.list.visualItemRect(item)
    qtbot.mouseClick(dock.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double-click's first press
    qtbot.mouseDClick(dock.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.flyer.flying
    qtbot.waitUntil(lambda: not window.flyer.flying, timeout=8000)
    assert _close(window.canvas.get_camera(), A) and _close(window.scene.camera, A)

    window.next_bookmark_action.trigger()  # Ctrl+PgDown: the next one, wrapping round
    qtbot.waitUntil(lambda: not window.flyer.flying, timeout=8000)
    assert dock.list.currentRow() == 0 and _close(window.canvas.get_camera(), B)
    window.previous_bookmark_action.trigger()
    qtbot.waitUntil(lambda: not window.flyer.flying, timeout=8000)
    assert dock.list.currentRow() == 1 and _close(window.canvas.get_camera(), A)
    keys = {a.text(): a.shortcut().toString() for a in window.findChild(type(window.menuBar().actions()[0].menu()),
                                                                         "present_menu").actions()}
    assert keys["&Next bookmark"] == "Ctrl+PgDown" and keys["&Previous bookmark"] == "Ctrl+PgUp"
    from app.ui.shortcuts import menu_shortcuts

    listed = {(menu, action) for menu, action, _ in menu_shortcuts(window.menuBar())}  # Help > Keyboard shortcuts
    assert {("Present", "Next bookmark"), ("Present", "Previous bookmark"), ("Present", "Play tour")} <= listed

    window.scene.bookmarks.append(Bookmark("Plain", B))  # from a hand-written project: no thumbnail yet
    dock.fly_to(2)
    qtbot.waitUntil(lambda: window.scene.bookmarks[2].thumbnail is not None, timeout=8000)
    assert window.scene.bookmarks[2].thumbnail.startswith(b"\x89PNG")
    del window.scene.bookmarks[2]

    dock.list.setCurrentRow(1)
    qtbot.mouseClick(dock.delete_button, Qt.MouseButton.LeftButton)
    assert [b.name for b in window.scene.bookmarks] == ["Roof terrace"]


def test_play_a_two_stop_tour_sets_layers_and_clock_and_ends_at_the_last_stop(qtbot, window, tmp_path) -> None:
    _scan(qtbot, window, tmp_path)
    scan = window.scene.layers[0]
    dock = window.bookmarks_dock
    window.canvas.set_camera(A)
    qtbot.keyClicks(dock.name_edit, "One")
    qtbot.keyClick(dock.name_edit, Qt.Key.Key_Return)
    window.canvas.set_camera(B)
    qtbot.keyClicks(dock.name_edit, "Two")
    qtbot.keyClick(dock.name_edit, Qt.Key.Key_Return)
    editor = dock.tours
    dock.tabs.setCurrentIndex(1)
    for row in (0, 1):  # build the tour in the Tours tab: each selected bookmark becomes a stop
        dock.list.setCurrentRow(row)
        qtbot.mouseClick(editor.add_stop_button, Qt.MouseButton.LeftButton)
    tour = window.scene.tours[0]
    assert [s.bookmark for s in tour.stops] == ["One", "Two"] and editor.table.rowCount() == 2
    assert not editor.rename_tour(editor.new_tour(), "tour 1")  # two tours of one name: refused, said
    assert editor.status.text() == "a tour named 'tour 1' already exists"
    editor.delete_tour()
    assert editor.rename_tour(tour, "Site walk") and editor.combo.currentText() == "Site walk"
    editor.table.selectRow(1)
    scan.visible = False
    qtbot.mouseClick(editor.layers_button, Qt.MouseButton.LeftButton)  # stop 2 hides the scan
    window.scene.clock.set_zone("Asia/Shanghai")
    window.scene.clock.set_range("2026-12-21T00:00+08:00", "2026-12-22T00:00+08:00")
    window.scene.clock.set_time("2026-12-21T11:30+08:00")
    qtbot.mouseClick(editor.clock_button, Qt.MouseButton.LeftButton)
    assert editor.table.item(1, 3).text() == "0 on, 1 off" and editor.table.item(1, 4).text().startswith("2026-12-21T11:30")
    for stop in tour.stops:
        stop.pause, stop.transition = 0.2, 0.4
    scan.visible = True
    window.scene.clock.set_time("2026-12-21T08:00+08:00")
    tour.stops.insert(1, TourStop("Deleted"))  # a stop whose bookmark is gone: said, skipped
    window.canvas.set_camera(Camera((300.0, 300.0, 200.0), (0.0, 0.0, 0.0)))
    reached: list[int] = []
    window.tour_player.stop_reached.connect(reached.append)
    window.play_tour_action.trigger()
    assert window.tour_player.playing
    assert "no bookmark named 'Deleted'" in window.tour_player.messages[0]
    qtbot.waitUntil(lambda: not window.tour_player.playing, timeout=10_000)
    assert reached == [0, 1]
    assert _close(window.canvas.get_camera(), B) and not scan.visible
    assert window.scene.clock.time.isoformat().startswith("2026-12-21T11:30")

    window.tour_player.go_to(0)  # stepping back (briefing mode's PageUp): fly there, then that stop's state
    qtbot.waitUntil(lambda: reached == [0, 1, 0], timeout=8000)
    assert _close(window.canvas.get_camera(), A) and not window.flyer.flying
    reached.clear()
    window.tour_player.go_to(1)
    window.tour_player.go_to(0)  # a second step before the first arrived: only the second applies
    qtbot.waitUntil(lambda: not window.flyer.flying, timeout=8000)
    qtbot.wait(100)
    assert reached == [0] and _close(window.canvas.get_camera(), A)


def test_export_a_tour_as_video_from_the_present_menu(qtbot, window, tmp_path, monkeypatch) -> None:
    import json
    import sys

    from PySide6.QtWidgets import QFileDialog

    write_las(tmp_path / "scan.las", n=2000, size=40.0, z_spread=5.0)
    project = tmp_path / "p.twin"
    project.write_text(json.dumps({
        "schema_version": 1, "layers": [{"source": {"path": "scan.las"}, "state": {"name": "Scan"}}],
        "bookmarks": [{"name": "Near", "camera": {"position": [30.0, -30.0, 25.0], "focal_point": [0.0, 0.0, 0.0]}}],
        "tours": [{"name": "Short", "stops": [{"bookmark": "Near", "pause": 0.4, "transition": 0.6}]}]}))
    window.open_paths([str(project)])
    wait_loaded(qtbot, window)
    assert window.project_files.path == str(project) and not window.scene.dirty
    out = tmp_path / "short.mp4"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "no" / "x.mp4"), ""))
    window.export_tour_action.trigger()  # a folder that does not exist: said at once, nothing started
    assert "x.mp4: folder" in window.tour_export.errors[-1] and window.tour_export.process is None
    command = window.tour_export.command(str(project), "Short", str(out), "64x48", 5)
    assert command[1:] == ["-m", "app", "video", str(project), "--tour", "Short", "-o", str(out), "--size", "64x48",
                           "--fps", "5"]  # what the child runs (the export itself: tests/cli/test_video.py)
    child = ("import sys, time; sys.stderr.write('video:  50% frame 3/6\\n'); sys.stderr.flush(); time.sleep(0.3); "
             "sys.stderr.write('error: {}: cannot write the video: disk full\\n'); sys.exit(2)").format(out)
    monkeypatch.setattr(type(window.tour_export), "command", staticmethod(lambda *a: [sys.executable, "-c", child]))
    assert window.tour_export.start(str(project), "Short", str(out), size="64x48", fps=5)
    qtbot.waitUntil(lambda: "50% (frame 3 of 6)" in window.statusBar().currentMessage(), timeout=10_000)
    qtbot.waitUntil(lambda: not window.tour_export.running, timeout=10_000)
    assert window.tour_export.errors[-1] == f"error: {out}: cannot write the video: disk full"
    assert window.tour_export.box.isVisible() and not window.tour_export.box.isModal()


def test_a_stalled_window_delays_the_tour_instead_of_skipping_a_stop(qtbot, window, monkeypatch) -> None:
    import app.ui.tour_player as player_module

    window.scene.bookmarks.extend([Bookmark("One", A), Bookmark("Two", B)])
    tour = Tour("t", [TourStop("One", pause=0.8, transition=0.0), TourStop("Two", pause=0.8, transition=0.0)])
    clock = [100.0]
    monkeypatch.setattr(player_module.time, "perf_counter", lambda: clock[0])
    reached: list[int] = []
    window.tour_player.stop_reached.connect(reached.append)
    window.tour_player.play(tour)
    window.tour_player._timer.stop()  # ticks by hand: each one after a 5 s stall
    for _ in range(4):
        clock[0] += 5.0
        window.tour_player._step()
    assert reached == [0, 1] and not window.tour_player.playing
