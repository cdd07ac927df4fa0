"""Standalone meshes (OBJ + MTL, PLY, STL, OFF, glTF) through trimesh.

A mesh file carries no georeference of its own, so a sidecar `FILE.georef.json` (or a glTF root
node's `extras.georef`) can place it in a CRS; otherwise it sits at the scene origin. Textures are
sampled at the UVs into vertex colours, so a textured model at least shows its colours. `.glb`
stays with the 3D Tiles tile loader (a b3dm's payload); this loader reads it when named explicitly.
"""
from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

from loaders.base import Cancel, ElementInfo, Georef, LayerData, LoadCancelled, LoadError, MeshData, PointCloudData, Progress
from loaders.gltf_materials import attach_looks, trimesh_look
from loaders.registry import register_loader

FORMATS = {".obj": "OBJ", ".ply": "PLY", ".stl": "STL", ".off": "OFF", ".gltf": "glTF 2.0", ".glb": "glTF 2.0"}
Y_UP_TO_Z_UP = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float64)
PLY_SIZES = {"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
             "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8}
DEFAULT_RGBA = (200, 200, 200, 255)


def _check_ply_header(path: str, size: int) -> None:
    """trimesh trusts the element counts of a PLY header; a lying count must not make it allocate."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    end = head.find(b"end_header")
    if not head.startswith(b"ply") or end < 0:
        raise LoadError(path, "not a PLY file (no 'ply' ... 'end_header' header)")
    body = size - head.index(b"\n", end) - 1 if b"\n" in head[end:] else 0
    binary, need = False, 0
    count, row = 0, 0
    for line in head[:end].decode("ascii", "replace").splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "format" and len(words) > 1:
            binary = words[1].startswith("binary")
        elif words[0] == "element" and len(words) == 3:
            need += count * (row if binary else 1)
            try:
                count, row = int(words[2]), 0
            except ValueError:
                raise LoadError(path, f"corrupt PLY header: bad element count '{words[2]}'") from None
            if count < 0:
                raise LoadError(path, f"corrupt PLY header: negative element count {count}")
        elif words[0] == "property" and len(words) >= 3:
            # a list costs at least its count field; a scalar its own size
            row += PLY_SIZES.get(words[2] if words[1] == "list" else words[1], 1)
    need += count * (row if binary else 1)
    if need > body:
        raise LoadError(path, f"PLY header declares more data ({need:,} bytes at least) than the file holds ({body:,} bytes)")


def _check_stl(path: str, size: int) -> None:
    """A binary STL's triangle count must match the file size (ASCII STL starts with 'solid')."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if head[:5].lower() == b"solid" and b"facet" in head.lower():
        return
    if len(head) < 84:
        raise LoadError(path, f"too small to be an STL file ({size} bytes)")
    (n,) = struct.unpack_from("<I", head, 80)
    if 84 + 50 * n > size:
        raise LoadError(path, f"binary STL declares {n:,} triangles but the file holds only {(size - 84) // 50:,} (truncated?)")


def _parse_georef(spec: Any, where: str, warnings: list[str]) -> Georef | None:
    """{"crs", "origin": [x, y, z], "rotation_deg", "scale"} -> Georef; a bad spec is a warning, not an error."""
    import pyproj

    try:
        if not isinstance(spec, dict) or not isinstance(spec.get("crs"), str):
            raise ValueError("needs a 'crs' string")
        origin = [float(v) for v in spec.get("origin", [0.0, 0.0, 0.0])]
        if len(origin) == 2:
            origin.append(0.0)
        angle = math.radians(float(spec.get("rotation_deg", 0.0)))
        scale = float(spec.get("scale", 1.0))
        if len(origin) != 3 or not all(math.isfinite(v) for v in [*origin, angle, scale]) or scale <= 0:
            raise ValueError("origin must be 3 finite numbers, scale a positive number")
        pyproj.CRS.from_user_input(spec["crs"])
    except (TypeError, ValueError, pyproj.exceptions.CRSError) as exc:
        warnings.append(f"{where}: invalid georeference ({str(exc)[:120]}); ignored")
        return None
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float64)
    move = np.eye(4)
    move[:3, 3] = origin
    return Georef(kind="crs", crs=spec["crs"], matrix=move @ rot @ np.diag([scale, scale, scale, 1.0]))


