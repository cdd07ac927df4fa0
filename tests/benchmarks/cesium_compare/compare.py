"""Twinscape and CesiumJS 1.145 render one tileset from one camera: two PNGs and a side-by-side.

Why here: issue 16 asks that a textured tileset look as detailed in Twinscape as in CesiumJS.
Twinscape draws first (the `render` code path: framed "iso" view, streaming settled); its camera
goes from scene coordinates back to the tileset's world (ECEF) through the tiles visual's
matrix, and CesiumJS is given that position, direction, up and vertical field of view. The
CesiumJS side is a static page (index.html, compare.js) served on 127.0.0.1 with the tileset
and the npm package's Build/Cesium; headless Chromium (SwiftShader WebGL) loads it and the page
POSTs its canvas when `allTilesLoaded` has fired: no CDP, no puppeteer, nothing online.

    .venv/bin/python -m tests.benchmarks.cesium_compare.compare TILESET_JSON OUT_PREFIX [ZOOM]
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
CESIUM_VERSION = "1.145.0"
CESIUM_BUILD = REPO / "build" / "cesium" / "node_modules" / "cesium" / "Build" / "Cesium"
SIZE = (1280, 720)


def chromium() -> str | None:
    """The headless browser, or None (Debian's `chromium`, else Google's names)."""
    return next((p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None)


def cesium_build() -> Path | None:
    return CESIUM_BUILD if (CESIUM_BUILD / "Cesium.js").is_file() else None


# --- Twinscape -----------------------------------------------------------------------------------
def twinscape_view(tileset: str, png: str, size: tuple[int, int] = SIZE, zoom: float = 1.0,
                   fixed_points: bool = True) -> dict[str, Any]:
    """Render `tileset` as `twinscape render` does (iso view, every needed tile in) to `png`;
    the camera in the tileset's world coordinates (ECEF for georeferenced tilesets). zoom < 1
    moves the camera that fraction of the way towards the framed centre (texture detail).
    fixed_points: 1 px points as CesiumJS draws them by default (no attenuation), instead of
    Twinscape's adaptive size, so that points do not hide the texture they lie on."""
    import viewers.tiles.visual as tiles_visual

    from app.model import Scene
    from app.render import _open_each, _settle, offscreen_canvas

    errors: list[Any] = []
    scene = Scene()
    layers = _open_each(scene, [tileset], errors.append, True)
    if not layers:
        raise RuntimeError(f"{tileset}: {errors}")
    if fixed_points:
        for layer in layers:
            if hasattr(layer, "point_size"):
                layer.point_size = 1.0
    most = tiles_visual.MAX_POINT_PX
    tiles_visual.MAX_POINT_PX = 1.0 if fixed_points else most
    try:
        with offscreen_canvas(scene, layers, size) as canvas:
            canvas.zoom_to(view="iso")
            if zoom != 1.0:
                from app.model.scene import Camera

                cam = canvas.plotter.camera
                focal = np.asarray(cam.focal_point, float)
                closer = focal + (np.asarray(cam.position, float) - focal) * zoom
                canvas.set_camera(Camera(tuple(closer), tuple(focal), tuple(cam.up), cam.view_angle))
            _settle(canvas, 120.0)
            canvas.render()
            canvas.plotter.screenshot(png)
            visual = next((v for v in canvas.visuals.values() if hasattr(v, "tree")), None)
            if visual is not None:  # streamed: the visual's matrix takes tileset world to scene
                to_world = np.linalg.inv(visual.matrix)
            elif scene.frame.is_set:  # merged into the scene: its frame (local east-north-up) to ECEF
                to_world = _enu_to_ecef(scene.frame)
            else:
                to_world = np.eye(4)
            cam = canvas.plotter.camera
            pos, focal, up = (np.asarray(v, float) for v in (cam.position, cam.focal_point, cam.up))
            near, _ = cam.clipping_range
            fovy = float(cam.view_angle)
            stats = canvas.stats()
    finally:
        tiles_visual.MAX_POINT_PX = most
    world = lambda p: to_world[:3, :3] @ p + to_world[:3, 3]  # noqa: E731
    direction = to_world[:3, :3] @ (focal - pos)
    up_w = to_world[:3, :3] @ up
    direction = direction / np.linalg.norm(direction)
    up_w = up_w - (up_w @ direction) * direction  # VTK keeps "up" as asked; CesiumJS needs it orthogonal
    return {"pos": world(pos), "dir": direction / np.linalg.norm(direction), "up": up_w / np.linalg.norm(up_w),
            "fovy": fovy, "near": max(float(near), 1e-3), "stats": stats}


