"""Draco decoding (glTF KHR_draco_mesh_compression, 3DTILES_draco_point_compression) via DracoPy.

DracoPy is imported lazily so that a missing wheel only costs the Draco tiles, not the loader.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from loaders._binary import BinaryError

MAX_DRACO_BYTES = 512 * 1024**2
MAX_DECODED_VALUES = 300_000_000  # refuse decoded attributes beyond ~1.2 GB of float32


@dataclass
class DracoData:
    points: np.ndarray  # (N,3) float64 positions (dequantized by Draco)
    faces: np.ndarray | None  # (F,3) int64 or None for point clouds
    attributes: dict[int, np.ndarray] = field(default_factory=dict)  # unique id -> (N,C) raw values


def decode_draco(data: bytes | memoryview) -> DracoData:
    """Draco bitstream -> positions, faces and every attribute by its unique id."""
    if len(data) > MAX_DRACO_BYTES:
        raise BinaryError("Draco buffer is too large")
    try:
        import DracoPy
    except ImportError:
        raise BinaryError("Draco-compressed data needs the DracoPy package") from None
    try:
        decoded = DracoPy.decode(bytes(data))
    except Exception as exc:  # noqa: BLE001 - DracoPy raises plain Exception subclasses and RuntimeError
        raise BinaryError(f"Draco data cannot be decoded ({type(exc).__name__})") from None
    points = np.asarray(decoded.points, dtype=np.float64).reshape(-1, 3)
    if points.size > MAX_DECODED_VALUES or not np.all(np.isfinite(points)):
        raise BinaryError("Draco positions are too many or not finite")
    faces = None
    if isinstance(decoded, DracoPy.DracoMesh) and decoded.faces is not None:
        faces = np.asarray(decoded.faces, dtype=np.int64).reshape(-1, 3)
        if len(faces) and (faces.min() < 0 or faces.max() >= len(points)):
            raise BinaryError("Draco faces point past the vertices")
    attrs: dict[int, np.ndarray] = {}
    for a in decoded.attributes or []:
        if isinstance(a, dict) and isinstance(a.get("unique_id"), int) and a.get("data") is not None:
            arr = np.asarray(a["data"])
            attrs[a["unique_id"]] = arr.reshape(len(arr), -1) if arr.ndim else arr.reshape(1, 1)
    return DracoData(points, faces, attrs)
