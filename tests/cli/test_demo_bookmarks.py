"""Every bookmark of the demo renders non-blank headless, and `info`/`render --view` know them by name."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from app.cli import main
from app.demo import demo_project_path
from app.model.scene import Scene
from app.render import _open_each, _settle, offscreen_canvas


def test_each_demo_bookmark_renders_non_blank() -> None:
    scene = Scene()
    errors: list = []
    layers = _open_each(scene, [str(demo_project_path())], errors.append, stream_tiles=True)
    assert not errors and len(scene.bookmarks) >= 4
    with offscreen_canvas(scene, layers, (160, 90)) as canvas:
        for mark in scene.bookmarks:
            canvas.set_camera(mark.camera)
            _settle(canvas, 30.0)
            shown = canvas.plotter.screenshot(None, return_img=True).astype(int)
            for layer in scene.layers:
                layer.visible = False
            canvas.render()
            empty = canvas.plotter.screenshot(None, return_img=True).astype(int)
            for layer in scene.layers:
                layer.visible = True
            changed = float((np.abs(shown - empty).sum(axis=2) > 30).mean())
            assert changed > 0.2, f"bookmark {mark.name!r}: only {changed:.0%} of the pixels show the scene"


def test_info_lists_the_demo_bookmarks_and_tour(capsys) -> None:
    assert main(["info", str(demo_project_path())]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bookmarks"][:5] == ["Overview", "Construction site", "Scan vs design", "Flood analysis", "Sensors"]
    assert out["tours"] == ["The twin's story"] and "warnings" not in out


def test_render_view_with_an_unknown_name_lists_the_bookmarks_before_loading(tmp_path: Path, capsys) -> None:
    assert main(["render", str(demo_project_path()), "--view", "Harbour", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: Harbour: unknown view (use iso, top, north, Overview, Construction site, Scan vs design, "
                   "Flood analysis, Sensors, Top)")
    assert not list(tmp_path.iterdir())
