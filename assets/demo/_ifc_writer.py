"""IFC4 model of "Block C", the building under construction on the empty lot (ifcopenshell.api).

The model's local frame: origin at the lot's south-west corner, x along the street grid (rotated
STREET_ROTATION_DEG from grid east), z = 0 at the flat pad (IfcMapConversion.OrthogonalHeight).
Every element is an axis-aligned box in that frame; `building_elements()` lists them (also used
by the scan sampler, so the scan and the IFC agree by construction).
"""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assets.demo._site import DEMO_CRS, LOT_SIZE, STREET_ROTATION_DEG, Site

BUILDING_NAME = "Block C"
BUILDING_OFFSET = (4.0, 4.0)  # footprint corner inside the lot (IFC x, y)
BUILDING_SIZE = (32.0, 22.0)
STOREY_HEIGHT = 3.5
N_STOREYS = 6
SLAB_T = 0.25
WALL_T = 0.3
COLUMN_SIZE = 0.5
COLUMNS_X = (8.0, 16.0, 24.0)  # relative to the footprint corner
COLUMNS_Y = (22.0 / 3.0, 44.0 / 3.0)
BUILT_STOREYS = {"IfcSlab": 3, "IfcColumn": 3, "IfcWall": 2}  # construction progress seen by the scan
IFC_TIMESTAMP = "2026-01-15T09:00:00"

CONCRETE = (0.66, 0.66, 0.64)
GLASS = (0.55, 0.70, 0.82)


@dataclass
class Element:
    ifc_class: str
    name: str
    storey: int  # 1..N_STOREYS; the roof slab belongs to storey N_STOREYS
    lo: tuple[float, float, float]  # axis-aligned box in IFC local coordinates (m)
    hi: tuple[float, float, float]
    predefined_type: str | None = None
    is_external: bool = False
    built: bool = False


def storey_elevation(i: int) -> float:
    """Elevation of storey i (1-based) above the pad."""
    return (i - 1) * STOREY_HEIGHT


def building_elements() -> list[Element]:
    x0, y0 = BUILDING_OFFSET
    w, d = BUILDING_SIZE
    x1, y1 = x0 + w, y0 + d
    t = WALL_T
    out: list[Element] = []
    for s in range(1, N_STOREYS + 1):
        z = storey_elevation(s)
        zt = z + SLAB_T
        ztop = z + STOREY_HEIGHT
        out.append(Element("IfcSlab", f"Floor slab L{s}", s, (x0, y0, z), (x1, y1, zt), "FLOOR"))
        out += [
            Element("IfcWall", f"Wall L{s} south", s, (x0, y0, zt), (x1, y0 + t, ztop), is_external=True),
            Element("IfcWall", f"Wall L{s} north", s, (x0, y1 - t, zt), (x1, y1, ztop), is_external=True),
            Element("IfcWall", f"Wall L{s} west", s, (x0, y0 + t, zt), (x0 + t, y1 - t, ztop), is_external=True),
            Element("IfcWall", f"Wall L{s} east", s, (x1 - t, y0 + t, zt), (x1, y1 - t, ztop), is_external=True),
        ]
        c = COLUMN_SIZE / 2
        k = 0
        for cy in COLUMNS_Y:
            for cx in COLUMNS_X:
                k += 1
                out.append(Element("IfcColumn", f"Column L{s}-C{k}", s, (x0 + cx - c, y0 + cy - c, zt),
                                   (x0 + cx + c, y0 + cy + c, ztop), "COLUMN"))
    zr = N_STOREYS * STOREY_HEIGHT
    out.append(Element("IfcSlab", "Roof slab", N_STOREYS, (x0, y0, zr), (x1, y1, zr + SLAB_T), "ROOF", True))
    for e in out:
        e.built = e.storey <= BUILT_STOREYS[e.ifc_class] and e.predefined_type != "ROOF"
    return out