def _check_gltf(path: str) -> None:
    """trimesh reports a broken .gltf as a missing file; say what is wrong instead."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if path.lower().endswith(".glb"):
        if magic != b"glTF":
            raise LoadError(path, "not a GLB file (no glTF magic)")
        return
    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except (UnicodeDecodeError, ValueError) as exc:
        raise LoadError(path, f"not a glTF file (invalid JSON: {getattr(exc, 'msg', type(exc).__name__)})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("asset"), dict):
        raise LoadError(path, "not a glTF file (no 'asset' object)")
    if not str(doc["asset"].get("version", "")).startswith("2"):
        raise LoadError(path, f"unsupported glTF version '{str(doc['asset'].get('version'))[:20]}' (only 2.0)")


def _gltf_doc(path: str) -> dict:
    """The glTF JSON (from a .gltf or the JSON chunk of a .glb), or {} when unreadable."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(16 * 1024 * 1024) if path.lower().endswith(".gltf") else fh.read(20)
            if data[:4] == b"glTF":
                (length,) = struct.unpack_from("<I", data, 12)
                data = fh.read(min(length, 64 * 1024 * 1024))
        doc = json.loads(data)
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError, struct.error):
        return {}


def _georef(path: str, is_gltf: bool, warnings: list[str]) -> Georef:
    """Sidecar FILE.georef.json (or FILE-without-extension.georef.json), then glTF root node extras."""
    for sidecar in (path + ".georef.json", os.path.splitext(path)[0] + ".georef.json"):
        if os.path.isfile(sidecar):
            try:
                with open(sidecar, encoding="utf-8") as fh:
                    spec = json.load(fh)
            except (OSError, ValueError) as exc:
                warnings.append(f"{os.path.basename(sidecar)} is unreadable ({type(exc).__name__}); ignored")
                break
            g = _parse_georef(spec, os.path.basename(sidecar), warnings)
            if g is not None:
                return g
            break
    if is_gltf:
        doc = _gltf_doc(path)
        scenes, nodes = doc.get("scenes") or [], doc.get("nodes") or []
        scene = doc.get("scene", 0)
        roots = scenes[scene].get("nodes", []) if isinstance(scene, int) and 0 <= scene < len(scenes) and isinstance(scenes[scene], dict) else []
        for i in roots:
            node = nodes[i] if isinstance(i, int) and 0 <= i < len(nodes) and isinstance(nodes[i], dict) else {}
            spec = (node.get("extras") or {}).get("georef") if isinstance(node.get("extras"), dict) else None
            if spec is not None:
                g = _parse_georef(spec, "glTF node extras", warnings)
                if g is not None:
                    return g
    warnings.append(f"no georeference; placed at the scene origin (add {os.path.basename(path)}.georef.json to place it)")
    return Georef(kind="none")


def _vertex_colors(mesh) -> np.ndarray | None:
    """Per-vertex RGBA uint8 from vertex/face colours, a texture sampled at the UVs, or a material colour."""
    from trimesh.visual.texture import TextureVisuals

    vis = mesh.visual
    n = len(mesh.vertices)
    if isinstance(vis, TextureVisuals):
        uv, material = getattr(vis, "uv", None), vis.material
        try:
            colors = material.to_color(uv) if uv is not None and len(uv) == n else None  # samples the texture
        except Exception:  # noqa: BLE001 - an unreadable texture image: fall back to the material colour
            colors = None
        if colors is None or np.shape(colors) != (n, 4):
            main = getattr(material, "main_color", None)
            return None if main is None else np.tile(np.asarray(main, np.uint8).reshape(-1)[:4], (n, 1))
        return np.asarray(colors, dtype=np.uint8)
    if getattr(vis, "kind", None) is None:
        return None
    colors = np.asarray(vis.vertex_colors, dtype=np.uint8)
    return colors if colors.shape == (n, 4) else None


def _load_scene(path: str, ext: str):
    import trimesh

    try:
        # trimesh merges vertices by rounding them to int64: huge or non-finite coordinates make
        # numpy warn in that cast; such vertices are refused later (implausible coordinates)
        with np.errstate(invalid="ignore", over="ignore"):
            return trimesh.load_scene(path, file_type=ext.lstrip("."))
    except (MemoryError, LoadCancelled):
        raise
    except Exception as exc:  # noqa: BLE001 - trimesh raises ValueError, KeyError, IndexError, struct.error, ...
        text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise LoadError(path, f"not a readable {FORMATS[ext]} file ({type(exc).__name__}{': ' + text if text else ''})") from None


