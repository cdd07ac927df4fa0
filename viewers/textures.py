"""Materials as VTK draws them: textures with their UVs, authored normals, alpha modes, culling.

Workers split a parsed glTF geometry into one piece per material (`material_pieces`: plain
numpy, unattached polydata); the GUI thread makes each texture once (`TextureBank`, a vtkTexture
with mipmaps and linear filtering unless the sampler asks for NEAREST, its wrap mode honoured)
and dresses the actor (`dress_actor`). Why per material and not vertex colours: a photogrammetry
tile's detail is in its texels; colours sampled at the vertices blur and block it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv
import vtk
from vtkmodules.util.numpy_support import numpy_to_vtk

from loaders.gltf_materials import CLAMP, MIRROR, Material, TextureImage

TCOORDS = "TCoords"
NORMALS = "Normals"


@dataclass
class MaterialPiece:
    """The faces of one material with their own compacted vertices."""

    poly: Any  # pv.PolyData (RGBA point colours, TCoords when textured, Normals when authored)
    faces: np.ndarray  # (f,) indices of these faces in the source geometry
    vertices: np.ndarray  # (v,) source vertex index of each piece vertex
    material: Material | None

    @property
    def textured(self) -> bool:
        return self.material is not None and self.material.texture is not None and \
            self.poly.GetPointData().GetTCoords() is not None


def group_indices(keys: np.ndarray) -> dict[int, np.ndarray]:
    """key -> indices holding it, in one sort (a tile or a merged city can hold thousands of materials)."""
    keys = np.asarray(keys)
    order = np.argsort(keys, kind="stable")
    values, starts = np.unique(keys[order], return_index=True)
    return {int(v): idx for v, idx in zip(values, np.split(order, starts[1:]))}


def material_pieces(positions: np.ndarray, faces: np.ndarray, colors: np.ndarray | None, g: Any) -> list[MaterialPiece]:
    """Split `faces` (over `positions`, already float32 and tile-relative) by material (worker thread)."""
    fm = getattr(g, "face_material", None)
    mats = list(getattr(g, "materials", None) or [])
    if fm is None or len(fm) != len(faces) or not mats:
        groups = [(np.arange(len(faces)), None)]
    else:
        groups = [(ids, mats[m]) for m, ids in group_indices(fm).items() if 0 <= m < len(mats)]
    uvs, normals = getattr(g, "uvs", None), getattr(g, "normals", None)
    out = []
    for face_ids, material in groups:
        sub = faces[face_ids]
        used, inverse = np.unique(sub, return_inverse=True)
        local = inverse.reshape(-1, 3).astype(np.int64)
        poly = pv.PolyData(positions[used], np.hstack([np.full((len(local), 1), 3, np.int64), local]).ravel())
        if colors is not None and len(colors) == len(positions):
            rgba = np.full((len(used), 4), 255, np.uint8)
            rgba[:, : min(4, colors.shape[1])] = colors[used, :4]
            poly.point_data["RGBA"] = rgba
        if material is not None and material.texture is not None and uvs is not None and len(uvs) == len(positions):
            poly.point_data[TCOORDS] = np.asarray(uvs[used], np.float32)
            poly.point_data.active_texture_coordinates_name = TCOORDS
        if normals is not None and len(normals) == len(positions):
            n = np.asarray(normals[used], np.float32)
            if len(n) and np.isfinite(n).all():  # authored for every vertex: smooth as authored
                poly.point_data[NORMALS] = n
                poly.point_data.active_normals_name = NORMALS
        out.append(MaterialPiece(poly, face_ids, used, material))
    return out


def texture_bytes(pieces: list[MaterialPiece]) -> int:
    """GPU bytes of the distinct textures these pieces draw (each counted once)."""
    seen: dict[int, int] = {}
    for p in pieces:
        if p.textured:
            seen[id(p.material.texture)] = p.material.texture.nbytes  # type: ignore[union-attr]
    return sum(seen.values())


def make_texture(image: TextureImage, opaque: bool = False) -> vtk.vtkTexture:
    """vtkTexture for a decoded image (GUI thread). Row 0 of the image is glTF's v = 0, so the
    rows go in as they are: VTK's t = 0 is the first row. `opaque` drops alpha (alphaMode OPAQUE)."""
    pixels = np.ascontiguousarray(image.pixels[..., :3] if opaque else image.pixels)
    h, w, c = pixels.shape
    data = vtk.vtkImageData()
    data.SetDimensions(w, h, 1)
    arr = numpy_to_vtk(pixels.reshape(-1, c), deep=True, array_type=vtk.VTK_UNSIGNED_CHAR)
    arr.SetName("Image")
    data.GetPointData().SetScalars(arr)
    tex = vtk.vtkTexture()
    tex.SetInputData(data)
    tex.SetColorModeToDirectScalars()
    tex.SetInterpolate(not image.nearest)
    tex.SetMipmap(bool(image.mipmaps))
    tex.SetMaximumAnisotropicFiltering(4.0)
    wrap = image.wrap_s if image.wrap_s == image.wrap_t else CLAMP if CLAMP in (image.wrap_s, image.wrap_t) else image.wrap_s
    tex.SetWrap({CLAMP: vtk.vtkTexture.ClampToEdge, MIRROR: vtk.vtkTexture.MirroredRepeat}.get(wrap, vtk.vtkTexture.Repeat))
    return tex


