"""A scan file as independent pieces read chunk by chunk, so comparing a scan larger than memory
keeps only one chunk of points per task (LAS/LAZ point ranges, COPC node runs, E57 scans).

Why pieces: a piece names its data (path + point range, COPC chunk offsets, E57 scan index) and
nothing else, so a dask worker can read it itself; only small results travel back. Every piece
yields float64 (n, 3) arrays in the file's own coordinates (E57 scans already posed); placing them
in the scene frame is the caller's business (their `georef`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from app.tiling.layout import TaskInputError
from loaders.base import Cancel, Georef, LoadCancelled, LoadError, check_input

ABSURD = 1e9  # no CRS's coordinates (metres, feet, degrees) come near this on Earth


@dataclass(frozen=True)
class Piece:
    """One independently readable part of a scan (picklable, small)."""

    path: str
    kind: str  # "las", "copc" or "e57"
    start: int = 0  # las: first point
    count: int = 0  # points in the piece (E57: as the file declares)
    runs: tuple[tuple[int, int, int], ...] = ()  # copc: (offset, count, nbytes) of contiguous chunks
    scan: int = -1  # e57: scan index
    codec: Any = None  # copc: (laszip VLR bytes, record dtype, scales, offsets)


@dataclass
class ScanSource:
    """What a scan file holds, from its header(s), and its pieces."""

    path: str
    format: str
    count: int
    georef: Georef
    bounds: np.ndarray | None  # (2,3) file coordinates, None when the header does not say (E57)
    pieces: list[Piece]
    stations: np.ndarray | None = None  # (S,3) scanner positions in file coordinates (E57 poses)
    warnings: list[str] = field(default_factory=list)


def _check_bounds(path: str, bounds: np.ndarray | None) -> None:
    if bounds is None:
        return
    if not np.isfinite(bounds).all():
        raise LoadError(path, "the header's bounds hold NaN or infinite coordinates")
    if np.abs(bounds).max() > ABSURD:
        raise LoadError(path, f"absurd coordinates (up to {np.abs(bounds).max():.3g}): no CRS on Earth reaches "
                              f"{ABSURD:.0e}; the file's scale or offset is wrong")


def _open_las(path: str, chunk_points: int) -> ScanSource:
    import laspy

    from app.tiling.inputs import scan_input
    from loaders._lasdata import georef_for, is_copc, label_for

    info = scan_input(path)  # the loader's header and LAZ chunk-table checks
    with laspy.open(path, laz_backend=laspy.LazBackend.Lazrs) as reader:
        header = reader.header
        copc = is_copc(header)
        label = label_for(header)
        warnings = list(info.warnings)
        bounds = np.array([info.mins, info.maxs], dtype=np.float64) if info.count else None
        georef = georef_for(header, warnings, lambda: bounds)
        if copc:  # node by node; a hierarchy that is unusable or misses points: read as the plain LAZ it also is
            try:
                pieces = _copc_pieces(path, reader, chunk_points, warnings)
            except LoadError as exc:
                warnings.append(f"COPC hierarchy unusable ({exc.reason}); read as plain LAZ")
                copc = False
            else:
                if sum(p.count for p in pieces) != info.count:
                    warnings.append(f"the COPC hierarchy reaches {sum(p.count for p in pieces):,} of {info.count:,} "
                                    "points; read as plain LAZ")
                    copc = False
    _check_bounds(path, bounds)
    if not copc:
        # one chunk per piece; a LAZ without a chunk table cannot seek, nor can a COPC read as plain LAZ
        # (laspy's seek assumes the fixed-size chunks of a plain LAZ)
        span = chunk_points if info.seekable and not is_copc(header) else max(1, info.count)
        pieces = [Piece(path, "las", start, min(span, info.count - start)) for start in range(0, info.count, span)]
    return ScanSource(path, label, info.count, georef, bounds, pieces, warnings=warnings)


def _copc_pieces(path: str, reader, chunk_points: int, warnings: list[str]) -> list[Piece]:
    """COPC nodes (its LAZ chunks) grouped into runs of about chunk_points contiguous points."""
    import laspy

    from loaders import _laz
    from loaders.copc import _hierarchy, _select

    header = reader.header
    size = os.path.getsize(path)
    with open(path, "rb") as stream:
        try:
            copc = laspy.CopcReader(stream, close_fd=False)
        except Exception as exc:  # noqa: BLE001 - laspy raises many kinds on a corrupt COPC info or root page
            raise LoadError(path, f"not a readable COPC file: {exc}") from None
        entries = _hierarchy(path, copc, size, warnings)
        nodes = _select(copc, entries, None, None, size, warnings)
        vlr = copc.laszip_vlr.record_data
    _laz.check_item_size(path, vlr, int(header.point_format.size))
    chunks = sorted({_laz.Chunk(n.offset, n.count, n.nbytes) for n in nodes if n.count > 0}, key=lambda c: c.offset)
    codec = (bytes(vlr), header.point_format.dtype(), tuple(map(float, header.scales)), tuple(map(float, header.offsets)))
    return [Piece(path, "copc", count=sum(c.count for c in run), runs=tuple((c.offset, c.count, c.nbytes) for c in run),
                  codec=codec) for run in _laz.groups(chunks, chunk_points)]


def _open_e57(path: str) -> ScanSource:
    from loaders.e57 import _georef, open_e57

    e57 = open_e57(path)
    warnings: list[str] = []
    try:
        pieces, stations = [], []
        for i in range(int(e57.scan_count)):
            h = e57.get_header(i)
            pieces.append(Piece(path, "e57", count=int(h.point_count), scan=i))
            if h.has_pose():
                stations.append(np.asarray(h.translation, dtype=np.float64))
        georef = _georef(e57, warnings)
    finally:
        e57.close()
    total = sum(p.count for p in pieces)
    return ScanSource(path, "E57", total, georef, None, pieces,
                      np.array(stations).reshape(-1, 3) if stations else None, warnings)


def open_scan(path: str, chunk_points: int = 2_000_000) -> ScanSource:
    """Headers only: LAS/LAZ, COPC (.copc.laz or a COPC header) or E57; LoadError otherwise."""
    check_input(path)
    if os.path.isdir(path):
        raise LoadError(path, "is a folder, not a scan file")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise LoadError(path, "file is empty")
    if head.startswith(b"ASTM-E57"):
        return _open_e57(path)
    if head.startswith(b"LASF"):
        return _open_las(path, max(1, int(chunk_points)))
    raise LoadError(path, "not a scan this command reads (LAS/LAZ, COPC or E57)")


def _read_las(piece: Piece, chunk_points: int, cancel: Cancel | None) -> Iterator[np.ndarray]:
    import laspy

    done = 0
    try:
        with laspy.open(piece.path, laz_backend=laspy.LazBackend.Lazrs) as reader:
            if piece.start:
                reader.seek(piece.start)
            for chunk in reader.chunk_iterator(max(1, min(chunk_points, piece.count))):
                if cancel is not None and cancel():
                    raise LoadCancelled()
                n = min(len(chunk), piece.count - done)
                if n <= 0:
                    break
                xyz = np.column_stack([np.asarray(chunk.x), np.asarray(chunk.y), np.asarray(chunk.z)])[:n]
                done += n
                yield xyz
                if done >= piece.count:
                    break
    except (LoadCancelled, TaskInputError):
        raise
    except Exception as exc:  # noqa: BLE001 - truncated/corrupt LAZ fails mid-stream in the decoder
        raise TaskInputError(piece.path, f"point data is corrupt or truncated near point {piece.start + done} ({exc})") from None
    if done < piece.count:
        raise TaskInputError(piece.path, f"header declares {piece.count} points from {piece.start} but the file holds only "
                                         f"{piece.start + done}")


def _read_copc(piece: Piece, cancel: Cancel | None) -> Iterator[np.ndarray]:
    from loaders import _laz

    vlr, dtype, scales, offsets = piece.codec
    run = [_laz.Chunk(*r) for r in piece.runs]
    if cancel is not None and cancel():
        raise LoadCancelled()
    try:
        with open(piece.path, "rb") as fh:
            raw = _laz.decode_chunks(fh, run, vlr, dtype.itemsize).view(dtype)
    except Exception as exc:  # noqa: BLE001 - a corrupt node
        raise TaskInputError(piece.path, f"COPC point data is corrupt near byte {run[0].offset} ({exc})") from None
    yield np.column_stack([raw[a].astype(np.float64) * s + o for a, s, o in zip("XYZ", scales, offsets)])


def _read_e57(piece: Piece, chunk_points: int, cancel: Cancel | None) -> Iterator[np.ndarray]:
    """One E57 scan in chunks of at most chunk_points, posed, invalid points left out."""
    import pye57
    from pye57 import libe57

    from loaders.e57 import CARTESIAN, SPHERICAL, _reason

    try:
        e57 = pye57.E57(piece.path)
    except Exception as exc:  # noqa: BLE001
        raise TaskInputError(piece.path, f"not a readable E57 file: {_reason(exc)}") from None
    try:
        header = e57.get_header(piece.scan)
        fields = set(header.point_fields)
        coords = CARTESIAN if set(CARTESIAN) <= fields else SPHERICAL if set(SPHERICAL) <= fields else None
        if coords is None:
            raise TaskInputError(piece.path, f"scan {piece.scan} has neither cartesian nor spherical coordinates")
        invalid = "cartesianInvalidState" if coords is CARTESIAN else "sphericalInvalidState"
        wanted = list(coords) + ([invalid] if invalid in fields else [])
        cap = max(1, min(chunk_points, piece.count))
        arrays, buffers = {}, libe57.VectorSourceDestBuffer()
        for name in wanted:
            arrays[name] = np.empty(cap, np.int8 if name == invalid else np.float64)
            buffers.append(libe57.SourceDestBuffer(e57.image_file, name, arrays[name], cap, True, True))
        rot = np.asarray(header.rotation_matrix, dtype=np.float64) if header.has_pose() else None
        shift = np.asarray(header.translation, dtype=np.float64) if header.has_pose() else None
        reader = header.points.reader(buffers)
        try:
            total = 0
            while total < piece.count:
                if cancel is not None and cancel():
                    raise LoadCancelled()
                n = min(int(reader.read()), piece.count - total)
                if n <= 0:
                    break
                total += n
                a, b, c = (arrays[k][:n] for k in coords)
                if coords is SPHERICAL:
                    a, b, c = a * np.cos(c) * np.cos(b), a * np.cos(c) * np.sin(b), a * np.sin(c)
                xyz = np.column_stack([a, b, c])
                if invalid in arrays:
                    xyz = xyz[arrays[invalid][:n] == 0]
                if rot is not None:
                    xyz = xyz @ rot.T + shift
                yield xyz
        finally:
            reader.close()
    except (LoadCancelled, TaskInputError):
        raise
    except Exception as exc:  # noqa: BLE001 - libE57 fails mid-scan on corrupt data
        raise TaskInputError(piece.path, f"scan {piece.scan} could not be read ({_reason(exc)})") from None
    finally:
        e57.close()


def read_piece(piece: Piece, chunk_points: int = 2_000_000, cancel: Cancel | None = None) -> Iterator[np.ndarray]:
    """The piece's points in chunks of at most `chunk_points` (COPC: one run, sized when cut)."""
    if piece.kind == "las":
        return _read_las(piece, chunk_points, cancel)
    if piece.kind == "copc":
        return _read_copc(piece, cancel)
    if piece.kind == "e57":
        return _read_e57(piece, chunk_points, cancel)
    raise ValueError(f"unknown piece kind {piece.kind!r}")


def bounds_corners(bounds: np.ndarray) -> np.ndarray:
    """The 8 corners of a (2,3) box (to carry a box through a CRS transform)."""
    return np.array([[bounds[(i >> k) & 1, k] for k in range(3)] for i in range(8)], dtype=np.float64)

