"""Verdicts against the truth over a sweep of as-built cases, scan densities and noise (the README
figures): `.venv/bin/python -m tests.analysis.verdict_sweep` prints one line per case, density and
mode with the elements judged wrong. Not collected by pytest (about a minute)."""
from __future__ import annotations

import numpy as np

from app.analysis.verdicts import VerdictAccumulator, VerdictSettings
from tests.analysis.test_verdicts import design_from_boxes, truth_of
from tests.scan_sim import FRAME_CLUTTER, FRAME_STATIONS, as_built, mesh_from_boxes, simulate_scan, two_storey_frame

CASES = [
    dict(omit=["Column L0 11", "Beam L1 x01", "Wall W", "Column L1 20"],
         cut={"Wall E": 0.4, "Slab L2": ("x", 0.5)}, shift={"Column L0 21": (0.12, 0.0, 0.0)}),
    dict(omit=["Beam L0 y10", "Column L1 02", "Wall S"],
         cut={"Wall N": 0.4, "Slab L1": ("y", 0.5), "Column L1 11": 0.5},
         shift={"Column L0 10": (0.0, 0.12, 0.0), "Wall E": (-0.12, 0.0, 0.0)}),
    dict(omit=["Slab L2", "Beam L1 x10", "Beam L1 x11"], cut={"Wall W": 0.3, "Column L0 00": 0.4},
         shift={"Beam L0 x01": (0.0, 0.12, 0.0), "Column L1 22": (-0.1, 0.1, 0.0)}),
]
SCANS = [(1, 120_000, 0.0025, 200), (2, 50_000, 0.005, 2000), (3, 20_000, 0.0025, 0), (4, 10_000, 0.0025, 0)]


def main() -> None:
    boxes = two_storey_frame()
    design = design_from_boxes(boxes)
    index = design.index()
    totals: dict[tuple[int, str], list[int]] = {}
    for ci, case in enumerate(CASES):
        truth = truth_of(boxes, **case)
        mesh = mesh_from_boxes(as_built(boxes, **case), clutter=FRAME_CLUTTER)
        for seed, rays, sigma, dust in SCANS:
            scan = simulate_scan(mesh, FRAME_STATIONS, target_points=rays, seed=seed, sigma=sigma, n_floating=dust)
            c2m = index.query(scan.points, max_distance=1.0)
            for stations in (np.array(FRAME_STATIONS), None):
                acc = VerdictAccumulator(design, VerdictSettings(), stations)
                acc.add(scan.points, c2m)
                wrong = [(design.elements[v.index].name, truth[design.elements[v.index].name], v.status)
                         for v in acc.finish() if truth[design.elements[v.index].name] != v.status]
                mode = "stations" if stations is not None else "no stations"
                t = totals.setdefault((rays, mode), [0, 0])
                t[0] += len(wrong)
                t[1] += len(truth)
                print(f"case {ci} rays/station {rays:>7,} {mode:<11} wrong {len(wrong)}/{len(truth)} {wrong}")
    for (rays, mode), (bad, n) in sorted(totals.items(), reverse=True):
        print(f"rays/station {rays:>7,} {mode:<11} wrong {bad} of {n}")


if __name__ == "__main__":
    main()
