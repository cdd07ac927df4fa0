"""Streaming over http(s) from a local http.server (query string kept, gzip), and confinement:
a tileset can never reach outside its folder or to another host."""
from __future__ import annotations

import gzip
import json
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import pyvista as pv

from app.model import Scene
from app.model.opening import build_layers
from loaders.base import LoadError
from loaders.tile_tree import open_tile_tree
from tests.viewers.test_tiles_streaming import _look_at
from tests.viewers.tiles_fixtures import write_quadtree
from viewers.canvas import Canvas


class _Handler(SimpleHTTPRequestHandler):
    """Serves the folder; demands ?key=secret (as token-protected servers do); .b3dm gzip-encoded."""

    requests: list[str] = []
    delay_s = 0.0

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        type(self).requests.append(self.path)
        parts = urlsplit(self.path)
        if parts.query != "key=secret":
            self.send_error(403, "token missing")
            return
        local = Path(self.translate_path(parts.path))
        if not local.is_file():
            self.send_error(404)
            return
        data = local.read_bytes()
        if local.suffix == ".b3dm" and self.delay_s:
            time.sleep(self.delay_s)  # a slow server: requests pile up behind the workers
        self.send_response(200)
        if local.suffix == ".b3dm":
            data = gzip.compress(data)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    write_quadtree(root / "city", 3)
    (root / "secret.b3dm").write_bytes(b"b3dm-not-for-you")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.requests = []
    _Handler.delay_s = 0.0
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_remote_tileset_streams_with_query_string_and_gzip(server) -> None:
    base, _ = server
    scene = Scene()
    [layer] = build_layers(scene, f"{base}/city/tileset.json?key=secret", stream_tiles=True)
    assert layer.streamed and not layer.data["preloaded"]  # no tile fetched before the view asks
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        _look_at(canvas, np.zeros(3), (0.0, -1.0, 600.0))
        stats = canvas.stats()
        visual = canvas.visuals[id(layer)]
        assert stats["tiles_failed"] == 0 and {visual.tree.nodes[i].depth for i in visual.shown} == {2}
        assert stats["tiles_loaded"] >= 4 and stats["tiles_culled"] > 0 and stats["triangles_drawn"] > 0
        b3dm = [r for r in _Handler.requests if ".b3dm" in r]
        assert b3dm and all(r.endswith("?key=secret") for r in b3dm)
    finally:
        canvas.close()
        plotter.close()


def test_remote_traversal_and_other_hosts_are_refused(server) -> None:
    base, _ = server
    tree = open_tile_tree(f"{base}/city/tileset.json?key=secret")
    root_base = f"{base}/city/"
    with pytest.raises(LoadError, match="path traversal"):
        tree.resolve("../secret.b3dm", root_base)
    with pytest.raises(LoadError, match="path traversal"):
        tree.resolve("%2e%2e/secret.b3dm", root_base)
    with pytest.raises(LoadError, match="another host"):
        tree.resolve("http://example.org/x.b3dm", root_base)
    assert tree.resolve("t1_0_0.b3dm", root_base) == f"{base}/city/t1_0_0.b3dm?key=secret"


def test_local_traversal_is_refused_with_a_clear_warning(tmp_path) -> None:
    path = write_quadtree(tmp_path / "set", 2)
    (tmp_path / "outside.b3dm").write_bytes(b"b3dm")
    doc = json.loads(path.read_text())
    doc["root"]["children"][0]["content"]["uri"] = "../outside.b3dm"
    doc["root"]["children"][1]["content"]["uri"] = "http://example.org/x.b3dm"
    path.write_text(json.dumps(doc))
    tree = open_tile_tree(str(path))
    assert any("../outside.b3dm" in w and "path traversal" in w for w in tree.warnings)
    assert any("example.org" in w and "refused" in w for w in tree.warnings)
    assert tree.nodes[1].contents == [] and tree.nodes[2].contents == []  # the tiles stay, empty
    with pytest.raises(LoadError, match="path traversal"):
        tree.resolve("sub/../../outside.b3dm", str(path.parent))


def test_external_tileset_expands_lazily_and_gzip_files_load(tmp_path) -> None:
    outer = tmp_path / "outer"
    write_quadtree(outer / "inner", 2)
    doc = {"asset": {"version": "1.0"}, "geometricError": 500, "root": {
        "boundingVolume": {"box": [0, 0, 10, 500, 0, 0, 0, 500, 0, 0, 0, 10]}, "geometricError": 200,
        "refine": "REPLACE", "content": {"uri": "inner/tileset.json"}}}
    (outer / "tileset.json").write_text(json.dumps(doc))
    leaf = outer / "inner" / "t1_0_0.b3dm"
    leaf.write_bytes(gzip.compress(leaf.read_bytes()))  # some exports store tiles gzipped
    tree = open_tile_tree(str(outer))
    assert len(tree.nodes) == 1 and tree.nodes[0].children is None and tree.nodes[0].contents == []
    kids = tree.expand(0)
    assert len(kids) == 1 and len(tree.nodes) == 6 and tree.nodes[kids[0]].depth == 1
    index = next(i for i, n in enumerate(tree.nodes) if n.contents and n.contents[0].endswith("t1_0_0.b3dm"))
    [content] = tree.load_content(index)
    assert len(content.geometry.faces) == 24 and content.properties["use"] == ["residential", "office"]


def test_requests_for_tiles_that_left_the_view_are_cancelled(server) -> None:
    base, _ = server
    _Handler.delay_s = 0.15
    scene = Scene()
    [layer] = build_layers(scene, f"{base}/city/tileset.json?key=secret", stream_tiles=True)
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        from app.model.scene import Camera

        corner = np.array([-400.0, -400.0, 0.0])
        canvas.set_camera(Camera(tuple(corner + (0.0, -1.0, 150.0)), tuple(corner), (0.0, 0.0, 1.0)))
        visual = canvas.visuals[id(layer)]
        queued = set(visual.futures)
        assert len(queued) > 2  # more than the two workers can take at once
        _look_at(canvas, -corner, (0.0, -1.0, 150.0))  # turn to the opposite corner
        assert canvas.stats()["tiles_cancelled"] > 0
        fetched = {r.split("?")[0].rsplit("/", 1)[-1] for r in _Handler.requests}
        never = [i for i in queued if visual.tree.nodes[i].contents[0].split("?")[0].rsplit("/", 1)[-1] not in fetched]
        assert never  # cancelled before a worker took them: never downloaded
        assert all(np.linalg.norm(visual.tree.nodes[i].center[:2] - (-corner[:2])) < 400 for i in visual.shown)
    finally:
        canvas.close()
        plotter.close()
