"""Section benchmark (`make bench`): the section box's outline over a 1M-triangle terrain-like mesh
(what the view redraws when a handle is let go or tiles stream in). Printed for the README;
nothing here is a timed assertion."""
from __future__ import annotations

import time

import numpy as np


def test_section_box_outline_over_a_million_triangles() -> None:
    import pyvista as pv

    from app.model.annotations import Section
    from viewers.section import section_outline

    plane = pv.Plane(i_resolution=707, j_resolution=707, i_size=600, j_size=600).triangulate()
    v = np.asarray(plane.points, float)
    v[:, 2] = np.sin(v[:, 0] / 20) * 5
    f = plane.faces.reshape(-1, 4)[:, 1:]
    box = Section.box_from_bounds((-100, -120, -10), (36, 42, 70))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        seg = section_outline([(v, f)], box)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"\nsection box outline: {len(f):,} triangles -> {len(seg):,} segments in {min(times):.0f} ms")
    grown = Section.box_from_bounds((-100 - 1e-6, -120 - 1e-6, -10), (36 + 1e-6, 42 + 1e-6, 70))
    assert len(seg) > 1000 and grown.keeps(seg.reshape(-1, 3)).all()  # every piece lies on the box
