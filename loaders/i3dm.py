"""Instanced 3D Model tiles (i3dm): one glTF repeated at many positions, expanded into geometry.

Each instance gets translation * rotation (NORMAL_UP / NORMAL_RIGHT, oct-encoded variants, or
EAST_NORTH_UP) * scale; then RTC_CENTER and the tile transform, as CesiumJS composes them. The
expansion is bounded by MAX_INSTANCED_VERTICES (later instances are dropped with a warning).
"""
from __future__ import annotations

import numpy as np

from loaders._binary import (
    BinaryError, as_int, check_range, feature_ids, parse_json, quantized_positions, read_file, table_value, u32,
)
from loaders.gltf import GltfGeometry, parse_glb, parse_gltf, resolve_uri

MAX_INSTANCES = 10_000_000
MAX_INSTANCED_VERTICES = 20_000_000


def oct_decode(v: np.ndarray, range_max: float) -> np.ndarray:
    """Oct-encoded unit vectors ((N,2) in 0..range_max) -> (N,3) float64."""
    xy = np.clip(v.astype(np.float64), 0, range_max) / range_max * 2.0 - 1.0
    x, y = xy[:, 0], xy[:, 1]
    z = 1.0 - np.abs(x) - np.abs(y)
    neg = z < 0
    sx, sy = np.where(x >= 0, 1.0, -1.0), np.where(y >= 0, 1.0, -1.0)
    x, y = np.where(neg, (1.0 - np.abs(y)) * sx, x), np.where(neg, (1.0 - np.abs(xy[:, 0])) * sy, y)
    out = np.stack([x, y, z], 1)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _enu_axes(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(east, up) unit vectors of the WGS84 ellipsoid's local frame at ECEF points p."""
    a2, b2 = 6378137.0**2, 6356752.314245179**2
    up = p / np.array([a2, a2, b2])  # geodetic surface normal
    up /= np.maximum(np.linalg.norm(up, axis=1, keepdims=True), 1e-12)
    east = np.stack([-p[:, 1], p[:, 0], np.zeros(len(p))], 1)
    n = np.linalg.norm(east, axis=1, keepdims=True)
    east = np.where(n > 1e-9, east / np.maximum(n, 1e-12), [1.0, 0.0, 0.0])  # at a pole: any east
    return east, up


def _instance_matrices(ft: dict, fb, n: int, tile_to_world: np.ndarray) -> np.ndarray:
    """(n,4,4) instance matrices in the tile's frame (before RTC and the tile transform)."""
    pos = table_value(ft, fb, "POSITION", n, 3, "FLOAT")
    if pos is None:
        pos = quantized_positions(ft, fb, n, "i3dm")
    pos = pos.astype(np.float64)
    up = table_value(ft, fb, "NORMAL_UP", n, 3, "FLOAT")
    right = table_value(ft, fb, "NORMAL_RIGHT", n, 3, "FLOAT")
    if up is None and (u := table_value(ft, fb, "NORMAL_UP_OCT32P", n, 2, "UNSIGNED_SHORT")) is not None:
        r = table_value(ft, fb, "NORMAL_RIGHT_OCT32P", n, 2, "UNSIGNED_SHORT")
        up, right = oct_decode(u, 65535.0), oct_decode(r, 65535.0) if r is not None else None
    if up is None or right is None:
        if ft.get("EAST_NORTH_UP") is True:
            world = pos @ tile_to_world[:3, :3].T + tile_to_world[:3, 3]
            east, geo_up = _enu_axes(world)
            # CesiumJS uses eastNorthUpToFixedFrame: columns east, north, up = right, "up", forward
            right, up = east, np.cross(geo_up, east)
            inv = np.linalg.pinv(tile_to_world[:3, :3])  # back into the tile's frame
            right, up = right @ inv.T, up @ inv.T
        else:
            right, up = np.tile([1.0, 0.0, 0.0], (n, 1)), np.tile([0.0, 1.0, 0.0], (n, 1))
    up = up / np.maximum(np.linalg.norm(up, axis=1, keepdims=True), 1e-12)
    right = right / np.maximum(np.linalg.norm(right, axis=1, keepdims=True), 1e-12)
    m = np.zeros((n, 4, 4))
    m[:, :3, 0], m[:, :3, 1], m[:, :3, 2] = right, up, np.cross(right, up)
    s = np.ones((n, 3))
    if (sc := table_value(ft, fb, "SCALE", n, 1, "FLOAT")) is not None:
        s *= sc
    if (snu := table_value(ft, fb, "SCALE_NON_UNIFORM", n, 3, "FLOAT")) is not None:
        s *= snu
    m[:, :3, :3] *= s[:, None, :]
    m[:, :3, 3], m[:, 3, 3] = pos, 1.0
    if not np.all(np.isfinite(m)):
        raise BinaryError("i3dm instance transforms hold NaN or infinite values")
    return m


def parse_i3dm(data: bytes, transform: np.ndarray, y_up: bool = True, base_dir: str | None = None, root_dir: str | None = None):
    """i3dm bytes -> TileContent whose geometry holds every instance (feature id = BATCH_ID or index)."""
    from loaders.tiles3d import TileContent, header_view, rtc_matrix, split_tables

    view, length = header_view(data, "i3dm")
    if length < 32:
        raise BinaryError("i3dm header is truncated")
    ftj, ftb, btj, btb, gltf_format = u32(data, 12, 5)
    check_range(32, ftj + ftb + btj + btb, length, "i3dm tables")
    ft, fb, bt, bb, start = split_tables(view, 32, ftj, ftb, btj, btb)
    n = as_int(ft.get("INSTANCES_LENGTH"), "INSTANCES_LENGTH", 0, MAX_INSTANCES)
    rtc = rtc_matrix(table_value(ft, fb, "RTC_CENTER", 1, 3, "FLOAT"))
    tile_to_world = transform @ rtc
    body = bytes(view[start:])
    kwargs = dict(y_up=y_up, post=np.eye(4), base_dir=base_dir, root_dir=root_dir)
    if gltf_format == 1:
        model = parse_glb(body, **kwargs)
    else:  # a URI (padded with NULs / spaces) to a glb or glTF next to the tile
        uri = body.rstrip(b"\0 ").decode("utf-8", "replace")
        raw = read_file(resolve_uri(uri, base_dir, root_dir))
        model = parse_glb(raw, **kwargs) if raw[:4] == b"glTF" else parse_gltf(parse_json(raw, "glTF JSON"), None, **kwargs)
    mats = _instance_matrices(ft, fb, n, tile_to_world)
    batch = table_value(ft, fb, "BATCH_ID", n, 1, "UNSIGNED_SHORT")
    ids = feature_ids(batch[:, 0]) if batch is not None else np.arange(n, dtype=np.int64)
    per = max(1, len(model.positions) + len(model.points))
    keep = min(n, max(1, MAX_INSTANCED_VERTICES // per))
    out = GltfGeometry(warnings=list(model.warnings))
    if keep < n:
        out.warnings.append(f"{n} instances of {per} vertices exceed the vertex cap; only the first {keep} are expanded")
    full = tile_to_world[None] @ mats[:keep]  # (k,4,4)
    if len(model.positions):
        v = np.einsum("kij,vj->kvi", full[:, :3, :3], model.positions) + full[:, None, :3, 3]
        out.positions = v.reshape(-1, 3)
        out.faces = (model.faces[None] + (np.arange(keep) * len(model.positions))[:, None, None]).reshape(-1, 3)
        out.colors = np.tile(model.colors, (keep, 1)) if model.colors is not None else None
        out.feature_ids = np.repeat(ids[:keep], len(model.positions))
        out.materials = model.materials
        if model.face_material is not None:
            out.face_material = np.tile(model.face_material, keep)
        if model.uvs is not None:
            out.uvs = np.tile(model.uvs, (keep, 1))
        if model.normals is not None:
            from loaders.gltf import _transform_normals

            out.normals = np.concatenate([_transform_normals(model.normals, m) for m in full])
    if len(model.points):
        p = np.einsum("kij,vj->kvi", full[:, :3, :3], model.points) + full[:, None, :3, 3]
        out.points = p.reshape(-1, 3)
        out.point_colors = np.tile(model.point_colors, (keep, 1)) if model.point_colors is not None else None
        out.point_feature_ids = np.repeat(ids[:keep], len(model.points))
    batch_length = as_int(ft.get("BATCH_LENGTH", 0), "BATCH_LENGTH", 0, 2**31) if batch is not None else n
    batch_length = batch_length or (int(ids.max(initial=-1)) + 1)
    from loaders.tiles3d import feature_properties

    return TileContent(out, batch_length, feature_properties(bt, bb, batch_length, out.warnings))


def gpu_instances(reader, node: dict, out: GltfGeometry) -> tuple[np.ndarray, np.ndarray | None]:
    """EXT_mesh_gpu_instancing of a glTF node: (n,4,4) instance matrices (T * R * S) and the
    EXT_instance_features feature id of each instance (None when absent)."""
    inst = node["extensions"]["EXT_mesh_gpu_instancing"]
    attrs = inst.get("attributes") if isinstance(inst, dict) and isinstance(inst.get("attributes"), dict) else {}
    arrays = {k: reader.accessor(v) for k, v in attrs.items() if k in ("TRANSLATION", "ROTATION", "SCALE") or k.startswith("_FEATURE_ID_")}
    counts = {len(a) for a in arrays.values()}
    if len(counts) != 1 or next(iter(counts)) > MAX_INSTANCES:
        raise BinaryError("EXT_mesh_gpu_instancing attributes are missing or disagree in count")
    n = counts.pop()
    m = np.tile(np.eye(4), (n, 1, 1))
    if (r := arrays.get("ROTATION")) is not None and r.shape[1] == 4:
        q = r / np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
        x, y, z, w = q.T
        m[:, :3, :3] = np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], 1),
                                 np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], 1),
                                 np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], 1)], 1)
    if (s := arrays.get("SCALE")) is not None and s.shape[1] == 3:
        m[:, :3, :3] *= s[:, None, :]
    if (t := arrays.get("TRANSLATION")) is not None and t.shape[1] == 3:
        m[:, :3, 3] = t
    fid = None
    ext = node["extensions"].get("EXT_instance_features")
    fdefs = ext.get("featureIds") if isinstance(ext, dict) and isinstance(ext.get("featureIds"), list) else []
    for fdef in fdefs:
        if isinstance(fdef, dict) and isinstance(fdef.get("attribute"), int) and f"_FEATURE_ID_{fdef['attribute']}" in arrays:
            f = arrays[f"_FEATURE_ID_{fdef['attribute']}"][:, 0]
            fid = np.where(np.isfinite(f) & (f >= 0) & (f < 2**31), f, -1).astype(np.int64)
            if isinstance(fdef.get("featureCount"), int):
                out.feature_count = max(out.feature_count or 0, fdef["featureCount"])
            if isinstance(fdef.get("propertyTable"), int):
                out.property_table = fdef["propertyTable"]
            break
    return m, fid

