"""Done when: the demo's Block C is compared with its design on open, a user runs the comparison
from the Analysis menu, sees the status legend and the histogram, and exports the HTML report."""
from __future__ import annotations

import re
from pathlib import Path

from app.demo import demo_project_path
from app.model.comparison import ComparisonLayer
from tests.ui.conftest import wait_loaded


def _comparisons(window) -> list[ComparisonLayer]:
    return [layer for layer in window.scene.layers if isinstance(layer, ComparisonLayer)]


def test_demo_compares_on_open_and_from_the_menu_and_exports_html(qtbot, window, tmp_path: Path) -> None:
    import time

    t0 = time.perf_counter()
    window.open_paths([str(demo_project_path())])
    wait_loaded(qtbot, window)
    t1 = time.perf_counter()
    [comp] = _comparisons(window)
    qtbot.waitUntil(lambda: comp.computed, timeout=90_000)  # computed in a worker once both layers are loaded
    print(f"demo loaded in {t1 - t0:.1f} s, compared on open in {time.perf_counter() - t1:.1f} s")
    assert not window.errors
    design, scan = window.scene.layers[1], window.scene.layers[2]
    assert (design.name, scan.name) == ("Block C design (IFC)", "Site scan (LAZ)")
    assert scan.color_mode == "deviation" and design.color_mode == "status"
    counts = comp.data.status_counts()
    assert counts["built"] > 0 and counts["missing"] > 0  # the scan is of the half-built block
    assert not window.isWindowModified()  # the project asked for it: nothing unsaved
    # a user runs it again from the menu, with another tolerance
    action = next(a for a in window.analysis_menu.actions() if a.text().startswith("&Compare"))
    action.trigger()
    dialog = window.compare_dialog
    assert dialog.scan_box.count() == 1 and dialog.design_list.count() == 1  # the streamed district is not a design
    dialog.tolerance.setValue(0.03)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible()
    t2 = time.perf_counter()
    wait_loaded(qtbot, window, timeout=60_000)
    print(f"compared from the menu in {time.perf_counter() - t2:.1f} s")
    [again] = _comparisons(window)  # the new comparison replaced the old one on this scan
    assert again.computed and again.tolerance == 0.03 and window.isWindowModified()
    window.resize(1400, 800)  # room for both legends beside the four docks
    qtbot.waitUntil(lambda: window.view.width() > 450, timeout=5000)
    window.canvas.render()
    titles = window.canvas.legends.titles()
    assert "Block C design (IFC): Comparison status" in titles and "Site scan (LAZ): Deviation (m)" in titles
    labels = window.canvas.legends.labels()
    assert any(re.fullmatch(r"built \(\d+\)", text) for text in labels)
    histogram = window.comparisons.deviation_dock
    assert histogram.isVisible() and histogram.histogram.counts.sum() > 0 and histogram.histogram.tolerance == 0.03
    assert window.comparisons.comparison_dock.by_storey.rowCount() >= 1
    path = window.comparisons.export_report(str(tmp_path / "block_c.html"))
    html = Path(path).read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and html.count("<table") >= 2
    guid = str(again.data.table["guid"][0])
    assert guid in html and "data:image/png;base64," in html  # self-contained: pictures inside
