"""Plain data that loaders return: numpy arrays plus small metadata dataclasses.

Loaders know nothing about Qt, VTK or the scene: they describe what the file holds
and where it is on Earth (a `Georef`); `app.model.SceneFrame` places it.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np

Progress = Callable[[float, str], None]
"""progress(fraction 0..1, message)."""
Cancel = Callable[[], bool]
"""cancel() -> True when the user asked to stop."""

KINDS = ("tileset", "tile", "pointcloud", "bim", "mesh", "citymodel", "schedule", "simulation", "project")


class LoadError(Exception):
    """Bad input: shown to the user as `error: PATH: reason`, never as a traceback."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class LoadCancelled(Exception):
    """The user cancelled a load; not an error."""


_SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_input(path: str | Path) -> os.stat_result:
    """Only regular files and folders are read: opening a named pipe blocks until a writer comes
    (forever, for a user's typo) and a device never ends. Checked by stat, before any open.
    A symbolic link loop says so (os.path.exists would only say "no such file")."""
    p = str(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError(p, "symbolic link loop") from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise LoadError(p, "no such file or directory") from None
        raise LoadError(p, f"cannot read: {exc.strerror or exc}") from None
    except ValueError:  # an embedded NUL byte
        raise LoadError(p, "no such file or directory (invalid path)") from None
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return st
    kind = next((name for test, name in _SPECIAL if test(st.st_mode)), "not a file")
    raise LoadError(p, f"not a regular file ({kind})")


def read_head(path: str | Path, size: int) -> bytes:
    """The first `size` bytes of a file, or the one readable reason why not ("file is empty",
    "no such file or directory", "cannot read: ..."). Every way into a loader (the registry's
    sniffing, the GUI's streamed IFC) checks here, so the CLI and the GUI say the same thing."""
    p = str(path)
    check_input(p)
    try:
        with open(p, "rb") as fh:
            head = fh.read(size)
    except OSError as exc:
        raise LoadError(p, f"cannot read: {exc.strerror or exc}") from None
    if not head:
        raise LoadError(p, "file is empty")
    return head


@dataclass
class Georef:
    """Where the data's coordinates live.

    kind:
      - "crs":  data coords -> `matrix` -> coordinates in `crs` (any pyproj string: "EPSG:4547", WKT...).
                A 2D projected CRS takes z in the CRS's linear unit as ellipsoidal height.
      - "enu":  data coords -> `matrix` -> local east-north-up metres at `origin_lla` (lat, lon, h).
      - "ecef": data coords -> `matrix` -> EPSG:4978 metres.
      - "none": not georeferenced; the data is placed in the scene frame as local metres.
    `matrix` is 4x4, float64, applied to column vectors (x' = M @ [x, y, z, 1]).
    """

    kind: Literal["crs", "enu", "ecef", "none"] = "none"
    crs: str | None = None
    origin_lla: tuple[float, float, float] | None = None
    matrix: np.ndarray = field(default_factory=lambda: np.eye(4))

    def crs_label(self) -> str | None:
        """EPSG code or CRS name for reports, or None."""
        if self.kind == "ecef":
            return "EPSG:4978"
        if self.kind == "enu" and self.origin_lla is not None:
            return "EPSG:4979"
        if self.kind != "crs" or not self.crs:
            return None
        try:
            import pyproj

            c = pyproj.CRS.from_user_input(self.crs)
            code = c.to_epsg(min_confidence=70)
            return f"EPSG:{code}" if code else c.name
        except Exception:  # noqa: BLE001 - an unparseable CRS is reported by name only
            return self.crs[:80]


@dataclass
class LayerData:
    """Common part of everything a loader returns."""

    name: str
    kind: str  # one of KINDS
    format: str  # e.g. "LAS 1.2", "IFC4", "3D Tiles 1.1"
    georef: Georef = field(default_factory=Georef)
    source: str = ""  # path or URL it came from
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {}

    def local_bounds(self) -> np.ndarray | None:
        """(2,3) min/max of the data coordinates before the georef matrix."""
        return None


@dataclass
class PointCloudData(LayerData):
    """positions: (N,3) float64 in data coordinates. attributes: per-point arrays (N,) or (N,k)."""

    positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    colors: np.ndarray | None = None  # (N,3) uint8 RGB, or None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"points": int(len(self.positions))}

    def local_bounds(self) -> np.ndarray | None:
        if len(self.positions) == 0:
            return None
        return np.array([self.positions.min(0), self.positions.max(0)])


@dataclass
class ElementInfo:
    """One BIM element or one mesh feature (a b3dm batch, an extruded building)."""

    id: str  # GlobalId for IFC, batch id or feature id otherwise
    ifc_class: str = ""
    name: str = ""
    properties: dict[str, Any] = field(default_factory=dict)  # flat "Pset.Prop" -> value
    color: tuple[float, float, float, float] | None = None  # RGBA 0..1
    spatial: tuple[str, ...] = ()  # containment path, e.g. ("Project", "Site", "Building", "Level 1")
    storey: str = ""  # building storey name (IFC) or "" where it does not apply
    material: str = ""  # main material name
    hidden_by_default: bool = False  # IfcSpace, IfcOpeningElement: loaded, but not shown at first


@dataclass
class MeshData(LayerData):
    """A triangle mesh. vertices (V,3) float64, faces (F,3) int64.

    face_element: (F,) int32 index into `elements` (-1 = none), so one mesh can carry
    many BIM elements or tile features and a pick maps back to what was hit.
    """

    vertices: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    faces: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    vertex_colors: np.ndarray | None = None  # (V,3|4) uint8
    face_element: np.ndarray | None = None
    elements: list[ElementInfo] = field(default_factory=list)
    # drawn as authored (loaders.gltf_materials): per-vertex UVs / unit normals (NaN rows: none),
    # per-face index into `materials`; None / empty when the format has no materials
    uvs: np.ndarray | None = None
    normals: np.ndarray | None = None
    face_material: np.ndarray | None = None
    materials: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"triangles": int(len(self.faces))}
        if self.kind == "bim" or self.elements:
            out["elements"] = len(self.elements)
        return out

    def local_bounds(self) -> np.ndarray | None:
        if len(self.vertices) == 0:
            return None
        return np.array([self.vertices.min(0), self.vertices.max(0)])


@dataclass
class TilesetData(MeshData):
    """A 3D Tiles tileset loaded at its finest level: meshes merged into one MeshData in ECEF
    (or local coords when the tileset is not on the globe), points into `points` when tiles are pnts."""

    tiles: int = 0
    contents: int = 0
    geometric_error: float = 0.0
    points: PointCloudData | None = None
    tree: Any = None  # a loaders.tile_tree.TileTree when the tileset is streamed (no merged geometry)

    def counts(self) -> dict[str, int]:
        out = {"tiles": self.tiles, "triangles": int(len(self.faces))}
        if self.points is not None:
            out["points"] = int(len(self.points.positions))
        return out

    def local_bounds(self) -> np.ndarray | None:
        parts = [b for b in (MeshData.local_bounds(self), self.points.local_bounds() if self.points else None) if b is not None]
        if not parts:
            return None
        return np.array([np.min([p[0] for p in parts], 0), np.max([p[1] for p in parts], 0)])
