"""Simulated terrestrial laser scanner for scan-versus-design tests (no Qt, seeded).

Why: issue 12 asks for scans made by casting rays from stations (occlusion, noise along
the ray, incidence dropout, clutter), never points sampled evenly from the design, so the
comparison is tested against what a real scan shows: hidden faces hold no points and a
wall's foot holds only what a station sees.

First hits come from Embree (embreex, through trimesh); the hit distance is then
recomputed in float64 against the hit triangle's plane, so the noise-free point lies on
the surface to within 1e-7 m (1.6e-8 m worst in 56M rays) though Embree works in float32.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

import numpy as np

# --------------------------------------------------------------------------- meshes


@dataclass(frozen=True)
class BoxElement:
    """One design element as an axis-aligned box; `index` is its design element index."""

    index: int
    name: str
    ifc_class: str
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]


@dataclass
class SiteMesh:
    """Triangle mesh with a per-triangle element index (-1 = clutter, not design)."""

    vertices: np.ndarray  # (V,3) float64
    triangles: np.ndarray  # (F,3) int64
    element: np.ndarray  # (F,) int64
    names: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)


_BOX_TRIS = np.array(
    [  # outward normals; corner i has bits x=1, y=2, z=4
        [0, 2, 3], [0, 3, 1],  # z-
        [4, 5, 7], [4, 7, 6],  # z+
        [0, 1, 5], [0, 5, 4],  # y-
        [2, 6, 7], [2, 7, 3],  # y+
        [0, 4, 6], [0, 6, 2],  # x-
        [1, 3, 7], [1, 7, 5],  # x+
    ],
    dtype=np.int64,
)


def box_mesh(lo: Sequence[float], hi: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and outward-facing triangles of an axis-aligned box."""
    lo_a, hi_a = np.asarray(lo, float), np.asarray(hi, float)
    if lo_a.shape != (3,) or hi_a.shape != (3,) or np.any(hi_a <= lo_a):
        raise ValueError(f"box needs lo < hi in x, y, z; got lo={lo}, hi={hi}")
    corners = np.array([[(hi_a if (i >> k) & 1 else lo_a)[k] for k in range(3)] for i in range(8)])
    return corners, _BOX_TRIS.copy()


def mesh_from_boxes(elements: Iterable[BoxElement], clutter: Iterable[tuple] = ()) -> SiteMesh:
    """One mesh of all element boxes (element index kept) plus clutter boxes (index -1)."""
    verts, tris, elem = [], [], []
    names: dict[int, str] = {}
    classes: dict[int, str] = {}
    for e in elements:
        v, t = box_mesh(e.lo, e.hi)
        tris.append(t + sum(len(x) for x in verts))
        verts.append(v)
        elem.append(np.full(len(t), e.index, np.int64))
        names[e.index], classes[e.index] = e.name, e.ifc_class
    for lo, hi in clutter:
        v, t = box_mesh(lo, hi)
        tris.append(t + sum(len(x) for x in verts))
        verts.append(v)
        elem.append(np.full(len(t), -1, np.int64))
    if not verts:
        raise ValueError("no geometry: give at least one element or clutter box")
    n = max(names, default=-1) + 1
    return SiteMesh(
        np.vstack(verts), np.vstack(tris), np.concatenate(elem),
        [names.get(i, "") for i in range(n)], [classes.get(i, "") for i in range(n)],
    )


def simple_site() -> list[BoxElement]:
    """Design of a small site: slab, 4 walls on it, 2 columns and a beam on them (metres)."""
    h = 3.0
    parts = [
        ("Slab", "IfcSlab", (0, 0, -0.3), (10, 8, 0)),
        ("Wall S", "IfcWall", (0, 0, 0), (10, 0.2, h)),
        ("Wall N", "IfcWall", (0, 7.8, 0), (10, 8, h)),
        ("Wall W", "IfcWall", (0, 0.2, 0), (0.2, 7.8, h)),
        ("Wall E", "IfcWall", (9.8, 0.2, 0), (10, 7.8, h)),
        ("Column A", "IfcColumn", (3.0, 3.8, 0), (3.4, 4.2, 2.6)),
        ("Column B", "IfcColumn", (6.6, 3.8, 0), (7.0, 4.2, 2.6)),
        ("Beam AB", "IfcBeam", (3.0, 3.8, 2.6), (7.0, 4.2, 3.0)),
    ]
    return [BoxElement(i, n, c, tuple(map(float, lo)), tuple(map(float, hi)))
            for i, (n, c, lo, hi) in enumerate(parts)]


