"""A streamed point tile's adaptive size follows its real spacing on screen (issue 16 item 6):
cesium-samples 1.1/MultipleContents gives its 16,641-point plane a nominal geometric error of
1 m, which drew 10 px squares over the textured plane where the points lie ~4 px apart."""
from __future__ import annotations

import numpy as np
import pyvista as pv
from scipy.spatial import cKDTree
from vtkmodules.util.numpy_support import vtk_to_numpy

from app.model import Scene
from app.model.opening import build_layers
from tests.conftest import corpus_file
from tests.viewers.test_tiles_streaming import settle
from viewers.canvas import Canvas


def test_point_size_is_about_the_spacing_on_screen() -> None:
    scene = Scene()
    [layer] = build_layers(scene, str(corpus_file("3dtiles/cesium-samples/1.1/MultipleContents/tileset.json")),
                           stream_tiles=True)
    plotter = pv.Plotter(off_screen=True, window_size=(640, 360))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        canvas.zoom_to(view="iso")
        settle(canvas)
        visual = canvas.visuals[id(layer)]
        parts = [p for i in visual.shown for p in visual.loaded[i].parts
                 if p.actor is not None and p.poly.n_cells == p.poly.n_verts]
        assert len(parts) == 1
        part = parts[0]
        cam = plotter.camera
        w, h = plotter.window_size
        proj = cam.GetCompositeProjectionTransformMatrix(w / h, -1, 1)
        am = part.actor.GetMatrix()
        m = np.array([[proj.GetElement(i, j) for j in range(4)] for i in range(4)]) @ \
            np.array([[am.GetElement(i, j) for j in range(4)] for i in range(4)])
        p = vtk_to_numpy(part.poly.GetPoints().GetData()).astype(float)
        clip = np.c_[p, np.ones(len(p))] @ m.T
        px = (clip[:, :2] / clip[:, 3:4] + 1) / 2 * np.array([w, h])
        gap = float(np.median(cKDTree(px).query(px, k=2)[0][:, 1]))  # pixels to the nearest neighbour
        size = part.actor.GetProperty().GetPointSize()
        assert size <= max(2.0 * gap, float(layer.point_size)), (size, gap)
    finally:
        canvas.close()
        plotter.close()
