"""CityJSON 1.0 / 1.1 / 2.0 documents and CityJSONSeq (.jsonl) city models.

Each CityObject keeps its highest LOD up to 2.2 (what a city viewer shows); every surface (outer
ring plus holes) is projected onto its best-fit plane and triangulated with earcut. Surfaces keep
their own vertices so semantic colours (roof, wall, ground) are exact per face. Vertices are kept
relative to the transform's translate (metres, float64-safe) and the georef matrix moves them back.
"""
from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Iterator

import numpy as np

from loaders.base import Cancel, ElementInfo, Georef, LayerData, LoadCancelled, LoadError, MeshData, Progress
from loaders.registry import register_loader

MAX_LOD = 2.2
SEMANTIC_RGB = {"RoofSurface": (170, 80, 60), "WallSurface": (230, 226, 215), "GroundSurface": (120, 120, 120)}
NEUTRAL_RGB = (200, 200, 200)
SURFACE_TYPES = {"MultiSurface": 1, "CompositeSurface": 1, "Solid": 2, "MultiSolid": 3, "CompositeSolid": 3}  # nesting depth above a surface
EPSG_RE = re.compile(r"EPSG(?:/[^/]*/|:[^:]*:|:)(\d+)", re.IGNORECASE)


def _sniff(head: bytes) -> bool:
    return b'"CityJSON"' in head or b'"CityObjects"' in head


class _Bad(Exception):
    """A malformed geometry: the object is skipped, the rest of the model loads."""


def _crs(metadata: Any, warnings: list[str]) -> str | None:
    """metadata.referenceSystem (OGC URL or URN, simple or compound) -> 'EPSG:a' or 'EPSG:a+b'."""
    import pyproj

    ref = metadata.get("referenceSystem") if isinstance(metadata, dict) else None
    if not ref:
        return None
    codes = EPSG_RE.findall(str(ref))
    if not codes:
        warnings.append(f"reference system '{str(ref)[:80]}' is not an EPSG code; placed at the scene origin")
        return None
    crs = "EPSG:" + "+".join(codes[:2])
    try:
        pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        warnings.append(f"unknown reference system {crs}; placed at the scene origin")
        return None
    return crs


def _transform(doc: dict, path: str) -> tuple[np.ndarray, np.ndarray]:
    t = doc.get("transform")
    if t is None:
        return np.ones(3), np.zeros(3)
    try:
        scale = np.asarray(t["scale"], dtype=np.float64)
        translate = np.asarray(t["translate"], dtype=np.float64)
    except (TypeError, KeyError, ValueError):
        raise LoadError(path, "invalid 'transform' (needs 'scale' and 'translate' of 3 numbers)") from None
    if scale.shape != (3,) or translate.shape != (3,) or not (np.isfinite(scale).all() and np.isfinite(translate).all()):
        raise LoadError(path, "invalid 'transform' (needs 'scale' and 'translate' of 3 finite numbers)")
    return scale, translate


def _vertices(raw: Any, scale: np.ndarray, path: str) -> np.ndarray:
    """The 'vertices' array (integers under a transform) -> (N,3) float64 relative to translate."""
    if not isinstance(raw, list):
        raise LoadError(path, "missing or invalid 'vertices' array")
    if not raw:
        return np.zeros((0, 3))
    try:
        v = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise LoadError(path, "invalid 'vertices': every vertex must be 3 numbers") from None
    if v.ndim != 2 or v.shape[1] != 3 or not np.isfinite(v).all():
        raise LoadError(path, "invalid 'vertices': every vertex must be 3 finite numbers")
    return v * scale


def _surfaces(geom: dict) -> Iterator[tuple[list, Any]]:
    """Yield (rings, semantic value) for every surface of a (multi/composite) surface or solid geometry."""
    depth = SURFACE_TYPES[geom["type"]]
    boundaries, values = geom.get("boundaries"), (geom.get("semantics") or {}).get("values")

    def walk(b: Any, vals: Any, level: int) -> Iterator[tuple[list, Any]]:
        if not isinstance(b, list):
            raise _Bad("boundaries are not nested lists")
        for i, item in enumerate(b):
            sub = vals[i] if isinstance(vals, list) and i < len(vals) else None
            if level == 1:
                yield item, sub
            else:
                yield from walk(item, sub, level - 1)

    yield from walk(boundaries, values, depth)