def as_built(
    design: Sequence[BoxElement],
    omit: Iterable[str] = (),
    cut: dict[str, float | tuple[str, float]] | None = None,
    shift: dict[str, Sequence[float]] | None = None,
) -> list[BoxElement]:
    """The as-built state: elements omitted, cut to a fraction of their extent, or shifted.

    A `cut` value is a fraction of the height (0.4: a wall standing to 40%) or an
    (axis, fraction) pair such as ("x", 0.5): a slab poured along half its length.

    Element indices stay those of the design, so scan hits carry the design truth.
    """
    known = {e.name for e in design}
    cut, shift, omit = dict(cut or {}), dict(shift or {}), set(omit)
    unknown = (omit | set(cut) | set(shift)) - known
    if unknown:
        raise ValueError(f"unknown element names: {sorted(unknown)}")
    out = []
    for e in design:
        if e.name in omit:
            continue
        lo, hi = np.array(e.lo), np.array(e.hi)
        if e.name in cut:
            spec = cut[e.name]
            axis_name, f = spec if isinstance(spec, tuple) else ("z", spec)
            if axis_name not in ("x", "y", "z"):
                raise ValueError(f"cut axis for {e.name} must be x, y or z, got {axis_name!r}")
            f = float(f)
            if not 0.0 < f <= 1.0:
                raise ValueError(f"cut fraction for {e.name} must be in (0, 1], got {f}")
            ax = "xyz".index(axis_name)
            hi[ax] = lo[ax] + f * (hi[ax] - lo[ax])
        if e.name in shift:
            d = np.asarray(shift[e.name], float)
            lo, hi = lo + d, hi + d
        out.append(replace(e, lo=tuple(lo), hi=tuple(hi)))
    return out


# --------------------------------------------------------------------------- scanning


@dataclass
class Scan:
    """Simulated scan; element is -1 and clutter True for clutter points."""

    points: np.ndarray  # (N,3) measured (noisy) points
    true_points: np.ndarray  # (N,3) noise-free points on the surface
    element: np.ndarray  # (N,) design element index of the hit triangle, -1 for clutter
    station: np.ndarray  # (N,) station index
    clutter: np.ndarray  # (N,) bool
    triangle: np.ndarray  # (N,) hit triangle index, -1 for floating clutter points

    def __len__(self) -> int:
        return len(self.points)


def ray_grid(h_step_deg: float, v_step_deg: float, v_fov: tuple[float, float],
             azimuth_offset_deg: float = 0.0) -> np.ndarray:
    """Unit ray directions on a spherical azimuth x elevation grid (scanner pattern)."""
    if h_step_deg <= 0 or v_step_deg <= 0:
        raise ValueError(f"angular steps must be positive, got {h_step_deg}, {v_step_deg}")
    lo, hi = v_fov
    if not -90.0 <= lo < hi <= 90.0:
        raise ValueError(f"vertical field of view must satisfy -90 <= low < high <= 90, got {v_fov}")
    az = np.deg2rad(np.arange(0.0, 360.0, h_step_deg) + azimuth_offset_deg)
    el = np.deg2rad(np.arange(lo, hi + 1e-9, v_step_deg))
    a, e = np.meshgrid(az, el, indexing="ij")
    a, e = a.ravel(), e.ravel()
    return np.column_stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def _intersector(mesh: SiteMesh):
    """Embree scene over the mesh (built once per scan, reused for every station)."""
    try:
        import trimesh
        from trimesh.ray.ray_pyembree import RayMeshIntersector
    except ImportError as exc:  # embreex is pinned in requirements.txt
        raise RuntimeError("scan_sim needs embreex (pip install embreex, see requirements.txt)") from exc
    return RayMeshIntersector(trimesh.Trimesh(mesh.vertices, mesh.triangles, process=False))


