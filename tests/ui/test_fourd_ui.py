"""4D in the window: open a schedule, link it to a model with the dialog, play the construction
sequence, and the Gantt dock and the 3D view select each other."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from app.model.schedule_layer import ScheduleLayer
from tests.fourd_fixtures import T0, box_model, link_csv, schedule_csv, sequence, task_of
from tests.ui.conftest import wait_loaded

N, TASKS = 20, 4


def _schedule_layer(window) -> ScheduleLayer:
    return next(la for la in window.scene.layers if isinstance(la, ScheduleLayer))


@pytest.fixture
def opened(qtbot, window, tmp_path):
    """A model built in code plus a schedule opened as a user does (File > Open path)."""
    window.scene.layers.append(box_model(N))
    window.open_paths([str(schedule_csv(tmp_path / "plan.csv", sequence(TASKS)))])
    wait_loaded(qtbot, window)
    return window, _schedule_layer(window)


def _link_with_dialog(qtbot, window, path) -> str:
    qtbot.mouseClick(window.gantt.link_button, Qt.MouseButton.LeftButton)
    dialog = window.gantt.link_dialog
    qtbot.keyClicks(dialog.table_path, str(path))
    qtbot.mouseClick(dialog.link_button, Qt.MouseButton.LeftButton)
    text = dialog.result_label.text()
    dialog.close()
    return text


def test_opening_a_schedule_gives_a_layer_the_gantt_and_the_timeline(qtbot, opened):
    window, layer = opened
    assert not window.errors
    assert len(layer.schedule.tasks) == TASKS and layer.info["tasks"] == TASKS
    assert window.gantt.isVisible() and window.timeline.isVisible()
    assert window.gantt.tree.topLevelItemCount() == TASKS
    assert window.gantt.tree.topLevelItem(1).text(0) == "Task 2"
    clock = window.scene.clock
    assert clock.start == layer.schedule.start() and clock.end == layer.schedule.finish()


def test_the_construction_sequence_plays_in_task_order(qtbot, opened, tmp_path):
    window, layer = opened
    window.undo.mark_clean()
    text = _link_with_dialog(qtbot, window, link_csv(tmp_path / "links.csv", N, TASKS))
    assert "20 of 20 links matched an element" in text and "matched: 20   unmatched: 0   ambiguous: 0" in text
    assert window.scene.dirty and not window.undo.can_undo()  # like opening a file: unsaved, not an undo step
    model = window.scene.layers[0]
    visual = window.canvas.visuals[id(model)]
    actor = visual.actor
    task = np.array([task_of(i, N, TASKS) for i in range(N)])
    drawn = []
    for k in range(TASKS):
        window.scene.clock.set_time(T0 + timedelta(days=10 * k + 5))
        qtbot.wait(10)
        shown = np.unique(model.data["face_element"][visual.face_ids])
        assert shown.tolist() == np.flatnonzero(task <= k).tolist()  # tasks done and in progress, nothing later
        drawn.append(visual.drawn["triangles"])
        assert visual.actor is actor
    assert drawn == sorted(drawn) and drawn[-1] == 12 * N and drawn[0] == 12 * 5
    window.scene.clock.set_time(T0 + timedelta(days=15))  # two tasks' elements: the status bar counts what is drawn
    qtbot.waitUntil(lambda: f" {12 * 10:,} triangles" in window.drawn_label.text(), timeout=3000)


def test_links_for_another_model_are_said_plainly(qtbot, opened, tmp_path):
    window, layer = opened
    other = tmp_path / "other.csv"
    other.write_text("GUID;TaskUID\n" + "".join(f"X{i:021d};1\n" for i in range(7)), encoding="utf-8")
    text = _link_with_dialog(qtbot, window, other)
    assert "links were made for another model" in text and "unmatched: 7" in text
    missing = _link_with_dialog(qtbot, window, tmp_path / "absent.csv")
    assert missing.startswith("No links made:")


def test_choosing_a_task_highlights_its_elements_and_go_to_start_moves_the_clock(qtbot, opened, tmp_path):
    window, layer = opened
    _link_with_dialog(qtbot, window, link_csv(tmp_path / "links.csv", N, TASKS))
    window.scene.clock.set_time(layer.schedule.finish())
    tree = window.gantt.tree
    item = tree.topLevelItem(2)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(tree.visualItemRect(item).left() + 30, tree.visualItemRect(item).center().y()))
    assert window.gantt.chosen_tasks() == [2]
    assert list(layer.highlight) == list(range(10, 15))
    visual = window.canvas.visuals[id(window.scene.layers[0])]
    rgba = visual.mesh.cell_data["RGBA"]
    tinted = np.unique(window.scene.layers[0].data["face_element"][visual.face_ids][(rgba[:, :3] != 204).any(axis=1)])
    assert tinted.tolist() == list(range(10, 15))
    window.scene.clock.set_time(layer.schedule.tasks[2].start + timedelta(days=1))  # task 2 under way: amber, translucent
    rgba = visual.mesh.cell_data["RGBA"]
    chosen = np.isin(window.scene.layers[0].data["face_element"][visual.face_ids], range(10, 15))
    assert (rgba[chosen, 3] == 255).all() and (rgba[~chosen & (rgba[:, 0] == 255), 3] == 128).all()
    qtbot.mouseClick(window.gantt.start_button, Qt.MouseButton.LeftButton)
    assert window.scene.clock.time == layer.schedule.tasks[2].start


def test_picking_an_element_selects_its_task_row(qtbot, opened, tmp_path):
    window, layer = opened
    _link_with_dialog(qtbot, window, link_csv(tmp_path / "links.csv", N, TASKS))
    window.scene.clock.set_time(layer.schedule.finish())
    window.canvas.zoom_to(window.scene.layers[0].bounds())
    window.canvas.render()
    w, h = window.view.width(), window.view.height()
    spot = next((x, y) for x in range(20, w, 20) for y in range(20, h, 20) if window.canvas.pick(x, y).index >= 0)
    window.pick_at(*spot)
    element = window.scene.selection.index
    assert window.gantt.chosen_tasks() == [task_of(element, N, TASKS)]
    assert element in layer.highlight


def test_the_corpus_plan_opens_and_its_event_log_says_it_belongs_to_another_model(qtbot, window):
    from tests.conftest import corpus_file

    plan = corpus_file("schedule/schependomlaan/planning-2015-02-18.xml")
    log = corpus_file("schedule/schependomlaan/eventlog-planned-and-built.csv")
    window.scene.layers.append(box_model(N))
    window.open_paths([str(plan)])
    wait_loaded(qtbot, window)
    assert not window.errors
    assert window.gantt.tree.topLevelItemCount() == 157
    text = _link_with_dialog(qtbot, window, log)
    assert text.startswith("none of the") and "links were made for another model" in text and "matched: 0" in text


def test_the_ifc_own_4d_replaces_the_tasks_and_groups_them_under_their_summary(qtbot, window, tmp_path):
    from tests.model.test_schedule_links import _ifc_with_4d

    ids = _ifc_with_4d(tmp_path / "4d.ifc")
    model = box_model(4)
    for e, guid in zip(model.elements, ids):
        e.id = guid
    model.source = {"path": str(tmp_path / "4d.ifc")}
    window.scene.layers.append(model)
    window.scene.layers.append(ScheduleLayer(name="plan", data={"schedule": sequence(2)}))
    qtbot.mouseClick(window.gantt.link_button, Qt.MouseButton.LeftButton)
    dialog = window.gantt.link_dialog
    dialog.ifc_radio.setChecked(True)
    qtbot.mouseClick(dialog.link_button, Qt.MouseButton.LeftButton)
    assert "4 of 4 links matched an element" in dialog.result_label.text()
    dialog.close()
    tree = window.gantt.tree
    assert tree.topLevelItemCount() == 1 and tree.topLevelItem(0).text(0) == "Shell"
    assert [tree.topLevelItem(0).child(i).text(0) for i in range(2)] == ["Walls", "Strip"]
    layer = _schedule_layer(window)
    assert (layer.link_kind, layer.link_source) == ("ifc", str(tmp_path / "4d.ifc"))
    window.scene.clock.set_time(layer.schedule.tasks[2].start + timedelta(hours=10))  # walls built, strip under way
    assert layer.states.tolist() == [1, 1, 1, 3]


def _count_rgb(image, rgb) -> int:
    return sum(1 for y in range(image.height()) for x in range(0, image.width(), 2)
               if image.pixelColor(x, y).getRgb()[:3] == rgb)


def test_the_gantt_paints_bars_and_the_clock_line_that_moves_with_the_clock(qtbot, opened):
    from app.ui.gantt import BAR_RGB, NOW_RGB

    window, layer = opened
    window.resize(1400, 800)
    tree = window.gantt.tree
    tree.setColumnWidth(0, 60)
    tree.setColumnWidth(1, 10)
    tree.setColumnWidth(2, 10)
    qtbot.wait(20)
    clock = window.scene.clock
    clock.set_time(clock.start + timedelta(days=15))

    def bar_column_x() -> list[int]:
        image = tree.viewport().grab().toImage()
        return [x for x in range(image.width()) if image.pixelColor(x, 5).getRgb()[:3] == NOW_RGB]

    qtbot.waitUntil(lambda: bool(bar_column_x()), timeout=3000)
    before = min(bar_column_x())
    assert _count_rgb(tree.viewport().grab().toImage(), BAR_RGB) > 20  # tasks not done yet are blue bars
    clock.set_time(clock.start + timedelta(days=30))
    qtbot.waitUntil(lambda: bool(bar_column_x()) and min(bar_column_x()) > before, timeout=3000)


def test_playing_the_clock_builds_the_model_at_any_speed(qtbot, opened, tmp_path):
    window, layer = opened
    _link_with_dialog(qtbot, window, link_csv(tmp_path / "links.csv", N, TASKS))
    model = window.scene.layers[0]
    visual = window.canvas.visuals[id(model)]
    clock = window.scene.clock
    for speed in (86_400.0 * 5, 86_400.0 * 20):  # 5 and 20 days per second
        clock.to_start()
        clock.set_speed(speed)
        clock.play()
        drawn = []
        while clock.time < clock.end:
            clock.advance(0.5)  # what the timeline's timer does while playing
            drawn.append(visual.drawn["triangles"])
        clock.pause()
        assert drawn == sorted(drawn) and drawn[-1] == 12 * N and drawn[0] < 12 * N
