"""IFC4X3 loads like IFC4 (IFC2X3 is covered by the Schependomlaan corpus files)."""
from __future__ import annotations

from pathlib import Path

import loaders
from tests.loaders.builders import make_ifc


def test_ifc4x3_wall(tmp_path: Path) -> None:
    path = tmp_path / "wall4x3.ifc"
    make_ifc(path, schema="IFC4X3")
    [model_data] = loaders.load(path)
    assert model_data.format == "IFC4X3" and len(model_data.faces) == 12
    [element] = model_data.elements
    assert (element.ifc_class, element.name, element.spatial) == ("IfcWall", "W1", ("P", "S"))
    assert element.properties["Pset_WallCommon.IsExternal"] is True