def _check_mesh(mesh: SiteMesh) -> None:
    """Refuse malformed meshes with a message instead of an Embree crash."""
    v, t, e = mesh.vertices, mesh.triangles, mesh.element
    if v.ndim != 2 or v.shape[1] != 3 or t.ndim != 2 or t.shape[1] != 3 or len(t) == 0:
        raise ValueError(f"mesh needs vertices (V,3) and triangles (F,3), got {v.shape}, {t.shape}")
    if e.shape != (len(t),):
        raise ValueError(f"mesh needs one element index per triangle: {e.shape} for {len(t)} triangles")
    if t.min() < 0 or t.max() >= len(v) or not np.all(np.isfinite(v)):
        raise ValueError("mesh triangles index missing vertices or vertices are not finite")


def simulate_scan(
    mesh: SiteMesh,
    stations: Sequence[Sequence[float]],
    h_step_deg: float = 0.5,
    v_step_deg: float = 0.5,
    v_fov: tuple[float, float] = (-60.0, 90.0),
    max_range: float = 60.0,
    sigma: float = 0.0025,
    max_incidence_deg: float | None = None,
    n_floating: int = 0,
    seed: int = 0,
    target_points: int | None = None,
) -> Scan:
    """Scan `mesh` from each station: first hits, noise along the ray, dropout, clutter.

    `target_points` (rays per station) overrides the steps with an equal step that gives
    about that many rays. Rays hitting nothing or beyond `max_range` give no point;
    hits at an incidence angle above `max_incidence_deg` drop out. `n_floating` random
    points (dust, birds, moving people) inside the mesh bounds are added, flagged clutter.
    """
    st = np.asarray(stations, float)
    if st.ndim != 2 or st.shape[1] != 3 or len(st) == 0:
        raise ValueError(f"stations must be a non-empty list of (x, y, z), got shape {st.shape}")
    if max_range <= 0 or sigma < 0:
        raise ValueError(f"max_range must be > 0 and sigma >= 0, got {max_range}, {sigma}")
    if target_points is not None:
        if target_points < 1:
            raise ValueError(f"target_points must be >= 1, got {target_points}")
        h_step_deg = v_step_deg = float(np.sqrt(360.0 * (v_fov[1] - v_fov[0]) / target_points))
    _check_mesh(mesh)
    rng = np.random.default_rng(seed)
    caster = _intersector(mesh)
    tri = mesh.vertices[mesh.triangles]  # (F,3,3)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):  # degenerate triangles: NaN, never kept
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    cols: list[tuple[np.ndarray, ...]] = []
    for si, origin in enumerate(st):
        dirs = ray_grid(h_step_deg, v_step_deg, v_fov, rng.uniform(0.0, h_step_deg))
        origins = np.broadcast_to(origin, dirs.shape).copy()
        hit = np.asarray(caster.intersects_first(origins, dirs), np.int64)  # -1 = miss
        keep = hit >= 0
        d, f = dirs[keep], hit[keep]
        n = normal[f]
        denom = np.einsum("ij,ij->i", n, d)
        t = np.einsum("ij,ij->i", n, tri[f, 0] - origin) / denom  # exact float64 range
        ok = (t > 0) & (t <= max_range)
        if max_incidence_deg is not None:
            ok &= np.abs(denom) >= np.cos(np.deg2rad(max_incidence_deg))
        d, f, t = d[ok], f[ok], t[ok]
        true = origin + t[:, None] * d
        meas = origin + (t + rng.normal(0.0, sigma, len(t)))[:, None] * d
        elem = mesh.element[f]
        cols.append((meas, true, elem, np.full(len(t), si), elem < 0, f))
    if n_floating:
        lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
        p = rng.uniform(lo, hi, (n_floating, 3))
        cols.append((p, p.copy(), np.full(n_floating, -1), rng.integers(0, len(st), n_floating),
                     np.ones(n_floating, bool), np.full(n_floating, -1)))
    pts, true, elem, sta, clu, tri_i = (np.concatenate(c) for c in zip(*cols))
    return Scan(pts, true, elem.astype(np.int64), sta.astype(np.int64), clu.astype(bool),
                tri_i.astype(np.int64))


