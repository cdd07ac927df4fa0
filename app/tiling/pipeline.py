"""Orchestration on dask.distributed: partition tasks, one task per cell, the top levels, then
the writer. Data moves through files in a work folder next to the output (so an external
cluster sharing that filesystem works); tasks return only small summaries. Workers of an
external cluster (`--scheduler`) must be able to import `app.tiling` and see that folder.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np

from app.tiling.layout import CHUNK_POINTS, Layout, TaskInputError
from app.tiling.octree_build import build_cell, build_top
from app.tiling.inputs import make_layout, scan_input
from app.tiling.partition import partition_range, ranges
from loaders.base import Cancel, LoadCancelled, LoadError, Progress

FORMATS = ("copc", "3dtiles")
AUTO_PROCESSES = 2_000_000  # points from which worker processes pay for their start-up


@dataclass
class TileResult:
    output: str
    format: str
    points: int
    nodes: int
    seconds: float
    cells: int
    warnings: list[str] = field(default_factory=list)

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds if self.seconds > 0 else 0.0


@contextmanager
def _client(scheduler: str | None, workers: int, processes: bool) -> Iterator:
    """An existing cluster, or a LocalCluster on loopback that is always closed again."""
    import logging

    from distributed import Client, LocalCluster

    # task failures are reported to the user as `error:` lines; dask's own log of them is noise
    for name in ("distributed", "tornado"):  # tornado logs shutdown-time callback timeouts with tracebacks
        logging.getLogger(name).setLevel(logging.CRITICAL)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")  # read by spawned worker processes
    if scheduler:
        try:
            client = Client(scheduler, timeout="5s")
        except Exception as exc:  # noqa: BLE001 - OSError/TimeoutError: no scheduler there
            raise LoadError(scheduler, f"cannot reach the dask scheduler ({type(exc).__name__}: {exc})") from None
        with client:
            yield client
        return

    def local(procs: bool) -> LocalCluster:  # ":0": a free loopback port for the HTTP server, no clash on 8787
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=procs, host="127.0.0.1",
                            protocol="tcp", dashboard_address=":0")

    try:
        cluster = local(processes)
    except Exception:  # noqa: BLE001 - worker processes cannot start (e.g. __main__ not importable): threads still work
        if not processes:
            raise
        cluster = local(False)
    with cluster, Client(cluster) as client:
        yield client


def _wait_all(futures: list, cancel: Cancel | None, progress: Callable[[int], None]) -> list:
    """Results in submission order; raises the first task error, honours cancel between polls."""
    from distributed import wait

    pending = set(futures)
    while pending:
        if cancel is not None and cancel():
            for f in pending:
                f.cancel()
            raise LoadCancelled()
        try:
            done, pending = wait(pending, timeout=0.2, return_when="FIRST_COMPLETED")
        except TimeoutError:
            continue
        for f in done:
            if f.status == "error":
                exc = f.exception()
                for p in pending:
                    p.cancel()
                if isinstance(exc, TaskInputError):
                    raise LoadError(exc.path, exc.reason)
                raise exc
        progress(len(futures) - len(pending))
    return [f.result() for f in futures]


def tile(inputs: Sequence[str], output: str, *, fmt: str = "copc", scheduler: str | None = None,
         workers: int | None = None, processes: bool | None = None, progress: Progress | None = None,
         cancel: Cancel | None = None, chunk_points: int = CHUNK_POINTS, max_cell_points: int = 4_000_000,
         max_leaf: int = 100_000, work_dir: str | None = None) -> TileResult:
    """Convert LAS/LAZ inputs to one COPC file or a 3D Tiles pnts tileset folder.

    processes=None picks worker processes for big jobs and threads in this process for small
    ones: lazrs holds the GIL, so only processes decode in parallel, but starting them costs
    about a second, more than a small job takes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    t0 = time.perf_counter()
    report = progress or (lambda f, m: None)
    workers = max(1, workers or min(os.cpu_count() or 1, 8))
    infos = [scan_input(str(p)) for p in inputs]
    layout, warnings = make_layout(infos, workers=workers, max_leaf=max_leaf,
                                   max_cell_points=max_cell_points, chunk_points=chunk_points)
    if processes is None:
        processes = workers > 1 and layout.total_points >= AUTO_PROCESSES
    output = os.path.abspath(output)
    parent = os.path.dirname(output)
    os.makedirs(parent, exist_ok=True)
    if fmt == "3dtiles":
        if os.path.isfile(output):
            raise LoadError(output, "output for 3dtiles must be a folder, and a file has that name")
        os.makedirs(output, exist_ok=True)
        shutil.rmtree(os.path.join(output, "tiles"), ignore_errors=True)  # no stale tiles from an earlier run
    tmpdir = tempfile.mkdtemp(prefix=".twinscape-tile-", dir=work_dir or parent)
    for sub in ("cells", "work", "bubbled", "chunks"):
        os.makedirs(os.path.join(tmpdir, sub))
    try:
        with _client(scheduler, workers, processes) as client:
            result = _run(client, infos, layout, fmt, output, tmpdir, workers, report, cancel, warnings)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    seconds = time.perf_counter() - t0
    report(1.0, f"{result['points']:,} points in {seconds:.1f} s")
    return TileResult(output=output, format=fmt, points=result["points"], nodes=result["nodes"],
                      seconds=seconds, cells=result["cells"], warnings=warnings)


