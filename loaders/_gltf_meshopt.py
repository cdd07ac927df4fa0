"""EXT_meshopt_compression / KHR_meshopt_compression bufferViews, decoded with `meshoptimizer`.

A compressed bufferView names the compressed bytes (buffer, byteOffset, byteLength) and what
they decode to (count elements of byteStride bytes, mode ATTRIBUTES / TRIANGLES / INDICES, an
optional filter). The decoded bytes stand in for the bufferView; its own buffer may hold no data
(a fallback buffer). The library's C entry points are called with exactly sized destinations
(its Python wrapper decodes 16-bit indices into a 32-bit array).
"""
from __future__ import annotations

import ctypes

import numpy as np

from loaders._binary import BinaryError, as_int, check_range

EXTENSIONS = ("EXT_meshopt_compression", "KHR_meshopt_compression")
MAX_DECODED = 1 << 30  # bytes one bufferView may decode to


def compression(bv: dict) -> dict | None:
    ext = bv.get("extensions") if isinstance(bv.get("extensions"), dict) else {}
    for name in EXTENSIONS:
        if isinstance(ext.get(name), dict):
            return ext[name]
    return None


def decode_view(spec: dict, buffer) -> bytes:
    """The decoded bytes of one compressed bufferView; BinaryError on bad input."""
    try:
        from meshoptimizer.decoder import lib
    except ImportError:
        raise BinaryError("meshopt-compressed buffers need the 'meshoptimizer' package") from None
    off = as_int(spec.get("byteOffset", 0), "meshopt byteOffset")
    length = as_int(spec.get("byteLength"), "meshopt byteLength")
    stride = as_int(spec.get("byteStride"), "meshopt byteStride", 1, 256)
    count = as_int(spec.get("count"), "meshopt count", 0, 2**31)
    check_range(off, length, len(buffer), "meshopt data")
    if count * stride > MAX_DECODED:
        raise BinaryError("meshopt bufferView decodes to more than 1 GiB")
    src = np.frombuffer(bytes(memoryview(buffer)[off:off + length]), np.uint8)
    dst = np.zeros(count * stride, np.uint8)
    mode = str(spec.get("mode", "ATTRIBUTES")).upper()
    sp = src.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte))
    dp = dst.ctypes.data_as(ctypes.c_void_p)
    if mode == "ATTRIBUTES":
        if stride % 4:
            raise BinaryError("meshopt ATTRIBUTES byteStride must be a multiple of 4")
        rc = lib.meshopt_decodeVertexBuffer(dp, count, stride, sp, len(src))
    elif mode in ("TRIANGLES", "INDICES"):
        if stride not in (2, 4) or (mode == "TRIANGLES" and count % 3):
            raise BinaryError(f"meshopt {mode} needs 2- or 4-byte indices (and whole triangles)")
        fn = lib.meshopt_decodeIndexBuffer if mode == "TRIANGLES" else lib.meshopt_decodeIndexSequence
        rc = fn(dp, count, stride, sp, len(src))
    else:
        raise BinaryError(f"unknown meshopt mode {mode!r}")
    if rc != 0:
        raise BinaryError(f"meshopt data is corrupt (decoder error {rc})")
    filt = str(spec.get("filter", "NONE")).upper()
    if filt != "NONE":
        if mode != "ATTRIBUTES":
            raise BinaryError("meshopt filters apply to ATTRIBUTES only")
        fn = {"OCTAHEDRAL": lib.meshopt_decodeFilterOct, "QUATERNION": lib.meshopt_decodeFilterQuat,
              "EXPONENTIAL": lib.meshopt_decodeFilterExp}.get(filt)
        if fn is None:
            raise BinaryError(f"unknown meshopt filter {filt!r}")
        allowed = {"OCTAHEDRAL": (4, 8), "QUATERNION": (8,)}.get(filt)
        if (allowed and stride not in allowed) or stride % 4:
            raise BinaryError(f"meshopt {filt} filter cannot apply to {stride}-byte elements")
        fn(dp, count, stride)
    return dst.tobytes()