def write_las(path, scan: Scan, origin: Sequence[float] = (0.0, 0.0, 0.0),
              epsg: int | None = None, scale: float = 1e-4) -> None:
    """Write a scan as LAS/LAZ (by suffix), shifted by `origin`, with the truth as extra bytes.

    Why: CLI and loader tests need real files (e.g. a scan in EPSG:4547). Coordinates are
    quantised to `scale` (0.1 mm by default, well under the 1 mm C2M check). Extra
    dimensions: `truth_element` (int32, -1 clutter), `station` (uint16), `clutter` (uint8).
    """
    import laspy

    if len(scan) == 0:
        raise ValueError("empty scan: nothing to write")
    org = np.asarray(origin, float)
    header = laspy.LasHeader(point_format=6, version="1.4")
    header.offsets = np.floor(org)
    header.scales = np.full(3, scale)
    header.add_extra_dims([
        laspy.ExtraBytesParams("truth_element", np.int32),
        laspy.ExtraBytesParams("station", np.uint16),
        laspy.ExtraBytesParams("clutter", np.uint8),
    ])
    if epsg is not None:
        import pyproj

        header.add_crs(pyproj.CRS.from_epsg(epsg))
    las = laspy.LasData(header)
    world = scan.points + org
    las.x, las.y, las.z = world[:, 0], world[:, 1], world[:, 2]
    las.truth_element = scan.element.astype(np.int32)
    las.station = scan.station.astype(np.uint16)
    las.clutter = scan.clutter.astype(np.uint8)
    las.point_source_id = scan.station.astype(np.uint16)
    las.write(str(path))


