"""glTF 1.0 (tilesets exported before 2018) upgraded in memory to the glTF 2.0 this package reads,
as CesiumJS does when it meets one inside a b3dm or i3dm.

- KHR_binary_glTF: the version-1 GLB container (JSON, then the body buffer "binary_glTF"); images
  may sit in bufferViews through the extension.
- Objects keyed by id become arrays; `byteStride` moves from accessors to (per-accessor) views; a
  node's `meshes` list becomes the node's mesh plus child nodes for the others.
- WEB3D_quantized_attributes: integer accessors with a decodeMatrix, decoded to float here
  (returned as accessor overrides, applied by the reader).
- Materials: KHR_materials_common (CONSTANT = unlit; diffuse colour or texture; doubleSided;
  transparent) and technique materials (`diffuse` / `u_diffuse` values; a technique without a
  NORMAL parameter cannot be lit, so it is drawn unlit) become metallic-roughness materials.
- CESIUM_RTC stays where the reader already honours it; y-up is the caller's, as for 2.0.
"""
from __future__ import annotations

import struct
from typing import Any

import numpy as np

from loaders._binary import BinaryError, parse_json

KEYED = ("buffers", "bufferViews", "accessors", "meshes", "nodes", "materials", "textures", "images", "samplers", "scenes", "techniques")


def split_glb_v1(data: bytes) -> tuple[dict, memoryview | None]:
    """Version-1 binary glTF (KHR_binary_glTF) -> (JSON document, body)."""
    if len(data) < 20:
        raise BinaryError("glTF 1.0 binary header is truncated")
    _magic, _version, length, content_length, content_format = struct.unpack_from("<4sIIII", data)
    if length > len(data) or 20 + content_length > length:
        raise BinaryError(f"glTF 1.0 header declares {length} bytes but only {len(data)} are present")
    if content_format != 0:
        raise BinaryError("glTF 1.0 binary content is not JSON")
    doc = parse_json(memoryview(data)[20:20 + content_length], "glTF 1.0 JSON")
    return doc, memoryview(data)[20 + content_length:length]


def _ids(doc: dict, key: str) -> tuple[list[dict], dict[str, int]]:
    items = doc.get(key)
    if isinstance(items, list):  # some writers already used arrays
        return [i if isinstance(i, dict) else {} for i in items], {str(i): i for i in range(len(items))}
    if not isinstance(items, dict):
        return [], {}
    names = list(items)
    return [items[n] if isinstance(items[n], dict) else {} for n in names], {str(n): i for i, n in enumerate(names)}


def upgrade(doc: dict) -> tuple[dict, dict[int, tuple[int, np.ndarray]]]:
    """A glTF 1.0 document -> (2.0 document, quantized accessors: index -> (element size, decodeMatrix))."""
    items: dict[str, list[dict]] = {}
    index: dict[str, dict[str, int]] = {}
    for key in KEYED:
        items[key], index[key] = _ids(doc, key)

    def ref(key: str, value: Any) -> int | None:
        return index[key].get(str(value)) if value is not None else None

    out: dict[str, Any] = {"asset": {"version": "2.0", "generator": "glTF 1.0 upgraded by Twinscape"}}
    out["buffers"] = [({} if name == "binary_glTF" or not isinstance(b.get("uri"), str) or b.get("uri", "").startswith("data:,")
                       else {"uri": b["uri"]}) | {"byteLength": b.get("byteLength", 0)}
                      for name, b in zip(index["buffers"], items["buffers"])]
    views = [{"buffer": ref("buffers", v.get("buffer")), "byteOffset": v.get("byteOffset", 0),
              "byteLength": v.get("byteLength", 0)} for v in items["bufferViews"]]
    accessors, quantized = [], {}
    for i, a in enumerate(items["accessors"]):
        view = ref("bufferViews", a.get("bufferView"))
        acc = {k: a[k] for k in ("byteOffset", "componentType", "count", "type", "min", "max", "normalized") if k in a}
        if view is not None:
            stride = a.get("byteStride", 0)
            if isinstance(stride, int) and stride > 0:  # 2.0 keeps the stride on the view: one view each
                views.append(dict(views[view], byteStride=stride))
                view = len(views) - 1
            acc["bufferView"] = view
        q = (a.get("extensions") or {}).get("WEB3D_quantized_attributes") if isinstance(a.get("extensions"), dict) else None
        if isinstance(q, dict) and isinstance(q.get("decodeMatrix"), list):
            n = int(np.sqrt(len(q["decodeMatrix"])))
            if n * n == len(q["decodeMatrix"]) and n >= 2:
                quantized[i] = (n - 1, np.asarray(q["decodeMatrix"], np.float64).reshape(n, n).T)
        accessors.append(acc)
    out["bufferViews"], out["accessors"] = views, accessors
    out["meshes"] = [{"primitives": [_primitive(p, ref) for p in m.get("primitives", []) if isinstance(p, dict)]}
                     for m in items["meshes"]]
    out["nodes"] = _nodes(items["nodes"], ref)
    scenes = [{"nodes": [n for n in (ref("nodes", x) for x in s.get("nodes", [])) if n is not None]} for s in items["scenes"]]
    if scenes:
        out["scenes"], out["scene"] = scenes, ref("scenes", doc.get("scene")) or 0
    out["samplers"] = [{k: s[k] for k in ("magFilter", "minFilter", "wrapS", "wrapT") if k in s} for s in items["samplers"]]
    out["images"] = [_image(im, ref) for im in items["images"]]
    out["textures"] = [{"source": ref("images", t.get("source")), "sampler": ref("samplers", t.get("sampler"))} for t in items["textures"]]
    out["materials"] = [_material(m, ref, items["techniques"]) for m in items["materials"]]
    if isinstance(doc.get("extensions"), dict) and "CESIUM_RTC" in doc["extensions"]:
        out["extensions"] = {"CESIUM_RTC": doc["extensions"]["CESIUM_RTC"]}
    return out, quantized


