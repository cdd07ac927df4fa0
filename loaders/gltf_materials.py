"""glTF materials as plain data: base colour (factor + decoded texture image + sampler), alpha
mode, double-sidedness, KHR_materials_unlit, emissive.

Why plain data: loaders import no VTK; a visual turns a `TextureImage` into a vtkTexture on the
GUI thread. Images are decoded once per glTF image (Pillow: PNG, JPEG, WebP via
EXT_texture_webp); KTX2 / Basis Universal (KHR_texture_basisu) has no decoder on this project's
index, so such a texture falls back to its PNG/JPEG `source` when the asset gives one, else to the
material colour with one warning (the same text for every tile, so a tileset shows it once).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from loaders._binary import BinaryError, as_vec
from loaders._gltf_images import MAX_TEXTURE_PIXELS, _image_bytes

if TYPE_CHECKING:
    from loaders.gltf import _Reader

REPEAT, CLAMP, MIRROR = 10497, 33071, 33648
NEAREST_FILTERS = (9728, 9984, 9986)  # NEAREST, NEAREST_MIPMAP_NEAREST, NEAREST_MIPMAP_LINEAR
NO_MIPMAP_FILTERS = (9728, 9729)  # NEAREST, LINEAR as minFilter: no mipmaps
KTX2_WARNING = "KTX2/Basis Universal textures cannot be decoded here (no decoder installed); drawn in the material colour"


@dataclass(eq=False)
class TextureImage:
    """A decoded base-colour image: row 0 is the image's top, where glTF puts v = 0."""

    pixels: np.ndarray  # (H, W, 3|4) uint8
    wrap_s: int = REPEAT
    wrap_t: int = REPEAT
    nearest: bool = False  # magFilter NEAREST: texels stay sharp when magnified
    mipmaps: bool = True

    @property
    def nbytes(self) -> int:
        """Bytes on the GPU, mipmap chain included (a third more)."""
        return int(self.pixels.nbytes * (4 / 3 if self.mipmaps else 1))


@dataclass(eq=False)
class Material:
    name: str = ""
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    texture: TextureImage | None = None
    tex_coord: int = 0
    alpha_mode: str = "OPAQUE"  # OPAQUE | MASK | BLEND
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    unlit: bool = False
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    authored: bool = True  # False: the glTF default material (a primitive without one)

    @property
    def opaque(self) -> bool:
        return self.alpha_mode != "BLEND"


@dataclass
class MaterialSet:
    """Materials of one document, built lazily: index -> Material; -1 the default material."""

    materials: list[Material] = field(default_factory=list)
    by_doc_index: dict[int, int] = field(default_factory=dict)

    def index_for(self, reader: _Reader, material) -> int:
        key = material if isinstance(material, int) else -1
        if key not in self.by_doc_index:
            self.by_doc_index[key] = len(self.materials)
            self.materials.append(read_material(reader, key))
        return self.by_doc_index[key]


def _decode_image(reader: _Reader, source: int) -> np.ndarray | None:
    images = reader.doc.get("images") if isinstance(reader.doc.get("images"), list) else []
    if not 0 <= source < len(images) or not isinstance(images[source], dict):
        return None
    image = images[source]
    mime = str(image.get("mimeType", ""))
    data = _image_bytes(reader, image)
    if mime == "image/ktx2" or data[:12] == b"\xabKTX 20\xbb\r\n\x1a\n":
        raise BinaryError(KTX2_WARNING)
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
        if img.size[0] * img.size[1] > MAX_TEXTURE_PIXELS:
            raise BinaryError(f"texture of {img.size[0]}x{img.size[1]} pixels is too large")
        has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
        return np.ascontiguousarray(np.asarray(img.convert("RGBA" if has_alpha else "RGB"), dtype=np.uint8))
    except BinaryError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for broken images
        raise BinaryError(f"texture cannot be decoded ({type(exc).__name__})") from None


