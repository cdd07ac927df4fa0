"""glTF base-colour textures sampled into per-vertex colours (Pillow).

Photogrammetry tiles carry their colour only in textures; the merged finest-level mesh has no
UVs, so each vertex takes the texel under its UV (nearest, repeat wrap). Images are decoded
once per document, and only after their header says they are of a sane size.
"""
from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import numpy as np

from loaders._binary import BinaryError, as_int, read_file

if TYPE_CHECKING:
    from loaders.gltf import _Reader

MAX_TEXTURE_PIXELS = 64 * 1024 * 1024


def _image_bytes(reader: _Reader, image: dict) -> bytes:
    if "bufferView" in image:
        return bytes(reader.buffer_view(image["bufferView"]))
    uri = image.get("uri")
    if not isinstance(uri, str):
        raise BinaryError("image has neither bufferView nor uri")
    if uri.startswith("data:"):
        try:
            return base64.b64decode(uri.split(",", 1)[1], validate=False)
        except (IndexError, ValueError):
            raise BinaryError("image data URI is not valid base64") from None
    return read_file(reader._resolve(uri))


def _decode(reader: _Reader, texture_index) -> np.ndarray | None:
    textures = reader.doc.get("textures") if isinstance(reader.doc.get("textures"), list) else []
    t = as_int(texture_index, "texture index", 0, max(0, len(textures) - 1)) if textures else None
    if t is None or not isinstance(textures[t], dict):
        return None
    tex = textures[t]
    source = tex.get("source")
    ext = tex.get("extensions") if isinstance(tex.get("extensions"), dict) else {}
    if isinstance(ext.get("EXT_texture_webp"), dict) and isinstance(ext["EXT_texture_webp"].get("source"), int):
        source = ext["EXT_texture_webp"]["source"]  # Pillow reads webp (KTX2/basisu is not decoded)
    images = reader.doc.get("images") if isinstance(reader.doc.get("images"), list) else []
    if not isinstance(source, int) or not 0 <= source < len(images) or not isinstance(images[source], dict):
        return None
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(_image_bytes(reader, images[source])))
        if img.size[0] * img.size[1] > MAX_TEXTURE_PIXELS:
            raise BinaryError(f"texture of {img.size[0]}x{img.size[1]} pixels is too large")
        return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except BinaryError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for broken images
        raise BinaryError(f"texture cannot be decoded ({type(exc).__name__})") from None


def sample_texture(reader: _Reader, texture_index, uv: np.ndarray) -> np.ndarray | None:
    """(N,3) colours in 0..1 at the given UVs, or None when the texture is unusable (warned)."""
    cache = reader._images
    key = repr(texture_index)
    if key not in cache:
        try:
            cache[key] = _decode(reader, texture_index)
        except BinaryError as exc:
            reader.warnings.append(f"texture ignored: {exc}")
            cache[key] = None
    img = cache[key]
    if img is None or img.size == 0 or uv.shape[1] < 2:
        return None
    h, w = img.shape[:2]
    u = np.nan_to_num(uv[:, 0] % 1.0)
    v = np.nan_to_num(uv[:, 1] % 1.0)
    col = np.clip((u * w).astype(np.int64), 0, w - 1)
    row = np.clip((v * h).astype(np.int64), 0, h - 1)
    return img[row, col].astype(np.float64) / 255.0
