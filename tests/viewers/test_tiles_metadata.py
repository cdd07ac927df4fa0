"""3D Tiles 1.1 metadata, visible: picking a feature of cesium-samples 1.1/MetadataGranularities
shows the tileset, group, tile and content metadata with class and schema names and names the
tile by level and URI, merged or streamed; 1.1/TilesetWithFullMetadata (metadata only) loads."""
from __future__ import annotations

import time

import numpy as np
import pyvista as pv
import pytest

from app.model import Scene
from app.model.opening import build_layers
from loaders.tile_tree import STREAMED_LOADER
from tests.conftest import corpus_file
from viewers.canvas import Canvas

pytestmark = pytest.mark.corpus
SAMPLES = "3dtiles/cesium-samples/1.1"


def _check(props: dict) -> None:
    assert props["tileset: author"] == "Cesium" and props["schema"] == "MetadataGranularitiesSchema"
    assert "exampleTileMetadataClass" in props["tile class"] and "content: vertices" in props
    assert "group: priority" in props and props["tile"].endswith(".glb")


def test_merged_features_carry_every_granularity() -> None:
    from loaders.tiles3d import read_tileset

    [data] = read_tileset(str(corpus_file(f"{SAMPLES}/MetadataGranularities/tileset.json")))
    props = data.elements[0].properties
    _check(props)
    assert props["level"] == 1 and props["tile: district"] == "Callowhill"


def test_streamed_pick_shows_metadata_and_names_the_tile() -> None:
    path = corpus_file(f"{SAMPLES}/MetadataGranularities/tileset.json")
    scene = Scene()
    [layer] = build_layers(scene, str(path), loader=STREAMED_LOADER, stream_tiles=True)
    plotter = pv.Plotter(off_screen=True, window_size=(300, 200))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        canvas.zoom_to(view="top")
        start = time.perf_counter()
        while canvas.tick(render=False) and time.perf_counter() - start < 30:
            time.sleep(0.01)
        canvas.tick(render=False)
        visual = canvas.visuals[id(layer)]
        actor, (index, part) = next((a, ip) for a, ip in ((p.actor, (i, p)) for i in visual.shown
                                                          for p in visual.loaded[i].parts) if a is not None)
        sel = visual.describe_actor_pick(actor, 0, np.zeros(3))
        _check(sel.properties)
        assert sel.properties["tile"].startswith(f"level {visual.tree.nodes[index].depth}: ")
    finally:
        canvas.close()
        plotter.close()


def test_metadata_only_tileset_loads() -> None:
    scene = Scene()
    layers = build_layers(scene, str(corpus_file(f"{SAMPLES}/TilesetWithFullMetadata/tileset.json")), stream_tiles=True)
    assert len(layers) == 1 and layers[0].streamed


def test_a_tile_with_several_contents_is_one_layer() -> None:
    scene = Scene()
    layers = build_layers(scene, str(corpus_file(f"{SAMPLES}/MultipleContents/tileset.json")), stream_tiles=True)
    assert len(layers) == 1 and layers[0].streamed  # triangles and points of one tile: one layer


def test_streamed_tiles_colour_by_their_metadata() -> None:
    path = corpus_file(f"{SAMPLES}/MetadataGranularities/tileset.json")
    scene = Scene()
    [layer] = build_layers(scene, str(path), loader=STREAMED_LOADER, stream_tiles=True)
    plotter = pv.Plotter(off_screen=True, window_size=(300, 200))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        canvas.zoom_to(view="top")
        start = time.perf_counter()
        while canvas.tick(render=False) and time.perf_counter() - start < 30:
            time.sleep(0.01)
        assert "property:tile: population" in layer.available_color_modes()
        layer.color_mode = "property:tile: population"
        canvas.tick(render=False)
        visual = canvas.visuals[id(layer)]
        mapper = next(p.actor.GetMapper() for i in visual.shown for p in visual.loaded[i].parts if p.actor is not None)
        assert mapper.GetScalarVisibility() and mapper.GetArrayName() == "style value"
        assert visual.coloring.range is not None and visual.coloring.range[0] < visual.coloring.range[1]
    finally:
        canvas.close()
        plotter.close()
