"""IFC 2x3 / 4 / 4x3 building models via ifcopenshell.

All products are triangulated by ifcopenshell's multi-threaded geometry iterator in world
coordinates (metres). `iter_ifc` streams them as MeshData batches (so the first elements reach
the screen while the rest is still being computed); `read_ifc`, the registered loader, merges the
batches into one MeshData whose `face_element` maps every triangle back to its IfcProduct, so
picking and property panels work on one VTK actor.

The iterator is the cost: everything done per element in Python runs on the same cores as the
geometry threads, so it is kept to a few dictionary look-ups. Spatial paths, storeys and
materials come from one pass over the relationships (`_Describer`); property sets are read on
first use (`LazyProperties`). Spaces and openings are loaded with `hidden_by_default=True`.
"""
from __future__ import annotations

import os
from typing import Any, Iterable, Iterator

import numpy as np

from loaders.base import Cancel, ElementInfo, LayerData, LoadCancelled, LoadError, MeshData, Progress, read_head
from loaders.registry import register_loader
from loaders._ifc_georef import _georef
from loaders._ifc_properties import LazyProperties, _PropertySource, fill_properties  # noqa: F401 - fill_properties re-exported

HIDDEN_CLASSES = ("IfcOpeningElement", "IfcSpace")  # loaded, but hidden until the user asks for them
CLASS_COLORS: dict[str, tuple[float, float, float, float]] = {
    "IfcWall": (0.85, 0.85, 0.80, 1.0),
    "IfcSlab": (0.70, 0.70, 0.70, 1.0),
    "IfcRoof": (0.65, 0.30, 0.25, 1.0),
    "IfcWindow": (0.60, 0.80, 0.95, 0.4),
    "IfcDoor": (0.60, 0.45, 0.30, 1.0),
    "IfcColumn": (0.75, 0.75, 0.75, 1.0),
    "IfcBeam": (0.75, 0.70, 0.60, 1.0),
    "IfcStair": (0.70, 0.65, 0.60, 1.0),
    "IfcRailing": (0.40, 0.40, 0.40, 1.0),
    "IfcSite": (0.45, 0.60, 0.35, 1.0),
    "IfcFurnishingElement": (0.80, 0.60, 0.40, 1.0),
    "IfcSpace": (0.55, 0.75, 0.95, 0.25),
    "IfcOpeningElement": (0.95, 0.60, 0.20, 0.3),
}
DEFAULT_COLOR = (0.80, 0.80, 0.80, 1.0)
# Fastest kernel first: the hybrid uses CGAL's simple kernel where it can (extrusions, most
# elements) and OpenCASCADE for the rest. 2x faster on FZK-Haus, 4-5x on Schependomlaan, same
# elements and bounds; curved faces get fewer triangles (CGAL's fixed circle segments).
GEOMETRY_LIBRARIES = ("hybrid-cgal-simple-opencascade", "opencascade")


def _sniff(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"ISO-10303-21")


def _label(entity) -> str:
    """Name for paths and storeys; never empty, so an unnamed storey still groups its elements."""
    name = getattr(entity, "Name", None)
    return str(name) if name else f"Unnamed {entity.is_a()}"


def num_threads() -> int:
    """Cores this process may use (the affinity mask, not the machine's count, in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def iterator_settings():
    """Geometry settings shared by the loader and the benchmark's bare-iterator baseline."""
    import ifcopenshell.geom

    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    settings.set("no-normals", True)  # the viewer computes its own
    settings.set("apply-default-materials", False)  # unstyled elements get our class colours instead
    return settings


def _relations(f, rel_class: str, many: str, one: str) -> Iterator[tuple[Any, Any]]:
    """(entity on the `one` side, tuple of entities on the `many` side) for each relationship."""
    for rel in f.by_type(rel_class):
        target = getattr(rel, one)
        objs = getattr(rel, many)
        if target is not None and objs is not None:
            yield target, objs if isinstance(objs, tuple) else (objs,)


def _relation_map(f, rel_class: str, many: str, one: str) -> dict[int, Any]:
    """{id of each object on the `many` side: the entity on the `one` side}, from one pass."""
    out: dict[int, Any] = {}
    for target, objs in _relations(f, rel_class, many, one):
        for obj in objs:
            if obj is not None:
                out.setdefault(obj.id(), target)
    return out


