"""Planned versus actual in the window (issue 11 item 4): a compared BIM layer with a linked schedule is
coloured by schedule status at the clock's time, recoloured in place as the clock moves, with a counted
legend and the Construction progress dock's Schedule tab."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from app.model.comparison import ComparisonData, ComparisonLayer
from app.model.schedule_layer import ScheduleLayer
from tests.fourd_fixtures import T0, box_model, guid, sequence

N = 7  # elements 0-5 linked two per task (task k builds 2k and 2k+1), element 6 linked to none
OBSERVED = ["built", "partial", "built", "missing", "partial", "missing", "built"]
BLUE, GREEN, RED, GREY = (40, 110, 220), (46, 160, 67), (214, 39, 40), (150, 150, 150)
# task k runs T0 + 10k days to T0 + 10(k+1) days; at day 15 task 1 is under way, at day 25 task 2
AT_15 = ["on_time", "behind", "ahead", "behind", "ahead", "on_time", "not_planned"]
AT_25 = ["on_time", "behind", "on_time", "behind", "on_time", "behind", "not_planned"]
COLOUR = {"ahead": BLUE, "on_time": GREEN, "behind": RED, "not_planned": GREY}


def _comparison() -> ComparisonData:
    """The engine's answer for the seven boxes (no scan needed: the statuses are what matters here)."""
    n = N
    table = {"layer": np.zeros(n, np.int32), "guid": np.array([guid(i) for i in range(n)]),
             "ifc_class": np.array(["IfcWall"] * n), "name": np.array([f"wall {i}" for i in range(n)]),
             "storey": np.array(["Level 1"] * 3 + ["Level 2"] * 4), "status": np.array(OBSERVED),
             "coverage": np.linspace(0.0, 1.0, n), "points": np.full(n, 10, np.int64),
             "mean_distance": np.zeros(n), "max_distance": np.zeros(n), "offset": np.zeros((n, 3))}
    return ComparisonData(np.zeros(0, np.float32), np.zeros(0, np.int32), np.linspace(-1, 1, 5), np.zeros(4, np.int64), table,
                          {"progress": {"overall": {"elements": n}}})


def _scene(qtbot, window, tmp_path: Path):
    window.resize(1300, 900)  # room for the view's legends beside the progress, Gantt and timeline docks
    model = box_model(N, name="design.ifc")
    for i, e in enumerate(model.elements):
        e.storey = "Level 1" if i < 3 else "Level 2"
    window.scene.layers.append(model)
    comparison = ComparisonLayer(name="scan vs design", scan="scan.las", design=("design.ifc",), data=_comparison())
    window.scene.layers.append(comparison)
    schedule = ScheduleLayer(name="plan", data={"schedule": sequence(3)})
    window.scene.layers.append(schedule)
    links = tmp_path / "links.csv"
    links.write_text("GUID;TaskUID\n" + "".join(f"{guid(i)};{i // 2 + 1}\n" for i in range(6)), encoding="utf-8")
    assert schedule.link(model, "table", str(links)).elements_linked == 6
    window.scene.clock.set_time(T0 + timedelta(days=15))
    return model, schedule


def _choose_mode(qtbot, window, model, words: str) -> None:
    """As a user: pick the layer in the layer tree, open Colour by, type, Enter."""
    window.layer_tree.tree.setCurrentItem(window.layer_tree.item_for(model))
    box = window.layer_tree.color_mode
    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(box.popup.isVisible)
    qtbot.keyClicks(box.popup.search, words)
    qtbot.keyClick(box.popup.search, Qt.Key.Key_Return)


def _element_colours(window, model) -> dict[int, tuple[int, ...]]:
    """The drawn colour of each element (all its faces share it)."""
    visual = window.canvas.visuals[id(model)]
    rgba = np.asarray(visual.mesh.cell_data["RGBA"])
    face_el = model.data["face_element"][visual.face_ids]
    out = {}
    for e in np.unique(face_el):
        colours = {tuple(int(v) for v in c[:3]) for c in rgba[face_el == e]}
        assert len(colours) == 1
        out[int(e)] = colours.pop()
    return out