def write_site_ifc(path, elements: Sequence[BoxElement], unit: str = "METRE",
                   map_origin: Sequence[float] | None = None, epsg: int = 4547,
                   map_scale: float | None = None, seed: int = 0) -> dict[int, str]:
    """Write box elements as an IFC4 model (one storey, extruded rectangles); return index -> GlobalId.

    Why: verdict tests need a design file whose truth they know. `unit` is METRE or
    MILLIMETRE (coordinates written in that unit). With `map_origin` (E, N, H in metres) an
    IfcMapConversion to EPSG:`epsg` (map unit metre) is added; its Scale defaults to the
    model-to-map unit factor (0.001 for a millimetre model), the common real-world case.
    """
    import uuid

    import ifcopenshell
    import ifcopenshell.guid

    if unit not in ("METRE", "MILLIMETRE"):
        raise ValueError(f"unit must be METRE or MILLIMETRE, got {unit!r}")
    k = 1000.0 if unit == "MILLIMETRE" else 1.0
    rng = np.random.default_rng(seed)
    f = ifcopenshell.file(schema="IFC4")
    c = f.create_entity

    def guid() -> str:
        return ifcopenshell.guid.compress(uuid.UUID(bytes=rng.bytes(16), version=4).hex)

    def axis3(xyz) -> object:
        return c("IfcAxis2Placement3D", Location=c("IfcCartesianPoint", Coordinates=tuple(map(float, xyz))))

    length = c("IfcSIUnit", UnitType="LENGTHUNIT", Name="METRE",
               Prefix="MILLI" if unit == "MILLIMETRE" else None)
    units = c("IfcUnitAssignment", Units=[length, c("IfcSIUnit", UnitType="PLANEANGLEUNIT", Name="RADIAN")])
    ctx = c("IfcGeometricRepresentationContext", ContextType="Model", CoordinateSpaceDimension=3,
            Precision=1e-5, WorldCoordinateSystem=axis3((0, 0, 0)))
    body = c("IfcGeometricRepresentationSubContext", ContextIdentifier="Body", ContextType="Model",
             ParentContext=ctx, TargetView="MODEL_VIEW")
    project = c("IfcProject", GlobalId=guid(), Name="Simulated site", RepresentationContexts=[ctx],
                UnitsInContext=units)
    if map_origin is not None:
        e, n, h = map(float, map_origin)
        crs = c("IfcProjectedCRS", Name=f"EPSG:{epsg}",
                MapUnit=c("IfcSIUnit", UnitType="LENGTHUNIT", Name="METRE"))
        c("IfcMapConversion", SourceCRS=ctx, TargetCRS=crs, Eastings=e, Northings=n, OrthogonalHeight=h,
          XAxisAbscissa=1.0, XAxisOrdinate=0.0, Scale=float(map_scale if map_scale is not None else 1.0 / k))
    site_pl = c("IfcLocalPlacement", RelativePlacement=axis3((0, 0, 0)))
    site = c("IfcSite", GlobalId=guid(), Name="Site", ObjectPlacement=site_pl)
    storey_pl = c("IfcLocalPlacement", PlacementRelTo=site_pl, RelativePlacement=axis3((0, 0, 0)))
    storey = c("IfcBuildingStorey", GlobalId=guid(), Name="Level 0", ObjectPlacement=storey_pl, Elevation=0.0)
    c("IfcRelAggregates", GlobalId=guid(), RelatingObject=project, RelatedObjects=[site])
    c("IfcRelAggregates", GlobalId=guid(), RelatingObject=site, RelatedObjects=[storey])
    up = c("IfcDirection", DirectionRatios=(0.0, 0.0, 1.0))
    ids: dict[int, str] = {}
    products = []
    for el in elements:
        lo, hi = np.asarray(el.lo) * k, np.asarray(el.hi) * k
        size = hi - lo
        prof = c("IfcRectangleProfileDef", ProfileType="AREA", XDim=float(size[0]), YDim=float(size[1]),
                 Position=c("IfcAxis2Placement2D", Location=c(
                     "IfcCartesianPoint", Coordinates=(float(size[0] / 2), float(size[1] / 2)))))
        solid = c("IfcExtrudedAreaSolid", SweptArea=prof, Position=axis3((0, 0, 0)),
                  ExtrudedDirection=up, Depth=float(size[2]))
        rep = c("IfcShapeRepresentation", ContextOfItems=body, RepresentationIdentifier="Body",
                RepresentationType="SweptSolid", Items=[solid])
        ids[el.index] = guid()
        products.append(c(el.ifc_class, GlobalId=ids[el.index], Name=el.name,
                          ObjectPlacement=c("IfcLocalPlacement", PlacementRelTo=storey_pl,
                                            RelativePlacement=axis3(lo)),
                          Representation=c("IfcProductDefinitionShape", Representations=[rep])))
    if not products:
        raise ValueError("no elements to write")
    c("IfcRelContainedInSpatialStructure", GlobalId=guid(), RelatingStructure=storey, RelatedElements=products)
    f.write(str(path))
    return ids


def mesh_from_ifc(path) -> tuple[SiteMesh, list[str]]:
    """Triangles of every element of an IFC file in metres (world coordinates of the model).

    Returns the mesh (element index = position in the returned GlobalId list, names are
    element Names, classes their IFC classes) so any model, e.g. the corpus FZK-Haus,
    can be scanned. Openings cut their hosts as usual and are not surfaces themselves.
    """
    import ifcopenshell
    import ifcopenshell.geom

    f = ifcopenshell.open(str(path))
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    verts, tris, elem, guids, names, classes = [], [], [], [], [], []
    offset = 0
    products = [e for e in f.by_type("IfcElement")  # openings are voids, not surfaces
                if not e.is_a("IfcFeatureElement") and not e.is_a("IfcVirtualElement")]
    it = ifcopenshell.geom.iterator(settings, f, 1, include=products) if products else None
    if it is not None and it.initialize():
        while True:
            shape = it.get()
            v = np.asarray(shape.geometry.verts, float).reshape(-1, 3)
            t = np.asarray(shape.geometry.faces, np.int64).reshape(-1, 3)
            if len(t):
                product = f.by_id(shape.id)
                elem.append(np.full(len(t), len(guids), np.int64))
                guids.append(product.GlobalId)
                names.append(product.Name or "")
                classes.append(product.is_a())
                verts.append(v)
                tris.append(t + offset)
                offset += len(v)
            if not it.next():
                break
    if not tris:
        raise ValueError(f"{path}: no element geometry")
    return SiteMesh(np.vstack(verts), np.vstack(tris), np.concatenate(elem), names, classes), guids


