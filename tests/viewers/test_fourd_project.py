"""A project with an IFC model and a schedule linked to it reopens with its 4D links."""
from __future__ import annotations

from app.model.opening import build_layers, build_project_layers
from app.model.project import read_project, write_project
from app.model.schedule_layer import ScheduleLayer
from tests.fixtures import offscreen_canvas
from tests.fourd_fixtures import schedule_csv, sequence
from tests.ifc_fixtures import make_ifc_grid


def test_a_saved_schedule_links_again_when_the_project_reopens(tmp_path):
    make_ifc_grid(tmp_path / "grid.ifc", 12, seed=1)
    plan = schedule_csv(tmp_path / "plan.csv", sequence(3))
    with offscreen_canvas() as canvas:
        scene = canvas.scene
        for path in (tmp_path / "grid.ifc", plan):
            for layer in build_layers(scene, str(path)):
                scene.layers.append(layer)
        model, schedule = scene.layers[0], scene.layers[1]
        ids = [e.id for e in model.elements]
        links = tmp_path / "links.csv"
        links.write_text("GlobalId,TaskName\n" + "".join(f"{g},Task {i % 3 + 1}\n" for i, g in enumerate(ids)))
        report = schedule.link(model, "table", str(links))
        assert report.linked == len(ids) > 0
        write_project(scene, tmp_path / "p.twin")
    spec = read_project(tmp_path / "p.twin")
    with offscreen_canvas() as canvas:
        for layer in build_project_layers(canvas.scene, spec):
            canvas.scene.layers.append(layer)
        again = next(la for la in canvas.scene.layers if isinstance(la, ScheduleLayer))
        assert (again.target, again.link_kind, again.link_source) == (model.name, "table", str(links))
        assert again.links is not None and again.links.report.linked == len(ids)
        assert again.target_layer is canvas.scene.layers[0]
        visual = canvas.visuals[id(again.target_layer)]
        assert visual.element_states is not None and len(visual.element_states) == len(ids)
