"""Seeded IFC4 models of any size for the IFC loader's tests and benchmarks.

`make_ifc_grid` writes entities with `file.create_entity` rather than `ifcopenshell.api`: the API
costs ~1 ms per call and a 10,000-element model would take minutes. Profiles, styles, materials and
the extrusion direction are shared (valid IFC); every element still has its own extruded solid, so
the geometry iterator does the same work as for a real model.
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np

# class, predefined type, profile (x, y), extrusion depth, pset, rgb, material
_KINDS = (
    ("IfcWall", "SOLIDWALL", (4.0, 0.2), 3.0, "Pset_WallCommon", (0.85, 0.80, 0.70), "Concrete C30/37"),
    ("IfcSlab", "FLOOR", (4.0, 4.0), 0.25, "Pset_SlabCommon", (0.60, 0.60, 0.65), "Reinforced concrete"),
    ("IfcColumn", "COLUMN", (0.4, 0.4), 3.0, "Pset_ColumnCommon", (0.40, 0.45, 0.55), "Steel S355"),
)
SPACING = 5.0
STOREY_HEIGHT = 3.5


def _guid(rng: np.random.Generator) -> str:
    import ifcopenshell.guid

    return ifcopenshell.guid.compress(uuid.UUID(bytes=rng.bytes(16), version=4).hex)


def make_ifc_grid(path: str | Path, n_elements: int, seed: int = 0, storeys: int | None = None) -> dict:
    """Write an IFC4 model of `n_elements` walls, slabs and columns on a grid over several storeys.

    Returns {"elements", "storeys", "seconds", "storey_names"} so tests know what to expect.
    Every element has a storey container, a material, a colour, a property set, a Tag and a
    PredefinedType; one IfcSpace per storey is added (not counted in n_elements).
    """
    import ifcopenshell

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_storeys = storeys or max(1, min(8, n_elements // 25 or 1))
    f = ifcopenshell.file(schema="IFC4")
    c = f.create_entity

    def pt(xyz) -> object:
        return c("IfcCartesianPoint", Coordinates=tuple(float(v) for v in xyz))

    z_axis = c("IfcDirection", DirectionRatios=(0.0, 0.0, 1.0))
    x_axis = c("IfcDirection", DirectionRatios=(1.0, 0.0, 0.0))
    origin = pt((0, 0, 0))
    world = c("IfcAxis2Placement3D", Location=origin, Axis=z_axis, RefDirection=x_axis)
    owner = _owner_history(f, rng)
    units = c("IfcUnitAssignment", Units=[
        c("IfcSIUnit", UnitType="LENGTHUNIT", Name="METRE"),
        c("IfcSIUnit", UnitType="AREAUNIT", Name="SQUARE_METRE"),
        c("IfcSIUnit", UnitType="VOLUMEUNIT", Name="CUBIC_METRE"),
        c("IfcSIUnit", UnitType="PLANEANGLEUNIT", Name="RADIAN"),
    ])
    model = c("IfcGeometricRepresentationContext", ContextType="Model", CoordinateSpaceDimension=3, Precision=1e-5,
              WorldCoordinateSystem=world)
    body = c("IfcGeometricRepresentationSubContext", ContextIdentifier="Body", ContextType="Model", ParentContext=model,
             TargetView="MODEL_VIEW")
    project = c("IfcProject", GlobalId=_guid(rng), OwnerHistory=owner, Name="Grid", RepresentationContexts=[model],
                UnitsInContext=units)

    def placement(xyz, rel=None) -> object:
        return c("IfcLocalPlacement", PlacementRelTo=rel,
                 RelativePlacement=c("IfcAxis2Placement3D", Location=pt(xyz)))

    site_pl = placement((0, 0, 0))
    site = c("IfcSite", GlobalId=_guid(rng), OwnerHistory=owner, Name="Site", ObjectPlacement=site_pl, CompositionType="ELEMENT")
    bldg_pl = placement((0, 0, 0), site_pl)
    building = c("IfcBuilding", GlobalId=_guid(rng), OwnerHistory=owner, Name="Building", ObjectPlacement=bldg_pl,
                 CompositionType="ELEMENT")
    c("IfcRelAggregates", GlobalId=_guid(rng), OwnerHistory=owner, RelatingObject=project, RelatedObjects=[site])
    c("IfcRelAggregates", GlobalId=_guid(rng), OwnerHistory=owner, RelatingObject=site, RelatedObjects=[building])
    storey_objs, storey_pls, names = [], [], []
    for s in range(n_storeys):
        pl = placement((0, 0, s * STOREY_HEIGHT), bldg_pl)
        name = f"Level {s}"
        storey_objs.append(c("IfcBuildingStorey", GlobalId=_guid(rng), OwnerHistory=owner, Name=name, ObjectPlacement=pl,
                             CompositionType="ELEMENT", Elevation=s * STOREY_HEIGHT))
        storey_pls.append(pl)
        names.append(name)
    c("IfcRelAggregates", GlobalId=_guid(rng), OwnerHistory=owner, RelatingObject=building, RelatedObjects=storey_objs)

    # Shared per-kind resources: profile, surface style, material.
    profiles, styles, materials = [], [], []
    for cls, _, (px, py), _, _, rgb, mat in _KINDS:
        profiles.append(c("IfcRectangleProfileDef", ProfileType="AREA", XDim=px, YDim=py,
                          Position=c("IfcAxis2Placement2D", Location=c("IfcCartesianPoint", Coordinates=(px / 2, py / 2)))))
        colour = c("IfcColourRgb", Red=rgb[0], Green=rgb[1], Blue=rgb[2])
        styles.append(c("IfcSurfaceStyle", Name=cls, Side="BOTH",
                        Styles=[c("IfcSurfaceStyleShading", SurfaceColour=colour, Transparency=0.0)]))
        materials.append(c("IfcMaterial", Name=mat))
    solid_pl = c("IfcAxis2Placement3D", Location=origin)

    cols = max(1, int(np.ceil(np.sqrt(n_elements / n_storeys))))
    kinds = rng.integers(0, len(_KINDS), n_elements)
    jitter = rng.uniform(0.8, 1.0, n_elements)
    per_storey: list[list] = [[] for _ in range(n_storeys)]
    per_kind: list[list] = [[] for _ in _KINDS]
    for i in range(n_elements):
        k = int(kinds[i])
        cls, ptype, _, depth, pset_name, _, _ = _KINDS[k]
        s, j = i % n_storeys, i // n_storeys
        xy = ((j % cols) * SPACING, (j // cols) * SPACING, 0.0)
        solid = c("IfcExtrudedAreaSolid", SweptArea=profiles[k], Position=solid_pl, ExtrudedDirection=z_axis,
                  Depth=float(depth * jitter[i]))
        c("IfcStyledItem", Item=solid, Styles=[styles[k]])
        rep = c("IfcShapeRepresentation", ContextOfItems=body, RepresentationIdentifier="Body",
                RepresentationType="SweptSolid", Items=[solid])
        el = c(cls, GlobalId=_guid(rng), OwnerHistory=owner, Name=f"{cls[3:]} {i}", ObjectType=f"{cls[3:]} type {k}",
               ObjectPlacement=placement(xy, storey_pls[s]),
               Representation=c("IfcProductDefinitionShape", Representations=[rep]), Tag=str(i), PredefinedType=ptype)
        props = [
            c("IfcPropertySingleValue", Name="IsExternal", NominalValue=f.createIfcBoolean(bool(j % cols == 0))),
            c("IfcPropertySingleValue", Name="Reference", NominalValue=f.createIfcIdentifier(f"{cls[3:]}-{k}")),
        ]
        pset = c("IfcPropertySet", GlobalId=_guid(rng), OwnerHistory=owner, Name=pset_name, HasProperties=props)
        c("IfcRelDefinesByProperties", GlobalId=_guid(rng), OwnerHistory=owner, RelatingPropertyDefinition=pset,
          RelatedObjects=[el])
        per_storey[s].append(el)
        per_kind[k].append(el)
    # One room per storey, spanning the grid: loaded but hidden by default.
    extent = cols * SPACING
    room_profile = c("IfcRectangleProfileDef", ProfileType="AREA", XDim=extent, YDim=extent,
                     Position=c("IfcAxis2Placement2D", Location=c("IfcCartesianPoint", Coordinates=(extent / 2 - 1, extent / 2 - 1))))
    for s, storey in enumerate(storey_objs):
        solid = c("IfcExtrudedAreaSolid", SweptArea=room_profile, Position=solid_pl, ExtrudedDirection=z_axis, Depth=3.0)
        rep = c("IfcShapeRepresentation", ContextOfItems=body, RepresentationIdentifier="Body",
                RepresentationType="SweptSolid", Items=[solid])
        space = c("IfcSpace", GlobalId=_guid(rng), OwnerHistory=owner, Name=f"Room {s}", ObjectPlacement=placement((0, 0, 0), storey_pls[s]),
                  Representation=c("IfcProductDefinitionShape", Representations=[rep]), CompositionType="ELEMENT")
        c("IfcRelAggregates", GlobalId=_guid(rng), OwnerHistory=owner, RelatingObject=storey, RelatedObjects=[space])
    for storey, els in zip(storey_objs, per_storey):
        if els:
            c("IfcRelContainedInSpatialStructure", GlobalId=_guid(rng), OwnerHistory=owner, RelatingStructure=storey,
              RelatedElements=els)
    for mat, els in zip(materials, per_kind):
        if els:
            c("IfcRelAssociatesMaterial", GlobalId=_guid(rng), OwnerHistory=owner, RelatingMaterial=mat, RelatedObjects=els)
    f.write(str(path))
    return {"elements": n_elements, "storeys": n_storeys, "storey_names": names, "seconds": time.perf_counter() - t0}


def _owner_history(f, rng: np.random.Generator):
    """IFC4 makes OwnerHistory optional, but some viewers want one."""
    c = f.create_entity
    person = c("IfcPerson", FamilyName="Twinscape")
    org = c("IfcOrganization", Name="Twinscape tests")
    app = c("IfcApplication", ApplicationDeveloper=org, Version="1", ApplicationFullName="tests.ifc_fixtures",
            ApplicationIdentifier="twinscape-tests")
    return c("IfcOwnerHistory", OwningUser=c("IfcPersonAndOrganization", ThePerson=person, TheOrganization=org),
             OwningApplication=app, ChangeAction="NOCHANGE", CreationDate=int(1_700_000_000 + rng.integers(0, 1000)))
