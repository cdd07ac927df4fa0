"""LAS/LAZ 1.0-1.4 point clouds via laspy (lazrs for LAZ), decoded in parallel when safe.

Points are read in chunks so progress and cancel work on large files, and the header is
checked against the file size before anything is allocated (a lying header must not make
us allocate gigabytes or read garbage). LAZ chunk tables are validated by `loaders._laz`
before lazrs' parallel decoder sees them; an inconsistent one means the sequential decoder.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

from loaders import _laz
from loaders._lasdata import PointSink, georef_for, is_copc, label_for
from loaders.base import Cancel, LayerData, LoadCancelled, LoadError, Progress
from loaders.registry import register_loader

CHUNK = 1_000_000
RUN = 500_000  # points per parallel decode (measured: 250k runs decode slower, 1M overlap less)
HEADER_MIN = 227  # LAS 1.0 public header size
MAX_POINTS = 2_000_000_000  # refuse absurd counts before we look any further


def _sniff(head: bytes) -> bool:
    return head.startswith(b"LASF")


def _check_raw_header(path: str, file_size: int) -> None:
    """Validate the fixed header fields ourselves: laspy trusts them and can loop or allocate
    for a very long time on garbage after a valid 'LASF' signature."""
    with open(path, "rb") as fh:
        head = fh.read(HEADER_MIN)
    if len(head) < HEADER_MIN or not head.startswith(b"LASF"):
        raise LoadError(path, "not a LAS/LAZ file (no LASF signature)")
    major, minor = head[24], head[25]
    if major != 1 or minor > 4:
        raise LoadError(path, f"unsupported or corrupt LAS version {major}.{minor}")
    header_size, data_offset, n_vlrs = struct.unpack_from("<HII", head, 94)
    fmt_id, record_len = head[104] & 0x3F, struct.unpack_from("<H", head, 105)[0]
    if not HEADER_MIN <= header_size <= file_size:
        raise LoadError(path, f"corrupt header: header size {header_size} for a {file_size}-byte file")
    if not header_size <= data_offset <= file_size:
        raise LoadError(path, f"corrupt header: point data offset {data_offset} for a {file_size}-byte file")
    if n_vlrs * 54 > data_offset - header_size:
        raise LoadError(path, f"corrupt header: {n_vlrs} VLRs cannot fit before the point data")
    if fmt_id > 10:
        raise LoadError(path, f"unsupported point format {fmt_id}")
    if record_len == 0:
        raise LoadError(path, "corrupt header: zero point record length")


def _check_scaling(path: str, header) -> None:
    """Coordinates are integers times scale plus offset: a zero, NaN or absurd scale or offset
    (a flipped header byte) would give every point the same or non-finite coordinates."""
    scales = np.asarray(header.scales, dtype=np.float64)
    offsets = np.asarray(header.offsets, dtype=np.float64)
    if not (np.isfinite(scales).all() and (scales != 0).all() and (np.abs(scales) <= 1e4).all()):
        raise LoadError(path, f"corrupt header: coordinate scale {scales.tolist()}")
    if not (np.isfinite(offsets).all() and (np.abs(offsets) <= 1e10).all()):
        raise LoadError(path, f"corrupt header: coordinate offset {offsets.tolist()}")


def _check_size(path: str, header, file_size: int) -> None:
    """Uncompressed LAS: the declared points must fit in the file (checked before reading)."""
    count = int(header.point_count)
    if count < 0 or count > MAX_POINTS:
        raise LoadError(path, f"header declares an implausible point count ({count})")
    if header.are_points_compressed:
        return
    record = int(header.point_format.size)
    start = int(header.offset_to_point_data)
    if start > file_size:
        raise LoadError(path, f"header puts the point data at byte {start} but the file has only {file_size} bytes")
    if record <= 0:
        raise LoadError(path, "header declares a zero point record length")
    available = (file_size - start) // record
    if count > available:
        raise LoadError(path, f"header declares {count} points but the file holds only {available}")


def _laz_vlr(header) -> bytes | None:
    vlr = next((v for v in header.vlrs if v.user_id == "laszip encoded" and v.record_id == 22204), None)
    return getattr(vlr, "record_data", None)


def _laz_plan(path: str, header, file_size: int) -> list[_laz.Chunk] | None:
    """Validated chunks for the parallel decoder, or None for the sequential one. Raises
    LoadError for a chunk table or LAZ 1.4 layer sizes that cannot be right."""
    data_offset = int(header.offset_to_point_data)
    fmt = header.point_format
    count = int(header.point_count)
    vlr_data = _laz_vlr(header)
    if vlr_data is not None:
        _laz.check_item_size(path, vlr_data, int(fmt.size))
    layered = int(fmt.id) in _laz.LAYERS_14
    with open(path, "rb") as fh:
        table, n_chunks = _laz.chunk_table_offset(path, fh, data_offset, file_size)
        if vlr_data is None or table < 0:
            return None
        if n_chunks > _laz.max_chunks(vlr_data, count):
            if layered:  # the sequential decoder would trust these chunks' layer sizes unchecked
                raise LoadError(path, f"corrupt LAZ chunk table ({n_chunks} chunks for {count} points)")
            return None
        found = _laz.read_table(fh, vlr_data, data_offset)
        if found is None:
            return None
        chunks, chunk_size = found
        _laz.check_layers(path, fh, chunks, int(fmt.id), int(fmt.size), file_size)
    planned = _laz.consistent(chunks, chunk_size, data_offset, table, count)
    if planned is None:
        _laz.check_count(path, chunks, chunk_size, data_offset, table, count)
    return planned


def _read_parallel(path: str, header, chunks: list[_laz.Chunk], sink: PointSink, cancel: Cancel | None) -> None:
    """Decode runs of about RUN points, each run's chunks in parallel (lazrs/rayon, GIL
    released), one run ahead in a worker thread while this thread converts the previous one:
    the conversion fills the cores that a run's last chunks leave idle."""
    from concurrent.futures import ThreadPoolExecutor

    vlr_data = _laz_vlr(header)
    size = int(header.point_format.size)
    dtype = header.point_format.dtype()
    runs = _laz.groups(chunks, RUN)
    longest = max(sum(c.count for c in run) for run in runs)
    buffers = [np.empty(longest * size, np.uint8) for _ in range(min(2, len(runs)))]
    with open(path, "rb") as fh, ThreadPoolExecutor(1, thread_name_prefix="laz") as pool:
        pending = pool.submit(_laz.decode_chunks, fh, runs[0], vlr_data, size, buffers[0])
        for i in range(len(runs)):
            raw = pending.result()
            if cancel is not None and cancel():
                raise LoadCancelled()
            if i + 1 < len(runs):
                pending = pool.submit(_laz.decode_chunks, fh, runs[i + 1], vlr_data, size, buffers[(i + 1) % 2])
            sink.add(raw.view(dtype))


