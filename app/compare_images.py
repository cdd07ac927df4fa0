"""Off-screen pictures for the HTML comparison report (pyvista, no Qt, no display needed):
the scan coloured by signed distance and the design coloured by element status.

Colours come from viewers.style, so the report looks like the window. Points are thinned to
MAX_POINTS: a picture needs no more, and a 100M-point scan must not be drawn whole.
"""
from __future__ import annotations

import io
import warnings

import numpy as np

MAX_POINTS = 400_000
SIZE = (1000, 720)


def _png(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(img, dtype=np.uint8)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _plotter():
    import pyvista as pv

    p = pv.Plotter(off_screen=True, window_size=SIZE)
    p.set_background("#27303b", top="#4d5f75")  # deep blue-grey (LOOK.md dark theme): white points read on it
    try:
        with warnings.catch_warnings():  # OSMesa/EGL builds say they use SSAA instead: either is fine
            warnings.simplefilter("ignore")
            p.enable_anti_aliasing("fxaa")
    except Exception:  # noqa: BLE001 - some renderers have no FXAA; the picture still reads
        pass
    return p


def _snap(p, bounds: np.ndarray) -> bytes:
    # The camera is placed by hand on the bounds' sphere: with pyvista 0.49 / VTK 9.7 both
    # reset_camera(bounds=...) and ResetCamera(bounds) framed every actor instead (measured), which
    # shrank the compared building to a speck amid the far ground points.
    b = np.asarray(bounds, dtype=np.float64)
    centre, radius = b.mean(axis=0), max(float(np.linalg.norm(b[1] - b[0])) / 2.0, 1e-3)
    cam = p.camera
    half_angle = np.radians(float(cam.view_angle) / 2.0)
    direction = np.array([1.0, 1.0, 1.0]) / np.sqrt(3.0)     # isometric: from the north-east, above
    cam.focal_point = tuple(centre)
    cam.position = tuple(centre + direction * radius / np.sin(half_angle) / 1.1)
    cam.up = (0.0, 0.0, 1.0)
    p.renderer.ResetCameraClippingRange()
    return _png(p.screenshot(return_img=True))


def reach_of(distance: np.ndarray, tolerance: float, max_distance: float) -> float:
    """Colour range: where 99% of the near points are, at least 3x the tolerance, at most the cut-off."""
    d = np.abs(distance[np.isfinite(distance)])
    r = float(np.percentile(d, 99)) if len(d) else 0.0
    return float(min(max_distance, max(3 * tolerance, r)))


def _mesh(design, face_rgb: np.ndarray):
    import pyvista as pv

    faces = np.hstack([np.full((len(design.faces), 1), 3), design.faces]).ravel()
    mesh = pv.PolyData(np.asarray(design.vertices, dtype=np.float64), faces)
    mesh.cell_data["rgb"] = face_rgb
    return mesh


def scan_image(design, points: np.ndarray, distance: np.ndarray, tolerance: float, max_distance: float) -> bytes:
    """The scan coloured by signed distance (white within tolerance), the design faint behind it."""
    import pyvista as pv
    from matplotlib.colors import ListedColormap

    from viewers.style import FAR_RGB, deviation_colors

    step = max(1, -(-len(points) // MAX_POINTS))
    pts, d = np.asarray(points, dtype=np.float64)[::step], np.asarray(distance, dtype=np.float64)[::step]
    reach = reach_of(d, tolerance, max_distance)
    ramp = deviation_colors(np.linspace(-reach, reach, 256), tolerance, reach) / 255.0
    p = _plotter()
    try:  # closed also when drawing fails: no plotter is left behind
        grey = np.tile(np.array([[200, 200, 200]], np.uint8), (len(design.faces), 1))
        p.add_mesh(_mesh(design, grey), scalars="rgb", rgb=True, opacity=0.18, show_edges=False)
        cloud = pv.PolyData(pts)
        cloud.point_data["signed distance (m)"] = np.clip(d, -reach, reach)
        p.add_mesh(cloud, scalars="signed distance (m)", cmap=ListedColormap(ramp), clim=(-reach, reach),
                   nan_color=tuple(c / 255 for c in FAR_RGB), point_size=3, render_points_as_spheres=False,
                   scalar_bar_args={"title": f"signed distance (m)\nwhite: within ±{tolerance:g} m", "fmt": "%.3f",
                                    "color": "white", "vertical": True, "position_x": 0.84, "position_y": 0.1,
                                    "height": 0.8, "width": 0.06, "title_font_size": 14, "label_font_size": 13})
        lo, hi = design.vertices.min(0), design.vertices.max(0)
        near = pts[np.isfinite(d)]    # framed on the design and the points near it: far ground and clutter
        if len(near):                 # would shrink the compared part to a speck
            lo, hi = np.minimum(near.min(0), lo), np.maximum(near.max(0), hi)
        return _snap(p, np.array([lo, hi]))
    finally:
        p.close()


def model_image(design, verdicts) -> bytes:
    """The design coloured by element status, with the legend."""
    from viewers.style import STATUS_RGB

    status = np.array(["not judged"] * len(design.elements), dtype=object)
    for v in verdicts:
        status[v.index] = v.status
    fe = np.asarray(design.face_element, dtype=np.int64)
    rgb = np.empty((len(fe), 3), np.uint8)
    rgb[:] = STATUS_RGB["not judged"]
    for name, colour in STATUS_RGB.items():
        hit = (fe >= 0) & (status[np.clip(fe, 0, None)] == name)
        rgb[hit] = colour
    p = _plotter()
    try:
        p.add_mesh(_mesh(design, rgb), scalars="rgb", rgb=True, show_edges=False, smooth_shading=False)
        present = [s for s in ("built", "partial", "missing", "deviating") if (status == s).any()] or ["built"]
        p.add_legend([[f"{s} ({int((status == s).sum())})", tuple(c / 255 for c in STATUS_RGB[s])] for s in present],
                     bcolor="white", face="rectangle", loc="upper left", size=(0.3, 0.07 * len(present)))
        return _snap(p, np.array([design.vertices.min(0), design.vertices.max(0)]))
    finally:
        p.close()


def comparison_images(result, points: np.ndarray | None = None) -> dict[str, bytes]:
    """{"scan": PNG, "model": PNG}. `points`: the scan in the scene frame, row for row with
    result.distance (GUI path); without them the result's thinned sample is drawn (CLI path)."""
    out: dict[str, bytes] = {}
    s = result.settings
    if points is not None and result.distance is not None and len(points) == len(result.distance):
        out["scan"] = scan_image(result.design, points, result.distance, s.tolerance, s.max_distance)
    elif result.sample is not None:
        out["scan"] = scan_image(result.design, result.sample[0], result.sample[1], s.tolerance, s.max_distance)
    out["model"] = model_image(result.design, result.verdicts)
    return out
