"""The properties dock: property sets as a tree, values with units, copyable, full text in tooltips (issue 9, item 4)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.model.layers import BimLayer, PointCloudLayer
from app.model.scene import Selection
from loaders._ifc_units import Measure
from loaders.base import ElementInfo

LONG = "Fire compartment boundary, " * 30


def _beam_layer() -> BimLayer:
    props = {
        "Pset_BeamCommon.Slope": Measure(30.0, "°", "stored as 1718.87 in a degree-based file: converted twice"),
        "Pset_BeamCommon.Span": Measure(5.0, "m"),
        "Pset_BeamCommon.CrossSectionArea": Measure(0.0812345678912, "m²"),
        "Pset_BeamCommon.LoadBearing": True,
        "Pset_BeamCommon.Reference": "B-30",
        "Qto_BeamBaseQuantities.CrossSectionArea": Measure(0.08, "m²"),
        "Attributes.Description": LONG,
    }
    element = ElementInfo(id="2O2Fr$t4X7Zf8NOew3FLOH", ifc_class="IfcBeam", name="Beam 1", storey="Level 0", properties=props)
    return BimLayer(name="beam.ifc", data={"vertices": np.zeros((3, 3)), "faces": np.array([[0, 1, 2]]),
                                           "face_element": np.zeros(1, dtype=np.int32), "elements": [element]})


def _show(window, layer, index: int = 0) -> None:
    window.scene.select(Selection(layer, index, layer.describe_element(index)))


def test_property_sets_are_a_tree_with_units(qtbot, window) -> None:
    layer = _beam_layer()
    _show(window, layer)
    dock = window.properties
    tree = dock.tree
    top = {tree.topLevelItem(i).text(0).split(" (")[0]: tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}
    assert {"class", "name", "GlobalId", "storey"} <= set(top)  # the element's own fields first, ungrouped
    assert {"Pset_BeamCommon", "Qto_BeamBaseQuantities", "Attributes"} <= set(top)
    pset = top["Pset_BeamCommon"]
    rows = {pset.child(i).text(0): pset.child(i).text(1) for i in range(pset.childCount())}
    assert rows["Span"] == "5 m" and rows["LoadBearing"] == "true" and rows["Reference"] == "B-30"
    assert rows["Slope"] == "30° (corrected)"  # not 1718.873; the tooltip says why
    assert rows["CrossSectionArea"] == "0.0812346 m²"  # six digits shown, every digit copied
    assert dock.value("Pset_BeamCommon.CrossSectionArea") == "0.08123456789 m²"
    assert pset.isExpanded() and pset.text(0) == "Pset_BeamCommon (5)" and pset.isFirstColumnSpanned()
    assert dock.value("Qto_BeamBaseQuantities.CrossSectionArea") == "0.08 m²"
    slope = dock.item("Pset_BeamCommon.Slope")
    assert "converted twice" in slope.toolTip(1) and slope.toolTip(0) == "Pset_BeamCommon.Slope"
    description = dock.item("Attributes.Description")
    assert len(description.text(1)) < len(LONG) and description.toolTip(1) == LONG  # the cell is cut, the tooltip is not


def test_copy_a_value_with_ctrl_c_and_the_context_menu(qtbot, window) -> None:
    _show(window, _beam_layer())
    dock = window.properties
    dock.raise_()
    qtbot.waitUntil(dock.tree.isVisible)
    span = dock.item("Pset_BeamCommon.Span")
    dock.tree.scrollToItem(span)
    qtbot.mouseClick(dock.tree.viewport(), Qt.MouseButton.LeftButton, pos=dock.tree.visualItemRect(span).center())
    assert dock.tree.selectedItems() == [span]
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(dock.tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "5 m"

    menu = dock.context_menu(dock.item("Attributes.Description"))
    copy = next(a for a in menu.actions() if a.text() == "Copy value")
    copy.trigger()
    assert QGuiApplication.clipboard().text() == LONG  # the whole value, not the shortened cell

    pset = dock.item("Pset_BeamCommon.Span").parent()
    next(a for a in dock.context_menu(pset).actions() if a.text() == "Copy property set").trigger()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert "Pset_BeamCommon.Span\t5 m" in lines and len(lines) == 5


def test_other_layers_keep_their_keys_whole(qtbot, window) -> None:
    cloud = PointCloudLayer(name="scan", data={"positions": np.zeros((1, 3)), "colors": None,
                                               "attributes": {"intensity": np.array([7], dtype=np.uint16)}})
    window.scene.select(Selection(cloud, 0, {"point": 0, "intensity": 7, "x (m, ENU)": 1.25, "v1.2 flag": True}))
    dock = window.properties
    assert dock.tree.topLevelItemCount() == 4 and dock.value("v1.2 flag") == "true"
    assert dock.value("x (m, ENU)") == "1.25" and dock.value("intensity") == "7"
