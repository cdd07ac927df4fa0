"""Standalone meshes through trimesh: OBJ+MTL, PLY (mesh and point cloud), STL, glTF, sidecar georeference."""
from __future__ import annotations

import base64
import json
import struct

import numpy as np
import pytest

import loaders
from loaders import LoadError, MeshData, PointCloudData
from loaders.gltf import split_glb
from loaders.mesh import read_mesh
from tests.loaders.builders import box, make_glb

OBJ = """mtllib m.mtl
o first
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
usemtl Red
f 1 2 3
f 1 3 4
o second
v 0 0 1
v 1 0 1
v 1 1 1
usemtl Blue
f 5 6 7
"""
MTL = "newmtl Red\nKd 1 0 0\nnewmtl Blue\nKd 0 0 1\n"


def _obj(tmp_path):
    (tmp_path / "m.mtl").write_text(MTL)
    path = tmp_path / "m.obj"
    path.write_text(OBJ)
    return path


def _ply(tmp_path, *, faces: bool, n_declared: int | None = None):
    v, f = box(2.0)
    rgb = (np.arange(len(v) * 3).reshape(-1, 3) * 9 % 256).astype(np.uint8)
    head = ["ply", "format ascii 1.0", f"element vertex {n_declared or len(v)}", "property float x", "property float y", "property float z",
            "property uchar red", "property uchar green", "property uchar blue"]
    if faces:
        head += [f"element face {len(f)}", "property list uchar int vertex_indices"]
    lines = head + ["end_header"] + [f"{x} {y} {z} {r} {g} {b}" for (x, y, z), (r, g, b) in zip(v, rgb)]
    if faces:
        lines += [f"3 {a} {b} {c}" for a, b, c in f]
    path = tmp_path / ("mesh.ply" if faces else "points.ply")
    path.write_text("\n".join(lines) + "\n")
    return path, v, rgb


def _stl(path, n_tri: int = 12, declared: int | None = None):
    v, f = box(1.0)
    body = b"".join(struct.pack("<12fH", 0, 0, 0, *v[a], *v[b], *v[c], 0) for a, b, c in f[:n_tri])
    path.write_bytes(b"\0" * 80 + struct.pack("<I", declared if declared is not None else n_tri) + body)
    return path


def _gltf(tmp_path, positions, *, node=None, name="m.gltf"):
    doc, binary = split_glb(make_glb(np.asarray(positions, np.float32), np.array([0, 1, 2]), node=node))
    doc["buffers"] = [{"byteLength": len(binary), "uri": "data:application/octet-stream;base64," + base64.b64encode(bytes(binary)).decode()}]
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_obj_with_mtl_colours(tmp_path) -> None:
    [layer] = loaders.load(_obj(tmp_path))
    assert isinstance(layer, MeshData) and layer.kind == "mesh" and layer.format == "OBJ"
    assert layer.metadata["loader"] == "Mesh"
    assert layer.faces.shape == (3, 3) and layer.faces.dtype == np.int64 and layer.vertices.dtype == np.float64
    assert len(layer.elements) == 2 and layer.face_element.shape == (3,)
    assert layer.vertex_colors is not None and len(layer.vertex_colors) == len(layer.vertices)
    for e, element in enumerate(layer.elements):  # every face of an element has its material's colour
        rgb = layer.vertex_colors[layer.faces[layer.face_element == e].ravel(), :3]
        expected = (255, 0, 0) if element.material == "Red" or element.name == "Red" else (0, 0, 255)
        assert (rgb == expected).all()
    assert layer.georef.kind == "none" and "m.obj.georef.json" in layer.warnings[-1]


def test_obj_texture_sampled_to_vertex_colours(tmp_path) -> None:
    from PIL import Image

    Image.new("RGB", (4, 4), (10, 200, 30)).save(tmp_path / "tex.png")
    (tmp_path / "t.mtl").write_text("newmtl T\nKd 1 1 1\nmap_Kd tex.png\n")
    (tmp_path / "t.obj").write_text("mtllib t.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl T\nf 1/1 2/2 3/3\n")
    [layer] = read_mesh(str(tmp_path / "t.obj"))
    assert np.abs(layer.vertex_colors[:, :3].astype(int) - [10, 200, 30]).max() <= 2


def test_ply_vertex_colours(tmp_path) -> None:
    path, v, rgb = _ply(tmp_path, faces=True)
    [layer] = loaders.load(path)
    assert layer.format == "PLY" and layer.faces.shape == (12, 3)
    order = [int(np.flatnonzero((v == p).all(1))[0]) for p in layer.vertices]
    assert (layer.vertex_colors[:, :3] == rgb[order]).all()


def test_ply_without_faces_is_a_point_cloud(tmp_path) -> None:
    path, v, rgb = _ply(tmp_path, faces=False)
    [layer] = loaders.load(path)
    assert isinstance(layer, PointCloudData) and layer.kind == "pointcloud"
    assert np.allclose(layer.positions, v) and (layer.colors == rgb).all()


