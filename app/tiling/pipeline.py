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
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from app.tiling.cluster import available_cores, client_for
from app.tiling.layout import CHUNK_POINTS, Layout, TaskInputError
from app.tiling.output import OutputPlan, commit, discard, os_reason, plan_output
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
         max_leaf: int = 100_000, work_dir: str | None = None, overwrite: bool = False,
         scheduler_timeout: float | None = None) -> TileResult:
    """Convert LAS/LAZ inputs to one COPC file or a 3D Tiles pnts tileset folder.

    processes=None picks worker processes for big jobs and threads in this process for small
    ones: lazrs holds the GIL, so only processes decode in parallel, but starting them costs
    about a second, more than a small job takes. The output is checked before any work and
    written under a temporary name (see app.tiling.output); `overwrite` lets a job replace a
    file it did not write, or write beside foreign files in a folder, never delete them."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    if chunk_points < 1 or (workers is not None and workers < 1):
        raise ValueError("chunk_points and workers must be positive")
    t0 = time.perf_counter()
    report = progress or (lambda f, m: None)
    cores = available_cores()
    plan = plan_output(output, fmt, overwrite=overwrite, inputs=tuple(str(p) for p in inputs))
    tmpdir = None
    try:
        infos = [scan_input(str(p)) for p in inputs]
        warnings: list[str] = []
        if processes is None:
            processes = (workers or cores) > 1 and sum(i.count for i in infos) >= AUTO_PROCESSES
        if workers is None:
            workers = min(cores, 8)
        elif processes and not scheduler and workers > cores:
            warnings.append(f"{workers} worker processes asked for, but {cores} "
                            f"{'core is' if cores == 1 else 'cores are'} available; using {cores}")
            workers = cores
        layout, more = make_layout(infos, workers=workers, max_leaf=max_leaf,
                                   max_cell_points=max_cell_points, chunk_points=chunk_points)
        warnings += more
        tmpdir = tempfile.mkdtemp(prefix=".twinscape-tile-", dir=work_dir or os.path.dirname(plan.path))
        for sub in ("cells", "work", "bubbled", "chunks"):
            os.makedirs(os.path.join(tmpdir, sub))
        with client_for(scheduler, workers, processes, scheduler_timeout) as client:
            report(0.0, f"cluster ready ({'scheduler ' + scheduler if scheduler else f'{workers} local workers'})")
            result = _run(client, infos, layout, fmt, plan.staging, tmpdir, workers, report, cancel, warnings)
        commit(plan)
    except OSError as exc:  # a full disk, a folder made read-only meanwhile: the user's to fix, not a bug
        _remove(tmpdir, plan)
        where = exc.filename if isinstance(exc.filename, str) and not _inside(exc.filename, tmpdir, plan.staging) else output
        reading = where != output and os.path.abspath(where) in {os.path.abspath(str(p)) for p in inputs}
        raise LoadError(where, os_reason(exc, "cannot read" if reading else "cannot write")) from None
    except BaseException:
        _remove(tmpdir, plan)
        raise
    _remove(tmpdir, None)
    seconds = time.perf_counter() - t0
    report(1.0, f"{result['points']:,} points in {seconds:.1f} s")
    return TileResult(output=plan.path, format=fmt, points=result["points"], nodes=result["nodes"],
                      seconds=seconds, cells=result["cells"], warnings=warnings)


def _remove(tmpdir: str | None, plan: OutputPlan | None) -> None:
    """The work folder first, then (after a failure) the partial output and the folders made for it."""
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if plan is not None:
        discard(plan)


def _inside(path: str, *folders: str | None) -> bool:
    """A path in the work folder or the temporary output means nothing to the user: name the output."""
    return any(f and (path == f or path.startswith(f + os.sep)) for f in folders)


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
