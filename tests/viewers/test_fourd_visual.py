"""4D on the canvas: a schedule layer follows the clock and changes the model's visual in place."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from app.model.fourd import HIDDEN, IN_PROGRESS, NORMAL
from app.model.schedule_layer import ScheduleLayer
from tests.fixtures import offscreen_canvas
from tests.fourd_fixtures import T0, box_model, link_csv, sequence, task_of

N, TASKS = 20, 4


@pytest.fixture
def canvas():
    with offscreen_canvas((400, 300)) as c:
        yield c


@pytest.fixture
def linked(canvas, tmp_path):
    model = box_model(N)
    canvas.scene.layers.append(model)
    layer = ScheduleLayer(name="plan", data={"schedule": sequence(TASKS)})
    canvas.scene.layers.append(layer)
    report = layer.link(model, "table", str(link_csv(tmp_path / "links.csv", N, TASKS)))
    assert report.element_matched == N and report.linked == N
    canvas.scene.clock.set_range(T0 - timedelta(days=5), T0 + timedelta(days=60))
    return canvas, model, layer


def at(canvas, days: float) -> None:
    canvas.scene.clock.set_time(T0 + timedelta(days=days))
    canvas.render()


def test_elements_appear_in_task_order_on_the_same_actor(linked):
    canvas, model, layer = linked
    visual = canvas.visuals[id(model)]
    actor, mesh = visual.actor, visual.mesh
    task = np.array([task_of(i, N, TASKS) for i in range(N)])
    at(canvas, -1)
    assert visual.drawn["triangles"] == 0 and (layer.states == HIDDEN).all()
    for k in range(TASKS):
        at(canvas, k * 10 + 5)  # task k in progress, tasks before it done
        assert (layer.states[task < k] == NORMAL).all()
        assert (layer.states[task == k] == IN_PROGRESS).all()
        assert (layer.states[task > k] == HIDDEN).all()
        assert visual.drawn["triangles"] == 12 * int((task <= k).sum())
        assert visual.actor is actor and visual.mesh is mesh  # updated in place, never re-created
        assert canvas.plotter.renderer.actors and actor in canvas.plotter.renderer.actors.values()
    at(canvas, 55)
    assert visual.drawn["triangles"] == 12 * N and visual.actor is actor


def test_in_progress_elements_are_amber_and_translucent(linked):
    canvas, model, _ = linked
    visual = canvas.visuals[id(model)]
    at(canvas, 5)
    rgba = visual.mesh.cell_data["RGBA"]
    drawn_el = model.data["face_element"][visual.face_ids]
    assert (rgba[:, :3] == [255, 166, 0]).all() and (rgba[:, 3] == 128).all()
    assert set(drawn_el.tolist()) == set(range(5))
    at(canvas, 15)
    rgba = visual.mesh.cell_data["RGBA"]
    done = model.data["face_element"][visual.face_ids] < 5
    assert (rgba[done, 3] == 255).all() and (rgba[done, :3] == 204).all()  # its own grey again
    img = canvas.plotter.screenshot(return_img=True)
    amber = (img[..., 0] > 150) & (img[..., 2] < 90) & (img[..., 1] > 60)
    assert amber.sum() > 20  # the elements under construction show in amber


def test_a_hidden_element_cannot_be_picked_and_a_drawn_one_can(linked):
    canvas, model, _ = linked
    canvas.zoom_to(model.bounds())
    spots = [(x, y) for x in range(40, 400, 40) for y in range(30, 300, 30)]
    at(canvas, -1)
    assert all(canvas.pick(x, y).index == -1 for x, y in spots)
    at(canvas, 55)
    picked = {canvas.pick(x, y).index for x, y in spots} - {-1}
    assert picked and picked <= set(range(N))


def test_hiding_the_schedule_shows_the_model_without_4d_and_removing_it_too(linked):
    canvas, model, layer = linked
    visual = canvas.visuals[id(model)]
    at(canvas, -1)
    assert visual.drawn["triangles"] == 0
    layer.visible = False
    assert visual.drawn["triangles"] == 12 * N
    layer.visible = True
    assert visual.drawn["triangles"] == 0
    canvas.scene.layers.remove(layer)
    assert visual.drawn["triangles"] == 12 * N and visual.element_states is None


def test_user_hidden_elements_stay_hidden_under_4d(linked):
    canvas, model, _ = linked
    visual = canvas.visuals[id(model)]
    model.set_elements_hidden([0, 1], True)  # a rebuild: the new visual keeps the 4D states
    visual = canvas.visuals[id(model)]
    at(canvas, 55)
    assert visual.drawn["triangles"] == 12 * (N - 2)


def test_a_task_highlight_tints_its_elements(linked):
    canvas, model, layer = linked
    visual = canvas.visuals[id(model)]
    at(canvas, 55)
    elements = layer.highlight_tasks([1])
    assert elements == list(range(5, 10))
    rgba = visual.mesh.cell_data["RGBA"]
    tinted = np.unique(model.data["face_element"][visual.face_ids][(rgba[:, :3] != 204).any(axis=1)])
    assert tinted.tolist() == elements
    at(canvas, 56)  # a clock step keeps the highlight
    rgba = visual.mesh.cell_data["RGBA"]
    assert np.unique(model.data["face_element"][visual.face_ids][(rgba[:, :3] != 204).any(axis=1)]).tolist() == elements


def test_removing_the_model_drops_the_links_and_bringing_it_back_links_again(linked):
    canvas, model, layer = linked
    at(canvas, -1)
    canvas.scene.layers.remove(model)
    assert layer.links is None and layer.needs_relink() and layer.target == "model"
    canvas.scene.layers.insert(0, model)  # as undo of the removal does
    visual = canvas.visuals[id(model)]
    assert layer.links is not None and layer.target_layer is model
    assert visual.drawn["triangles"] == 0  # before the first task: nothing built yet