def test_schedule_status_colours_follow_the_clock_in_place(qtbot, window, tmp_path: Path) -> None:
    model, _schedule = _scene(qtbot, window, tmp_path)
    assert model.color_mode == "status"  # the comparison's own colouring first
    assert "schedule_status" in model.available_color_modes()  # compared and linked: the mode is offered
    _choose_mode(qtbot, window, model, "planned vs")
    assert model.color_mode == "schedule_status"
    assert "Schedule status (planned vs actual)" in window.layer_tree.color_mode.button.text()
    window.canvas.render()
    visual = window.canvas.visuals[id(model)]
    actor, array = visual.actor, visual.mesh.GetCellData().GetArray("RGBA")
    assert _element_colours(window, model) == {i: COLOUR[s] for i, s in enumerate(AT_15)}  # 4D hides none here
    titles, labels = window.canvas.legends.titles(), window.canvas.legends.labels()
    assert "design.ifc: Schedule status at 2025-01-21 08:00 +00:00 UTC" in titles
    assert {"ahead (2)", "on time (2)", "behind (2)", "not planned / not linked (1)"} <= set(labels)

    window.scene.clock.set_time(T0 + timedelta(days=25))  # the clock moves: the same actor and array, new colours
    assert visual.actor is actor and visual.mesh.GetCellData().GetArray("RGBA") is array
    assert _element_colours(window, model) == {i: COLOUR[s] for i, s in enumerate(AT_25)}
    window.canvas.render()
    labels = window.canvas.legends.labels()
    assert "design.ifc: Schedule status at 2025-01-31 08:00 +00:00 UTC" in window.canvas.legends.titles()
    assert {"ahead (0)", "on time (3)", "behind (3)", "not planned / not linked (1)"} <= set(labels)

    _choose_mode(qtbot, window, model, "comparison status")  # back to the comparison's colours: green built, red missing
    assert _element_colours(window, model)[3] == (214, 39, 40) and _element_colours(window, model)[0] == (46, 160, 67)


def test_the_schedule_tab_sums_up_by_task_and_storey_at_the_clock(qtbot, window, tmp_path: Path) -> None:
    _model, schedule = _scene(qtbot, window, tmp_path)
    dock = window.comparisons.comparison_dock
    assert dock.isVisible()
    bar = dock.tabs.tabBar()
    index = next(i for i in range(dock.tabs.count()) if dock.tabs.tabText(i) == "Schedule")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    tab = dock.schedule_tab
    qtbot.waitUntil(lambda: tab.by_task.rowCount() == 3, timeout=3000)

    def rows(table) -> dict[str, list[str]]:
        return {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, table.columnCount())]
                for r in range(table.rowCount())}

    # task, start, finish, planned at day 15, elements, ahead, on time, behind, not planned
    assert rows(tab.by_task) == {"Task 1 [1]": ["2025-01-06", "2025-01-16", "complete", "2", "0", "1", "1", "0"],
                                 "Task 2 [2]": ["2025-01-16", "2025-01-26", "started", "2", "1", "0", "1", "0"],
                                 "Task 3 [3]": ["2025-01-26", "2025-02-05", "not started", "2", "1", "1", "0", "0"]}
    assert rows(tab.by_storey) == {"Level 1": ["3", "1", "1", "1", "0"], "Level 2": ["4", "1", "1", "1", "1"]}
    assert "2025-01-21 08:00 +00:00 UTC" in tab.label.text() and "2 ahead, 2 on time, 2 behind, 1 not planned" in tab.label.text()
    assert [tab.by_task.item(r, 0).text() for r in range(3)] == ["Task 1 [1]", "Task 2 [2]", "Task 3 [3]"]  # schedule order
    behind = tab.by_task.item(0, 7)
    assert behind.background().color().getRgb()[:3] == RED  # a non-zero count on its status colour

    window.scene.clock.set_time(T0 + timedelta(days=25))
    qtbot.waitUntil(lambda: rows(tab.by_task)["Task 2 [2]"][2] == "complete", timeout=3000)
    assert rows(tab.by_task)["Task 3 [3]"] == ["2025-01-26", "2025-02-05", "started", "2", "0", "1", "1", "0"]
    assert rows(tab.by_storey)["Level 2"] == ["4", "0", "1", "2", "1"]

    tab.by_task.sortItems(0)
    tab.by_task.cellClicked.emit(2, 0)  # a task row highlights its elements, as the Gantt does
    assert list(schedule.highlight) == [4, 5]


def test_without_a_linked_schedule_the_mode_and_tab_say_what_is_missing(qtbot, window, tmp_path: Path) -> None:
    model, schedule = _scene(qtbot, window, tmp_path)
    _choose_mode(qtbot, window, model, "planned vs")
    window.layer_tree.item_for(schedule).setCheckState(0, Qt.CheckState.Unchecked)  # the schedule hidden: no planned side
    assert "schedule_status" not in model.data and "schedule_status" not in model.available_color_modes()
    window.canvas.render()
    assert not any("Schedule status" in t for t in window.canvas.legends.titles())
    dock = window.comparisons.comparison_dock
    dock.tabs.setCurrentWidget(dock.schedule_tab)
    qtbot.waitUntil(lambda: "needs a comparison" in dock.schedule_tab.label.text(), timeout=3000)
    assert dock.schedule_tab.by_task.rowCount() == 0
    window.layer_tree.item_for(schedule).setCheckState(0, Qt.CheckState.Checked)  # shown again: the colours come back
    assert model.data["schedule_status"].tolist() == AT_15
    assert _element_colours(window, model)[2] == BLUE
    comp = next(la for la in window.scene.layers if isinstance(la, ComparisonLayer))
    window.scene.layers.remove(comp)  # no observed side either: the statuses go, the model draws its own colours
    assert "schedule_status" not in model.data and _element_colours(window, model)[2] == (204, 204, 204)
    window.undo.undo()
    assert model.data["schedule_status"].tolist() == AT_15 and _element_colours(window, model)[2] == BLUE