def _triangulate(rings: list, verts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """One planar polygon with holes -> (points (k,3), triangles (t,3) into points), or None if degenerate."""
    import mapbox_earcut

    if not isinstance(rings, list) or not rings:
        raise _Bad("a surface has no rings")
    idx, ends = [], []
    for ring in rings:
        if not isinstance(ring, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ring):
            raise _Bad("a ring holds non-integer vertex indices")
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring = ring[:-1]  # some writers close their rings
        if len(ring) < 3:
            if not ends:
                return None  # degenerate outer ring
            continue  # degenerate hole
        idx.extend(ring)
        ends.append(len(idx))
    ids = np.asarray(idx, dtype=np.int64)
    if ids.min() < 0 or ids.max() >= len(verts):
        raise _Bad(f"vertex index {int(ids.max() if ids.max() >= len(verts) else ids.min())} out of range (0..{len(verts) - 1})")
    pts = verts[ids]
    if len(ends) == 1 and ends[0] == 3:  # a lone triangle (common): nothing to project
        return pts, np.array([[0, 1, 2]], dtype=np.int64)
    outer = pts[: ends[0]]
    d = outer - np.concatenate((outer[1:], outer[:1]))  # Newell's method: a robust normal of a non-convex,
    m = outer + np.concatenate((outer[1:], outer[:1]))  # nearly planar ring (scalar maths: rings are tiny)
    nx, ny, nz = float(d[:, 1] @ m[:, 2]), float(d[:, 2] @ m[:, 0]), float(d[:, 0] @ m[:, 1])
    length = math.sqrt(nx * nx + ny * ny + nz * nz)
    if length < 1e-12:
        return None
    nx, ny, nz = nx / length, ny / length, nz / length
    ux, uy, uz = (ny, -nx, 0.0) if abs(nz) < 0.9 else (0.0, nz, -ny)  # normal x (0,0,1) or normal x (1,0,0)
    ul = math.sqrt(ux * ux + uy * uy + uz * uz)
    ux, uy, uz = ux / ul, uy / ul, uz / ul
    basis = np.array([[ux, ny * uz - nz * uy], [uy, nz * ux - nx * uz], [uz, nx * uy - ny * ux]])  # columns u, normal x u
    flat = (pts - outer[0]) @ basis
    tris = mapbox_earcut.triangulate_float64(flat, np.asarray(ends, dtype=np.uint32)).astype(np.int64).reshape(-1, 3)
    if len(tris):  # keep the ring's orientation: (u, w, normal) is right-handed, so CCW in 2D faces +normal
        a, b, c = flat[tris[:, 0]], flat[tris[:, 1]], flat[tris[:, 2]]
        cw = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]) < 0
        tris[cw] = tris[cw][:, ::-1]
    return pts, tris


def _lod(geom: dict) -> float:
    try:
        return float(geom.get("lod"))
    except (TypeError, ValueError):
        return math.nan


def _pick_geometries(geometries: Any) -> list[dict]:
    """All surface geometries at the highest LOD <= 2.2 (or the lowest LOD when all are finer)."""
    geoms = [g for g in geometries if isinstance(g, dict) and g.get("type") in SURFACE_TYPES] if isinstance(geometries, list) else []
    lods = sorted({_lod(g) for g in geoms}, key=lambda v: (math.isnan(v), v))
    if not lods:
        return []
    usable = [v for v in lods if v <= MAX_LOD]
    best = max(usable) if usable else lods[0]
    return [g for g in geoms if _lod(g) == best or (math.isnan(best) and math.isnan(_lod(g)))]