# --------------------------------------------------------------------------- bigger sites (verdict tests)


def two_storey_frame() -> list[BoxElement]:
    """A two-storey concrete frame (metres): ground slab, 3x3 columns and 12 beams per storey under
    a floor slab and a roof slab, four ground-floor walls outside the column line; 49 elements.
    Columns stand on the slab below and reach the slab above; beams span between column faces
    under the slab (contacts everywhere: column heads, beam ends, wall feet)."""
    parts: list[tuple[str, str, tuple, tuple]] = []
    xs, ys = (0.5, 6.0, 11.5), (0.5, 4.0, 7.5)
    c, h, t, bd = 0.2, 3.0, 0.25, 0.4          # column half width, storey height, slab, beam depth
    parts.append(("Slab L0", "IfcSlab", (0.0, 0.0, -t), (12.0, 8.0, 0.0)))
    for lv in range(2):
        z0 = lv * (h + t)
        top = z0 + h
        for i, x in enumerate(xs):
            for j, y in enumerate(ys):
                parts.append((f"Column L{lv} {i}{j}", "IfcColumn", (x - c, y - c, z0), (x + c, y + c, top)))
        for j, y in enumerate(ys):
            for i in range(2):
                parts.append((f"Beam L{lv} x{i}{j}", "IfcBeam", (xs[i] + c, y - 0.15, top - bd),
                              (xs[i + 1] - c, y + 0.15, top)))
        for i, x in enumerate(xs):
            for j in range(2):
                parts.append((f"Beam L{lv} y{i}{j}", "IfcBeam", (x - 0.15, ys[j] + c, top - bd),
                              (x + 0.15, ys[j + 1] - c, top)))
        parts.append((f"Slab L{lv + 1}", "IfcSlab", (0.0, 0.0, top), (12.0, 8.0, top + t)))
    parts += [
        ("Wall S", "IfcWall", (0.0, 0.0, 0.0), (12.0, 0.2, h)),
        ("Wall N", "IfcWall", (0.0, 7.8, 0.0), (12.0, 8.0, h)),
        ("Wall W", "IfcWall", (0.0, 0.2, 0.0), (0.2, 7.8, h)),
        ("Wall E", "IfcWall", (11.8, 0.2, 0.0), (12.0, 7.8, h)),
    ]
    return [BoxElement(i, n, cl, tuple(map(float, lo)), tuple(map(float, hi)))
            for i, (n, cl, lo, hi) in enumerate(parts)]


FRAME_STATIONS = [(3.2, 2.2, 1.5), (8.8, 5.8, 1.5), (3.2, 5.8, 4.8), (8.8, 2.2, 4.8)]
FRAME_CLUTTER = [((2.0, 6.4, 0.0), (3.0, 7.2, 1.2)),      # pallet stack before Wall N
                 ((9.0, 1.0, 0.0), (9.6, 1.6, 1.8)),      # formwork crate
                 ((6.8, 3.0, 3.25), (7.6, 3.6, 4.25))]    # material on the floor slab


def sample_surface(vertices: np.ndarray, triangles: np.ndarray, spacing: float, seed: int = 0,
                   sigma: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Points sampled evenly (about one per spacing^2) on every triangle, with optional normal noise;
    returns (points, triangle index). For "a model against points sampled from itself"."""
    rng = np.random.default_rng(seed)
    tri = np.asarray(vertices, float)[np.asarray(triangles, np.int64)]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    count = rng.poisson(area / spacing ** 2)
    idx = np.repeat(np.arange(len(tri)), count)
    r1, r2 = rng.random(len(idx)), rng.random(len(idx))
    flip = r1 + r2 > 1
    r1[flip], r2[flip] = 1 - r1[flip], 1 - r2[flip]
    t = tri[idx]
    p = t[:, 0] + r1[:, None] * (t[:, 1] - t[:, 0]) + r2[:, None] * (t[:, 2] - t[:, 0])
    if sigma > 0:
        n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        n /= np.linalg.norm(n, axis=1, keepdims=True)
        p += rng.normal(0.0, sigma, len(p))[:, None] * n
    return p, idx
