"""compare_files: design IFC(s) and a scan file brought into one scene frame, the scan compared
piece by piece here or on dask. Bad input ends in LoadError(path, reason) naming the file.
"""
from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from app.analysis.c2m import C2MError
from app.analysis.compare import (ABSURD, CompareSettings, ComparisonResult, Partial, check_points, extent_text, finish,
                                  new_partial)
from app.analysis.design import DesignModel
from app.analysis.scan_chunks import Piece, ScanSource, bounds_corners, open_scan, read_piece
from app.model.frame import SceneFrame
from app.tiling.layout import TaskInputError
from loaders.base import Cancel, Georef, LoadError, MeshData, Progress

AUTO_PROCESSES = 2_000_000  # as `twinscape tile`: worker processes only pay for their start-up on big scans


@dataclass
class Job:
    """Everything a worker needs besides its piece (scattered once to every worker)."""

    design: DesignModel
    settings: CompareSettings
    georef: Georef  # the scan's
    frame: SceneFrame
    stations: np.ndarray | None
    threads: int | None = None


def _crs_label(georef: Georef) -> str:
    return georef.crs_label() or "local coordinates"


def _same_crs(a: Georef, b: Georef) -> bool:
    import pyproj

    try:
        return pyproj.CRS.from_user_input(a.crs).equals(pyproj.CRS.from_user_input(b.crs), ignore_axis_order=True)
    except Exception:  # noqa: BLE001 - unparsable: compare as text
        return a.crs == b.crs


def stable_order(mesh: MeshData) -> MeshData:
    """Elements sorted by storey, class, name and GlobalId: the IFC reader yields them in the order
    its geometry threads finish, and a report (and dask == serial) needs one order every time."""
    els = mesh.elements
    order = sorted(range(len(els)), key=lambda i: (els[i].storey, els[i].ifc_class, els[i].name, els[i].id))
    inverse = np.empty(len(els) + 1, dtype=np.int64)
    inverse[order] = np.arange(len(els))
    inverse[-1] = -1  # face_element -1 (no element) stays -1
    fe = np.asarray(mesh.face_element, dtype=np.int64)
    mesh.face_element = inverse[fe]
    mesh.elements = [els[i] for i in order]
    return mesh


def load_design(paths: Sequence[str], frame: SceneFrame, warnings: list[str], progress: Progress | None,
                cancel: Cancel | None) -> tuple[DesignModel, list[MeshData]]:
    """Every IFC read and placed in `frame` (which adopts the first georeferenced model's origin).
    A model without georeferencing beside a georeferenced one shares its coordinates (federated
    models of one project usually do)."""
    from loaders.ifc import read_ifc

    meshes: list[MeshData] = []
    for i, path in enumerate(paths):
        step = (lambda f, m, i=i: progress(0.1 * (i + f) / len(paths), f"design: {m}")) if progress else None
        mesh = read_ifc(path, progress=step, cancel=cancel)[0]
        try:
            check_points(mesh.vertices, "design vertices")
        except C2MError as exc:
            raise LoadError(path, str(exc)) from None
        meshes.append(stable_order(mesh))
    ref = next((m for m in meshes if m.georef.kind != "none"), None)
    if ref is not None:
        frame.adopt_origin(ref.vertices, ref.georef)
    pairs = []
    for m in meshes:
        g = m.georef
        if ref is not None and g.kind == "none":
            warnings.append(f"{m.source}: no georeferencing; taken to share the coordinates of {ref.source}")
            g = ref.georef
        try:
            pairs.append((m, frame.to_local(m.vertices, g)))
        except ValueError as exc:
            raise LoadError(m.source, f"its georeferencing cannot place it: {exc}") from None
    try:
        design = DesignModel.from_meshes(pairs)
    except C2MError as exc:
        raise LoadError(", ".join(paths), str(exc)) from None
    return design, meshes


def scan_georef(source: ScanSource, design_georef: Georef, scan_crs: str | None, warnings: list[str]) -> Georef:
    """The scan's placement: its own CRS (or --scan-crs), reprojected into the design's frame."""
    g = source.georef
    if scan_crs:
        import pyproj

        try:
            wkt = pyproj.CRS.from_user_input(scan_crs).to_wkt()
        except Exception:  # noqa: BLE001 - pyproj raises CRSError on garbage
            raise LoadError(source.path, f"--scan-crs {scan_crs!r} is not a CRS (use e.g. EPSG:4547)") from None
        if g.kind == "crs" and not _same_crs(g, Georef(kind="crs", crs=wkt)):
            warnings.append(f"{source.path}: its own CRS ({_crs_label(g)}) is overridden by --scan-crs {scan_crs}")
        g = Georef(kind="crs", crs=wkt)
    if design_georef.kind == "none":
        if g.kind != "none":
            warnings.append(f"{source.path}: the design is not georeferenced, so the scan's coordinates are compared "
                            f"as they are (its CRS {_crs_label(g)} is not used)")
        return Georef(kind="none")
    if g.kind == "none":
        why = next((w.split(";")[0] for w in source.warnings if "CRS" in w and "no CRS in file" not in w), "")
        raise LoadError(source.path, f"the scan has no CRS{f' ({why})' if why else ''} but the design is georeferenced "
                                     f"({_crs_label(design_georef)}); give the CRS of the scan's coordinates with "
                                     "--scan-crs EPSG:N")
    if g.kind == "crs" and design_georef.kind == "crs" and not _same_crs(g, design_georef):
        warnings.append(f"{source.path}: its CRS ({_crs_label(g)}) differs from the design's "
                        f"({_crs_label(design_georef)}); reprojected")
    return g