def _placement(x: float, y: float, z: float, rot90: bool = False) -> np.ndarray:
    m = np.eye(4)
    if rot90:  # local x -> +y, local y -> -x
        m[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    m[:3, 3] = (x, y, z)
    return m


def _dms(value: float) -> list[int]:
    sign = -1 if value < 0 else 1
    v = abs(value)
    deg = int(v)
    mins = int((v - deg) * 60)
    secs_f = ((v - deg) * 60 - mins) * 60
    secs = int(secs_f)
    micro = int(round((secs_f - secs) * 1e6))
    if micro == 1_000_000:
        secs, micro = secs + 1, 0
    return [sign * deg, sign * mins, sign * secs, sign * micro]


def _sort_set_attributes(f) -> None:
    import ifcopenshell
    import ifcopenshell.ifcopenshell_wrapper as wrapper

    schema = wrapper.schema_by_name(f.schema)
    cache: dict[str, list[int]] = {}
    for ent in f:
        cls = ent.is_a()
        if cls not in cache:
            attrs = schema.declaration_by_name(cls).all_attributes()
            cache[cls] = [
                i for i, a in enumerate(attrs)
                if (agg := a.type_of_attribute().as_aggregation_type()) is not None
                and agg.type_of_aggregation_string() == "set"
            ]
        for i in cache[cls]:
            value = ent[i]
            if value and all(isinstance(v, ifcopenshell.entity_instance) and v.id() for v in value):
                ordered = tuple(sorted(value, key=lambda v: v.id()))
                if ordered != tuple(value):
                    ent[i] = ordered


def write_ifc(site: Site, path: Path, rng: np.random.Generator) -> dict:
    import ifcopenshell
    import ifcopenshell.api.aggregate
    import ifcopenshell.api.context
    import ifcopenshell.api.georeference
    import ifcopenshell.api.geometry
    import ifcopenshell.api.profile
    import ifcopenshell.api.project
    import ifcopenshell.api.pset
    import ifcopenshell.api.root
    import ifcopenshell.api.spatial
    import ifcopenshell.api.style
    import ifcopenshell.api.unit
    import ifcopenshell.guid

    api = ifcopenshell.api
    f = api.project.create_file(version="IFC4")
    project = api.root.create_entity(f, ifc_class="IfcProject", name="Twinscape demo site")
    api.unit.assign_unit(f, length={"is_metric": True, "raw": "METERS"})
    model = api.context.add_context(f, context_type="Model")
    body = api.context.add_context(f, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW",
                                   parent=model)

    # georeferencing: IFC local -> EPSG:4547, origin at the lot corner, x axis along the street grid
    rot = math.radians(STREET_ROTATION_DEG)
    api.georeference.add_georeferencing(f, ifc_class="IfcMapConversion", name=DEMO_CRS)
    length_unit = next(u for u in f.by_type("IfcSIUnit") if u.UnitType == "LENGTHUNIT")
    api.georeference.edit_georeferencing(
        f,
        projected_crs={"Name": DEMO_CRS, "Description": "CGCS2000 / 3-degree Gauss-Kruger CM 114E",
                       "GeodeticDatum": "CGCS2000", "VerticalDatum": "ellipsoidal height (CGCS2000)",
                       "MapUnit": length_unit},
        coordinate_operation={"Eastings": site.lot_corner_en[0], "Northings": site.lot_corner_en[1],
                              "OrthogonalHeight": site.pad_height, "XAxisAbscissa": math.cos(rot),
                              "XAxisOrdinate": math.sin(rot), "Scale": 1.0},
    )

    ifc_site = api.root.create_entity(f, ifc_class="IfcSite", name="Wuhan demo lot")
    lon, lat = site.geo.proj_to_lonlat(*site.lot_corner_en)
    ifc_site.RefLatitude = _dms(lat)
    ifc_site.RefLongitude = _dms(lon)
    ifc_site.RefElevation = site.pad_height
    ifc_site.Description = f"Empty lot {LOT_SIZE[0]:.0f} m x {LOT_SIZE[1]:.0f} m, flat pad"
    building = api.root.create_entity(f, ifc_class="IfcBuilding", name=BUILDING_NAME)
    api.aggregate.assign_object(f, products=[ifc_site], relating_object=project)
    api.aggregate.assign_object(f, products=[building], relating_object=ifc_site)
    api.geometry.edit_object_placement(f, product=ifc_site)
    api.geometry.edit_object_placement(f, product=building)
    storeys = []
    for s in range(1, N_STOREYS + 1):
        st = api.root.create_entity(f, ifc_class="IfcBuildingStorey", name=f"Level {s}")
        st.Elevation = storey_elevation(s)
        api.aggregate.assign_object(f, products=[st], relating_object=building)
        api.geometry.edit_object_placement(f, product=st, matrix=_placement(0, 0, storey_elevation(s)))
        storeys.append(st)

    styles = {}
    for key, rgb, transparency in (("concrete", CONCRETE, 0.0), ("glass", GLASS, 0.0)):
        style = api.style.add_style(f, name=key.capitalize())
        api.style.add_surface_style(
            f, style=style, ifc_class="IfcSurfaceStyleShading",
            attributes={"SurfaceColour": {"Name": None, "Red": rgb[0], "Green": rgb[1], "Blue": rgb[2]},
                        "Transparency": transparency},
        )
        styles[key] = style

    column_profile = api.profile.add_parameterized_profile(f, ifc_class="IfcRectangleProfileDef")
    column_profile.ProfileName = f"C{int(COLUMN_SIZE * 1000)}x{int(COLUMN_SIZE * 1000)}"
    column_profile.XDim = COLUMN_SIZE
    column_profile.YDim = COLUMN_SIZE

    elements = building_elements()
    counts: dict[str, int] = {}
    for el in elements:
        lo, hi = np.array(el.lo), np.array(el.hi)
        size = hi - lo
        product = api.root.create_entity(f, ifc_class=el.ifc_class, predefined_type=el.predefined_type, name=el.name)
        api.spatial.assign_container(f, products=[product], relating_structure=storeys[el.storey - 1])
        if el.ifc_class == "IfcWall":
            along_y = size[1] > size[0]
            length, thick = (size[1], size[0]) if along_y else (size[0], size[1])
            rep = api.geometry.add_wall_representation(f, context=body, length=float(length), height=float(size[2]),
                                                       thickness=float(thick))
            matrix = _placement(hi[0], lo[1], lo[2], rot90=True) if along_y else _placement(*lo)
            style = styles["glass"]
            pset = api.pset.add_pset(f, product=product, name="Pset_WallCommon")
            props = {"Reference": "EW-300", "IsExternal": True, "LoadBearing": True}
        elif el.ifc_class == "IfcSlab":
            rep = api.geometry.add_slab_representation(
                f, context=body, depth=float(size[2]),
                polyline=[(0.0, 0.0), (float(size[0]), 0.0), (float(size[0]), float(size[1])), (0.0, float(size[1]))],
            )
            matrix = _placement(*lo)
            style = styles["concrete"]
            pset = api.pset.add_pset(f, product=product, name="Pset_SlabCommon")
            props = {"Reference": "S-250", "IsExternal": el.is_external, "LoadBearing": True}
        else:
            rep = api.geometry.add_profile_representation(f, context=body, profile=column_profile,
                                                          depth=float(size[2]), cardinal_point=5)
            matrix = _placement((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2])
            style = styles["concrete"]
            pset = api.pset.add_pset(f, product=product, name="Pset_ColumnCommon")
            props = {"Reference": column_profile.ProfileName, "IsExternal": False, "LoadBearing": True}
        api.pset.edit_pset(f, pset=pset, properties=props)
        status = api.pset.add_pset(f, product=product, name="Twinscape_Construction")
        api.pset.edit_pset(f, pset=status, properties={
            "Status": "BUILT" if el.built else "PLANNED",
            "PlannedWeek": int(el.storey * 3 + {"IfcSlab": 0, "IfcColumn": 1, "IfcWall": 2}[el.ifc_class]),
        })
        api.geometry.assign_representation(f, product=product, representation=rep)
        api.style.assign_representation_styles(f, shape_representation=rep, styles=[style])
        api.geometry.edit_object_placement(f, product=product, matrix=matrix, is_si=True)
        counts[el.ifc_class] = counts.get(el.ifc_class, 0) + 1

    # deterministic output: SET attributes in id order (the api fills them from Python sets),
    # seeded GlobalIds and a fixed header time stamp
    _sort_set_attributes(f)
    for ent in sorted(f.by_type("IfcRoot"), key=lambda e: e.id()):
        ent.GlobalId = ifcopenshell.guid.compress(uuid.UUID(bytes=rng.bytes(16)).hex)
    f.header.file_name.time_stamp = IFC_TIMESTAMP
    f.header.file_name.name = path.name
    f.write(str(path))
    return {"elements": counts, "storeys": N_STOREYS}
