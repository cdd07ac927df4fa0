"""Stand-in for H2's app.analysis.design / app.analysis.verdicts while they are not committed yet
(SPEC12 interfaces, crude rules). Installed into sys.modules only when the real modules are absent,
so the compare tests exercise the real ones as soon as they exist."""
from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass, field

import numpy as np


def _build() -> tuple[types.ModuleType, types.ModuleType]:
    from app.analysis.c2m import C2MError, DesignIndex

    design_mod = types.ModuleType("app.analysis.design")
    verdict_mod = types.ModuleType("app.analysis.verdicts")

    @dataclass
    class DesignModel:
        vertices: np.ndarray
        faces: np.ndarray
        face_element: np.ndarray
        elements: list
        layer_of_element: np.ndarray

        @classmethod
        def from_meshes(cls, meshes):
            v, f, fe, el, lay = [], [], [], [], []
            nv = 0
            for li, (mesh, verts) in enumerate(meshes):
                keep = [i for i, e in enumerate(mesh.elements) if not e.hidden_by_default]
                remap = np.full(len(mesh.elements) + 1, -1, np.int64)
                remap[keep] = np.arange(len(keep)) + len(el)
                fel = remap[np.asarray(mesh.face_element, np.int64)]
                ok = fel >= 0
                v.append(np.asarray(verts, float))
                f.append(np.asarray(mesh.faces, np.int64)[ok] + nv)
                fe.append(fel[ok])
                nv += len(verts)
                el += [mesh.elements[i] for i in keep]
                lay += [li] * len(keep)
            if not el or not sum(len(x) for x in f):
                raise C2MError("the design has no elements with geometry")
            return cls(np.vstack(v), np.vstack(f), np.concatenate(fe), el, np.array(lay, np.int64))

        def index(self, threads=None):
            if getattr(self, "_index", None) is None:
                self._index = DesignIndex(self.vertices, self.faces, self.face_element, threads=threads)
            return self._index

        def __getstate__(self):
            d = dict(self.__dict__)
            d.pop("_index", None)
            return d

    STATUSES = ("built", "partial", "missing", "deviating")

    @dataclass
    class VerdictSettings:
        tolerance: float = 0.05
        cell_size: float = 0.10
        min_points: int = 10

        def validate(self):
            if not self.tolerance > 0:
                raise C2MError(f"tolerance must be > 0, got {self.tolerance}")

        def to_dict(self):
            return dict(self.__dict__)

    @dataclass
    class ElementVerdict:
        index: int
        status: str
        coverage: float
        points: int
        mean_distance: float
        max_distance: float
        offset: tuple = (0.0, 0.0, 0.0)

        def to_dict(self, design):
            e = design.elements[self.index]
            return {"guid": e.id, "ifc_class": e.ifc_class, "name": e.name, "storey": e.storey, "status": self.status,
                    "coverage": self.coverage, "mean_distance": self.mean_distance, "max_distance": self.max_distance,
                    "points": self.points, "offset": list(self.offset)}

    class VerdictAccumulator:
        def __init__(self, design, settings, stations=None):
            n = len(design.elements)
            self.s = settings
            self.n = np.zeros(n, np.int64)
            self.near = np.zeros(n, np.int64)
            self.sd = np.zeros(n)
            self.mx = np.zeros(n)

        def add(self, points, c2m):
            ok = (~c2m.far) & (c2m.element >= 0)
            e, d = c2m.element[ok], c2m.distance[ok]
            np.add.at(self.near, e, 1)
            w = np.abs(d) <= 3 * self.s.tolerance
            np.add.at(self.n, e[w], 1)
            np.add.at(self.sd, e[w], d[w])
            np.maximum.at(self.mx, e[w], np.abs(d[w]))

        def merge(self, other):
            self.n += other.n
            self.near += other.near
            self.sd += other.sd
            self.mx = np.maximum(self.mx, other.mx)

        def finish(self):
            out = []
            for i in range(len(self.n)):
                n = int(self.n[i])
                mean = self.sd[i] / n if n else float("nan")
                if n < self.s.min_points:
                    status = "missing"
                elif abs(mean) > self.s.tolerance:
                    status = "deviating"
                else:
                    status = "built"
                out.append(ElementVerdict(i, status, 1.0 if n else 0.0, n, mean, self.mx[i] if n else float("nan")))
            return out

    def progress_summary(design, verdicts):
        def group(vs):
            d = {"elements": len(vs), **{s: sum(v.status == s for v in vs) for s in STATUSES}}
            done = sum(1.0 if v.status in ("built", "deviating") else v.coverage if v.status == "partial" else 0.0 for v in vs)
            d["progress_pct"] = 100.0 * done / len(vs) if vs else 0.0
            return d
        by_storey, by_class = {}, {}
        for v in verdicts:
            e = design.elements[v.index]
            by_storey.setdefault(e.storey, []).append(v)
            by_class.setdefault(e.ifc_class, []).append(v)
        return {"overall": group(verdicts), "by_storey": {k: group(x) for k, x in by_storey.items()},
                "by_class": {k: group(x) for k, x in by_class.items()}}

    design_mod.DesignModel = DesignModel
    for name, obj in dict(STATUSES=STATUSES, VerdictSettings=VerdictSettings, ElementVerdict=ElementVerdict,
                          VerdictAccumulator=VerdictAccumulator, progress_summary=progress_summary).items():
        setattr(verdict_mod, name, obj)
    return design_mod, verdict_mod


def real() -> bool:
    return importlib.util.find_spec("app.analysis.verdicts") is not None and \
        importlib.util.find_spec("app.analysis.design") is not None


def install() -> bool:
    """True when the stand-in was installed (the real modules are absent)."""
    if real():
        return False
    if "app.analysis.verdicts" not in sys.modules:
        d, v = _build()
        sys.modules["app.analysis.design"], sys.modules["app.analysis.verdicts"] = d, v
    return True
