"""The glTF container and data access: GLB chunks (v2, and v1 through loaders._gltf_legacy),
buffers, bufferViews (meshopt-decoded where compressed) and accessors, all bounds-checked.

Split from loaders.gltf so that module keeps to geometry and materials; it re-exports these names.
"""
from __future__ import annotations

import base64
import os

import numpy as np

from loaders import _gltf_meshopt as meshopt
from loaders._binary import BinaryError, as_int, check_range, gunzip, parse_json, read_file, strided, u32

COMPONENT = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
NORM_DIV = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0, 5125: 4294967295.0}
NCOMP = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
MAX_ZERO_ACCESSOR = 64_000_000  # values of a sparse-only accessor (no data backs its zeros)


def split_glb(data: bytes) -> tuple[dict, memoryview | None]:
    """GLB v2 container -> (JSON document, BIN chunk or None)."""
    magic = data[:4]
    if magic != b"glTF":
        raise BinaryError("not a GLB file (bad magic)")
    version, length = u32(data, 4, 2)
    if version == 1:  # KHR_binary_glTF (glTF 1.0): upgraded in parse_gltf
        from loaders._gltf_legacy import split_glb_v1

        return split_glb_v1(data)
    if version != 2:
        raise BinaryError(f"glTF version {version} is not supported (only glTF 1.0 and 2.0)")
    if length > len(data):
        raise BinaryError(f"GLB header declares {length} bytes but only {len(data)} are present")
    view = memoryview(data)[:length]
    pos, doc, bin_chunk = 12, None, None
    while pos + 8 <= length:
        clen, ctype = u32(data, pos, 2)
        check_range(pos + 8, clen, length, "GLB chunk")
        chunk = view[pos + 8 : pos + 8 + clen]
        if ctype == 0x4E4F534A and doc is None:
            doc = parse_json(chunk, "glTF JSON chunk")
        elif ctype == 0x004E4942 and bin_chunk is None:
            bin_chunk = chunk
        pos += 8 + clen
    if doc is None:
        raise BinaryError("GLB has no JSON chunk")
    return doc, bin_chunk


def resolve_uri(uri: str, base_dir: str | None, root_dir: str | None) -> str:
    """A relative file reference next to a tile, refused when it leaves the tileset folder."""
    from urllib.parse import unquote

    if base_dir is None or "://" in uri:
        raise BinaryError(f"external reference '{uri[:80]}' cannot be resolved")
    path = os.path.realpath(os.path.join(base_dir, unquote(uri.split("?")[0])))
    root = os.path.realpath(root_dir or base_dir)
    try:
        inside = os.path.commonpath([path, root]) == root
    except ValueError:  # different drives on Windows
        inside = False
    if not inside:
        raise BinaryError(f"'{uri[:80]}' points outside the tileset folder")
    return path