def _flatten(value: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif value is None or isinstance(value, (bool, int, float, str)):
        out[prefix] = value
    else:
        out[prefix] = json.dumps(value)[:200]
    return out


class _Builder:
    """Accumulates surfaces of many objects into one mesh with per-vertex colours."""

    def __init__(self) -> None:
        self.points: list[np.ndarray] = []
        self.tris: list[np.ndarray] = []
        self.colors: list[tuple[int, int, int]] = []
        self.n_points: list[int] = []
        self.n_tris: list[int] = []
        self.face_owner: list[int] = []
        self.elements: list[ElementInfo] = []
        self.count = 0
        self.skipped = 0
        self.instances = 0  # GeometryInstance (templates) are not expanded

    def add_object(self, oid: str, obj: dict, verts: np.ndarray, warnings: list[str]) -> None:
        attrs = obj.get("attributes") if isinstance(obj.get("attributes"), dict) else {}
        parents = obj.get("parents") if isinstance(obj.get("parents"), list) else []
        element = ElementInfo(id=str(oid), ifc_class=str(obj.get("type", "")), name=str(attrs.get("name") or ""),
                              properties=_flatten(attrs), spatial=tuple(str(p) for p in parents))
        parts: list[tuple[np.ndarray, np.ndarray, tuple[int, int, int]]] = []
        if isinstance(obj.get("geometry"), list):
            self.instances += sum(isinstance(g, dict) and g.get("type") == "GeometryInstance" for g in obj["geometry"])
        try:
            for geom in _pick_geometries(obj.get("geometry")):
                surfaces = (geom.get("semantics") or {}).get("surfaces") or []
                for rings, sem in _surfaces(geom):
                    tri = _triangulate(rings, verts)
                    if tri is None or not len(tri[1]):
                        continue
                    kind = surfaces[sem].get("type") if isinstance(sem, int) and 0 <= sem < len(surfaces) and isinstance(surfaces[sem], dict) else None
                    parts.append((tri[0], tri[1], SEMANTIC_RGB.get(kind, NEUTRAL_RGB)))
                element.properties.setdefault("lod", str(geom.get("lod")))
        except (_Bad, TypeError, AttributeError, KeyError) as exc:
            self.skipped += 1
            if self.skipped <= 5:
                warnings.append(f"object {oid}: {exc if isinstance(exc, _Bad) else 'malformed geometry'}; skipped")
            return
        index = len(self.elements)
        self.elements.append(element)
        for pts, tris, rgb in parts:  # colours and element ids are expanded once, in `mesh`
            self.points.append(pts)
            self.tris.append(tris + self.count)
            self.colors.append(rgb)
            self.n_points.append(len(pts))
            self.n_tris.append(len(tris))
            self.face_owner.append(index)
            self.count += len(pts)

    def mesh(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(vertices, faces, vertex colours (V,3) uint8, face_element (F,) int32)."""
        colors = np.repeat(np.array(self.colors, dtype=np.uint8).reshape(-1, 3), self.n_points, axis=0)
        owner = np.repeat(np.array(self.face_owner, dtype=np.int32), self.n_tris)
        return np.concatenate(self.points), np.concatenate(self.tris), colors, owner


def _read_seq(path: str, lines: list[str], builder: _Builder, warnings: list[str], cancel: Cancel | None,
              progress: Progress | None) -> tuple[dict, np.ndarray]:
    """CityJSONSeq: a header line (transform, metadata), then one CityJSONFeature per line."""
    try:
        header = json.loads(lines[0])
    except ValueError as exc:
        raise LoadError(path, f"invalid JSON on line 1: {exc.msg}") from None
    if not isinstance(header, dict) or header.get("type") != "CityJSON":
        raise LoadError(path, "not CityJSON (first line is not a CityJSON header)")
    scale, translate = _transform(header, path)
    bad = 0
    for n, line in enumerate(lines[1:], start=2):
        if cancel is not None and n % 100 == 0 and cancel():
            raise LoadCancelled()
        try:
            feature = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(feature, dict) or feature.get("type") != "CityJSONFeature" or not isinstance(feature.get("CityObjects"), dict):
            bad += 1
            continue
        try:
            verts = _vertices(feature.get("vertices"), scale, path)
        except LoadError:
            bad += 1
            continue
        for oid, obj in feature["CityObjects"].items():
            if isinstance(obj, dict):
                builder.add_object(oid, obj, verts, warnings)
        if progress is not None and n % 100 == 0:
            progress(n / len(lines), f"{n:,} of {len(lines):,} features")
    if bad:
        warnings.append(f"{bad} line(s) are not valid CityJSONFeature objects; skipped")
        builder.skipped += bad
    return header, translate


@register_loader(".city.json", ".cityjson", ".city.jsonl", ".jsonl", sniff=_sniff, priority=20, name="CityJSON")
def read_cityjson(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read a CityJSON document or CityJSONSeq stream into one 'citymodel' MeshData, one element per CityObject."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(path, f"cannot read as UTF-8 text: {getattr(exc, 'strerror', None) or exc}") from None
    if not text.strip():
        raise LoadError(path, "file is empty")
    warnings: list[str] = []
    builder = _Builder()
    try:
        doc = json.loads(text)
        lines = None
    except ValueError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
            raise LoadError(path, f"invalid JSON: {exc.msg} (line {exc.lineno})") from None
    if lines is not None:
        doc, translate = _read_seq(path, lines, builder, warnings, cancel, progress)
        label = "CityJSONSeq"
    else:
        if not isinstance(doc, dict) or doc.get("type") != "CityJSON":
            raise LoadError(path, "not a CityJSON document (no \"type\": \"CityJSON\")")
        if "vertices" not in doc:
            raise LoadError(path, "not a valid CityJSON document: no 'vertices' array")
        objects = doc.get("CityObjects")
        if not isinstance(objects, dict):
            raise LoadError(path, "not a valid CityJSON document: no 'CityObjects'")
        scale, translate = _transform(doc, path)
        verts = _vertices(doc["vertices"], scale, path)
        if doc.get("transform") is None and len(verts):  # CityJSON 1.0 may store real coordinates
            translate = np.floor(verts.min(0))
            verts = verts - translate
        for n, (oid, obj) in enumerate(objects.items()):
            if cancel is not None and n % 200 == 0 and cancel():
                raise LoadCancelled()
            if isinstance(obj, dict):
                builder.add_object(oid, obj, verts, warnings)
            if progress is not None and n % 200 == 0:
                progress(n / len(objects), f"{n:,} of {len(objects):,} city objects")
        label = "CityJSON"
    if builder.instances:
        warnings.append(f"{builder.instances} template geometries (GeometryInstance) are not supported; skipped")
    if builder.skipped > 5:
        warnings.append(f"{builder.skipped} objects with malformed geometry skipped in all")
    if not builder.tris:
        raise LoadError(path, "no surfaces to show: no CityObject has Solid or MultiSurface geometry" + (
            f" ({builder.skipped} malformed objects skipped)" if builder.skipped else ""))
    crs = _crs(doc.get("metadata"), warnings)
    move = np.eye(4)
    move[:3, 3] = translate
    if crs:
        georef = Georef(kind="crs", crs=crs, matrix=move)
    else:
        if not any("reference system" in w for w in warnings):
            warnings.append("no reference system in metadata; placed at the scene origin")
        georef = Georef(kind="none")
    version = str(doc.get("version", "")).strip()
    if progress is not None:
        progress(1.0, f"{len(builder.elements):,} city objects")
    vertices, faces, colors, face_element = builder.mesh()
    return [MeshData(
        name=os.path.basename(path), kind="citymodel", format=f"{label} {version}".strip(), georef=georef, source=path,
        warnings=warnings, metadata={"version": version, "skipped": builder.skipped, "translate": [float(v) for v in translate]},
        vertices=vertices, faces=faces, vertex_colors=colors, face_element=face_element, elements=builder.elements)]
