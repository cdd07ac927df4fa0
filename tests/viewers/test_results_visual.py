"""A result layer on the canvas: a volume shows an iso-surface, a slice and contours; a time series
changes its values in place on the same actor as the clock moves; the legend carries the units."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from app.model.results import ResultLayer
from loaders.base import Georef
from loaders.results_base import ResultData
from tests.fixtures import offscreen_canvas

T0 = datetime(2026, 12, 21, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def canvas():
    with offscreen_canvas((400, 300)) as c:
        yield c


def drawn(canvas, layer):
    """What the layer's mapper draws (pyvista connects it through a producer: update first)."""
    mapper = canvas.visuals[id(layer)].actor.GetMapper()
    mapper.Update()
    return mapper.GetInput()


def volume(n: int = 12) -> ResultData:
    """A sphere's distance field r on an n^3 grid of 1 m, two steps (r, then r + 1)."""
    c = np.arange(n, dtype=np.float64) - (n - 1) / 2
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    pts = np.column_stack([x.ravel(), y.ravel(), z.ravel()])
    r = np.linalg.norm(pts, axis=1)
    return ResultData(name="field", kind="simulation", format="test", georef=Georef(), points=pts, grid_shape=(n, n, n),
                      steps=[{"r": r}, {"r": r + 1.0}], times=np.array([T0.timestamp(), T0.timestamp() + 3600]),
                      times_absolute=True, units={"r": "m"})


def test_volume_iso_slice_and_contours(canvas) -> None:
    [layer] = canvas.scene.make_layers(volume())
    canvas.scene.clock.set_range(T0, T0 + timedelta(hours=2))
    canvas.scene.clock.set_time(T0)
    canvas.scene.layers.append(layer)
    visual = canvas.visuals[id(layer)]
    assert visual.grid.n_cells == 11 ** 3
    [legend] = canvas.visible_legends()
    assert legend.title == "field: r (m)"
    layer.iso_value = 4.0
    layer.representation = "iso"
    iso = drawn(canvas, layer)
    radii = np.linalg.norm(np.asarray(iso.GetPoints().GetData()), axis=1)
    assert iso.GetNumberOfPoints() > 50 and np.allclose(radii, 4.0, atol=0.2)  # the sphere r = 4 m
    canvas.scene.clock.set_time(T0 + timedelta(hours=1))  # r + 1: the iso-surface shrinks to r = 3 m, same actor
    iso = drawn(canvas, layer)
    assert np.allclose(np.linalg.norm(np.asarray(iso.GetPoints().GetData()), axis=1), 3.0, atol=0.2)
    layer.slice_axis, layer.slice_position = "z", 0.5
    layer.representation = "slice"
    cut = drawn(canvas, layer)
    assert np.allclose(np.asarray(cut.GetPoints().GetData())[:, 2], 0.0, atol=1e-6) and cut.GetNumberOfCells() > 50
    layer.representation = "contour"
    assert drawn(canvas, layer).GetNumberOfPoints() > 0
    canvas.render()


def test_series_values_change_in_place_with_the_clock(canvas) -> None:
    [layer] = canvas.scene.make_layers(volume(6))
    assert isinstance(layer, ResultLayer)
    canvas.scene.clock.set_range(T0, T0 + timedelta(hours=2))
    canvas.scene.clock.set_time(T0)
    canvas.scene.layers.append(layer)
    visual = canvas.visuals[id(layer)]
    actor, before = visual.actor, np.array(visual.grid.point_data["values"])
    canvas.scene.clock.set_time(T0 + timedelta(minutes=30))
    assert canvas.visuals[id(layer)].actor is actor
    assert np.allclose(visual.grid.point_data["values"], before + 0.5)
    canvas.render()


def test_pick_reads_the_value_at_the_clock(canvas) -> None:
    [layer] = canvas.scene.make_layers(volume(6))
    canvas.scene.clock.set_range(T0, T0 + timedelta(hours=2))
    canvas.scene.clock.set_time(T0 + timedelta(hours=1))
    canvas.scene.layers.append(layer)
    corner = layer.data["vertices"][0]
    props = canvas.visuals[id(layer)].describe_pick(0, corner).properties
    assert props["r (m)"] == f"{np.linalg.norm(corner) + 1.0:.2f}" and props["time step"] == "step 2 of 2"