class _Describer:
    """Per-element metadata from relationship maps built in one pass over the file.

    Inverse-attribute look-ups (get_container, get_material, get_type) cost ~15 us each per
    element, which is as much as triangulating a simple wall. Instead, one pass over the
    relationships computes each spatial path and material name once per container / material
    definition and maps element ids to them; an element then costs a few dict look-ups."""

    def __init__(self, f) -> None:
        self.f = f
        ifc2x3 = f.schema == "IFC2X3"
        self.spatial_class = "IfcSpatialStructureElement" if ifc2x3 else "IfcSpatialElement"
        self.parent = _relation_map(f, "IfcRelAggregates", "RelatedObjects", "RelatingObject")
        for rel_class, many, one in (("IfcRelNests", "RelatedObjects", "RelatingObject"),
                                     ("IfcRelVoidsElement", "RelatedOpeningElement", "RelatingBuildingElement"),
                                     ("IfcRelFillsElement", "RelatedBuildingElement", "RelatingOpeningElement")):
            for k, v in _relation_map(f, rel_class, many, one).items():
                self.parent.setdefault(k, v)
        self.contained = _relation_map(f, "IfcRelContainedInSpatialStructure", "RelatedElements", "RelatingStructure")
        self.paths: dict[int, tuple[tuple[str, ...], str]] = {}
        # element id -> (path, storey) for every directly contained element: the common case
        self.placed: dict[int, tuple[tuple[str, ...], str]] = {}
        for structure, elements in _relations(f, "IfcRelContainedInSpatialStructure", "RelatedElements", "RelatingStructure"):
            hit = self.spatial(structure)
            for e in elements:
                if e is not None:
                    self.placed.setdefault(e.id(), hit)
        self.types = _relation_map(f, "IfcRelDefinesByType", "RelatedObjects", "RelatingType")
        # element or type id -> first material name, each material definition read once
        self.material_of: dict[int, str] = {}
        for select, objs in _relations(f, "IfcRelAssociatesMaterial", "RelatedObjects", "RelatingMaterial"):
            name = _first_material_name(select)
            for obj in objs:
                if obj is not None:
                    self.material_of.setdefault(obj.id(), name)
        self.props = _PropertySource(f, self.types)
        self.classes: dict[str, tuple[bool, tuple[float, float, float, float]]] = {}

    def _class(self, cls: str, entity) -> tuple[bool, tuple[float, float, float, float]]:
        """(is a spatial element, default colour) for an IFC class, worked out once per class."""
        hit = self.classes.get(cls)
        if hit is None:
            spatial = entity.is_a(self.spatial_class) or entity.is_a("IfcProject")
            color = next((c for name, c in CLASS_COLORS.items() if entity.is_a(name)), DEFAULT_COLOR)
            hit = self.classes[cls] = (spatial, color)
        return hit

    def _container(self, eid: int, is_spatial: bool):
        """Spatial container: a space's is its storey; a part's, opening's or window's is its host's."""
        if is_spatial:
            return self.parent.get(eid) or self.contained.get(eid)
        for _ in range(32):  # host chains are short; a cycle in a broken file must not hang
            container = self.contained.get(eid)
            if container is not None:
                return container
            host = self.parent.get(eid)
            if host is None:
                return None
            if self._class(host.is_a(), host)[0]:
                return host
            eid = host.id()
        return None

    def spatial(self, container) -> tuple[tuple[str, ...], str]:
        """(names from IfcProject down to `container`, nearest storey's name or "")."""
        key = container.id()
        hit = self.paths.get(key)
        if hit is None:
            chain, node, seen = [], container, set()
            while node is not None and node.id() not in seen:
                seen.add(node.id())
                chain.append(node)
                node = self.parent.get(node.id()) or self.contained.get(node.id())
            storey = next((n for n in chain if n.is_a("IfcBuildingStorey")), None)
            hit = self.paths[key] = (tuple(_label(n) for n in reversed(chain)), _label(storey) if storey is not None else "")
        return hit

    def describe(self, shape) -> ElementInfo:
        """ElementInfo from the shape's own id/guid/name/type and the relationship maps."""
        eid = shape.id
        cls = shape.type
        hit = self.classes.get(cls) or self._class(cls, self.f.by_id(eid))
        placed = None if hit[0] else self.placed.get(eid)
        if placed is None:  # a space, a part of an aggregate, an opening, a window in one...
            container = self._container(eid, hit[0])
            placed = self.spatial(container) if container is not None else ((), "")
        material = self.material_of.get(eid)
        if material is None:
            element_type = self.types.get(eid)
            material = self.material_of.get(element_type.id(), "") if element_type is not None else ""
        return ElementInfo(
            id=shape.guid,
            ifc_class=cls,
            name=shape.name,
            properties=LazyProperties.deferred(self.props, eid),
            color=hit[1],
            spatial=placed[0],
            storey=placed[1],
            material=material,
            hidden_by_default=cls in HIDDEN_CLASSES,
        )


