"""A design-like site for the C2M benchmark: buildings of storeys with slabs, walls, columns,
beams, window frames, stairs, tessellated pipes and equipment (large and small triangles side by
side, about 1M triangles), and a scan of it: points on the surfaces with scanner noise, a few
as-built deviations, clutter near the surfaces and terrain around the buildings.

Seeded and pure numpy, so the same files come out on every machine."""
from __future__ import annotations

from pathlib import Path

import numpy as np

_CUBE = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                  [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
_CORNERS = np.array([[(i >> 0) & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], float)


class _Mesh:
    """Collects element meshes (vertices, faces, one element id per face)."""

    def __init__(self) -> None:
        self.v: list[np.ndarray] = []
        self.f: list[np.ndarray] = []
        self.e: list[np.ndarray] = []
        self.nv = 0
        self.ne = 0

    def add(self, v: np.ndarray, f: np.ndarray) -> None:
        self.v.append(v)
        self.f.append(f + self.nv)
        self.e.append(np.full(len(f), self.ne))
        self.nv += len(v)
        self.ne += 1

    def boxes(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Many boxes at once, one element each."""
        lo, hi = np.atleast_2d(lo), np.atleast_2d(hi)
        n = len(lo)
        v = (lo[:, None] + _CORNERS[None] * (hi - lo)[:, None]).reshape(-1, 3)
        f = (_CUBE[None] + 8 * np.arange(n)[:, None, None]).reshape(-1, 3)
        self.v.append(v)
        self.f.append(f + self.nv)
        self.e.append(np.repeat(np.arange(self.ne, self.ne + n), 12))
        self.nv += len(v)
        self.ne += n

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.vstack(self.v), np.vstack(self.f).astype(np.int64), np.concatenate(self.e).astype(np.int64)


def _cylinder(a: np.ndarray, b: np.ndarray, r: float, sides: int, rings: int) -> tuple[np.ndarray, np.ndarray]:
    """Closed-side tube from a to b (outward normals), `rings` segments along its length."""
    axis = b - a
    length = np.linalg.norm(axis)
    w = axis / length
    u = np.cross(w, [0, 0, 1.0] if abs(w[2]) < 0.9 else [1.0, 0, 0])
    u /= np.linalg.norm(u)
    vv = np.cross(w, u)
    ang = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    circle = r * (np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * vv)
    t = np.linspace(0, 1, rings + 1)
    verts = (a + t[:, None, None] * axis + circle[None]).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(rings), np.arange(sides), indexing="ij")
    p0 = i * sides + j
    p1 = i * sides + (j + 1) % sides
    q0, q1 = p0 + sides, p1 + sides
    faces = np.concatenate([np.stack([p0, p1, q1], -1).reshape(-1, 3), np.stack([p0, q1, q0], -1).reshape(-1, 3)])
    return verts, faces


def _sphere(c: np.ndarray, r: float, n_lat: int, n_lon: int) -> tuple[np.ndarray, np.ndarray]:
    """UV sphere (outward), small triangles near the poles and at the equator alike."""
    lat = np.linspace(0, np.pi, n_lat + 1)[1:-1]
    lon = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    ring = np.stack([np.sin(lat)[:, None] * np.cos(lon), np.sin(lat)[:, None] * np.sin(lon),
                     np.cos(lat)[:, None] * np.ones_like(lon)], -1).reshape(-1, 3)
    verts = np.vstack([[0, 0, 1.0], ring, [0, 0, -1.0]]) * r + c
    faces = []
    m = n_lon
    for j in range(m):
        faces.append([0, 1 + j, 1 + (j + 1) % m])
    for i in range(n_lat - 2):
        for j in range(m):
            a, b = 1 + i * m + j, 1 + i * m + (j + 1) % m
            faces += [[a, a + m, b + m], [a, b + m, b]]
    last = len(verts) - 1
    base = 1 + (n_lat - 2) * m
    for j in range(m):
        faces.append([last, base + (j + 1) % m, base + j])
    return verts, np.array(faces)


def design_site(seed: int = 12, buildings: int = 4, storeys: int = 8) -> tuple[np.ndarray, ...]:
    """(vertices, faces, face_element) of a site of `buildings` x `storeys` storeys, about 1M triangles."""
    rng = np.random.default_rng(seed)
    m = _Mesh()
    W, D, H = 48.0, 32.0, 3.6
    for bld in range(buildings):
        ox, oy = 60.0 * (bld % 2), 45.0 * (bld // 2)
        o = np.array([ox, oy, 0.0])
        for s in range(storeys):
            z = s * H
            m.boxes(o + [0, 0, z], o + [W, D, z + 0.3])                                   # slab
            gx, gy = np.meshgrid(np.arange(0, W + 1, 8.0), np.arange(0, D + 1, 8.0))
            c = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, z + 0.3)], 1) + o
            m.boxes(c - [0.25, 0.25, 0], c + [0.25, 0.25, H - 0.9])                       # columns
            bx = np.arange(0, W + 1, 8.0)
            m.boxes(o + np.stack([bx - 0.2, np.zeros_like(bx), np.full_like(bx, z + H - 0.6)], 1),
                    o + np.stack([bx + 0.2, np.full_like(bx, D), np.full_like(bx, z + H)], 1))  # beams
            # perimeter wall panels (4 m) with a window frame (4 thin boxes) in every panel
            for x0 in np.arange(0, W, 4.0):
                for y0, y1 in ((-0.25, 0.0), (D, D + 0.25)):
                    lo, hi = o + [x0, y0, z + 0.3], o + [x0 + 4, y1, z + H]
                    m.boxes(lo, hi)
                    fx, fz = x0 + 1.0, z + 1.2
                    frame = np.array([[fx, fx + 2, fz, fz + 0.06], [fx, fx + 2, fz + 1.4, fz + 1.46],
                                      [fx, fx + 0.06, fz, fz + 1.46], [fx + 1.94, fx + 2, fz, fz + 1.46]])
                    m.boxes(o + np.stack([frame[:, 0], np.full(4, y0 - 0.08), frame[:, 2]], 1),
                            o + np.stack([frame[:, 1], np.full(4, y0), frame[:, 3]], 1))
            for y0 in np.arange(0, D, 4.0):
                for x0, x1 in ((-0.25, 0.0), (W, W + 0.25)):
                    m.boxes(o + [x0, y0, z + 0.3], o + [x1, y0 + 4, z + H])
            # stairs: 18 steps
            st = np.arange(18)
            m.boxes(o + np.stack([np.full(18, 20.0), 14 + 0.28 * st, z + 0.3 + 0.18 * st], 1),
                    o + np.stack([np.full(18, 21.2), 14.28 + 0.28 * st, z + 0.48 + 0.18 * st], 1))
            # pipes under the ceiling: 16-24 sided tubes, rings every ~0.5 m
            for _ in range(12):
                y = rng.uniform(1, D - 1)
                x0, x1 = np.sort(rng.uniform(0, W, 2))
                x1 = max(x1, x0 + 3)
                r = rng.uniform(0.03, 0.25)
                zz = z + H - 0.9 - r - rng.uniform(0, 0.6)
                v, f = _cylinder(o + [x0, y, zz], o + [x1, y, zz], r, int(rng.integers(16, 25)),
                                 max(1, int((x1 - x0) / 0.5)))
                m.add(v, f)
            # equipment: finely tessellated spheres
            for _ in range(5):
                c = o + [rng.uniform(2, W - 2), rng.uniform(2, D - 2), z + 0.3 + 0.6]
                v, f = _sphere(c, rng.uniform(0.3, 0.6), 32, 48)
                m.add(v, f)
    return m.result()


def scan_of(vertices: np.ndarray, faces: np.ndarray, face_element: np.ndarray, n: int, seed: int = 7,
            noise: float = 0.003, clutter: float = 0.05, terrain: float = 0.05) -> np.ndarray:
    """n points: area-weighted on the faces (2% of elements built 2-8 cm off), Gaussian noise,
    `clutter` of them moved up to 2 m, `terrain` of them on the ground around the buildings.
    In element order, as a scan's points come in runs of nearby surfaces."""
    rng = np.random.default_rng(seed)
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    n_ground = int(n * terrain)
    n_surf = n - n_ground
    tri = np.sort(rng.choice(len(faces), n_surf, p=area / area.sum()))
    u, w = rng.random(n_surf), rng.random(n_surf)
    flip = u + w > 1
    u[flip], w[flip] = 1 - u[flip], 1 - w[flip]
    pts = a[tri] + u[:, None] * (b[tri] - a[tri]) + w[:, None] * (c[tri] - a[tri])
    n_el = int(face_element.max()) + 1
    shift = np.zeros((n_el, 3))
    off = rng.random(n_el) < 0.02
    shift[off] = rng.normal(0, 1, (int(off.sum()), 3)) * rng.uniform(0.02, 0.08, (int(off.sum()), 1))
    pts += shift[face_element[tri]] + rng.normal(0, noise, (n_surf, 3))
    cl = rng.random(n_surf) < clutter
    pts[cl] += rng.uniform(-2, 2, (int(cl.sum()), 3))
    lo, hi = vertices.min(0), vertices.max(0)
    ground = np.column_stack([rng.uniform(lo[0] - 20, hi[0] + 20, n_ground),
                              rng.uniform(lo[1] - 20, hi[1] + 20, n_ground),
                              rng.normal(-0.4, 0.05, n_ground)])
    ground = ground[np.argsort(np.floor(ground[:, 0] / 10) * 1e4 + ground[:, 1])]
    return np.vstack([pts, ground])


def write_ply_mesh(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Binary PLY with float32 vertices (what CloudCompare keeps) and int32 faces."""
    v = vertices.astype("<f4")
    rec = np.zeros(len(faces), dtype=[("n", "u1"), ("i", "<i4", 3)])
    rec["n"], rec["i"] = 3, faces
    head = (f"ply\nformat binary_little_endian 1.0\nelement vertex {len(v)}\nproperty float x\n"
            f"property float y\nproperty float z\nelement face {len(faces)}\n"
            "property list uchar int vertex_indices\nend_header\n")
    with open(path, "wb") as fh:
        fh.write(head.encode())
        fh.write(v.tobytes())
        fh.write(rec.tobytes())