def texture_image(reader: _Reader, texture_index) -> TextureImage | None:
    """The texture's decoded image with its sampler, shared by every material that uses it; None
    (with one warning) when it cannot be decoded."""
    cache = reader.__dict__.setdefault("_textures", {})
    if texture_index in cache:
        return cache[texture_index]
    cache[texture_index] = None
    textures = reader.doc.get("textures") if isinstance(reader.doc.get("textures"), list) else []
    if not isinstance(texture_index, int) or not 0 <= texture_index < len(textures) or not isinstance(textures[texture_index], dict):
        return None
    tex = textures[texture_index]
    ext = tex.get("extensions") if isinstance(tex.get("extensions"), dict) else {}
    sources = []
    for name in ("EXT_texture_webp", "KHR_texture_basisu"):
        if isinstance(ext.get(name), dict) and isinstance(ext[name].get("source"), int):
            sources.append(ext[name]["source"])
    if isinstance(tex.get("source"), int):
        sources.append(tex["source"])  # the fallback image an extension's asset must still name
    pixels, problem = None, None
    for source in sources:
        try:
            pixels = _decode_image(reader, source)
        except BinaryError as exc:
            problem = str(exc)
            continue
        if pixels is not None:
            break
    if pixels is None:
        if problem:
            reader.warnings.append(problem if problem == KTX2_WARNING else f"texture ignored: {problem}")
        return None
    samplers = reader.doc.get("samplers") if isinstance(reader.doc.get("samplers"), list) else []
    s = tex.get("sampler")
    sampler = samplers[s] if isinstance(s, int) and 0 <= s < len(samplers) and isinstance(samplers[s], dict) else {}
    image = TextureImage(pixels, int(sampler.get("wrapS", REPEAT)), int(sampler.get("wrapT", REPEAT)),
                         sampler.get("magFilter") in NEAREST_FILTERS, sampler.get("minFilter") not in NO_MIPMAP_FILTERS)
    cache[texture_index] = image
    return image


def read_material(reader: _Reader, index: int) -> Material:
    """glTF material `index` (or the default material for -1) as plain data."""
    materials = reader.doc.get("materials") if isinstance(reader.doc.get("materials"), list) else []
    if not 0 <= index < len(materials) or not isinstance(materials[index], dict):
        return Material(authored=False)
    m = materials[index]
    pbr = m.get("pbrMetallicRoughness") if isinstance(m.get("pbrMetallicRoughness"), dict) else {}
    ext = m.get("extensions") if isinstance(m.get("extensions"), dict) else {}
    out = Material(name=str(m.get("name", "")))
    try:
        if "baseColorFactor" in pbr:
            out.base_color = tuple(float(v) for v in np.clip(as_vec(pbr["baseColorFactor"], 4, "baseColorFactor"), 0, 1))
        if "emissiveFactor" in m:
            out.emissive = tuple(float(v) for v in np.clip(as_vec(m["emissiveFactor"], 3, "emissiveFactor"), 0, 1))
    except BinaryError as exc:
        reader.warnings.append(f"material {index}: {exc}")
    tex = pbr.get("baseColorTexture")
    technique = ext.get("KHR_techniques_webgl") if isinstance(ext.get("KHR_techniques_webgl"), dict) else None
    if tex is None and technique is not None and isinstance(technique.get("values"), dict):
        diffuse = technique["values"].get("u_diffuse")  # glTF 1.0 materials converted to techniques
        if isinstance(diffuse, dict):
            tex = diffuse
        elif isinstance(diffuse, list) and len(diffuse) >= 3:
            out.base_color = tuple(float(v) for v in np.clip(np.r_[np.asarray(diffuse[:4], float), [1.0] * (4 - len(diffuse[:4]))], 0, 1))
    if isinstance(tex, dict):
        out.texture = texture_image(reader, tex.get("index"))
        out.tex_coord = tex["texCoord"] if isinstance(tex.get("texCoord"), int) and 0 <= tex["texCoord"] < 8 else 0
    mode = str(m.get("alphaMode", "OPAQUE")).upper()
    out.alpha_mode = mode if mode in ("OPAQUE", "MASK", "BLEND") else "OPAQUE"
    cutoff = m.get("alphaCutoff", 0.5)
    out.alpha_cutoff = float(cutoff) if isinstance(cutoff, (int, float)) and np.isfinite(cutoff) else 0.5
    out.double_sided = m.get("doubleSided") is True
    out.unlit = isinstance(ext.get("KHR_materials_unlit"), dict)
    return out


