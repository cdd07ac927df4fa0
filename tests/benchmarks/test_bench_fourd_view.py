"""4D view benchmark (`make bench`): scrubbing the timeline over a 10,000-element model (120k
triangles) linked to 1,000 tasks. Per clock step: the element states plus the in-place visual
update (same actor); frames against a static model of the same triangles. Printed for the README's
performance table; nothing here is a timed assertion."""
from __future__ import annotations

import statistics
import time
import warnings
from datetime import timedelta

import numpy as np

N, TASKS, SIZE = 10_000, 1_000, (800, 600)


def _frames_ms(canvas, frames: int = 6) -> float:
    times = []
    for _ in range(frames):
        canvas.plotter.camera.Azimuth(360 / frames)
        t0 = time.perf_counter()
        canvas.render()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def test_scrub_10k_element_model_1k_tasks() -> None:
    import pyvista as pv

    from app.model.schedule_layer import ScheduleLayer
    from app.model.schedule_links import LinkReport, TaskLinks
    from app.model.scene import Scene
    from tests.fourd_fixtures import T0, box_model, sequence
    from viewers.canvas import Canvas

    schedule = sequence(TASKS, days=1, overlap=3)  # a few tasks in progress at any time
    element = np.arange(N)
    links = TaskLinks(element, element * TASKS // N, LinkReport("table", linked=N, elements_linked=N, tasks_linked=TASKS))
    results: dict[str, float] = {}
    for name in ("static", "4d"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plotter = pv.Plotter(off_screen=True, window_size=SIZE)
        canvas = Canvas(plotter, Scene())
        model = box_model(N)
        canvas.scene.layers.append(model)
        canvas.zoom_to()
        visual = canvas.visuals[id(model)]
        if name == "4d":
            clock = canvas.scene.clock
            clock.set_range(T0, T0 + timedelta(days=TASKS + 3))
            layer = ScheduleLayer(name="plan", data={"schedule": schedule})
            canvas.scene.layers.append(layer)
            t0 = time.perf_counter()
            layer.set_links(model, links)
            results["setup"] = (time.perf_counter() - t0) * 1000
            actor = visual.actor
            steps, frames = [], []
            for k in range(1, 41):  # scrub: each step moves the clock 1/40 of the range
                t0 = time.perf_counter()
                clock.set_time(T0 + timedelta(days=(TASKS + 3) * k / 40))
                steps.append((time.perf_counter() - t0) * 1000)
                if k % 8 == 0:
                    t1 = time.perf_counter()
                    canvas.render()
                    frames.append((time.perf_counter() - t1) * 1000)
            assert visual.actor is actor  # in place: never re-created
            results["step"], results["step_p95"] = statistics.median(steps), float(np.percentile(steps, 95))
            results["scrub_frame"] = statistics.median(frames)
            clock.set_time(T0 + timedelta(days=TASKS / 2))  # half built, a few in progress (translucent)
            results["drawn"] = visual.drawn["triangles"]
        canvas.render()
        results[name] = _frames_ms(canvas)
        if name == "4d":
            clock.set_time(clock.end)  # all built: the same triangles as the static model, through the 4D path
            results["built"] = visual.drawn["triangles"]
            canvas.render()
            results["4d_built"] = _frames_ms(canvas)
        canvas.close()
        plotter.close()
    ratio = results["4d"] / results["static"]
    print(f"\n| 4D scrub, {N:,} elements ({12 * N:,} triangles) linked to {TASKS:,} tasks: state + in-place visual update per "
          f"clock step | {results['step']:.1f} ms median, {results['step_p95']:.1f} ms p95 | same actor every step; "
          f"links set up once in {results['setup']:.0f} ms |")
    print(f"| 4D frame, half built ({results['drawn']:,} triangles drawn) vs the static model, {SIZE[0]}x{SIZE[1]} | "
          f"{results['4d']:.0f} ms vs {results['static']:.0f} ms ({ratio:.2f}x) | frame after a scrub step "
          f"{results['scrub_frame']:.0f} ms |")
    print(f"| 4D frame, all built ({results['built']:,} triangles) vs the static model, {SIZE[0]}x{SIZE[1]} | "
          f"{results['4d_built']:.0f} ms vs {results['static']:.0f} ms ({results['4d_built'] / results['static']:.2f}x) | "
          "the same triangles drawn through the 4D path |")
    assert results["drawn"] < 12 * N and results["built"] == 12 * N
