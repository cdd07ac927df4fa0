"""glTF 2.0 (GLB or JSON) geometry reader for 3D Tiles content, in numpy.

Only what a viewer needs: triangle and point primitives, COLOR_0 / base colour / base-colour
texture, feature ids (_BATCHID, EXT_mesh_features, EXT_instance_features) and the property table
they index (EXT_structural_metadata), KHR_mesh_quantization (any accessor type, sparse accessors),
EXT_mesh_gpu_instancing, EXT_/KHR_meshopt_compression (loaders._gltf_meshopt); glTF 1.0 is
upgraded in memory first (loaders._gltf_legacy). Node transforms are applied, then y-up -> z-up,
then `post` (RTC centre and tile transform), all in float64. Draco primitives are decoded with
DracoPy. Materials come out as plain data (loaders.gltf_materials: base colour, texture image and
sampler, alpha mode, double-sidedness, unlit) with per-vertex UVs and normals and a per-face
material, so a visual draws textures as textures; textures are also sampled into vertex colours,
the fallback colour of whatever cannot draw a texture.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from loaders._binary import BinaryError, as_vec
from loaders._draco import DracoData, decode_draco
from loaders._gltf_reader import COMPONENT, NCOMP, NORM_DIV, _Reader, resolve_uri, split_glb  # noqa: F401 - re-exported
from loaders._gltf_images import sample_texture
from loaders.gltf_materials import MaterialSet
from loaders.tile_metadata import property_table

Y_UP_TO_Z_UP = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float64)
MAX_NODE_DEPTH = 64
MAX_INSTANCED_VERTICES = 20_000_000  # EXT_mesh_gpu_instancing expansion cap


@dataclass
class GltfGeometry:
    """Geometry of one glTF asset in the caller's frame. Per-vertex arrays share one index space."""

    positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    faces: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    colors: np.ndarray | None = None  # (V,3) uint8
    feature_ids: np.ndarray | None = None  # (V,) int64, -1 = none
    feature_count: int | None = None
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    point_colors: np.ndarray | None = None
    point_feature_ids: np.ndarray | None = None  # (P,) int64, -1 = none
    point_normals: np.ndarray | None = None  # (P,3) float64 unit vectors (pnts NORMAL)
    property_table: int | None = None  # EXT_structural_metadata table the feature ids index
    # drawing as authored (loaders.gltf_materials): per-vertex UVs and normals, per-face material
    uvs: np.ndarray | None = None  # (V,2) float32 texture coordinates of each face's material (0 where none)
    normals: np.ndarray | None = None  # (V,3) float32 unit normals; NaN rows: none authored (flat shading)
    face_material: np.ndarray | None = None  # (F,) int32 index into `materials`
    materials: list = field(default_factory=list)  # loaders.gltf_materials.Material
    properties: dict[str, list] = field(default_factory=dict)  # per-feature values from that table
    warnings: list[str] = field(default_factory=list)