class _Reader:
    """Resolves buffers / bufferViews / accessors of one glTF document, lazily and bounded."""

    def __init__(self, doc: dict, bin_chunk, base_dir: str | None, root_dir: str | None) -> None:
        self.doc, self.bin, self.base_dir, self.root_dir = doc, bin_chunk, base_dir, root_dir
        self._buffers: dict[int, bytes | memoryview] = {}
        self._images: dict[str, np.ndarray | None] = {}  # decoded textures (loaders._gltf_images)
        self._decoded: dict[int, bytes] = {}  # meshopt-decoded bufferViews
        self.quantized: dict[int, tuple] = {}  # glTF 1.0 quantized accessors (loaders._gltf_legacy)
        self.warnings: list[str] = []

    def _item(self, key: str, index) -> dict:
        items = self.doc.get(key)
        if not isinstance(items, list):
            raise BinaryError(f"glTF has no '{key}'")
        i = as_int(index, f"{key} index", 0, len(items) - 1) if items else -1
        if i < 0 or not isinstance(items[i], dict):
            raise BinaryError(f"glTF {key}[{index}] is missing")
        return items[i]

    def buffer(self, index) -> bytes | memoryview:
        i = as_int(index, "buffer index")
        if i not in self._buffers:
            b = self._item("buffers", i)
            uri = b.get("uri")
            if uri is None:
                if self.bin is None:
                    raise BinaryError("glTF buffer refers to a missing GLB BIN chunk")
                data = self.bin
            elif not isinstance(uri, str):
                raise BinaryError("glTF buffer uri is not a string")
            elif uri.startswith("data:"):
                try:
                    data = base64.b64decode(uri.split(",", 1)[1], validate=False)
                except (IndexError, ValueError):
                    raise BinaryError("glTF buffer data URI is not valid base64") from None
            else:
                data = read_file(self._resolve(uri))
                if data[:2] == b"\x1f\x8b":
                    data = gunzip(data)
            self._buffers[i] = data
        return self._buffers[i]

    def _resolve(self, uri: str) -> str:
        return resolve_uri(uri, self.base_dir, self.root_dir)

    def buffer_view(self, index) -> memoryview:
        """The bytes of one bufferView, bounds-checked."""
        bv = self._item("bufferViews", index)
        spec = meshopt.compression(bv)
        if spec is not None:  # EXT_/KHR_meshopt_compression: decoded once, in place of the view
            key = as_int(index, "bufferView index")
            if key not in self._decoded:
                self._decoded[key] = meshopt.decode_view(spec, self.buffer(spec.get("buffer")))
            return memoryview(self._decoded[key])
        buf = self.buffer(bv.get("buffer"))
        off = as_int(bv.get("byteOffset", 0), "bufferView byteOffset")
        length = as_int(bv.get("byteLength"), "bufferView byteLength")
        check_range(off, length, len(buf), "bufferView")
        return memoryview(buf)[off : off + length]

    def accessor(self, index) -> np.ndarray:
        """(count, ncomp) float64, normalised integers scaled to 0..1 / -1..1."""
        q = self.quantized.get(index) if isinstance(index, int) else None
        if q is not None:  # glTF 1.0 WEB3D_quantized_attributes: integers through a decode matrix
            from loaders._gltf_legacy import decode_quantized

            self.quantized = {k: v for k, v in self.quantized.items() if k != index}  # read raw, then decode
            try:
                return decode_quantized(self.accessor(index), *q)
            finally:
                self.quantized = {**self.quantized, index: q}
        acc = self._item("accessors", index)
        ctype = acc.get("componentType")
        if ctype not in COMPONENT or acc.get("type") not in NCOMP:
            raise BinaryError("accessor has an unknown component type or element type")
        comps = NCOMP[acc["type"]]
        count = as_int(acc.get("count"), "accessor count", 0, 2**32)
        if "bufferView" in acc:
            bv = self.buffer_view(acc["bufferView"])
            stride = self._item("bufferViews", acc["bufferView"]).get("byteStride")
            stride = as_int(stride, "byteStride", 4, 252) if stride is not None else None
            raw = strided(bv, as_int(acc.get("byteOffset", 0), "accessor byteOffset"), count, COMPONENT[ctype], comps, stride)
        elif isinstance(acc.get("sparse"), dict) and count * comps <= MAX_ZERO_ACCESSOR:
            raw = np.zeros((count, comps), COMPONENT[ctype])  # sparse-only: zeros, then the sparse values
        else:
            raise BinaryError("accessor has no bufferView (or a too large sparse-only one)")
        if isinstance(acc.get("sparse"), dict):
            raw = self._sparse(acc["sparse"], raw, ctype, comps)
        with np.errstate(invalid="ignore"):  # a signalling NaN raises "invalid" when widened; refused below
            out = raw.astype(np.float64)
        if acc.get("normalized") and ctype in NORM_DIV:
            out = np.maximum(out / NORM_DIV[ctype], -1.0)
        if ctype == 5126 and not np.all(np.isfinite(out)):
            raise BinaryError("accessor holds NaN or infinite values")
        return out


    def _sparse(self, sparse: dict, base: np.ndarray, ctype: int, comps: int) -> np.ndarray:
        """Apply glTF sparse substitution (indices + values) onto a copy of `base`."""
        n = as_int(sparse.get("count"), "sparse count", 1, len(base))
        ind, val = sparse.get("indices"), sparse.get("values")
        if not isinstance(ind, dict) or not isinstance(val, dict) or ind.get("componentType") not in (5121, 5123, 5125):
            raise BinaryError("sparse accessor has invalid indices or values")
        idx = strided(self.buffer_view(ind.get("bufferView")), as_int(ind.get("byteOffset", 0), "sparse byteOffset"), n, COMPONENT[ind["componentType"]], 1)[:, 0]
        values = strided(self.buffer_view(val.get("bufferView")), as_int(val.get("byteOffset", 0), "sparse byteOffset"), n, COMPONENT[ctype], comps)
        if idx.max(initial=0) >= len(base):
            raise BinaryError("sparse indices point past the accessor")
        out = base.copy()
        out[idx.astype(np.int64)] = values
        return out