def _first_material_name(select) -> str:
    """IfcMaterial / layer set (usage) / constituent set / profile set (usage) / list -> first material's name."""
    node = select
    for _ in range(6):  # usage -> set -> layer -> material at most
        if node is None:
            return ""
        if node.is_a("IfcMaterial"):
            return str(node.Name or "")
        if node.is_a("IfcMaterialLayerSetUsage"):
            node = node.ForLayerSet
        elif node.is_a("IfcMaterialProfileSetUsage"):
            node = node.ForProfileSet
        elif node.is_a("IfcMaterialLayerSet"):
            node = (node.MaterialLayers or (None,))[0]
        elif node.is_a("IfcMaterialProfileSet"):
            node = (node.MaterialProfiles or (None,))[0]
        elif node.is_a("IfcMaterialConstituentSet"):
            node = (node.MaterialConstituents or (None,))[0]
        elif node.is_a("IfcMaterialList"):
            node = (node.Materials or (None,))[0]
        elif hasattr(node, "Material"):  # IfcMaterialLayer, IfcMaterialProfile, IfcMaterialConstituent
            node = node.Material
        else:
            return ""
    return ""


def _style_color(geom, fallback: tuple[float, float, float, float],
                 cache: dict[Any, tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """The style covering most triangles of the shape (IFC styles win over class colours)."""
    mats = geom.materials
    if not mats:
        return fallback
    if len(mats) == 1:
        style = mats[0]
    else:
        ids = np.frombuffer(geom.material_ids_buffer, dtype=np.int32)
        pick = int(np.bincount(ids[ids >= 0]).argmax()) if (ids >= 0).any() else 0
        style = mats[min(pick, len(mats) - 1)]
    key = (style.name, style.instance_id())
    color = cache.get(key)
    if color is None:
        rgb = style.get_color()
        alpha = 1.0 - float(style.transparency) if style.has_transparency() else 1.0
        color = cache[key] = (float(rgb.r()), float(rgb.g()), float(rgb.b()), max(0.0, min(1.0, alpha)))
    return color


def _open(path: str):
    import ifcopenshell

    read_head(path, 64)  # an empty or missing file says so, as the registry does (not "Unable to open")
    try:
        return ifcopenshell.open(path)
    except Exception as exc:  # noqa: BLE001 - ifcopenshell.Error, SchemaError, RuntimeError...
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise LoadError(path, f"not a readable IFC file: {reason}") from None


def _start_iterator(path: str, f, threads: int):
    """Start the geometry iterator with the fastest kernel that this ifcopenshell has; None when
    the file has no 3D products."""
    import ifcopenshell.geom

    last: Exception | None = None
    for library in GEOMETRY_LIBRARIES:
        try:
            it = ifcopenshell.geom.iterator(iterator_settings(), f, threads, geometry_library=library)
            return it if it.initialize() else None
        except Exception as exc:  # noqa: BLE001 - kernel missing in this build, or the file is broken
            last = exc
    raise LoadError(path, f"geometry could not be computed: {last}") from None


def _batch(proto: dict[str, Any], verts: list[bytes], tris: list[bytes], elements: list[ElementInfo]) -> MeshData:
    """One MeshData from the iterator's per-element buffers: one join, faces offset to the batch's
    vertices. Elements whose indices point past their vertices (never seen, but cheap to catch
    here for the whole batch) are dropped."""
    if not elements:
        return MeshData(**proto, faces=np.zeros((0, 3), dtype=np.int64), face_element=np.zeros(0, dtype=np.int32))
    n_v = np.fromiter(map(len, verts), dtype=np.int64, count=len(verts)) // 24
    n_t = np.fromiter(map(len, tris), dtype=np.int64, count=len(tris)) // 12
    faces = np.frombuffer(b"".join(tris), dtype=np.int32).reshape(-1, 3)
    starts = np.cumsum(n_t) - n_t
    bad = np.maximum.reduceat(faces.max(1), starts) >= n_v
    if bad.any():
        keep = np.flatnonzero(~bad)
        proto["metadata"]["skipped"] = proto["metadata"].get("skipped", 0) + int(bad.sum())
        return _batch(proto, [verts[i] for i in keep], [tris[i] for i in keep], [elements[i] for i in keep])
    faces = faces.astype(np.int64)
    faces += np.repeat(np.cumsum(n_v) - n_v, n_t)[:, None]
    return MeshData(
        **proto,
        vertices=np.frombuffer(bytearray().join(verts), dtype=np.float64).reshape(-1, 3),  # writable, one copy
        faces=faces,
        face_element=np.repeat(np.arange(len(elements), dtype=np.int32), n_t),
        elements=elements,
    )


def iter_ifc(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None,
             batch_elements: int = 200, first_batch: int = 20) -> Iterator[MeshData]:
    """Stream an IFC file as 'bim' MeshData batches, in the order the geometry threads finish.

    The first batch comes after `first_batch` elements (so a viewer shows something at once),
    then one every `batch_elements`. Element indices in `face_element` are local to the batch.
    All batches share one `georef`, `warnings` list and `metadata` dict; the last two are
    completed (skipped count, warnings) when the iterator is exhausted.
    """
    path = str(path)
    f = _open(path)
    warnings: list[str] = []
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - 256))
            if b"END-ISO-10303-21" not in fh.read():
                warnings.append("file is truncated (no END-ISO-10303-21 trailer); loaded what was readable")
        storeys = len(f.by_type("IfcBuildingStorey"))
    except Exception as exc:  # noqa: BLE001
        raise LoadError(path, f"not a readable IFC file: {exc}") from None
    it = _start_iterator(path, f, num_threads())
    if it is None:
        raise LoadError(path, "no geometry: the file has no products with a 3D representation")
    georef = _georef(f, warnings)
    metadata: dict[str, Any] = {"schema": f.schema, "storeys": storeys, "skipped": 0}
    proto = dict(name=os.path.basename(path), kind="bim", format=str(f.schema), georef=georef, source=path,
                 warnings=warnings, metadata=metadata)
    describer = _Describer(f)
    style_colors: dict[Any, tuple[float, float, float, float]] = {}
    verts: list[bytes] = []
    tris: list[bytes] = []
    elements: list[ElementInfo] = []
    total = skipped = 0
    limit = max(1, first_batch)
    last_pct = -1
    created = 0
    try:
        while True:
            if cancel is not None and cancel():
                raise LoadCancelled()
            shape = it.get()
            geom = shape.geometry
            v = geom.verts_buffer  # bytes: float64 xyz, world coordinates in metres
            t = geom.faces_buffer  # bytes: int32 triangle indices into v
            if len(t) >= 12 and len(v) >= 72:
                info = describer.describe(shape)
                created += 1
                fallback = info.color
                info.color = _style_color(geom, fallback, style_colors)
                if info.hidden_by_default:  # a volume shown on demand must not hide the building behind it
                    info.color = info.color[:3] + (min(info.color[3], fallback[3]),)
                elements.append(info)
                verts.append(v)
                tris.append(t)
            else:
                skipped += 1
            if progress is not None:
                pct = int(it.progress())
                if pct != last_pct:
                    last_pct = pct
                    progress(min(0.99, pct / 100.0), f"{total + len(elements)} elements")
            if len(elements) >= limit:
                total += len(elements)
                yield _batch(proto, verts, tris, elements)
                verts, tris, elements = [], [], []
                limit = max(1, batch_elements)
            if not it.next():
                break
    finally:  # also on cancel, error or an abandoned generator: the file may go once all are read
        describer.props.finish(created)
    total += len(elements)
    metadata["skipped"] = metadata.get("skipped", 0) + skipped
    if not total:
        raise LoadError(path, "no geometry: the file has no products with a 3D representation")
    if elements:
        yield _batch(proto, verts, tris, elements)
    if metadata["skipped"]:
        warnings.append(f"{metadata['skipped']} products have no usable geometry and were skipped")
    if progress is not None:
        progress(1.0, f"{total} elements")


