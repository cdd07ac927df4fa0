"""The "Colour by" chooser: grouped, searchable, readable names, same mode keys (issue 9, item 4)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.model.layers import BimLayer
from app.ui.colour_by import ColourByBox, mode_label
from loaders._ifc_units import Measure
from loaders.base import ElementInfo


def _model(n_psets: int = 12) -> BimLayer:
    """Elements with many property sets: 60+ colour modes, as a real IFC has."""
    elements = []
    for i in range(8):
        props = {f"Pset_Custom{p:02d}.Value{q}": Measure(float(i * p + q), "m") for p in range(n_psets) for q in range(5)}
        props["Pset_WallCommon.IsExternal"] = bool(i % 2)
        props["Pset_BeamCommon.Slope"] = Measure(5.0 * i, "°")
        elements.append(ElementInfo(id=f"G{i:021d}", ifc_class="IfcWall" if i % 2 else "IfcBeam", name=f"E{i}",
                                    storey=f"Level {i // 4}", material="Concrete", properties=props))
    return BimLayer(name="model.ifc", data={"vertices": np.zeros((3, 3)), "faces": np.array([[0, 1, 2]]),
                                            "face_element": np.zeros(1, dtype=np.int32), "elements": elements})


def test_readable_names_keep_the_keys() -> None:
    assert mode_label("property:Pset_WallCommon.IsExternal") == "Pset_WallCommon \u203a IsExternal"
    assert mode_label("property:use") == "use" and mode_label("class") == "Class"
    assert mode_label("return_number") == "Return number" and mode_label("default") == "Default colours"


def test_modes_are_grouped_and_searchable(qtbot, window) -> None:
    layer = _model()
    window.scene.layers.append(layer)
    box = window.layer_tree.color_mode
    assert isinstance(box, ColourByBox)
    keys = [box.itemText(i) for i in range(box.count())]
    assert keys == layer.available_color_modes() and len(keys) > 60  # the layer's keys, all of them, unchanged
    assert box.currentText() == "default" and "Default colours" in box.button.text()

    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    popup = box.popup
    qtbot.waitUntil(popup.isVisible)
    tree = popup.tree
    top = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert top[:5] == ["Default colours", "Elevation", "Class", "Storey", "Material"]
    assert top[5].startswith("Properties (")
    properties = tree.topLevelItem(5)
    psets = {properties.child(i).text(0).split(" (")[0]: properties.child(i) for i in range(properties.childCount())}
    assert "Pset_WallCommon" in psets and all(not name.startswith("property:") for name in psets)
    wall = psets["Pset_WallCommon"]
    assert wall.child(0).text(0) == "IsExternal" and wall.child(0).toolTip(0) == "property:Pset_WallCommon.IsExternal"

    qtbot.keyClicks(popup.search, "no such thing")
    assert popup.empty.isVisible() and "no such thing" in popup.empty.text()
    popup.search.clear()
    qtbot.keyClicks(popup.search, "isext")  # narrows to one mode; Enter chooses it
    visible = [key for key, leaf in popup.leaves.items() if not leaf.isHidden()]
    assert visible == ["property:Pset_WallCommon.IsExternal"]
    assert psets["Pset_Custom00"].isHidden() and not wall.isHidden()  # sets without a match fold away
    assert not popup.empty.isVisible()
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert layer.color_mode == "property:Pset_WallCommon.IsExternal"
    assert box.button.text().startswith("Pset_WallCommon \u203a IsExternal")


def test_a_click_in_the_list_chooses_and_scripts_still_set_keys(qtbot, window) -> None:
    layer = _model(n_psets=2)
    window.scene.layers.append(layer)
    box = window.layer_tree.color_mode
    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(box.popup.isVisible)
    qtbot.keyClicks(box.popup.search, "storey")
    leaf = box.popup.leaves["storey"]
    tree = box.popup.tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(leaf).center())
    assert layer.color_mode == "storey" and not box.popup.isVisible()
    box.setCurrentText("property:Pset_BeamCommon.Slope")  # as tests and scripts did with the combo box
    assert layer.color_mode == "property:Pset_BeamCommon.Slope"
    layer.color_mode = "class"  # set elsewhere: the chooser follows
    assert box.currentText() == "class" and box.button.text().startswith("Class")
    box.setCurrentText("no such mode")  # ignored, as a non-editable combo box does
    assert layer.color_mode == "class"
