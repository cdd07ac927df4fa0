"""Point cloud tiles (pnts): feature-table layouts, quantization, colours, normals, Draco.

Parsed with numpy (VTK's Cesium reader rejects pnts); every table reference is bounds-checked.
"""
from __future__ import annotations

import numpy as np

from loaders._binary import (
    BinaryError, as_int, batch_properties, check_range, clean_u8, feature_ids, quantized_positions, table_value, u32,
)
from loaders.gltf import GltfGeometry


def _pnts_draco(ft: dict, fb, n: int) -> dict[str, np.ndarray]:
    """3DTILES_draco_point_compression: the compressed properties, decoded by DracoPy."""
    from loaders._draco import decode_draco

    ext = ft["extensions"]["3DTILES_draco_point_compression"]
    if not isinstance(ext, dict) or not isinstance(ext.get("properties"), dict):
        raise BinaryError("3DTILES_draco_point_compression has no properties")
    off, size = as_int(ext.get("byteOffset"), "Draco byteOffset"), as_int(ext.get("byteLength"), "Draco byteLength")
    check_range(off, size, len(fb), "Draco point data")
    dec = decode_draco(fb[off : off + size])
    if len(dec.points) != n:
        raise BinaryError(f"Draco point cloud holds {len(dec.points)} points, POINTS_LENGTH says {n}")
    out = {"POSITION": dec.points}
    for name, uid in ext["properties"].items():
        if name != "POSITION" and isinstance(uid, int) and uid in dec.attributes and len(dec.attributes[uid]) == n:
            out[name] = dec.attributes[uid]
    return out


def parse_pnts(data: bytes, transform: np.ndarray):  # -> tiles3d.TileContent
    """Point cloud tile: POSITION(_QUANTIZED), RGB(A) / RGB565 / CONSTANT_RGBA, NORMAL(_OCT16P),
    BATCH_ID, RTC_CENTER, and Draco-compressed properties."""
    from loaders.i3dm import oct_decode
    from loaders.tiles3d import TileContent, header_view, rtc_matrix, split_tables

    view, length = header_view(data, "pnts")
    ftj, ftb, btj, btb = u32(data, 12, 4)
    check_range(28, ftj + ftb + btj + btb, length, "pnts tables")
    ft, fb, bt, bb, _ = split_tables(view, 28, ftj, ftb, btj, btb)
    n = as_int(ft.get("POINTS_LENGTH"), "POINTS_LENGTH", 0, 2**32)
    draco = _pnts_draco(ft, fb, n) if "3DTILES_draco_point_compression" in (ft.get("extensions") or {}) else {}

    def get(key: str, comps: int, ctype: str) -> np.ndarray | None:
        return draco[key].reshape(n, -1)[:, :comps] if key in draco else table_value(ft, fb, key, n, comps, ctype)

    pos = get("POSITION", 3, "FLOAT")
    if pos is None:
        pos = quantized_positions(ft, fb, n, "pnts")
    pos = pos.astype(np.float64)
    if not np.all(np.isfinite(pos)):
        raise BinaryError("pnts positions hold NaN or infinite values")
    rtc = table_value(ft, fb, "RTC_CENTER", 1, 3, "FLOAT")
    m = transform @ rtc_matrix(rtc)
    colors = None
    if (c := get("RGBA", 4, "UNSIGNED_BYTE")) is not None or (c := get("RGB", 3, "UNSIGNED_BYTE")) is not None:
        colors = clean_u8(c[:, :3])
    elif (c := get("RGB565", 1, "UNSIGNED_SHORT")) is not None:
        v = np.clip(np.nan_to_num(c[:, 0].astype(np.float64)), 0, 65535).astype(np.uint32)
        colors = np.stack([(v >> 11 & 31) * 255 // 31, (v >> 5 & 63) * 255 // 63, (v & 31) * 255 // 31], 1).astype(np.uint8)
    elif (c := table_value(ft, fb, "CONSTANT_RGBA", 1, 4, "UNSIGNED_BYTE")) is not None:
        colors = np.tile(clean_u8(c[:, :3]), (n, 1))
    normals = get("NORMAL", 3, "FLOAT")
    if normals is None and (o := get("NORMAL_OCT16P", 2, "UNSIGNED_BYTE")) is not None:
        normals = oct_decode(o, 255.0)
    geom = GltfGeometry(points=pos @ m[:3, :3].T + m[:3, 3], point_colors=colors)
    if normals is not None:
        nrm = normals.astype(np.float64) @ m[:3, :3].T
        geom.point_normals = nrm / np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    batch_length = None
    if (b := get("BATCH_ID", 1, "UNSIGNED_SHORT")) is not None:
        geom.point_feature_ids = feature_ids(b[:, 0])
        batch_length = as_int(ft.get("BATCH_LENGTH", 0), "BATCH_LENGTH", 0, 2**31) or int(geom.point_feature_ids.max(initial=-1)) + 1
    props = batch_properties(bt, bb, batch_length) if batch_length else {}
    return TileContent(geom, batch_length, props)