def _read_uncompressed(path: str, header, sink: PointSink, cancel: Cancel | None) -> None:
    """Plain LAS: records straight from the file into one reused buffer (the size was checked
    against the file before), then converted."""
    size = int(header.point_format.size)
    dtype = header.point_format.dtype()
    buf = bytearray(min(CHUNK, sink.count) * size)
    with open(path, "rb") as fh:
        fh.seek(int(header.offset_to_point_data))
        while sink.done < sink.count:
            if cancel is not None and cancel():
                raise LoadCancelled()
            want = min(CHUNK, sink.count - sink.done) * size
            got = fh.readinto(memoryview(buf)[:want])
            if got < size:
                break
            sink.add(np.frombuffer(buf, dtype=dtype, count=got // size))


def _read_sequential(reader, sink: PointSink, cancel: Cancel | None) -> None:
    for chunk in reader.chunk_iterator(CHUNK):
        if cancel is not None and cancel():
            raise LoadCancelled()
        if sink.done >= sink.count:
            break
        sink.add(chunk.array)


def _open_checked(path: str):
    """(laspy reader, file size) once the fixed header fields are known to be sane."""
    import laspy

    try:
        file_size = os.path.getsize(path)
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    if file_size < HEADER_MIN:
        raise LoadError(path, f"too small to be a LAS file ({file_size} bytes)")
    _check_raw_header(path, file_size)
    try:
        return laspy.open(path, laz_backend=laspy.LazBackend.Lazrs), file_size
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - laspy raises LaspyException, ValueError, struct errors...
        raise LoadError(path, f"not a readable LAS/LAZ file: {exc}") from None


def _decode(path: str, reader, chunks: list[_laz.Chunk] | None, sink, cancel: Cancel | None) -> None:
    """Every point record into `sink` (a PointSink, or anything with count/done/add)."""
    header = reader.header
    try:
        if chunks is not None:
            _read_parallel(path, header, chunks, sink, cancel)
        elif not header.are_points_compressed:
            _read_uncompressed(path, header, sink, cancel)
        else:
            _read_sequential(reader, sink, cancel)
    except (LoadCancelled, LoadError):
        raise
    except Exception as exc:  # noqa: BLE001 - truncated/corrupt LAZ: the decoder fails mid-stream
        raise LoadError(path, f"point data is corrupt or truncated after {sink.done} of {sink.count} points ({exc})") from None
    if sink.done < sink.count:
        raise LoadError(path, f"header declares {sink.count} points but the file holds only {sink.done}")


@dataclass
class LasSummary(LayerData):
    """A LAS/LAZ file as its header describes it (or, deep, as one bounded pass over its points
    measures it), without point arrays: what `twinscape info` needs, at the cost of a header."""

    points: int = 0
    bounds: np.ndarray | None = None  # (2,3) min/max in the file's coordinates
    bounds_from: str = "header"  # or "points"

    def counts(self) -> dict[str, int]:
        return {"points": self.points}

    def local_bounds(self) -> np.ndarray | None:
        return self.bounds


class _BoundsSink:
    """Keeps only the count and the min/max of the integer coordinates: memory stays at one
    decoded run whatever the file's size."""

    def __init__(self, header, count: int) -> None:
        self.count, self.done = count, 0
        self.scales = np.asarray(header.scales, dtype=np.float64)
        self.offsets = np.asarray(header.offsets, dtype=np.float64)
        self.lo = [None, None, None]
        self.hi = [None, None, None]

    def add(self, arr: np.ndarray) -> None:
        n = min(len(arr), self.count - self.done)
        if n <= 0:
            return
        for axis, name in enumerate("XYZ"):
            col = arr[name][:n]
            lo, hi = int(col.min()), int(col.max())
            self.lo[axis] = lo if self.lo[axis] is None else min(self.lo[axis], lo)
            self.hi[axis] = hi if self.hi[axis] is None else max(self.hi[axis], hi)
        self.done += n

    def bounds(self) -> np.ndarray | None:
        if not self.done:
            return None
        a = np.array(self.lo, dtype=np.float64) * self.scales + self.offsets
        b = np.array(self.hi, dtype=np.float64) * self.scales + self.offsets
        return np.array([np.minimum(a, b), np.maximum(a, b)])


def _header_bounds(header) -> np.ndarray | None:
    """The header's min/max, or None when they cannot be the points' (not finite, inverted, or
    beyond what 32-bit coordinates times scale plus offset can hold: some writers store raw
    integers there)."""
    b = np.array([header.mins, header.maxs], dtype=np.float64)
    scales = np.asarray(header.scales, dtype=np.float64)
    offsets = np.asarray(header.offsets, dtype=np.float64)
    ends = np.array([-(2.0 ** 31), 2.0 ** 31 - 1])[:, None] * scales + offsets
    lo, hi = ends.min(0) - np.abs(scales), ends.max(0) + np.abs(scales)
    if not np.isfinite(b).all() or (b[0] > b[1]).any() or (b[0] < lo).any() or (b[1] > hi).any():
        return None
    return b


def summarize_las(path: str, *, deep: bool = False, cancel: Cancel | None = None) -> LasSummary:
    """The same checks as the loader on the header (and the LAZ chunk table), then the header's
    count, bounds and CRS. `deep` decodes every point once, in bounded runs, to check the count
    and measure the true bounds; so does a header whose bounds cannot be right."""
    warnings: list[str] = []
    reader, file_size = _open_checked(path)
    with reader:
        header = reader.header
        _check_scaling(path, header)
        _check_size(path, header, file_size)
        chunks = _laz_plan(path, header, file_size) if header.are_points_compressed else None
        count = int(header.point_count)
        bounds = _header_bounds(header) if count else None
        deep = deep or (count > 0 and bounds is None)
        if deep and count:
            sink = _BoundsSink(header, count)
            _decode(path, reader, chunks, sink, cancel)
            bounds = sink.bounds()
        if count == 0:
            warnings.append("the file holds no points")
        georef = georef_for(header, warnings, lambda: bounds)
        metadata = {"point_format": int(header.point_format.id), "version": f"{header.version.major}.{header.version.minor}",
                    "loader": "LAS/LAZ"}
    return LasSummary(name=os.path.basename(path), kind="pointcloud", format=label_for(header), georef=georef,
                      source=path, warnings=warnings, metadata=metadata, points=count, bounds=bounds,
                      bounds_from="points" if deep and count else "header")


@register_loader(".las", ".laz", sniff=_sniff, priority=10, name="LAS/LAZ")
def read_las(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read a LAS/LAZ file into one PointCloudData layer."""
    warnings: list[str] = []
    reader, file_size = _open_checked(path)
    with reader:
        header = reader.header
        _check_scaling(path, header)
        if is_copc(header):  # an octree already: read node by node (a bad chunk loses one node)
            from loaders.copc import MAX_POINTS as COPC_MAX, read_copc

            try:
                return [read_copc(path, max_points=COPC_MAX, progress=progress, cancel=cancel)]
            except LoadError as exc:
                warnings.append(f"COPC hierarchy unusable ({exc.reason}); read as plain LAZ")
        _check_size(path, header, file_size)
        chunks = _laz_plan(path, header, file_size) if header.are_points_compressed else None
        count = int(header.point_count)
        sink = PointSink(header, count, progress)
        if count:
            _decode(path, reader, chunks, sink, cancel)
        if count == 0:
            warnings.append("the file holds no points")
        cloud = sink.finish(os.path.basename(path), label_for(header), georef_for(header, warnings, sink.bounds), path)
    cloud.warnings = warnings + cloud.warnings
    if progress is not None:
        progress(1.0, f"{count:,} points")
    return [cloud]