def _primitive(p: dict, ref) -> dict:
    attrs = {name: ref("accessors", acc) for name, acc in (p.get("attributes") or {}).items()}
    out = {"attributes": {k: v for k, v in attrs.items() if v is not None}, "mode": p.get("mode", 4)}
    if ref("accessors", p.get("indices")) is not None:
        out["indices"] = ref("accessors", p["indices"])
    if ref("materials", p.get("material")) is not None:
        out["material"] = ref("materials", p["material"])
    return out


def _nodes(nodes: list[dict], ref) -> list[dict]:
    out = []
    extra: list[dict] = []
    for n in nodes:
        node = {k: n[k] for k in ("matrix", "translation", "rotation", "scale") if k in n}
        node["children"] = [c for c in (ref("nodes", x) for x in n.get("children", [])) if c is not None]
        meshes = [m for m in (ref("meshes", x) for x in n.get("meshes", [])) if m is not None]
        if isinstance(n.get("mesh"), (str, int)) and ref("meshes", n["mesh"]) is not None:
            meshes.insert(0, ref("meshes", n["mesh"]))
        if meshes:
            node["mesh"] = meshes[0]
        for m in meshes[1:]:  # 1.0 allowed several meshes per node: one child node each
            node["children"].append(len(nodes) + len(extra))
            extra.append({"mesh": m})
        out.append(node)
    return out + extra


def _image(im: dict, ref) -> dict:
    ext = im.get("extensions") if isinstance(im.get("extensions"), dict) else {}
    binary = ext.get("KHR_binary_glTF")
    if isinstance(binary, dict) and ref("bufferViews", binary.get("bufferView")) is not None:
        return {"bufferView": ref("bufferViews", binary["bufferView"]), "mimeType": binary.get("mimeType", "image/png")}
    return {"uri": im["uri"]} if isinstance(im.get("uri"), str) else {}


def _material(m: dict, ref, techniques: list[dict]) -> dict:
    ext = m.get("extensions") if isinstance(m.get("extensions"), dict) else {}
    common = ext.get("KHR_materials_common") if isinstance(ext.get("KHR_materials_common"), dict) else None
    values = (common or m).get("values") if isinstance((common or m).get("values"), dict) else {}
    diffuse = next((values[k] for k in ("diffuse", "u_diffuse", "DIFFUSE") if k in values), None)
    if diffuse is None:
        diffuse = next((v for k, v in values.items() if "diffuse" in k.lower()), None)
    pbr: dict = {"metallicFactor": 0.0, "roughnessFactor": 1.0}
    tex = None
    if isinstance(diffuse, str):
        tex = ref("textures", diffuse)
    elif isinstance(diffuse, dict) and "index" in diffuse:
        tex = ref("textures", diffuse["index"])
    if tex is not None:
        pbr["baseColorTexture"] = {"index": tex}
    elif isinstance(diffuse, list) and len(diffuse) >= 3 and all(isinstance(v, (int, float)) for v in diffuse[:4]):
        pbr["baseColorFactor"] = [float(v) for v in (list(diffuse[:4]) + [1.0])[:4]]
    out: dict = {"pbrMetallicRoughness": pbr}
    if common is not None:
        unlit = str(common.get("technique", "")).upper() == "CONSTANT"
        out["doubleSided"] = common.get("doubleSided") is True
        if common.get("transparent") is True:
            out["alphaMode"] = "BLEND"
    else:
        tech = ref("techniques", m.get("technique"))
        params = techniques[tech].get("parameters", {}) if tech is not None and isinstance(techniques[tech].get("parameters"), dict) else {}
        unlit = bool(params) and not any(isinstance(p, dict) and p.get("semantic") == "NORMAL" for p in params.values())
        states = techniques[tech].get("states", {}) if tech is not None and isinstance(techniques[tech].get("states"), dict) else {}
        enabled = states.get("enable", []) if isinstance(states.get("enable"), list) else []
        out["doubleSided"] = 2884 not in enabled  # CULL_FACE not enabled: both sides drawn
        if 3042 in enabled:  # BLEND
            out["alphaMode"] = "BLEND"
    if unlit:
        out["extensions"] = {"KHR_materials_unlit": {}}
    return out


def decode_quantized(values: np.ndarray, size: int, matrix: np.ndarray) -> np.ndarray:
    """Raw integer accessor values (count, size) -> floats through the (size+1)^2 decode matrix."""
    v = values[:, :size]
    return v @ matrix[:size, :size].T + matrix[:size, size]