def material_payload(data, to_local) -> dict:
    """The material arrays of a MeshData for a scene layer's payload. Normals are turned by the
    placement's linear part at the mesh centre (`to_local` maps data coords to scene metres):
    the ECEF -> ENU step is a rotation; a CRS projection's local distortion is small."""
    if not getattr(data, "materials", None) or data.face_material is None or len(data.face_material) != len(data.faces):
        return {}
    out = {"materials": list(data.materials), "face_material": np.asarray(data.face_material, np.int32)}
    n = len(data.vertices)
    if data.uvs is not None and len(data.uvs) == n:
        out["uvs"] = np.asarray(data.uvs, np.float32)
    if data.normals is not None and len(data.normals) == n:
        centre = np.asarray(data.vertices, np.float64).mean(axis=0)
        probe = np.vstack([centre, centre + np.eye(3)])
        try:
            local = np.asarray(to_local(probe), np.float64)
            jac = (local[1:] - local[0]).T  # columns: images of the unit axes
            turned = np.asarray(data.normals, np.float64) @ jac.T
            with np.errstate(invalid="ignore", divide="ignore"):
                turned /= np.linalg.norm(turned, axis=1, keepdims=True)
            out["normals"] = turned.astype(np.float32)
        except Exception:  # noqa: BLE001 - no usable placement at the centre: flat shading
            pass
    return out


def trimesh_look(mesh, matrix: np.ndarray) -> tuple[Material | None, np.ndarray | None, np.ndarray | None]:
    """(material, UVs with glTF's v-down convention, authored normals turned by `matrix`) of one
    trimesh geometry (OBJ + MTL, glTF through trimesh); Nones where the file gives none."""
    from trimesh.visual.texture import TextureVisuals

    normals = None
    if "vertex_normals" in getattr(mesh, "_cache", {}):  # read from the file, not computed by trimesh
        n = np.asarray(mesh.vertex_normals, np.float64) @ np.linalg.inv(matrix[:3, :3])  # rows: n @ (M^-T)^T
        with np.errstate(invalid="ignore", divide="ignore"):
            normals = (n / np.linalg.norm(n, axis=1, keepdims=True)).astype(np.float32)
    vis = mesh.visual
    if not isinstance(vis, TextureVisuals) or vis.material is None:
        return None, None, normals
    mat = vis.material
    image = getattr(mat, "baseColorTexture", None) or getattr(mat, "image", None)
    out = Material(name=str(getattr(mat, "name", "") or ""))
    factor = getattr(mat, "baseColorFactor", None)
    if factor is not None:
        f = np.asarray(factor, np.float64).reshape(-1)
        out.base_color = tuple(float(v) for v in np.clip(np.r_[f[:4] / (255.0 if f.max() > 1 else 1.0), [1.0] * (4 - len(f[:4]))], 0, 1))
    out.double_sided = bool(getattr(mat, "doubleSided", False) or not hasattr(mat, "doubleSided"))  # OBJ: no culling
    mode = str(getattr(mat, "alphaMode", None) or "OPAQUE").upper()
    out.alpha_mode = mode if mode in ("OPAQUE", "MASK", "BLEND") else "OPAQUE"
    uv = getattr(vis, "uv", None)
    if image is not None and uv is not None and len(uv) == len(mesh.vertices):
        try:
            if image.size[0] * image.size[1] > MAX_TEXTURE_PIXELS:
                raise ValueError("too large")
            has_alpha = image.mode in ("RGBA", "LA", "PA")
            pixels = np.ascontiguousarray(np.asarray(image.convert("RGBA" if has_alpha else "RGB"), np.uint8))
            out.texture = TextureImage(pixels)
            uv = np.asarray(uv, np.float64)[:, :2].copy()
            uv[:, 1] = 1.0 - uv[:, 1]  # trimesh keeps OBJ's v-up texture coordinates
            return out, uv.astype(np.float32), normals
        except Exception:  # noqa: BLE001 - an unreadable image: the material colour
            pass
    return out, None, normals


def attach_looks(data, looks: list[tuple], n_verts: list[int], n_faces: list[int]) -> None:
    """Per-geometry (material, uvs, normals) onto a merged MeshData; nothing when none has a material or normals."""
    if not any(m is not None or nm is not None for m, _uv, nm in looks):
        return
    data.materials = [m if m is not None else Material(authored=False) for m, _uv, _nm in looks]
    data.face_material = np.concatenate([np.full(n, i, np.int32) for i, n in enumerate(n_faces)])
    if any(uv is not None for _m, uv, _nm in looks):
        data.uvs = np.concatenate([uv if uv is not None else np.zeros((n, 2), np.float32) for (_m, uv, _nm), n in zip(looks, n_verts)])
    if any(nm is not None for _m, _uv, nm in looks):
        data.normals = np.concatenate([nm if nm is not None else np.full((n, 3), np.nan, np.float32)
                                       for (_m, _uv, nm), n in zip(looks, n_verts)])