def merge_meshes(batches: Iterable[MeshData]) -> MeshData:
    """Concatenate MeshData batches into one (faces and face_element offset), copying each array once.

    Name, georef, warnings and metadata come from the first batch (iter_ifc batches share them).
    """
    batches = list(batches)
    if not batches:
        raise ValueError("merge_meshes needs at least one batch")
    first = batches[0]
    n_v = np.array([len(b.vertices) for b in batches], dtype=np.int64)
    n_f = np.array([len(b.faces) for b in batches], dtype=np.int64)
    v_off = np.repeat(np.cumsum(n_v) - n_v, n_f)
    faces = np.concatenate([b.faces for b in batches]).astype(np.int64, copy=False)
    faces += v_off[:, None]
    face_el = np.concatenate([b.face_element if b.face_element is not None else np.full(len(b.faces), -1, dtype=np.int32)
                              for b in batches]).astype(np.int32, copy=False)
    n_el = np.array([len(b.elements) for b in batches], dtype=np.int64)
    el_off = np.repeat(np.cumsum(n_el) - n_el, n_f).astype(np.int32)
    np.add(face_el, el_off, out=face_el, where=face_el >= 0)  # -1 (no element) stays -1
    elements = [e for b in batches for e in b.elements]
    return MeshData(
        name=first.name, kind=first.kind, format=first.format, georef=first.georef, source=first.source,
        warnings=list(dict.fromkeys(w for b in batches for w in b.warnings)), metadata=dict(first.metadata),
        vertices=np.concatenate([b.vertices for b in batches]),
        faces=faces,
        face_element=face_el,
        elements=elements,
    )


@register_loader(".ifc", sniff=_sniff, priority=10, name="IFC")
def read_ifc(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read an IFC file into one 'bim' MeshData with one ElementInfo per product (iter_ifc, merged)."""
    return [merge_meshes(iter_ifc(path, progress=progress, cancel=cancel))]
