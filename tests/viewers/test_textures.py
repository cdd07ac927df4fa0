"""Textures drawn as textures: a rendered pixel takes its texel's colour (a 2x2 checker with sharp
texels on a quad filling the view), not a blend of colours sampled at the four vertices; texture
bytes count in the memory statistics; colour by property still works on a textured tile.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
import pyvista as pv

from app.model import Scene
from app.model.opening import build_layers
from app.model.scene import Camera
from loaders.gltf import parse_glb
from loaders.gltf_materials import KTX2_WARNING
from loaders.tile_tree import STREAMED_LOADER
from tests.viewers.texture_fixtures import CHECKER, NE, NW, SE, SW, b3dm, image_bytes, quad_tileset, textured_quad_glb
from viewers.canvas import Canvas

PROBES = {NW: (100, 75), NE: (300, 75), SW: (100, 225), SE: (300, 225)}  # (x, y) pixels of each quadrant's centre


def _open(tmp_path, content: bytes, *, stream: bool = True):
    path = quad_tileset(tmp_path / "ts", content)
    scene = Scene()
    [layer] = build_layers(scene, str(path), loader=STREAMED_LOADER if stream else None, stream_tiles=stream)
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    scene.layers.append(layer)
    lo, hi = layer.bounds()
    centre = (np.asarray(lo) + np.asarray(hi)) / 2
    canvas.set_camera(Camera(tuple(centre + [0.0, 0.0, 100.0]), tuple(centre), (0.0, 1.0, 0.0)))
    start = time.perf_counter()
    while canvas.tick(render=False) and time.perf_counter() - start < 20:
        time.sleep(0.01)
    canvas.tick(render=False)
    canvas.render()
    return scene, layer, canvas, plotter


@pytest.fixture()
def opened(request, tmp_path):
    made = []

    def make(content: bytes, **kw):
        out = _open(tmp_path, content, **kw)
        made.append(out)
        return out

    yield make
    for _scene, _layer, canvas, plotter in made:
        canvas.close()
        plotter.close()


def _pixels(plotter) -> np.ndarray:
    return np.asarray(plotter.screenshot(return_img=True))[..., :3].astype(int)


def test_loader_keeps_the_texture_uvs_and_material() -> None:
    g = parse_glb(textured_quad_glb(normals=True))
    [m] = g.materials
    assert m.unlit and m.texture is not None and m.texture.nearest and m.texture.pixels.shape == (2, 2, 3)
    assert np.array_equal(m.texture.pixels, CHECKER)
    assert g.uvs.shape == (4, 2) and np.array_equal(g.face_material, [0, 0])
    assert np.allclose(g.normals, [0, 0, 1])  # y-up NORMAL turned z-up with the positions


@pytest.mark.parametrize("stream", [True, False])
def test_a_pixel_takes_its_texels_colour(opened, stream: bool) -> None:
    _scene, _layer, canvas, plotter = opened(b3dm(textured_quad_glb()), stream=stream)
    img = _pixels(plotter)
    for colour, (x, y) in PROBES.items():
        # vertex colours would blend all four texels at each quadrant's centre (about 128, 128, 64)
        assert np.abs(img[y, x] - colour).max() <= 3, (colour, img[y, x].tolist())


def test_webp_texture_and_texture_bytes_in_the_statistics(opened) -> None:
    glb = textured_quad_glb(image=image_bytes(CHECKER, "WEBP"), mime="image/webp", texture_ext="EXT_texture_webp")
    _scene, _layer, canvas, plotter = opened(b3dm(glb))
    img = _pixels(plotter)
    assert np.abs(img[75, 300] - NE).max() <= 3
    stats = canvas.stats()
    assert stats["tiles_texture_bytes"] >= CHECKER.nbytes and stats["tiles_geometry_bytes"] > 0
    from viewers.overlays import stats_lines

    assert any("textures 0.0 MiB" in line for line in stats_lines(stats, 0.0))  # the statistics overlay says so


def test_colour_by_property_overrides_the_texture_and_back(opened) -> None:
    content = b3dm(textured_quad_glb(batch_ids=True), 2, {"height": [5.0, 50.0]})
    _scene, layer, canvas, plotter = opened(content)
    layer.color_mode = "property:height"
    canvas.render()
    styled = _pixels(plotter)[75, 100]
    assert np.abs(styled - NW).max() > 30  # drawn in the ramp's colour, not the texel's
    layer.color_mode = layer.available_color_modes()[0]
    canvas.render()
    assert np.abs(_pixels(plotter)[75, 100] - NW).max() <= 3


def test_ktx2_falls_back_to_the_material_colour_with_one_warning() -> None:
    ktx = b"\xabKTX 20\xbb\r\n\x1a\n" + b"\0" * 64
    glb = textured_quad_glb(image=ktx, mime="image/ktx2", texture_ext="KHR_texture_basisu",
                            material={"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "baseColorFactor": [0.2, 0.4, 0.6, 1]}})
    g = parse_glb(glb)
    assert g.materials[0].texture is None and g.warnings == [KTX2_WARNING]
    assert np.allclose(g.colors[0], [51, 102, 153], atol=1)


def _obj_quad(folder, size: float = 100.0):
    """An OBJ + MTL quad on the ground (z up) with the checker as its map_Kd; OBJ's v runs up."""
    from PIL import Image

    Image.fromarray(np.kron(CHECKER, np.ones((32, 32, 1), np.uint8))).save(folder / "checker.png")  # 32-texel squares
    (folder / "quad.mtl").write_text("newmtl checker\nKd 1 1 1\nmap_Kd checker.png\n")
    h = size / 2
    (folder / "quad.obj").write_text(
        "mtllib quad.mtl\nusemtl checker\n"
        f"v {-h} {h} 0\nv {h} {h} 0\nv {h} {-h} 0\nv {-h} {-h} 0\n"
        "vt 0 1\nvt 1 1\nvt 1 0\nvt 0 0\nvn 0 0 1\n"
        "f 1/1/1 4/4/1 3/3/1\nf 1/1/1 3/3/1 2/2/1\n")
    return folder / "quad.obj"