def _node_matrix(node: dict) -> np.ndarray:
    if "matrix" in node:
        return as_vec(node["matrix"], 16, "node matrix").reshape(4, 4).T
    m = np.eye(4)
    if "scale" in node:
        m = np.diag([*as_vec(node["scale"], 3, "node scale"), 1.0])
    if "rotation" in node:
        x, y, z, w = as_vec(node["rotation"], 4, "node rotation")
        r = np.eye(4)
        r[:3, :3] = [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
        m = r @ m
    if "translation" in node:
        t = np.eye(4)
        t[:3, 3] = as_vec(node["translation"], 3, "node translation")
        m = t @ m
    return m


def _mesh_instances(doc: dict) -> list[tuple[int, np.ndarray, dict]]:
    """(mesh index, world matrix, node) for every node of the default scene (or all root nodes)."""
    nodes = doc.get("nodes") if isinstance(doc.get("nodes"), list) else []
    scenes = doc.get("scenes") if isinstance(doc.get("scenes"), list) else []
    roots: list = []
    if scenes:
        s = doc.get("scene", 0)
        scene = scenes[s] if isinstance(s, int) and 0 <= s < len(scenes) and isinstance(scenes[s], dict) else scenes[0]
        roots = scene.get("nodes", []) if isinstance(scene, dict) else []
    else:
        children = {c for n in nodes if isinstance(n, dict) for c in n.get("children", []) if isinstance(c, int)}
        roots = [i for i in range(len(nodes)) if i not in children]
    if not nodes and isinstance(doc.get("meshes"), list):  # lenient: meshes without nodes
        return [(i, np.eye(4), {}) for i in range(len(doc["meshes"]))]
    out: list[tuple[int, np.ndarray, dict]] = []
    stack = [(r, np.eye(4), 0) for r in roots if isinstance(r, int)]
    visits = 0
    while stack and visits < 100_000:
        idx, parent, depth = stack.pop()
        visits += 1
        if not (0 <= idx < len(nodes)) or not isinstance(nodes[idx], dict) or depth > MAX_NODE_DEPTH:
            continue
        node = nodes[idx]
        world = parent @ _node_matrix(node)
        if isinstance(node.get("mesh"), int):
            out.append((node["mesh"], world, node))
        stack.extend((c, world, depth + 1) for c in node.get("children", []) if isinstance(c, int))
    return out


def _triangles(mode: int, idx: np.ndarray) -> np.ndarray:
    n = len(idx)
    if mode == 4:
        return idx[: n - n % 3].reshape(-1, 3)
    if n < 3:
        return np.zeros((0, 3), dtype=np.int64)
    i = np.arange(n - 2)
    if mode == 5:  # strip: flip every other triangle to keep the winding
        odd = (i % 2).astype(bool)
        a, b = np.where(odd, idx[i + 1], idx[i]), np.where(odd, idx[i], idx[i + 1])
        return np.stack([a, b, idx[i + 2]], 1)
    return np.stack([np.full(n - 2, idx[0]), idx[i + 1], idx[i + 2]], 1)  # fan


def _to_u8(colors: np.ndarray) -> np.ndarray:
    return (np.clip(colors[:, :3], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


class _Primitive:
    """Attribute access for one primitive: plain accessors, or Draco-decoded attributes."""

    def __init__(self, reader: _Reader, prim: dict) -> None:
        self.reader, self.attrs = reader, prim["attributes"]
        pext = prim.get("extensions") if isinstance(prim.get("extensions"), dict) else {}
        self.draco: DracoData | None = None
        self.draco_ids: dict = {}
        dr = pext.get("KHR_draco_mesh_compression")
        if isinstance(dr, dict):
            bv = reader.buffer_view(dr.get("bufferView"))
            self.draco = decode_draco(bv)
            self.draco_ids = dr.get("attributes") if isinstance(dr.get("attributes"), dict) else {}

    def get(self, name: str) -> np.ndarray | None:
        if name not in self.attrs:
            return None
        if self.draco is not None and isinstance(self.draco_ids.get(name), int):
            if name == "POSITION":
                return self.draco.points
            raw = self.draco.attributes.get(self.draco_ids[name])
            if raw is None:
                raise BinaryError(f"Draco attribute {name} is missing")
            acc = self.reader._item("accessors", self.attrs[name])
            out = raw.astype(np.float64)
            if acc.get("normalized") and acc.get("componentType") in NORM_DIV and raw.dtype.kind in "iu":
                out = np.maximum(out / NORM_DIV[acc["componentType"]], -1.0)
            return out
        return self.reader.accessor(self.attrs[name])

    def indices(self, prim: dict, n: int) -> np.ndarray:
        if self.draco is not None and self.draco.faces is not None:
            return self.draco.faces.reshape(-1)
        if "indices" in prim:
            return self.reader.accessor(prim["indices"])[:, 0].astype(np.int64)
        return np.arange(n, dtype=np.int64)


def _material_color(reader: _Reader, prim: dict, materials: list, p: _Primitive, n: int) -> np.ndarray | None:
    """Per-vertex colour: COLOR_0, else the base-colour texture sampled at TEXCOORD_n, else the factor."""
    c = p.get("COLOR_0")
    if c is not None and len(c) == n and c.shape[1] >= 3:
        return _to_u8(c if c.max(initial=0) <= 1.0 else c / 255.0)
    if not (isinstance(prim.get("material"), int) and 0 <= prim["material"] < len(materials) and isinstance(materials[prim["material"]], dict)):
        return None
    pbr = materials[prim["material"]].get("pbrMetallicRoughness")
    pbr = pbr if isinstance(pbr, dict) else {}
    factor = as_vec(pbr["baseColorFactor"], 4, "baseColorFactor") if "baseColorFactor" in pbr else np.ones(4)
    tex = pbr.get("baseColorTexture")
    if isinstance(tex, dict):
        uv = p.get(f"TEXCOORD_{tex.get('texCoord', 0)}") if isinstance(tex.get("texCoord", 0), int) else None
        if uv is not None and len(uv) == n:
            rgb = sample_texture(reader, tex.get("index"), uv)
            if rgb is not None:
                return _to_u8(rgb * factor[None, :3])
    if "baseColorFactor" in pbr:
        return np.tile(_to_u8(factor[None, :]), (n, 1))
    return None


def _uv_normal(p: _Primitive, material, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The texture coordinates a textured material reads, and NORMAL, when present and sized right."""
    uv = None
    if material.texture is not None:
        raw = p.get(f"TEXCOORD_{material.tex_coord}")
        if raw is not None and len(raw) == n and raw.shape[1] >= 2 and np.all(np.isfinite(raw[:, :2])):
            uv = raw[:, :2].astype(np.float32)
    normal = p.get("NORMAL")
    if normal is None or len(normal) != n or normal.shape[1] != 3:
        normal = None
    return uv, normal


def _transform_normals(normal: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Normals follow the inverse transpose of the placement's linear part; renormalised."""
    try:
        lin = np.linalg.inv(m[:3, :3]).T
    except np.linalg.LinAlgError:
        return np.full((len(normal), 3), np.nan, np.float32)
    out = normal @ lin.T
    length = np.linalg.norm(out, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(length > 1e-12, out / length, np.nan)
    return out.astype(np.float32)


def _feature_ids(p: _Primitive, prim: dict, n: int, out: GltfGeometry) -> np.ndarray | None:
    """_BATCHID (1.0 glTF-in-b3dm) or the first EXT_mesh_features attribute feature id set."""
    pext = prim.get("extensions") if isinstance(prim.get("extensions"), dict) else {}
    mf = pext.get("EXT_mesh_features") if isinstance(pext.get("EXT_mesh_features"), dict) else None
    key = "_BATCHID" if "_BATCHID" in p.attrs else ("BATCHID" if "BATCHID" in p.attrs else None)
    if mf and isinstance(mf.get("featureIds"), list):
        for fdef in mf["featureIds"]:
            if isinstance(fdef, dict) and isinstance(fdef.get("attribute"), int) and f"_FEATURE_ID_{fdef['attribute']}" in p.attrs:
                key = f"_FEATURE_ID_{fdef['attribute']}"
                if isinstance(fdef.get("featureCount"), int) and fdef["featureCount"] >= 0:
                    out.feature_count = max(out.feature_count or 0, fdef["featureCount"])
                if isinstance(fdef.get("propertyTable"), int):
                    out.property_table = fdef["propertyTable"]
                break
    if key is None:
        return None
    f = p.get(key)
    if f is None or len(f) != n:
        return None
    f = f[:, 0]
    return np.where(np.isfinite(f) & (f >= 0) & (f < 2**31), f, -1).astype(np.int64)


def parse_gltf(doc: dict, bin_chunk=None, *, base_dir: str | None = None, root_dir: str | None = None, y_up: bool = True, post: np.ndarray | None = None) -> GltfGeometry:
    """Geometry of a parsed glTF document; see module docstring for the transform order."""
    out = GltfGeometry()
    version = str((doc.get("asset") or {}).get("version", "2.0")) if isinstance(doc.get("asset"), dict) else "2.0"
    quantized: dict = {}
    if version.startswith("1") or (not isinstance(doc.get("asset"), dict) and isinstance(doc.get("meshes"), dict)):
        from loaders._gltf_legacy import upgrade

        doc, quantized = upgrade(doc)
    elif not version.startswith("2"):
        raise BinaryError(f"glTF version {version} is not supported (only glTF 1.0 and 2.0)")
    reader = _Reader(doc, bin_chunk, base_dir, root_dir)
    reader.quantized = quantized
    frame = np.eye(4) if post is None else np.asarray(post, dtype=np.float64)
    ext = doc.get("extensions") if isinstance(doc.get("extensions"), dict) else {}
    if isinstance(ext.get("CESIUM_RTC"), dict) and "center" in ext["CESIUM_RTC"]:
        rtc = np.eye(4)
        rtc[:3, 3] = as_vec(ext["CESIUM_RTC"]["center"], 3, "CESIUM_RTC center")
        frame = frame @ rtc
    if y_up:
        frame = frame @ Y_UP_TO_Z_UP
    meshes = doc.get("meshes") if isinstance(doc.get("meshes"), list) else []
    materials = doc.get("materials") if isinstance(doc.get("materials"), list) else []
    pos_l, face_l, col_l, fid_l, pts_l, pcol_l, pfid_l = [], [], [], [], [], [], []
    uv_l, nrm_l, fmat_l = [], [], []
    mats = MaterialSet()
    n_v = 0
    any_color = any_fid = any_pcol = any_pfid = False
    for mesh_index, world, node in _mesh_instances(doc):
        mesh = meshes[mesh_index] if 0 <= mesh_index < len(meshes) and isinstance(meshes[mesh_index], dict) else None
        prims = mesh.get("primitives", []) if mesh else []
        m = frame @ world
        inst_mats, inst_fid = np.eye(4)[None], None
        if isinstance(node.get("extensions"), dict) and "EXT_mesh_gpu_instancing" in node["extensions"]:
            from loaders.i3dm import gpu_instances

            try:
                inst_mats, inst_fid = gpu_instances(reader, node, out)
            except BinaryError as exc:
                out.warnings.append(f"instanced node skipped: {exc}")
                continue
        for prim in prims if isinstance(prims, list) else []:
            if not isinstance(prim, dict) or not isinstance(prim.get("attributes"), dict):
                continue
            mode = prim.get("mode", 4)
            if mode not in (0, 4, 5, 6):
                continue  # lines are not drawn
            try:
                p = _Primitive(reader, prim)
                local = p.get("POSITION")
                if local is None or local.shape[1] != 3:
                    raise BinaryError("primitive has no VEC3 POSITION")
                color = _material_color(reader, prim, materials, p, len(local))
                fid = _feature_ids(p, prim, len(local), out)
                tri = None
                if mode != 0:
                    idx = p.indices(prim, len(local))
                    if len(idx) and (idx.min() < 0 or idx.max() >= len(local)):
                        raise BinaryError("primitive indices point past its vertices")
                    tri = _triangles(mode, idx)
                    mat = mats.index_for(reader, prim.get("material"))
                    uv, normal = _uv_normal(p, mats.materials[mat], len(local))
            except BinaryError as exc:
                out.warnings.append(f"primitive skipped: {exc}")
                continue
            keep = min(len(inst_mats), max(1, MAX_INSTANCED_VERTICES // max(1, len(local))))
            if keep < len(inst_mats):
                out.warnings.append(f"{len(inst_mats)} instances exceed the vertex cap; only {keep} are expanded")
            for k in range(keep):
                mk = m @ inst_mats[k]
                pos = local @ mk[:3, :3].T + mk[:3, 3]
                fk = np.full(len(pos), inst_fid[k], np.int64) if inst_fid is not None else fid
                if tri is None:
                    pts_l.append(pos)
                    pcol_l.append(color)
                    pfid_l.append(fk if fk is not None else np.full(len(pos), -1, np.int64))
                    any_pcol |= color is not None
                    any_pfid |= fk is not None
                    continue
                pos_l.append(pos)
                face_l.append(tri + n_v)
                uv_l.append(uv)
                nrm_l.append(_transform_normals(normal, mk) if normal is not None else None)
                fmat_l.append(np.full(len(tri), mat, np.int32))
                col_l.append(color)
                fid_l.append(fk if fk is not None else np.full(len(pos), -1, np.int64))
                any_color |= color is not None
                any_fid |= fk is not None
                n_v += len(pos)
    if pos_l:
        out.positions = np.concatenate(pos_l)
        out.faces = np.concatenate(face_l)
        if any_color:
            out.colors = np.concatenate([c if c is not None else np.full((len(p), 3), 200, np.uint8) for c, p in zip(col_l, pos_l)])
        if any_fid:
            out.feature_ids = np.concatenate(fid_l)
        out.face_material = np.concatenate(fmat_l)
        out.materials = mats.materials
        if any(u is not None for u in uv_l):
            out.uvs = np.concatenate([u if u is not None else np.zeros((len(q), 2), np.float32) for u, q in zip(uv_l, pos_l)])
        if any(nm is not None for nm in nrm_l):
            out.normals = np.concatenate([nm if nm is not None else np.full((len(q), 3), np.nan, np.float32) for nm, q in zip(nrm_l, pos_l)])
    if pts_l:
        out.points = np.concatenate(pts_l)
        if any_pcol:
            out.point_colors = np.concatenate([c if c is not None else np.full((len(p), 3), 200, np.uint8) for c, p in zip(pcol_l, pts_l)])
        if any_pfid:
            out.point_feature_ids = np.concatenate(pfid_l)
    if out.property_table is not None or isinstance(ext.get("EXT_structural_metadata"), dict):
        out.properties = property_table(reader, ext.get("EXT_structural_metadata"), out.property_table or 0, out.warnings)
    out.warnings += reader.warnings
    return out


def parse_glb(data: bytes, **kwargs) -> GltfGeometry:
    """GLB bytes -> geometry (kwargs as parse_gltf)."""
    doc, bin_chunk = split_glb(data)
    return parse_gltf(doc, bin_chunk, **kwargs)