def _place(frame: SceneFrame, pts: np.ndarray, georef: Georef, path: str) -> np.ndarray:
    try:
        local = frame.to_local(pts, georef)
    except ValueError as exc:
        raise TaskInputError(path, f"coordinates cannot be placed: {exc}") from None
    if len(local) and (not np.isfinite(local).all() or np.abs(local).max() > ABSURD):
        raise TaskInputError(path, "absurd coordinates: they lie nowhere near the Earth in the given CRS "
                                   "(is the scale, offset or CRS wrong?)")
    return local


def placed_chunks(job: Job, piece: Piece, cancel: Cancel | None = None) -> Iterator[tuple[np.ndarray, int]]:
    """(scene-frame points, points left out for NaN/infinite coordinates) for each chunk of a piece."""
    for xyz in read_piece(piece, job.settings.chunk_points, cancel):
        finite = np.isfinite(xyz).all(axis=1)
        dropped = int(len(xyz) - finite.sum())
        if dropped:
            xyz = xyz[finite]
        yield (_place(job.frame, xyz, job.georef, piece.path) if len(xyz) else np.zeros((0, 3))), dropped


def _compare_chunk(job: Job, part: Partial, local: np.ndarray, dropped: int, cancel: Cancel | None) -> None:
    part.nonfinite += dropped
    if len(local):
        r = job.design.index(job.threads).query(local, max_distance=job.settings.max_distance, cancel=cancel)
        part.add(local, r, job.settings, job.settings.edges(), keep_sample=True)


def run_piece(job: Job, piece: Piece, cancel: Cancel | None = None) -> Partial:
    """Read one piece chunk by chunk, compare, fold into a partial result (runs on a dask worker too)."""
    part = new_partial(job.design, job.settings, job.stations)
    for local, dropped in placed_chunks(job, piece, cancel):
        _compare_chunk(job, part, local, dropped, cancel)
    return part


_END = object()