def _run(client, infos, layout: Layout, fmt: str, output: str, tmpdir: str, workers: int,
         report: Progress, cancel: Cancel | None, warnings: list[str]) -> dict:
    pieces = ranges(infos, workers, layout.chunk_points)
    futures = [client.submit(partition_range, path, start, count, layout, tmpdir, i, pure=False)
               for i, (path, start, count) in enumerate(pieces)]
    stats = _wait_all(futures, cancel, lambda k: report(0.45 * k / len(pieces), f"read {k} of {len(pieces)} pieces"))
    cells: dict[int, int] = {}
    for s in stats:
        for c, n in s.cells.items():
            cells[c] = cells.get(c, 0) + n
    merged = {"imin": [min(s.imin[i] for s in stats) for i in range(3)] if stats else [0, 0, 0],
              "imax": [max(s.imax[i] for s in stats) for i in range(3)] if stats else [0, 0, 0],
              "returns": [sum(s.returns[i] for s in stats) for i in range(16)] if stats else [0] * 16,
              "gps": (min(s.gps[0] for s in stats), max(s.gps[1] for s in stats)) if stats else (0.0, 0.0)}
    if stats:
        s, o = np.asarray(layout.scales), np.asarray(layout.offsets)
        lo, hi = np.asarray(merged["imin"]) * s + o, np.asarray(merged["imax"]) * s + o
        if np.any(lo < layout.cube_min - s) or np.any(hi > layout.cube_min + 2 * layout.halfsize + s):
            warnings.append("some points lie outside the bounds their file's header declares; "
                            "they are kept in the nearest edge node")
    if fmt == "copc":
        from app.tiling.copc_writer import CopcSpec

        spec = CopcSpec(layout, tmpdir)
    else:
        from app.tiling.pnts_writer import PntsSpec, enu_frame

        try:
            frame = enu_frame(layout)
        except Exception as exc:  # noqa: BLE001 - a local/engineering CRS, or one pyproj cannot transform
            warnings.append(f"the CRS cannot be placed on the globe ({exc}); tiles keep source coordinates")
            frame = None
            layout = dataclasses.replace(layout, crs_wkt=None)
        spec = PntsSpec(layout, output, frame)
    order = sorted(cells, key=lambda c: -cells[c])  # biggest first keeps both workers busy at the end
    futures = [client.submit(build_cell, c, layout, tmpdir, spec, pure=False) for c in order]
    built = _wait_all(futures, cancel, lambda k: report(0.45 + 0.45 * k / max(1, len(order)), f"built {k} of {len(order)} cells"))
    top = client.submit(build_top, [b["bubbled"] for b in built], layout, spec, pure=False)
    top_result = _wait_all([top], cancel, lambda k: report(0.93, "top levels built"))[0]
    entries = [e for b in built for e in b["entries"]] + top_result["entries"]
    report(0.95, "writing output")
    if fmt == "copc":
        from app.tiling.copc_writer import write_copc

        out = write_copc(output, layout, entries, merged)
    else:
        from app.tiling.pnts_writer import write_tileset

        out = write_tileset(output, layout, entries, spec.frame)
    points = out["points"]
    if points != layout.total_points:
        raise RuntimeError(f"wrote {points} points but the inputs declare {layout.total_points}")
    return {"points": points, "nodes": out.get("nodes", out.get("tiles", 0)), "cells": len(cells)}