def test_stl(tmp_path) -> None:
    [layer] = loaders.load(_stl(tmp_path / "b.stl"))
    assert layer.format == "STL" and layer.faces.shape == (12, 3) and layer.vertex_colors is None
    assert np.allclose(layer.local_bounds(), [[0, 0, 0], [1, 1, 1]])


def test_gltf_is_converted_to_z_up(tmp_path) -> None:
    [layer] = loaders.load(_gltf(tmp_path, [[0, 0, 0], [1, 0, 0], [0, 5, -2]]))
    assert layer.format == "glTF 2.0" and layer.faces.shape == (1, 3)
    assert any(np.allclose(p, [0, 2, 5]) for p in layer.vertices)  # (x, y, z) -> (x, -z, y)


def test_gltf_root_node_extras_georef(tmp_path) -> None:
    node = {"extras": {"georef": {"crs": "EPSG:32633", "origin": [400000, 5000000, 50]}}}
    [layer] = read_mesh(str(_gltf(tmp_path, [[0, 0, 0], [1, 0, 0], [0, 1, 0]], node=node)))
    assert layer.georef.kind == "crs" and layer.georef.crs_label() == "EPSG:32633"
    assert np.allclose(layer.georef.matrix[:3, 3], [400000, 5000000, 50])


def test_sidecar_georef_places_vertices(tmp_path) -> None:
    path = _obj(tmp_path)
    (tmp_path / "m.obj.georef.json").write_text(json.dumps({"crs": "EPSG:25832", "origin": [500000, 5400000, 100], "rotation_deg": 90, "scale": 2}))
    [layer] = loaders.load(path)
    assert layer.georef.kind == "crs" and layer.georef.crs_label() == "EPSG:25832" and not layer.warnings
    i = int(np.flatnonzero((layer.vertices == [1, 0, 0]).all(1))[0])
    placed = layer.georef.matrix @ np.r_[layer.vertices[i], 1.0]
    assert np.allclose(placed[:3], [500000, 5400002, 100])  # rotated 90 degrees about z, scaled 2, moved


def test_bad_sidecar_is_a_warning(tmp_path) -> None:
    path = _obj(tmp_path)
    (tmp_path / "m.georef.json").write_text(json.dumps({"crs": "EPSG:25832", "origin": ["x", 1, 2]}))
    [layer] = read_mesh(str(path))
    assert layer.georef.kind == "none" and any("invalid georeference" in w for w in layer.warnings)


def test_glb_stays_with_the_tile_loader(tmp_path) -> None:
    v, f = box()
    path = tmp_path / "t.glb"
    path.write_bytes(make_glb(v, f))
    [layer] = loaders.load(path)
    assert layer.metadata["loader"] == "3D Tiles tile"
    [mesh] = loaders.load(path, loader="Mesh")  # named explicitly, this loader reads it as a standalone glTF
    assert mesh.format == "glTF 2.0" and mesh.faces.shape == (12, 3)


@pytest.mark.parametrize("name", ["x.obj", "x.ply", "x.stl", "x.gltf", "x.off"])
def test_random_bytes(tmp_path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(11).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(LoadError) as info:
        loaders.load(path)
    assert not info.value.reason.startswith("Mesh:"), info.value.reason  # our own reason, not a wrapped raw exception


@pytest.mark.parametrize("name", ["x.obj", "x.ply", "x.stl", "x.gltf"])
def test_empty(tmp_path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(LoadError, match="empty"):
        read_mesh(str(tmp_path / name))


def test_truncated_binary_stl(tmp_path) -> None:
    with pytest.raises(LoadError, match="truncated"):
        loaders.load(_stl(tmp_path / "t.stl", n_tri=5, declared=1_000_000_000))


def test_ply_header_lies_about_counts(tmp_path) -> None:
    path, _, _ = _ply(tmp_path, faces=True, n_declared=2_000_000_000)
    with pytest.raises(LoadError, match="more data"):
        loaders.load(path)


def test_truncated_gltf_and_missing_buffer(tmp_path) -> None:
    path = _gltf(tmp_path, [[0, 0, 0], [1, 0, 0], [0, 1, 0]])
    path.write_text(path.read_text()[:200])
    with pytest.raises(LoadError):
        loaders.load(path)
    doc = json.loads(_gltf(tmp_path, [[0, 0, 0], [1, 0, 0], [0, 1, 0]], name="b.gltf").read_text())
    doc["buffers"][0]["uri"] = "missing.bin"
    (tmp_path / "b.gltf").write_text(json.dumps(doc))
    with pytest.raises(LoadError):
        loaders.load(tmp_path / "b.gltf")


def test_no_faces_no_points(tmp_path) -> None:
    (tmp_path / "e.obj").write_text("# nothing here\no empty\n")
    with pytest.raises(LoadError):
        loaders.load(tmp_path / "e.obj")


def test_cancel(tmp_path) -> None:
    with pytest.raises(loaders.LoadCancelled):
        read_mesh(str(_obj(tmp_path)), cancel=lambda: True)