def _enu_to_ecef(frame: Any) -> np.ndarray:
    """The scene frame's ENU -> ECEF as a 4x4 (app.model.frame)."""
    from app.model.frame import enu_to_ecef_matrix

    lat, lon, h = frame.origin_lla
    return enu_to_ecef_matrix(lat, lon, h)


# --- CesiumJS ------------------------------------------------------------------------------------
class _Handler(SimpleHTTPRequestHandler):
    """Files from a folder of links; POST /result or /error hands the page's answer back."""

    answer: dict[str, Any]
    done: threading.Event

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.answer[self.path.strip("/")] = body
        self.send_response(200)
        self.end_headers()
        if self.path.strip("/") in ("result", "error"):
            self.done.set()

    def log_message(self, *args: Any) -> None:
        pass


def cesium_view(tileset: str, camera: dict[str, Any], png: str, size: tuple[int, int] = SIZE,
                timeout_s: float = 300.0) -> dict[str, Any]:
    """Render `tileset` with CesiumJS in headless Chromium from `camera` (ECEF) to `png`; the
    camera CesiumJS reports having drawn with (to check that it took ours)."""
    browser, build = chromium(), cesium_build()
    if browser is None or build is None:
        raise RuntimeError("needs chromium and build/cesium (make bench installs both)")
    with tempfile.TemporaryDirectory(prefix="cesium_compare_") as root:
        for name in ("index.html", "compare.js"):
            os.symlink(HERE / name, os.path.join(root, name))
        os.symlink(build, os.path.join(root, "cesium"))
        tileset_path = Path(tileset).resolve()
        os.symlink(tileset_path.parent, os.path.join(root, "tileset"))
        answer: dict[str, Any] = {}
        done = threading.Event()
        handler = type("Handler", (_Handler,), {"answer": answer, "done": done})
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=root))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        fmt = lambda v: ",".join(repr(float(x)) for x in v)  # noqa: E731
        query = urllib.parse.urlencode({"tileset": f"/tileset/{tileset_path.name}", "pos": fmt(camera["pos"]),
                                        "dir": fmt(camera["dir"]), "up": fmt(camera["up"]),
                                        "fovy": camera["fovy"], "near": camera["near"], "w": size[0], "h": size[1]})
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html?{query}"
        profile = os.path.join(root, "profile")
        proc = subprocess.Popen(
            [browser, "--headless=new", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
             "--ignore-gpu-blocklist", f"--window-size={size[0] + 64},{size[1] + 256}", "--hide-scrollbars",
             "--force-device-scale-factor=1", f"--user-data-dir={profile}", "--no-first-run", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not done.wait(timeout_s):
                raise RuntimeError(f"CesiumJS did not finish within {timeout_s:.0f} s")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            server.shutdown()
        if "error" in answer:
            raise RuntimeError(f"CesiumJS: {answer['error']}")
        data = answer["result"].split(",", 1)[1]
        Path(png).write_bytes(base64.b64decode(data))
        return json.loads(answer.get("camera", "{}"))


# --- both --------------------------------------------------------------------------------------
def side_by_side(left: str, right: str, out: str, labels: tuple[str, str] = ("Twinscape", "CesiumJS 1.145")) -> None:
    """One PNG: the two renders next to each other, each with its name in the corner."""
    from PIL import Image, ImageDraw

    a, b = Image.open(left).convert("RGB"), Image.open(right).convert("RGB")
    b = b.resize(a.size) if b.size != a.size else b
    img = Image.new("RGB", (a.width * 2 + 8, a.height), (255, 255, 255))
    img.paste(a, (0, 0))
    img.paste(b, (a.width + 8, 0))
    draw = ImageDraw.Draw(img)
    for x, text in ((10, labels[0]), (a.width + 18, labels[1])):
        draw.rectangle((x - 4, 6, x + 8 * len(text) + 4, 24), fill=(0, 0, 0))
        draw.text((x, 9), text, fill=(255, 255, 255))
    img.save(out)


def compare(tileset: str, prefix: str, zoom: float = 1.0) -> dict[str, Any]:
    """PREFIX_twinscape.png, PREFIX_cesium.png and PREFIX.png (side by side); the camera used."""
    camera = twinscape_view(tileset, f"{prefix}_twinscape.png", zoom=zoom)
    camera["cesium"] = cesium_view(tileset, camera, f"{prefix}_cesium.png")
    side_by_side(f"{prefix}_twinscape.png", f"{prefix}_cesium.png", f"{prefix}.png")
    return camera


if __name__ == "__main__":
    cam = compare(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 1.0)
    print({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in cam.items()})
