"""The view's sun: follows the clock, lights from the sun's direction, draws computed shadows."""
from __future__ import annotations

import numpy as np
import pytest

from app.model.layers import MeshLayer
from tests.analysis.test_sunlight import box, ground
from tests.fixtures import offscreen_canvas


def _mesh(part) -> MeshLayer:
    return MeshLayer(name=part.name, data={"vertices": part.vertices, "faces": part.faces})


@pytest.fixture
def canvas():
    with offscreen_canvas((400, 300)) as c:
        clock = c.scene.clock
        clock.set_zone("Asia/Shanghai")
        clock.set_range("2026-12-22T08:00", "2026-12-22T16:00")
        clock.set_time("2026-12-22T10:00")
        c.scene.layers.append(_mesh(box(-5, -5, 5, 5, 30)))
        c.scene.layers.append(_mesh(ground(60)))
        yield c


def _shade(canvas, world: tuple[float, float, float]) -> float:
    """Brightness of the pixel showing a ground point (top view)."""
    r = canvas.plotter.renderer
    r.SetWorldPoint(*world, 1.0)
    r.WorldToDisplay()
    x, y, _ = r.GetDisplayPoint()
    canvas.render()
    img = canvas.plotter.screenshot(return_img=True)
    return float(img[img.shape[0] - 1 - int(y), int(x), :3].mean())


def test_shadows_follow_the_clock_and_fall_away_from_the_sun(canvas) -> None:
    sun = canvas.sun_light
    canvas.plotter.camera_position = [(0, 0, 300), (0, 0, 0), (0, 1, 0)]
    assert not sun.enabled and sun.shadowed_cells == 0
    sun.set_enabled(True)
    morning = sun.direction().copy()
    assert 100 < sun.azimuth < 180 and 20 < sun.elevation < 35  # 10:00 in Wuhan, solstice: south-east
    assert sun.shadowed_cells > 100
    nw, se = (-20.0, 20.0, 0.0), (20.0, -20.0, 0.0)  # the shadow falls north-west, away from the sun
    assert _shade(canvas, nw) < _shade(canvas, se) - 20
    actor = sun._actor
    canvas.scene.clock.set_time("2026-12-22T15:00")  # afternoon: the sun in the south-west, the shadow north-east
    assert sun._actor is actor  # refilled in place, not re-created per clock step
    assert sun.direction()[0] < 0 < morning[0]
    assert _shade(canvas, (20.0, 20.0, 0.0)) < _shade(canvas, nw) - 20
    tower = canvas.scene.layers[0]
    tower.visible = False  # a hidden layer casts no shadow (this canvas updates at once; the GUI's on its next turn)
    assert sun.shadowed_cells == 0
    tower.visible = True
    assert sun.shadowed_cells > 100
    light = canvas._sun
    assert np.dot(np.asarray(light.position) / np.linalg.norm(light.position), sun.direction()) == pytest.approx(1.0, abs=1e-6)
    canvas.scene.clock.set_range("2026-12-22T00:00", "2026-12-22T23:59")
    canvas.scene.clock.set_time("2026-12-22T02:00")  # night: no shadow layer over everything, a dim light
    canvas.render()
    assert sun.elevation < 0 and sun.shadowed_cells == 0 and light.intensity < 0.1 and not sun._actor.GetVisibility()
    sun.set_enabled(False)
    assert sun._actor is None and not light.positional
    canvas.render()
