"""End to end `twinscape compare` (issue 12, Performance): read a 100-element IFC and a 6M-point
LAZ, C2M, verdicts, JSON report; printed with the time of reading the scan alone and the ratio.

Site: a four-storey concrete frame (slabs, 3x3 columns and 12 beams per storey, walls) cut to
exactly 100 elements, written as a millimetre IFC4 with IfcMapConversion to EPSG:4547; the scan is
simulated with Embree rays from 6 stations (occlusion, 2.5 mm noise, clutter boxes, floating
points) and written as LAZ in EPSG:4547. "Reading the scan alone" is the LAS loader
(loaders.las.read_las: the whole file into memory, parallel LAZ decoding) and, for the same
chunked reader the comparison uses, every piece of app.analysis.scan_chunks read once.

Environment: TWINSCAPE_BENCH_COMPARE_POINTS (default 6,000,000).
"""
from __future__ import annotations

import json
import os
import time
import tracemalloc

import numpy as np
import pytest

from tests import scan_sim as ss

N_POINTS = int(os.environ.get("TWINSCAPE_BENCH_COMPARE_POINTS", "6000000"))
ORIGIN = (500000.0, 2500000.0, 10.0)
OMIT, CUT, SHIFT = ["Column L3 11", "Beam L2 x01"], {"Wall L0 N": 0.4}, {"Column L1 20": (0.12, 0.0, 0.0)}
STATIONS = [(3.2, 2.2, 1.5), (8.8, 5.8, 1.5), (3.2, 5.8, 4.8), (8.8, 2.2, 8.1), (3.2, 2.2, 11.4), (8.8, 5.8, 11.4)]


def hundred_elements() -> list[ss.BoxElement]:
    """Four storeys of the two-storey frame's pattern plus three walls each: 101 elements, cut to 100."""
    parts: list[tuple[str, str, tuple, tuple]] = []
    xs, ys = (0.5, 6.0, 11.5), (0.5, 4.0, 7.5)
    c, h, t, bd = 0.2, 3.0, 0.25, 0.4
    parts.append(("Slab L0", "IfcSlab", (0.0, 0.0, -t), (12.0, 8.0, 0.0)))
    for lv in range(4):
        z0 = lv * (h + t)
        top = z0 + h
        parts += [(f"Column L{lv} {i}{j}", "IfcColumn", (x - c, y - c, z0), (x + c, y + c, top))
                  for i, x in enumerate(xs) for j, y in enumerate(ys)]
        parts += [(f"Beam L{lv} x{i}{j}", "IfcBeam", (xs[i] + c, y - 0.15, top - bd), (xs[i + 1] - c, y + 0.15, top))
                  for j, y in enumerate(ys) for i in range(2)]
        parts += [(f"Beam L{lv} y{i}{j}", "IfcBeam", (x - 0.15, ys[j] + c, top - bd), (x + 0.15, ys[j + 1] - c, top))
                  for i, x in enumerate(xs) for j in range(2)]
        parts.append((f"Slab L{lv + 1}", "IfcSlab", (0.0, 0.0, top), (12.0, 8.0, top + t)))
        parts += [(f"Wall L{lv} S", "IfcWall", (0.0, 0.0, z0), (12.0, 0.2, top)),
                  (f"Wall L{lv} N", "IfcWall", (0.0, 7.8, z0), (12.0, 8.0, top)),
                  (f"Wall L{lv} W", "IfcWall", (0.0, 0.2, z0), (0.2, 7.8, top))]
    parts = parts[:100]
    return [ss.BoxElement(i, n, cl, tuple(map(float, lo)), tuple(map(float, hi))) for i, (n, cl, lo, hi) in enumerate(parts)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench_compare")
    design = hundred_elements()
    assert len(design) == 100
    ss.write_site_ifc(d / "site.ifc", design, unit="MILLIMETRE", map_origin=ORIGIN, epsg=4547)
    built = ss.as_built(design, omit=OMIT, cut=CUT, shift=SHIFT)
    mesh = ss.mesh_from_boxes(built, clutter=ss.FRAME_CLUTTER)
    scan = ss.simulate_scan(mesh, STATIONS, target_points=int(N_POINTS / len(STATIONS) * 1.25), n_floating=2000, seed=5)
    keep = np.random.default_rng(0).permutation(len(scan))[:N_POINTS]
    keep.sort()
    scan = ss.Scan(*(getattr(scan, f)[keep] for f in ("points", "true_points", "element", "station", "clutter", "triangle")))
    ss.write_las(d / "scan.laz", scan, origin=ORIGIN, epsg=4547)
    return d, len(scan)


def _best(fn, runs: int = 2) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def test_end_to_end_compare_against_reading_the_scan(site, capsys) -> None:
    from app.analysis.scan_chunks import open_scan, read_piece
    from app.cli import main
    from loaders.las import read_las

    d, n = site
    scan, out = str(d / "scan.laz"), str(d / "report.json")
    stations = [a for s in STATIONS for a in ("--station", ",".join(str(o + v) for o, v in zip(ORIGIN, s)))]

    def chunked() -> int:
        src = open_scan(scan)
        return sum(len(c) for p in src.pieces for c in read_piece(p))

    t_load = _best(lambda: read_las(scan))
    t_chunked = _best(chunked)
    times = {}
    for label, extra in (("here", []), ("dask local", ["--scheduler", "local"])):
        def run(extra=extra) -> None:
            assert main(["compare", "--design", str(d / "site.ifc"), "--scan", scan, *stations, *extra, "-o", out]) == 0
        times[label] = _best(run, runs=1 if extra else 2)
    with open(out) as fh:
        report = json.load(fh)
    peaks = {}
    for chunk in (500_000, 2_000_000):  # memory is bounded by the chunk, not by the scan
        from app.analysis.compare import CompareSettings, compare_files

        tracemalloc.start()
        compare_files(str(d / "site.ifc"), scan, CompareSettings(chunk_points=chunk))
        peaks[chunk] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    capsys.readouterr()
    with capsys.disabled():
        print(f"\ncompare end to end, {n:,} points vs 100 elements ({os.cpu_count()} cores):")
        print(f"  read the scan alone: loader {t_load:.2f} s, chunked reader {t_chunked:.2f} s")
        for label, t in times.items():
            print(f"  twinscape compare ({label}): {t:.2f} s = {t / t_load:.1f}x reading the scan "
                  f"({n / t / 1e6:.2f} M points/s)")
        truth = {e["name"]: "missing" if e["name"] in OMIT else "partial" if e["name"] in CUT
                 else "deviating" if e["name"] in SHIFT else "built" for e in report["elements"]}
        wrong = {e["name"]: e["status"] for e in report["elements"] if e["status"] != truth[e["name"]]}
        print(f"  statuses: {report['summary']['elements_by_status']}; as chosen: {100 - len(wrong)} of 100 "
              f"(differ: {wrong})")
        print(f"  peak traced memory: " + ", ".join(f"{v:.0f} MiB with {k:,}-point chunks" for k, v in peaks.items())
              + f" (the scan's xyz alone: {n * 24 / 2**20:.0f} MiB)")
    assert report["summary"]["points_total"] == n and len(report["elements"]) == 100
