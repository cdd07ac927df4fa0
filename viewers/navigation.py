"""Mouse navigation in the 3D view. Pure VTK, no Qt.

"terrain" (the default) is a turntable, as in GIS and city viewers: the horizon never rolls.
Left drag orbits about the point under the cursor (azimuth about the vertical, elevation about
the camera's horizontal axis, never over the pole), middle or shift+left drag pans, the wheel
zooms toward the cursor and right drag zooms toward the point pressed. "trackball" is VTK's free
trackball camera, for those who want it.

In both, VTK's built-in keys are off (`w` wireframe, `s` surface, `3` red/blue stereo, `r`
reset, `e`/`q` quit, `f` fly-to, `p` pick, `j`/`t` joystick/trackball, `u` user...): a style
with an observer for an event runs the observer instead of its own handler. The app binds its
own shortcuts, all listed in its menus.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import vtk

NAVIGATION_MODES = ("terrain", "trackball")
DEFAULT_NAVIGATION = "terrain"
UP = np.array([0.0, 0.0, 1.0])
MIN_POLAR_DEG = 0.05  # the view direction never reaches the vertical: view-up (0,0,1) stays defined
ORBIT_DEG_PER_WIDTH = 200.0  # a drag across the whole view turns the scene 200 degrees (as VTK's trackball)
WHEEL_FACTOR = 0.85  # one wheel step forward: distances to the cursor's point shrink by this
DRAG_ZOOM_PER_PX = 0.99
PICK_RADIUS_PX = 6  # the pivot is the nearest surface within this many pixels of the cursor
KEY_EVENTS = ("CharEvent", "KeyPressEvent", "KeyReleaseEvent")


def _rotate(points: np.ndarray, centre: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rodrigues' rotation of points about the line through `centre` along unit `axis`."""
    a = np.radians(degrees)
    v = points - centre
    k = axis / np.linalg.norm(axis)
    cos, sin = np.cos(a), np.sin(a)
    rotated = v * cos + np.cross(k, v) * sin + np.outer(v @ k, k) * (1 - cos)
    return rotated + centre


def _silence_keys(style: vtk.vtkInteractorStyle) -> None:
    for event in KEY_EVENTS:
        style.AddObserver(event, lambda *_: None)


class TrackballNavigation(vtk.vtkInteractorStyleTrackballCamera):
    """VTK's trackball camera (the horizon may roll), without VTK's keys."""

    mode = "trackball"

    def __init__(self) -> None:
        super().__init__()
        _silence_keys(self)


