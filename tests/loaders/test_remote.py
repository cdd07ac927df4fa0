"""Tilesets and files over HTTP from a local http.server (loopback only)."""
from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

import loaders
from loaders import LoadError
from tests.conftest import corpus_file


@pytest.fixture
def server(tmp_path: Path):
    """Serve tmp_path/www on 127.0.0.1 and record the request paths."""
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


def _copy_tree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)


def test_tileset_url_loads_like_the_local_file(server) -> None:
    root, base, requests = server
    local = corpus_file("3dtiles/cesium-samples/1.0/TilesetWithDiscreteLOD/tileset.json")
    _copy_tree(local.parent, root / "lod")
    [remote] = loaders.load(f"{base}/lod/tileset.json?token=abc")
    [direct] = loaders.load(str(local))
    assert remote.kind == "tileset" and len(remote.faces) == len(direct.faces) > 0
    assert remote.source.startswith("http://127.0.0.1")
    assert any("token=abc" in r for r in requests if r.endswith("abc") and ".b3dm" in r)  # query kept on children


def test_url_refuses_paths_outside_the_tileset_folder(server) -> None:
    root, base, _ = server
    (root / "secret.b3dm").write_bytes(b"b3dm")
    (root / "ts").mkdir()
    doc = {"asset": {"version": "1.0"}, "geometricError": 10,
           "root": {"boundingVolume": {"sphere": [0, 0, 0, 1]}, "geometricError": 0,
                    "content": {"uri": "../secret.b3dm"}}}
    (root / "ts" / "tileset.json").write_text(json.dumps(doc))
    with pytest.raises(LoadError) as err:
        loaders.load(f"{base}/ts/tileset.json")
    assert "tileset" in err.value.path


def test_missing_url_is_a_clean_error(server) -> None:
    _, base, _ = server
    with pytest.raises(LoadError, match="HTTP 404"):
        loaders.load(f"{base}/nope/tileset.json")


def test_unreachable_host_is_a_clean_error() -> None:
    with pytest.raises(LoadError, match="cannot download"):
        loaders.load("http://127.0.0.1:9/tileset.json")  # discard port: nothing listens


def test_single_file_url(server) -> None:
    root, base, _ = server
    las = corpus_file("pointcloud/laspy/simple.las")
    (root / "simple.las").write_bytes(las.read_bytes())
    [cloud] = loaders.load(f"{base}/simple.las")
    assert cloud.kind == "pointcloud" and len(cloud.positions) == 1065
