"""Soak: every corpus IFC, a tileset and a LAZ in one window, the model tree rebuilt again and again
(issue 9, item 1). With PySide6 6.12.0 this run aborted the interpreter ("Fatal Python error:
none_dealloc") within a minute; the window must still be alive and answering at the end."""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt, QTimer

from tests.conftest import corpus_file
from tests.ui.conftest import wait_loaded

ROUNDS = 4  # each: three groupings, a search, isolate and show all


def _inputs() -> list[str]:
    ifcs = sorted(str(p) for p in corpus_file("ifc").rglob("*.ifc"))
    tileset = corpus_file("3dtiles/cesium-samples/1.1/MultipleContents/tileset.json")
    laz = corpus_file("pointcloud/pdal/autzen_trim.laz")
    return ifcs + [str(tileset), str(laz)]


def _leaf_count(dock) -> int:
    return sum(len(rows.leaves) for rows in dock._rows.values())


def test_seven_ifc_models_a_tileset_and_a_laz_in_one_window(qtbot, window) -> None:
    paths = _inputs()
    n_ifc = sum(p.endswith(".ifc") for p in paths)
    assert n_ifc >= 7  # six Schependomlaan models and FZK-Haus
    window.open_paths(paths)  # as on the command line: one load, no interaction
    wait_loaded(qtbot, window, timeout=240_000)
    assert not window.errors, window.errors
    kinds = [layer.kind for layer in window.scene.layers]
    assert kinds.count("bim") == n_ifc and "tileset" in kinds and "pointcloud" in kinds
    dock = window.model_tree
    models = dock.structured_layers()
    elements = sum(len(layer.elements) for layer in models)
    assert dock.tree.topLevelItemCount() == n_ifc and _leaf_count(dock) == elements

    none_before = sys.getrefcount(None)
    for _ in range(ROUNDS):
        for grouping in ("Class", "Storey", "Spatial structure"):
            dock.group_by.setCurrentText(grouping)
            assert _leaf_count(dock) == elements
        qtbot.keyClicks(dock.search, "wand")  # Dutch and German wall names
        shown = [leaf for rows in dock._rows.values() for leaf in rows.leaves if not leaf.isHidden()]
        assert shown and all("wand" in (leaf.text(0) + leaf.toolTip(0)).lower() for leaf in shown)
        dock.search.clear()
        dock.tree.clearSelection()
        first_group = dock.tree.topLevelItem(0).child(0)
        first_group.setSelected(True)
        qtbot.mouseClick(dock.isolate_button, Qt.MouseButton.LeftButton)
        assert models[0].hidden_mask().sum() > 0
        qtbot.mouseClick(dock.show_all_button, Qt.MouseButton.LeftButton)
        assert all(not layer.hidden_mask()[[not e.hidden_by_default for e in layer.elements]].any() for layer in models)
        qtbot.wait(10)
    # every call above went through QTreeWidgetItem.addChild/setData/setFlags/setCheckState tens of
    # thousands of times; a leaking binding would have taken None's count down by as much
    assert sys.getrefcount(None) > none_before - 5_000

    fired: list[int] = []
    QTimer.singleShot(0, lambda: fired.append(1))  # the event loop still turns
    qtbot.waitUntil(lambda: bool(fired), timeout=5000)
    window.canvas.zoom_to()
    window.canvas.render()
    stats = window.canvas.stats()
    assert stats["triangles_drawn"] > 0 and stats["points_drawn"] > 0
    assert window.isVisible() and dock.tree.topLevelItemCount() == n_ifc