def test_obj_with_a_texture_is_drawn_textured(tmp_path) -> None:
    from loaders.mesh import read_mesh

    [data] = read_mesh(str(_obj_quad(tmp_path)))
    assert data.materials and data.materials[0].texture is not None and data.uvs is not None
    scene = Scene()
    [layer] = build_layers(scene, str(tmp_path / "quad.obj"))
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        lo, hi = layer.bounds()
        centre = (np.asarray(lo) + np.asarray(hi)) / 2
        canvas.set_camera(Camera(tuple(centre + [0.0, 0.0, 100.0]), tuple(centre), (0.0, 1.0, 0.0)))
        canvas.render()
        img = _pixels(plotter)
        order = [tuple(int(c) for c in img[y, x]) for _, (x, y) in PROBES.items()]
        # lit (OBJ has no unlit flag): each quadrant's hue, and one colour across the whole quadrant
        # (colours sampled at the corners would change from the corner to the quadrant's centre)
        assert [int(np.argmax(c)) for c in order[:3]] == [0, 1, 2] and min(order[3][:2]) > 2 * order[3][2]
        for (x, y) in PROBES.values():
            near_corner = img[y + (-40 if y < 150 else 40), x + (-50 if x < 200 else 50)]
            assert np.abs(near_corner - img[y, x]).max() <= 6
    finally:
        canvas.close()
        plotter.close()