def _prefetched(job: Job, pieces: list[Piece], cancel: Cancel | None) -> Iterator[tuple[int, np.ndarray, int]]:
    """(piece index, placed chunk, dropped) with the next chunk read and placed on a thread while
    this one is compared (LAZ decoding and pyproj release the GIL): at most three chunks in memory."""
    q: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for i, piece in enumerate(pieces):
                for local, dropped in placed_chunks(job, piece, cancel):
                    if not put((i, local, dropped)):
                        return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put(exc)

    worker = threading.Thread(target=produce, name="compare-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def run_piece_remote(job: Job, piece: Piece) -> Partial:
    """run_piece for a dask worker: the result travels without the design (the accumulator's
    reference to it would drag the design and its caches back); it is merged into a
    client-side accumulator, which needs only the other's arrays."""
    part = run_piece(job, piece)
    part.acc.design = None
    return part


def _merge(job: Job, parts: list[Partial]) -> Partial:
    """Into a fresh accumulator, in piece order: the serial and the dask path add the same numbers
    in the same order."""
    total = new_partial(job.design, job.settings, job.stations)
    for p in parts:
        total.merge(p)
    return total


def _run_serial(job: Job, pieces: list[Piece], progress: Progress | None, cancel: Cancel | None) -> Partial:
    """Piece by piece, each merged as soon as it is done (the dask path merges the same partials
    in the same order); reading runs one chunk ahead on a thread."""
    total = new_partial(job.design, job.settings, job.stations)
    part, current = None, -1
    for i, local, dropped in _prefetched(job, pieces, cancel):
        if i != current:
            if part is not None:
                total.merge(part)
                if progress is not None:
                    progress(0.1 + 0.85 * i / len(pieces), f"compared {i} of {len(pieces)} pieces")
            part, current = new_partial(job.design, job.settings, job.stations), i
        _compare_chunk(job, part, local, dropped, cancel)
    if part is not None:
        total.merge(part)
    if progress is not None:
        progress(0.95, f"compared {len(pieces)} of {len(pieces)} pieces")
    return total


def _run_dask(job: Job, pieces: list[Piece], scheduler: str, workers: int | None, processes: bool | None,
              progress: Progress | None, cancel: Cancel | None) -> Partial:
    from app.tiling.cluster import available_cores, client_for
    from app.tiling.pipeline import _wait_all

    cores = available_cores()
    n = workers or min(cores, 8)
    if processes is None:
        processes = n > 1 and sum(p.count for p in pieces) >= AUTO_PROCESSES
    local = scheduler == "local"
    job.threads = max(1, cores // n) if local else None
    with client_for(None if local else scheduler, n, bool(processes)) as client:
        [shared] = client.scatter([job], broadcast=True)
        futures = [client.submit(run_piece_remote, shared, piece, pure=False) for piece in pieces]

        def step(done: int) -> None:
            if progress is not None:
                progress(0.1 + 0.85 * done / len(pieces), f"compared {done} of {len(pieces)} pieces")

        return _merge(job, _wait_all(futures, cancel, step))


def run_files(design_paths: Sequence[str] | str, scan_path: str, settings: CompareSettings, *, scan_crs: str | None,
              stations, scheduler: str | None, workers: int | None, processes: bool | None, progress: Progress | None,
              cancel: Cancel | None, warn: Callable[[str], None] | None) -> ComparisonResult:
    settings.validate()
    paths = [design_paths] if isinstance(design_paths, (str, os.PathLike)) else list(design_paths)
    paths = [str(p) for p in paths]
    if not paths:
        raise C2MError("no design file given")
    warnings: list[str] = []
    frame = SceneFrame()
    source = open_scan(str(scan_path), settings.chunk_points)  # headers first: a bad scan fails before the IFC is read
    warnings += [f"{source.path}: {w}" for w in source.warnings]
    if source.count == 0:
        raise LoadError(source.path, "the scan holds no points")
    design, meshes = load_design(paths, frame, warnings, progress, cancel)
    ref = next((m.georef for m in meshes if m.georef.kind != "none"), Georef(kind="none"))
    georef = scan_georef(source, ref, scan_crs, warnings)
    if source.bounds is not None:
        corners = _place(frame, bounds_corners(source.bounds), georef, source.path)
        dlo, dhi = design.vertices.min(0), design.vertices.max(0)
        gap = np.maximum(0.0, np.maximum(dlo - corners.max(0), corners.min(0) - dhi))
        if (gap > settings.max_distance).any():
            mlo, mhi = _native_extent(meshes)
            raise LoadError(source.path, f"the scan and the design do not overlap: scan extent {extent_text(*source.bounds)} "
                                         f"({_crs_label(georef)}); design extent {extent_text(mlo, mhi)} "
                                         f"({_crs_label(ref)}); is the scan's CRS right (--scan-crs)?")
    st = None
    if stations is not None and len(stations):
        st = _place(frame, np.asarray(stations, dtype=np.float64).reshape(-1, 3), georef, source.path)
    elif source.stations is not None and len(source.stations):
        st = _place(frame, source.stations, georef, source.path)
    for w in warnings:
        if warn is not None:
            warn(w)
    job = Job(design, settings, georef, frame, st)
    try:
        if scheduler:
            part = _run_dask(job, source.pieces, scheduler, workers, processes, progress, cancel)
        else:
            part = _run_serial(job, source.pieces, progress, cancel)
    except TaskInputError as exc:
        raise LoadError(exc.path, exc.reason) from None
    if part.nonfinite:
        warnings.append(f"{source.path}: {part.nonfinite:,} points with NaN or infinite coordinates left out")
        if warn is not None:
            warn(warnings[-1])
    extra = {
        "design": {"paths": paths, "elements": len(design.elements), "triangles": int(len(design.faces)),
                   "crs": ref.crs_label() if ref.kind != "none" else None},
        "scan": {"path": source.path, "format": source.format, "points_declared": int(source.count),
                 "crs": georef.crs_label() if georef.kind != "none" else None, "pieces": len(source.pieces)},
        "stations": 0 if st is None else int(len(st)),
        "frame_origin_lla": list(frame.origin_lla) if frame.origin_lla else None,
        "warnings": warnings,
    }
    try:
        return finish(design, part, settings, extra=extra, scan_label=f"scan {os.path.basename(source.path)}")
    except C2MError as exc:
        raise LoadError(source.path, str(exc)) from None


def _native_extent(meshes: list[MeshData]) -> tuple[np.ndarray, np.ndarray]:
    """The design's extent in its own map coordinates (the georef matrix applied; model metres when none)."""
    los, his = [], []
    for m in meshes:
        v = m.vertices @ m.georef.matrix[:3, :3].T + m.georef.matrix[:3, 3]
        los.append(v.min(0))
        his.append(v.max(0))
    return np.min(los, axis=0), np.max(his, axis=0)