class TextureBank:
    """One vtkTexture per decoded image, shared by every actor that draws it (GUI thread)."""

    def __init__(self) -> None:
        self._textures: dict[tuple[int, bool], tuple[TextureImage, vtk.vtkTexture]] = {}

    def get(self, material: Material) -> vtk.vtkTexture | None:
        image = material.texture
        if image is None:
            return None
        key = (id(image), material.alpha_mode == "OPAQUE" or image.pixels.shape[2] < 4)
        hit = self._textures.get(key)
        if hit is None or hit[0] is not image:
            hit = (image, make_texture(image, key[1]))
            self._textures[key] = hit
        return hit[1]

    def release(self, images: list[TextureImage]) -> None:
        """Forget textures of tiles that left memory (an image shared by a live tile is re-made on use)."""
        for image in images:
            for key in [(id(image), False), (id(image), True)]:
                hit = self._textures.get(key)
                if hit is not None and hit[0] is image:
                    del self._textures[key]

    def __len__(self) -> int:
        return len(self._textures)


_MASK_CODE = "//VTK::Light::Impl\n  if (gl_FragData[0].a < {cutoff:.6f}) {{ discard; }}\n"


def dress_actor(actor: vtk.vtkActor, material: Material | None, texture: vtk.vtkTexture | None, opacity: float) -> None:
    """Material state on an actor: texture (or none), lighting (unlit = no lighting), culling
    (single-sided glTF materials cull back faces), alpha mode (MASK discards below the cutoff,
    BLEND is translucent, OPAQUE ignores alpha) and the base colour factor."""
    actor.SetTexture(texture)
    prop = actor.GetProperty()
    sp = actor.GetShaderProperty()
    sp.ClearAllFragmentShaderReplacements()
    actor.SetForceOpaque(False)
    if material is None:
        prop.BackfaceCullingOff()
        prop.LightingOn()
        return
    r, g, b, a = material.base_color
    if material.authored:
        prop.SetColor(r, g, b)
    prop.SetBackfaceCulling(material.authored and not material.double_sided)
    prop.SetLighting(not material.unlit)
    if not material.unlit and any(material.emissive):
        prop.SetAmbientColor(*material.emissive)
        prop.SetAmbient(1.0)
    if material.alpha_mode == "BLEND":
        prop.SetOpacity(opacity * a)
    elif material.alpha_mode == "MASK":
        actor.SetForceOpaque(True)
        sp.AddFragmentShaderReplacement("//VTK::Light::Impl", True, _MASK_CODE.format(cutoff=material.alpha_cutoff), False)
    elif texture is not None:
        actor.SetForceOpaque(opacity >= 1.0)  # OPAQUE: an RGBA texture's alpha is ignored


# --- one actor for a whole merged mesh (MeshVisual): a texture atlas -------------------------------
GUTTER = 4  # texels of edge copied round each image so that mipmaps do not bleed between neighbours
MAX_ATLAS = 8192


@dataclass
class MeshLook:
    """What MeshVisual applies after add_mesh: the texture and the material state of one actor."""

    texture: vtk.vtkTexture | None
    unlit: bool
    cull: bool
    smooth: bool
    opaque: bool
    texture_bytes: int = 0

    def apply(self, actor: vtk.vtkActor) -> None:
        actor.SetTexture(self.texture)
        prop = actor.GetProperty()
        prop.SetLighting(not self.unlit)
        prop.SetBackfaceCulling(self.cull)
        if self.smooth:
            prop.SetInterpolationToGouraud()
        actor.SetForceOpaque(self.opaque and prop.GetOpacity() >= 1.0)


def _eligible(material: Material, uv: np.ndarray) -> bool:
    """A texture can go into the atlas when its UVs stay in one period (or the sampler clamps)."""
    t = material.texture
    if t is None or not len(uv):
        return False
    inside = bool(np.all((uv >= -1e-3) & (uv <= 1 + 1e-3)))
    return inside or (t.wrap_s == CLAMP and t.wrap_t == CLAMP)


def _pack(images: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int, int, int]], int]:
    """Shelf-pack images (already with gutters) -> (atlas, (x, y, w, h) of each, scale divisor)."""
    div = 1
    while True:
        imgs = [im[::div, ::div] for im in images]
        order = sorted(range(len(imgs)), key=lambda i: -imgs[i].shape[0])
        width = max(max(im.shape[1] for im in imgs), int(np.ceil(np.sqrt(sum(im.shape[0] * im.shape[1] for im in imgs)) * 1.1)))
        x = y = shelf = 0
        places: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)] * len(imgs)
        for i in order:
            h, w = imgs[i].shape[:2]
            if x + w > width:
                x, y, shelf = 0, y + shelf, 0
            places[i] = (x, y, w, h)
            x, shelf = x + w, max(shelf, h)
        height = y + shelf
        if max(width, height) <= MAX_ATLAS:
            break
        div *= 2
    atlas = np.zeros((height, width, imgs[0].shape[2]), np.uint8)
    for im, (x, y, w, h) in zip(imgs, places):
        atlas[y:y + h, x:x + w] = im
    return atlas, places, div