def test_alpha_mask_cuts_out_texels_below_the_cutoff(opened) -> None:
    rgba = np.concatenate([CHECKER, np.full((2, 2, 1), 255, np.uint8)], axis=2)
    rgba[0, 0, 3] = 0  # the north-west texel is cut out: the sky shows through
    glb = textured_quad_glb(image=image_bytes(rgba), material={"alphaMode": "MASK", "alphaCutoff": 0.5, "doubleSided": True})
    _scene, _layer, canvas, plotter = opened(b3dm(glb))
    img = _pixels(plotter)
    assert np.abs(img[75, 100] - NW).max() > 60  # not red: discarded
    assert np.abs(img[75, 300] - NE).max() <= 3 and np.abs(img[225, 300] - SE).max() <= 3


def test_authored_normals_reach_the_tile_and_absent_ones_stay_flat() -> None:
    from loaders.tiles3d import parse_content
    from viewers.tiles.visual import prepare_tile

    with_normals = prepare_tile(parse_content(b3dm(textured_quad_glb(normals=True)), np.eye(4)), np.zeros(3), "a")
    without = prepare_tile(parse_content(b3dm(textured_quad_glb()), np.eye(4)), np.zeros(3), "b")
    [part] = with_normals.parts
    assert part.poly.GetPointData().GetNormals() is not None and part.textured
    assert np.allclose(part.poly.point_data["Normals"], [0, 0, 1])
    assert without.parts[0].poly.GetPointData().GetNormals() is None  # VTK shades it flat
    assert with_normals.texture_bytes == CHECKER.nbytes * 4 // 3  # the mipmap chain counts


def test_merged_tileset_with_two_textures_draws_both_through_the_atlas(tmp_path) -> None:
    import json

    folder = tmp_path / "two"
    folder.mkdir()
    flipped = CHECKER[::-1].copy()  # north-west blue, north-east yellow, south-west red, south-east green
    (folder / "a.b3dm").write_bytes(b3dm(textured_quad_glb(50.0)))
    (folder / "b.b3dm").write_bytes(b3dm(textured_quad_glb(50.0, image=image_bytes(flipped))))
    kids = [{"boundingVolume": {"box": [dx, 0, 0, 25, 0, 0, 0, 25, 0, 0, 0, 1]}, "geometricError": 0,
             "transform": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, dx, 0, 0, 1], "content": {"uri": uri}}
            for dx, uri in ((-25.0, "a.b3dm"), (25.0, "b.b3dm"))]
    root = {"boundingVolume": {"box": [0, 0, 0, 50, 0, 0, 0, 25, 0, 0, 0, 1]}, "geometricError": 10, "refine": "REPLACE",
            "children": kids}
    (folder / "tileset.json").write_text(json.dumps({"asset": {"version": "1.0"}, "geometricError": 20, "root": root}))
    scene = Scene()
    [layer] = build_layers(scene, str(folder / "tileset.json"), stream_tiles=False)
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        lo, hi = layer.bounds()
        centre = (np.asarray(lo) + np.asarray(hi)) / 2
        d = 150.0
        canvas.set_camera(Camera(tuple(centre + [0.0, 0.0, d]), tuple(centre), (0.0, 1.0, 0.0)))
        canvas.render()
        img = _pixels(plotter)
        half_h = d * np.tan(np.radians(15.0))
        half_w = half_h * 400 / 300

        def at(x: float, y: float) -> np.ndarray:
            return img[int(round(150 - y / half_h * 150)), int(round(200 + x / half_w * 200))]

        for x0, (nw, ne, sw, se) in ((-25.0, (NW, NE, SW, SE)), (25.0, (SW, SE, NW, NE))):
            for (dx, dy), colour in zip(((-12.5, 12.5), (12.5, 12.5), (-12.5, -12.5), (12.5, -12.5)), (nw, ne, sw, se)):
                assert np.abs(at(x0 + dx, dy) - colour).max() <= 3, (x0, dx, dy, at(x0 + dx, dy).tolist())
        assert canvas.stats()["tiles_texture_bytes"] > 0
    finally:
        canvas.close()
        plotter.close()