def _point_cloud(path: str, scene, ext: str, georef: Georef, warnings: list[str]) -> PointCloudData:
    parts, colors = [], []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        pc = scene.geometry[name]
        pts = np.asarray(pc.vertices, dtype=np.float64)
        parts.append(pts @ transform[:3, :3].T + transform[:3, 3])
        c = np.asarray(pc.colors) if getattr(pc, "colors", None) is not None else np.zeros((0, 4))
        colors.append(c[:, :3].astype(np.uint8) if len(c) == len(pts) else None)
    positions = np.concatenate(parts) if parts else np.zeros((0, 3))
    if len(positions) == 0:
        raise LoadError(path, "no geometry: the file holds no faces and no points")
    rgb = None
    if any(c is not None for c in colors):
        rgb = np.concatenate([c if c is not None else np.full((len(p), 3), 200, np.uint8) for c, p in zip(colors, parts)])
    return PointCloudData(name=os.path.basename(path), kind="pointcloud", format=FORMATS[ext], georef=georef, source=path,
                          warnings=warnings, positions=positions, colors=rgb)


@register_loader(".obj", ".ply", ".stl", ".off", ".gltf", name="Mesh")
def read_mesh(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read a mesh file into one MeshData (one ElementInfo per scene geometry), or a PLY without faces into points."""
    import trimesh

    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise LoadError(path, f"not a mesh file extension '{ext}' (expected {', '.join(FORMATS)})")
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise LoadError(path, "file is empty")
    if ext == ".ply":
        _check_ply_header(path, size)
    elif ext == ".stl":
        _check_stl(path, size)
    elif ext in (".gltf", ".glb"):
        _check_gltf(path)
    if progress is not None:
        progress(0.0, f"reading {FORMATS[ext]}")
    scene = _load_scene(path, ext)
    is_gltf = ext in (".gltf", ".glb")
    warnings: list[str] = []
    nodes = list(scene.graph.nodes_geometry)
    meshes = [n for n in nodes if isinstance(scene.geometry.get(scene.graph[n][1]), trimesh.Trimesh)]
    georef = _georef(path, is_gltf, warnings)
    if not any(len(scene.geometry[scene.graph[n][1]].faces) for n in meshes):
        if all(isinstance(scene.geometry.get(scene.graph[n][1]), trimesh.PointCloud) for n in nodes) and nodes:
            return [_point_cloud(path, scene, ext, georef, warnings)]
        raise LoadError(path, "no geometry: the file holds no faces and no points")
    skipped = len(nodes) - len(meshes)
    if skipped:
        warnings.append(f"{skipped} non-mesh geometr{'y' if skipped == 1 else 'ies'} (lines, points) skipped")

    verts, faces, colors, face_element, elements = [], [], [], [], []
    looks: list[tuple] = []  # (material, uvs, normals) per geometry: textures drawn as textures
    offset = 0
    for i, node in enumerate(meshes):
        if cancel is not None and cancel():
            raise LoadCancelled()
        transform, name = scene.graph[node]
        mesh = scene.geometry[name]
        if len(mesh.faces) == 0:
            continue
        matrix = Y_UP_TO_Z_UP @ transform if is_gltf else np.asarray(transform, dtype=np.float64)
        v = np.asarray(mesh.vertices, dtype=np.float64)
        verts.append(v @ matrix[:3, :3].T + matrix[:3, 3])
        faces.append(np.asarray(mesh.faces, dtype=np.int64) + offset)
        colors.append(_vertex_colors(mesh))
        looks.append(trimesh_look(mesh, matrix))
        face_element.append(np.full(len(mesh.faces), len(elements), dtype=np.int32))
        material = getattr(getattr(mesh.visual, "material", None), "name", None) or ""
        elements.append(ElementInfo(id=str(node), ifc_class="Mesh", name=str(name), material=str(material),
                                    properties={"vertices": int(len(v)), "triangles": int(len(mesh.faces))}))
        offset += len(v)
        if progress is not None:
            progress((i + 1) / len(meshes), f"{i + 1} of {len(meshes)} geometries")
    vertex_colors = None
    if any(c is not None for c in colors):
        vertex_colors = np.concatenate([c if c is not None else np.tile(np.array(DEFAULT_RGBA, np.uint8), (len(v), 1))
                                        for c, v in zip(colors, verts)])
    vertices = np.concatenate(verts)
    if not np.isfinite(vertices).all():
        raise LoadError(path, "vertex coordinates include NaN or infinity")
    data = MeshData(name=os.path.basename(path), kind="mesh", format=FORMATS[ext], georef=georef, source=path, warnings=warnings,
                    metadata={"geometries": len(elements)}, vertices=vertices, faces=np.concatenate(faces),
                    vertex_colors=vertex_colors, face_element=np.concatenate(face_element), elements=elements)
    attach_looks(data, looks, [len(v) for v in verts], [len(f) for f in faces])
    return [data]