class TerrainNavigation(vtk.vtkInteractorStyleTrackballCamera):
    """Turntable about the vertical: z stays up, no roll. See the module docstring."""

    mode = "terrain"

    def __init__(self) -> None:
        super().__init__()
        _silence_keys(self)
        self._action: str | None = None
        self._last: tuple[int, int] = (0, 0)
        self._pivot: np.ndarray | None = None
        for event, handler in (
            ("LeftButtonPressEvent", self._on_left_down), ("LeftButtonReleaseEvent", self._on_release),
            ("MiddleButtonPressEvent", self._on_middle_down), ("MiddleButtonReleaseEvent", self._on_release),
            ("RightButtonPressEvent", self._on_right_down), ("RightButtonReleaseEvent", self._on_release),
            ("MouseMoveEvent", self._on_move),
            ("MouseWheelForwardEvent", lambda *_: self._on_wheel(WHEEL_FACTOR)),
            ("MouseWheelBackwardEvent", lambda *_: self._on_wheel(1.0 / WHEEL_FACTOR)),
        ):
            self.AddObserver(event, handler)

    # --- geometry helpers ---------------------------------------------------------------------
    def _renderer(self) -> Any:
        x, y = self.GetInteractor().GetEventPosition()
        self.FindPokedRenderer(x, y)
        return self.GetCurrentRenderer()

    def point_under(self, x: int, y: int) -> np.ndarray | None:
        """The surface point under display (x, y) from the depth buffer of the last frame (the
        nearest within PICK_RADIUS_PX), or None over the sky."""
        ren = self.GetCurrentRenderer()
        window = self.GetInteractor().GetRenderWindow()
        if ren is None or window is None:
            return None
        w, h = window.GetSize()
        x0, y0 = max(0, int(x) - PICK_RADIUS_PX), max(0, int(y) - PICK_RADIUS_PX)
        x1, y1 = min(w - 1, int(x) + PICK_RADIUS_PX), min(h - 1, int(y) + PICK_RADIUS_PX)
        if x1 < x0 or y1 < y0:
            return None
        depths = vtk.vtkFloatArray()
        window.GetZbufferData(x0, y0, x1, y1, depths)
        z = np.array([depths.GetValue(i) for i in range(depths.GetNumberOfTuples())]).reshape(y1 - y0 + 1, x1 - x0 + 1)
        hit = (z >= 0.0) & (z < 0.999999)  # a scan's points leave gaps: the nearest surface around the cursor
        if not hit.any():
            return None
        row, col = np.unravel_index(np.argmin(np.where(hit, z, 2.0)), z.shape)
        out = [0.0, 0.0, 0.0, 0.0]
        vtk.vtkInteractorObserver.ComputeDisplayToWorld(ren, float(x), float(y), float(z[row, col]), out)  # at its depth
        return np.array(out[:3]) / (out[3] or 1.0)

    def _ray_point(self, x: int, y: int, depth_of: np.ndarray) -> np.ndarray:
        """The point under (x, y) at the screen depth of `depth_of` (for pans and sky zooms)."""
        ren = self.GetCurrentRenderer()
        display = [0.0, 0.0, 0.0]
        vtk.vtkInteractorObserver.ComputeWorldToDisplay(ren, *map(float, depth_of), display)
        out = [0.0, 0.0, 0.0, 0.0]
        vtk.vtkInteractorObserver.ComputeDisplayToWorld(ren, float(x), float(y), display[2], out)
        return np.array(out[:3]) / (out[3] or 1.0)

    def _camera(self) -> tuple[Any, np.ndarray, np.ndarray]:
        cam = self.GetCurrentRenderer().GetActiveCamera()
        return cam, np.array(cam.GetPosition()), np.array(cam.GetFocalPoint())

    def _apply(self, cam: Any, position: np.ndarray, focal: np.ndarray) -> None:
        cam.SetPosition(*position)
        cam.SetFocalPoint(*focal)
        cam.SetViewUp(*UP)
        ren = self.GetCurrentRenderer()
        if self.GetAutoAdjustCameraClippingRange():
            ren.ResetCameraClippingRange()
        iren = self.GetInteractor()
        if iren.GetLightFollowCamera():
            ren.UpdateLightsGeometryToFollowCamera()
        self.InvokeEvent("InteractionEvent")
        iren.Render()

    # --- actions ------------------------------------------------------------------------------
    def orbit(self, dx: float, dy: float) -> None:
        """Turntable: azimuth about the vertical through the pivot, then elevation about the
        camera's horizontal axis, clamped short of the pole."""
        cam, position, focal = self._camera()
        pivot = self._pivot if self._pivot is not None else focal
        w, h = self.GetCurrentRenderer().GetSize()
        azimuth = -dx * ORBIT_DEG_PER_WIDTH / max(w, 1)
        points = _rotate(np.array([position, focal]), pivot, UP, azimuth)
        direction = points[1] - points[0]
        direction /= np.linalg.norm(direction)
        polar = np.degrees(np.arccos(np.clip(-direction[2], -1.0, 1.0)))  # 0: straight down
        target = np.clip(polar - dy * ORBIT_DEG_PER_WIDTH / max(h, 1), MIN_POLAR_DEG, 180.0 - MIN_POLAR_DEG)
        right = np.cross(direction, UP)
        if np.linalg.norm(right) > 1e-12 and target != polar:
            points = _rotate(points, pivot, right / np.linalg.norm(right), target - polar)
        self._apply(cam, points[0], points[1])

    def pan(self, x0: int, y0: int, x1: int, y1: int) -> None:
        cam, position, focal = self._camera()
        anchor = self._pivot if self._pivot is not None else focal
        delta = self._ray_point(x0, y0, anchor) - self._ray_point(x1, y1, anchor)
        self._apply(cam, position + delta, focal + delta)

    def zoom_about(self, target: np.ndarray, factor: float) -> None:
        """Scale the camera's distances to `target` by `factor`: the point stays where it is on
        screen, so the zoom goes toward the cursor."""
        cam, position, focal = self._camera()
        self._apply(cam, target + (position - target) * factor, target + (focal - target) * factor)

    # --- events -------------------------------------------------------------------------------
    def _begin(self, action: str) -> None:
        iren = self.GetInteractor()
        if self._renderer() is None:
            return
        self._last = iren.GetEventPosition()
        self._pivot = self.point_under(*self._last)
        self._action = action
        {"orbit": self.StartRotate, "pan": self.StartPan, "zoom": self.StartDolly}[action]()

    def _on_left_down(self, *_: Any) -> None:
        iren = self.GetInteractor()
        self._begin("pan" if iren.GetShiftKey() else "orbit")

    def _on_middle_down(self, *_: Any) -> None:
        self._begin("pan")

    def _on_right_down(self, *_: Any) -> None:
        self._begin("zoom")

    def _on_release(self, *_: Any) -> None:
        action, self._action = self._action, None
        if action is not None:
            {"orbit": self.EndRotate, "pan": self.EndPan, "zoom": self.EndDolly}[action]()

    def _on_move(self, *_: Any) -> None:
        if self._action is None or self.GetCurrentRenderer() is None:
            return
        x, y = self.GetInteractor().GetEventPosition()
        (x0, y0), self._last = self._last, (x, y)
        if (x, y) == (x0, y0):
            return
        if self._action == "orbit":
            self.orbit(x - x0, y - y0)
        elif self._action == "pan":
            self.pan(x0, y0, x, y)
        else:
            _, _, focal = self._camera()
            self.zoom_about(self._pivot if self._pivot is not None else focal, DRAG_ZOOM_PER_PX ** (y - y0))

    def _on_wheel(self, factor: float) -> None:
        if self._renderer() is None:
            return
        x, y = self.GetInteractor().GetEventPosition()
        _, _, focal = self._camera()
        target = self.point_under(x, y)
        if target is None:  # over the sky: toward the cursor's ray at the focal point's depth
            target = self._ray_point(x, y, focal)
        self.StartDolly()
        self.zoom_about(target, factor)
        self.EndDolly()


def make_navigation(mode: str) -> vtk.vtkInteractorStyle:
    """A navigation style by name ("terrain" or "trackball"); unknown names give the default."""
    return TrackballNavigation() if mode == "trackball" else TerrainNavigation()