def mesh_look(d: dict, mesh: pv.PolyData, face_ids: np.ndarray) -> MeshLook | None:
    """Textures, normals and material state for MeshVisual's default colouring, or None when the
    layer has no materials. Textured vertices get white (x base colour) RGBA so the texture shows
    as it is; untextured ones keep their colours over a white atlas swatch."""
    mats, fm, uvs = d.get("materials") or [], d.get("face_material"), d.get("uvs")
    faces = np.asarray(d["faces"])
    if not mats or fm is None or len(fm) != len(faces) or not len(face_ids):
        return None
    drawn_fm = np.asarray(fm)[face_ids]
    used = [int(m) for m in np.unique(drawn_fm) if 0 <= m < len(mats)]
    authored = [mats[m] for m in used if mats[m].authored]
    look = MeshLook(None, bool(authored) and all(m.unlit for m in authored),
                    bool(authored) and not any(m.double_sided or not m.authored for m in (mats[u] for u in used)),
                    False, not any(mats[m].alpha_mode == "BLEND" for m in used))
    normals = d.get("normals")
    if normals is not None and len(normals) == mesh.n_points:
        touched = np.unique(faces[face_ids])
        if np.isfinite(np.asarray(normals)[touched]).all():
            n = np.nan_to_num(np.asarray(normals, np.float32))
            mesh.point_data[NORMALS] = n
            mesh.point_data.active_normals_name = NORMALS
            look.smooth = True
    if uvs is None or len(uvs) != mesh.n_points or "RGBA" not in mesh.point_data:
        return look
    uvs = np.asarray(uvs, np.float64)
    by_material = group_indices(drawn_fm)
    verts_of = {m: np.unique(faces[face_ids[by_material[m]]]) for m in used}
    textured = [m for m in used if _eligible(mats[m], uvs[verts_of[m]])]
    if not textured:
        return look
    images: list[TextureImage] = []
    for m in textured:
        if all(mats[m].texture is not im for im in images):
            images.append(mats[m].texture)  # type: ignore[arg-type]
    alpha = any(im.pixels.shape[2] == 4 for im in images) and not look.opaque
    chans = 4 if alpha else 3

    def rgbx(px: np.ndarray) -> np.ndarray:
        if px.shape[2] == chans:
            return px
        return px[..., :3] if chans == 3 else np.concatenate([px, np.full(px.shape[:2] + (1,), 255, np.uint8)], axis=2)

    tc = np.zeros((mesh.n_points, 2), np.float32)
    rgba = np.array(mesh.point_data["RGBA"])
    if len(images) == 1 and len(textured) == len(used):
        tex_image = images[0]
        look.texture = make_texture(tex_image, chans == 3)
        for m in textured:
            v = verts_of[m]
            tc[v] = uvs[v]
            rgba[v] = np.round(np.asarray(mats[m].base_color) * 255)
        look.texture_bytes = tex_image.nbytes
    else:
        white = np.full((4 * GUTTER, 4 * GUTTER, chans), 255, np.uint8)
        padded = [np.pad(rgbx(im.pixels), ((GUTTER, GUTTER), (GUTTER, GUTTER), (0, 0)), mode="edge") for im in images] + [white]
        atlas, places, div = _pack(padded)
        height, width = atlas.shape[:2]
        g = GUTTER / div
        for m in textured:
            i = next(k for k, im in enumerate(images) if im is mats[m].texture)
            x, y, w, h = places[i]
            v = verts_of[m]
            uv = np.clip(uvs[v], 0.0, 1.0)
            tc[v, 0] = (x + g + uv[:, 0] * (w - 2 * g)) / width
            tc[v, 1] = (y + g + uv[:, 1] * (h - 2 * g)) / height
            rgba[v] = np.round(np.asarray(mats[m].base_color) * 255)
        x, y, w, h = places[-1]
        rest = np.setdiff1d(np.arange(mesh.n_points), np.concatenate([verts_of[m] for m in textured]))
        tc[rest] = [(x + w / 2) / width, (y + h / 2) / height]
        atlas_image = TextureImage(atlas, CLAMP, CLAMP, all(im.nearest for im in images), True)
        look.texture = make_texture(atlas_image, chans == 3)
        look.texture_bytes = atlas_image.nbytes
    mesh.point_data["RGBA"] = rgba
    mesh.point_data[TCOORDS] = tc
    mesh.point_data.active_texture_coordinates_name = TCOORDS
    return look
