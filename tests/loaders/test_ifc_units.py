"""Property values carry the units of the file's IfcUnitAssignment; angles are converted once (issue 9, item 4)."""
from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest

import loaders
from loaders._ifc_units import Measure
from tests.conftest import corpus_file


def _beam_ifc(path: Path, *, angle_unit: str, slope: float, millimetres: bool = False) -> Path:
    """One beam with Pset_BeamCommon.Slope (IfcPlaneAngleMeasure), Span (IfcPositiveLengthMeasure),
    a base quantity and a label, in a file whose angle unit is DEGREE or RADIAN."""
    import ifcopenshell
    import ifcopenshell.api as api

    f = ifcopenshell.file(schema="IFC4")
    project = api.run("root.create_entity", f, ifc_class="IfcProject", name="P")
    radian = f.create_entity("IfcSIUnit", UnitType="PLANEANGLEUNIT", Name="RADIAN")
    if angle_unit == "DEGREE":
        factor = f.create_entity("IfcMeasureWithUnit", ValueComponent=f.create_entity("IfcPlaneAngleMeasure", math.pi / 180),
                                 UnitComponent=radian)
        dims = f.create_entity("IfcDimensionalExponents", 0, 0, 0, 0, 0, 0, 0)
        angle = f.create_entity("IfcConversionBasedUnit", Dimensions=dims, UnitType="PLANEANGLEUNIT", Name="DEGREE",
                                ConversionFactor=factor)
    else:
        angle = radian
    length = f.create_entity("IfcSIUnit", UnitType="LENGTHUNIT", Prefix="MILLI" if millimetres else None, Name="METRE")
    area = f.create_entity("IfcSIUnit", UnitType="AREAUNIT", Name="SQUARE_METRE")
    project.UnitsInContext = f.create_entity("IfcUnitAssignment", Units=[length, area, angle])
    model = api.run("context.add_context", f, context_type="Model")
    body = api.run("context.add_context", f, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW", parent=model)
    site = api.run("root.create_entity", f, ifc_class="IfcSite", name="S")
    api.run("aggregate.assign_object", f, relating_object=project, products=[site])
    beam = api.run("root.create_entity", f, ifc_class="IfcBeam", name="B1")
    api.run("geometry.edit_object_placement", f, product=beam)
    scale = 1000.0 if millimetres else 1.0
    rep = api.run("geometry.add_wall_representation", f, context=body, length=5 * scale, height=0.4 * scale, thickness=0.2 * scale)
    api.run("geometry.assign_representation", f, product=beam, representation=rep)
    api.run("spatial.assign_container", f, relating_structure=site, products=[beam])
    props = [
        f.create_entity("IfcPropertySingleValue", Name="Slope", NominalValue=f.create_entity("IfcPlaneAngleMeasure", slope)),
        f.create_entity("IfcPropertySingleValue", Name="Span", NominalValue=f.create_entity("IfcPositiveLengthMeasure", 5 * scale)),
        f.create_entity("IfcPropertySingleValue", Name="Reference", NominalValue=f.create_entity("IfcIdentifier", "B-30")),
        f.create_entity("IfcPropertySingleValue", Name="LoadBearing", NominalValue=f.create_entity("IfcBoolean", True)),
    ]
    pset = f.create_entity("IfcPropertySet", GlobalId=ifcopenshell.guid.new(), Name="Pset_BeamCommon", HasProperties=props)
    f.create_entity("IfcRelDefinesByProperties", GlobalId=ifcopenshell.guid.new(), RelatedObjects=[beam],
                    RelatingPropertyDefinition=pset)
    qto = f.create_entity("IfcElementQuantity", GlobalId=ifcopenshell.guid.new(), Name="Qto_BeamBaseQuantities", Quantities=[
        f.create_entity("IfcQuantityLength", Name="Length", LengthValue=5 * scale),
        f.create_entity("IfcQuantityArea", Name="CrossSectionArea", AreaValue=0.08),
    ])
    f.create_entity("IfcRelDefinesByProperties", GlobalId=ifcopenshell.guid.new(), RelatedObjects=[beam],
                    RelatingPropertyDefinition=qto)
    f.write(str(path))
    return path


def _beam_props(path: Path) -> dict:
    [layer] = loaders.load(path)
    [beam] = layer.elements
    return dict(beam.properties)


@pytest.mark.parametrize("angle_unit, stored", [("DEGREE", 30.0), ("RADIAN", math.radians(30.0))])
def test_a_30_degree_slope_reads_30_degrees_in_either_angle_unit(tmp_path: Path, angle_unit: str, stored: float) -> None:
    props = _beam_props(_beam_ifc(tmp_path / f"{angle_unit}.ifc", angle_unit=angle_unit, slope=stored))
    slope = props["Pset_BeamCommon.Slope"]
    assert isinstance(slope, Measure) and slope.unit == "°" and slope == pytest.approx(30.0) and not slope.note
    assert props["Pset_BeamCommon.Span"] == pytest.approx(5.0) and props["Pset_BeamCommon.Span"].unit == "m"
    assert props["Qto_BeamBaseQuantities.Length"].unit == "m"
    assert props["Qto_BeamBaseQuantities.CrossSectionArea"].unit == "m²"
    assert props["Pset_BeamCommon.Reference"] == "B-30" and props["Pset_BeamCommon.LoadBearing"] is True  # no unit: as stored


def test_an_angle_the_exporter_converted_twice_is_shown_converted_once(tmp_path: Path) -> None:
    """ArchiCAD wrote a 30 degree slope as 30 * 180 / pi = 1718.873 into a degree-based file."""
    props = _beam_props(_beam_ifc(tmp_path / "twice.ifc", angle_unit="DEGREE", slope=1718.87338539))
    slope = props["Pset_BeamCommon.Slope"]
    assert slope == pytest.approx(30.0, abs=1e-6) and slope.unit == "°"
    assert "1718.87" in slope.note and "converted" in slope.note
    radian_file = _beam_props(_beam_ifc(tmp_path / "degrees_in_radians.ifc", angle_unit="RADIAN", slope=30.0))
    assert radian_file["Pset_BeamCommon.Slope"] == pytest.approx(30.0) and "degrees" in radian_file["Pset_BeamCommon.Slope"].note


def test_millimetre_files_say_mm(tmp_path: Path) -> None:
    props = _beam_props(_beam_ifc(tmp_path / "mm.ifc", angle_unit="DEGREE", slope=12.5, millimetres=True))
    assert props["Pset_BeamCommon.Span"] == pytest.approx(5000.0) and props["Pset_BeamCommon.Span"].unit == "mm"
    assert props["Pset_BeamCommon.Slope"] == pytest.approx(12.5)


def test_measures_stay_numbers() -> None:
    """Colour ramps, filters, pickles (worker results) and JSON see a plain float."""
    import json

    m = Measure(30.0, "°", "a note")
    assert m + 1 == 31.0 and m > 20 and json.dumps({"v": m}) == '{"v": 30.0}'
    back = pickle.loads(pickle.dumps(m))
    assert back == 30.0 and back.unit == "°" and back.note == "a note"


def test_fzk_haus_member_slope_reads_30_degrees() -> None:
    [layer] = loaders.load(corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc"))
    slopes = {round(float(e.properties["Pset_BeamCommon.Slope"]), 6) for e in layer.elements
              if "Pset_BeamCommon.Slope" in e.properties}
    assert slopes == {0.0, 30.0}  # 1718.873 in the file for the rafters (IfcMember)
    roof = next(e for e in layer.elements if "ArchiCADProperties.Neigung" in e.properties)
    assert roof.properties["ArchiCADProperties.Neigung"] == pytest.approx(30.0) and roof.properties["ArchiCADProperties.Neigung"].unit == "°"
