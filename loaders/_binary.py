"""Bounds-checked readers for binary tile formats (b3dm, pnts, glb, cmpt).

Every length and offset read from a header is checked against the bytes actually present
before anything is sliced or allocated, so a lying header costs an exception, not memory.
"""
from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

MAX_FILE_BYTES = 2 * 1024**3  # refuse single tile / buffer files above 2 GiB
MAX_JSON_BYTES = 512 * 1024**2


class BinaryError(ValueError):
    """Malformed binary content; the message is a short human reason."""


def read_file(path: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Whole file, refusing files larger than `max_bytes` before reading."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise BinaryError(f"cannot read {os.path.basename(path)}: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise BinaryError(f"{os.path.basename(path)} is too large ({size} bytes)")
    try:
        with open(path, "rb") as fh:
            return fh.read(size + 1)  # not max_bytes: read(n) allocates n bytes up front
    except OSError as exc:
        raise BinaryError(f"cannot read {os.path.basename(path)}: {exc.strerror or exc}") from None


def gunzip(data: bytes, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """gzip-compressed bytes (as servers and .3tz packages store tiles), bounded in output size."""
    import zlib

    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(data, max_bytes)
    except zlib.error:
        raise BinaryError("gzip-compressed data is corrupt") from None
    if d.unconsumed_tail:
        raise BinaryError("gzip-compressed data is too large")
    return out


def u32(data: bytes, offset: int, n: int = 1) -> tuple[int, ...]:
    """n little-endian uint32 at offset, or BinaryError when the data is too short."""
    if offset < 0 or offset + 4 * n > len(data):
        raise BinaryError(f"truncated header ({len(data)} bytes)")
    return struct.unpack_from(f"<{n}I", data, offset)


def check_range(start: int, length: int, total: int, what: str) -> None:
    if start < 0 or length < 0 or start + length > total:
        raise BinaryError(f"{what} (bytes {start}..{start + length}) lies outside the {total} bytes present")


def parse_json(data: bytes | memoryview, what: str) -> dict[str, Any]:
    """JSON object from a chunk padded with spaces or NULs."""
    if len(data) > MAX_JSON_BYTES:
        raise BinaryError(f"{what} is too large")
    raw = bytes(data).rstrip(b" \x00\t\r\n")
    if not raw:
        return {}
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BinaryError(f"{what} is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(obj, dict):
        raise BinaryError(f"{what} is not a JSON object")
    return obj


def strided(buf: bytes | memoryview, offset: int, count: int, dtype: np.dtype, comps: int, stride: int | None = None, limit: int | None = None) -> np.ndarray:
    """(count, comps) array copied out of buf at offset with byte stride, bounds-checked against
    `limit` (end of the enclosing view, default len(buf))."""
    dtype = np.dtype(dtype).newbyteorder("<")
    elem = dtype.itemsize * comps
    stride = stride or elem
    end = len(buf) if limit is None else limit
    if count < 0 or comps <= 0 or stride < elem:
        raise BinaryError("invalid accessor layout")
    if count == 0:
        return np.zeros((0, comps), dtype=dtype.newbyteorder("="))
    need = offset + stride * (count - 1) + elem
    if offset < 0 or need > end or end > len(buf):
        raise BinaryError(f"data range (bytes {offset}..{need}) lies outside the {end} bytes present")
    arr = np.ndarray((count, comps), dtype=dtype, buffer=buf, offset=offset, strides=(stride, dtype.itemsize))
    return arr.astype(dtype.newbyteorder("="), copy=True)


def as_int(value: Any, what: str, minimum: int = 0, maximum: int = 2**53) -> int:
    """A JSON integer within bounds (JSON from files can hold anything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value != int(value):
        raise BinaryError(f"{what} is not an integer")  # JSON's 1e999 is inf and NaN parses too
    v = int(value)
    if not minimum <= v <= maximum:
        raise BinaryError(f"{what} = {v} is out of range")
    return v


def as_vec(value: Any, n: int, what: str) -> np.ndarray:
    """n finite numbers from JSON."""
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise BinaryError(f"{what} must be {n} numbers")
    try:
        arr = np.array([float(v) for v in value], dtype=np.float64)
    except (TypeError, ValueError):
        raise BinaryError(f"{what} must be {n} numbers") from None
    if not np.all(np.isfinite(arr)):
        raise BinaryError(f"{what} holds non-finite numbers")
    return arr


TABLE_COMPONENT = {
    "BYTE": np.int8, "UNSIGNED_BYTE": np.uint8, "SHORT": np.int16, "UNSIGNED_SHORT": np.uint16,
    "INT": np.int32, "UNSIGNED_INT": np.uint32, "FLOAT": np.float32, "DOUBLE": np.float64,
}
TABLE_TYPE = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def table_value(table: dict, binary, key: str, count: int, comps: int, default_type: str) -> np.ndarray | None:
    """A 3D Tiles feature-table / batch-table property: a JSON array or a {byteOffset} reference
    into the binary body. Returns (count, comps) or None when absent."""
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, dict):
        off = as_int(value.get("byteOffset"), f"{key}.byteOffset")
        ctype = value.get("componentType", default_type)
        if ctype not in TABLE_COMPONENT:
            raise BinaryError(f"{key} has an unknown componentType")
        return strided(binary, off, count, TABLE_COMPONENT[ctype], comps)
    if isinstance(value, list):
        try:
            arr = np.asarray(value, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise BinaryError(f"{key} is not a numeric array") from None
        if arr.size != count * comps:
            raise BinaryError(f"{key} holds {arr.size} numbers, expected {count * comps}")
        return arr.reshape(count, comps)
    raise BinaryError(f"{key} is neither an array nor a binary reference")


def clean_u8(values: np.ndarray) -> np.ndarray:
    """Colour components 0-255 as uint8. A feature table may declare any componentType, so the
    values can be NaN or huge floats: numpy warns ("invalid value encountered in cast") and
    gives garbage when those are cast; NaN becomes 0 and the rest is clipped first."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(v, 0, 255).astype(np.uint8)


def feature_ids(values: np.ndarray) -> np.ndarray:
    """BATCH_ID-like values as int64; NaN, negative or out-of-range ids become -1 (no feature)."""
    v = np.asarray(values)
    if v.dtype.kind in "iu":
        return v.astype(np.int64)
    ok = np.isfinite(v) & (v >= 0) & (v < 2**31)
    return np.where(ok, v, -1).astype(np.int64)


def batch_properties(table: dict, binary, count: int) -> dict[str, list]:
    """Batch-table properties as per-feature Python lists; unreadable properties are dropped."""
    out: dict[str, list] = {}
    for key, value in table.items():
        if key in ("extensions", "extras"):
            continue
        if isinstance(value, list):
            out[key] = value[:count]
        elif isinstance(value, dict) and "byteOffset" in value and value.get("type") in TABLE_TYPE:
            try:
                arr = table_value(table, binary, key, count, TABLE_TYPE[value["type"]], "FLOAT")
            except BinaryError:
                continue
            out[key] = arr[:, 0].tolist() if arr.shape[1] == 1 else arr.tolist()
    return out


def quantized_positions(table: dict, binary, count: int, what: str) -> np.ndarray:
    """POSITION_QUANTIZED (pnts, i3dm) scaled into QUANTIZED_VOLUME_OFFSET/SCALE, float64."""
    q = table_value(table, binary, "POSITION_QUANTIZED", count, 3, "UNSIGNED_SHORT")
    if q is None:
        raise BinaryError(f"{what} has neither POSITION nor POSITION_QUANTIZED")
    scale = as_vec(table.get("QUANTIZED_VOLUME_SCALE"), 3, "QUANTIZED_VOLUME_SCALE")
    offset = as_vec(table.get("QUANTIZED_VOLUME_OFFSET"), 3, "QUANTIZED_VOLUME_OFFSET")
    return q.astype(np.float64) / 65535.0 * scale + offset
