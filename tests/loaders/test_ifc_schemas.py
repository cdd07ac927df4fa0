"""IFC4X3 loads like IFC4 (IFC2X3 is covered by the Schependomlaan corpus files)."""
from __future__ import annotations

from pathlib import Path

import loaders


def test_ifc4x3_wall(tmp_path: Path) -> None:
    import ifcopenshell
    import ifcopenshell.api as api

    f = ifcopenshell.file(schema="IFC4X3")
    project = api.run("root.create_entity", f, ifc_class="IfcProject", name="Bridge project")
    api.run("unit.assign_unit", f, length={"is_metric": True, "raw": "METERS"})
    model = api.run("context.add_context", f, context_type="Model")
    body = api.run("context.add_context", f, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW", parent=model)
    site = api.run("root.create_entity", f, ifc_class="IfcSite", name="Site")
    api.run("aggregate.assign_object", f, relating_object=project, products=[site])
    wall = api.run("root.create_entity", f, ifc_class="IfcWall", name="Abutment wall")
    api.run("geometry.edit_object_placement", f, product=wall)
    rep = api.run("geometry.add_wall_representation", f, context=body, length=5, height=3, thickness=0.2)
    api.run("geometry.assign_representation", f, product=wall, representation=rep)
    api.run("spatial.assign_container", f, relating_structure=site, products=[wall])
    path = tmp_path / "wall4x3.ifc"
    f.write(str(path))
    [model_data] = loaders.load(path)
    assert model_data.format == "IFC4X3" and len(model_data.faces) == 12
    [element] = model_data.elements
    assert (element.ifc_class, element.name, element.spatial) == ("IfcWall", "Abutment wall", ("Bridge project", "Site"))
