"""LAS/LAZ 1.0-1.4 point clouds via laspy (lazrs backend for LAZ and COPC).

Points are read in chunks so progress and cancel work on large files, and the header is
checked against the file size before anything is allocated (a lying header must not make
us allocate gigabytes or read garbage).
"""
from __future__ import annotations

import os
import struct

import numpy as np

from loaders.base import Cancel, Georef, LayerData, LoadCancelled, LoadError, PointCloudData, Progress
from loaders.registry import register_loader

CHUNK = 1_000_000
HEADER_MIN = 227  # LAS 1.0 public header size
MAX_POINTS = 2_000_000_000
LAYERS_14 = {6: (9, 30), 7: (10, 36), 8: (11, 38), 9: (10, 59), 10: (12, 67)}  # LAZ layers, standard record size  # refuse absurd counts before we look any further


def _sniff(head: bytes) -> bool:
    return head.startswith(b"LASF")


def _is_copc(header) -> bool:
    return any(getattr(v, "user_id", "") == "copc" and getattr(v, "record_id", 0) == 1 for v in header.vlrs)


def _georef(header, warnings: list[str]) -> Georef:
    """CRS from the WKT or GeoTIFF VLRs; no/garbage CRS means local placement with a warning."""
    try:
        crs = header.parse_crs()
    except Exception as exc:  # noqa: BLE001 - laspy/pyproj raise many kinds on a bad VLR
        warnings.append(f"CRS record in file is unreadable ({type(exc).__name__}); placed at the scene origin")
        return Georef(kind="none")
    if crs is None:
        warnings.append("no CRS in file; placed at the scene origin")
        return Georef(kind="none")
    try:
        wkt = crs.to_wkt()
    except Exception:  # noqa: BLE001
        wkt = None
    if not wkt:
        warnings.append("CRS record in file cannot be expressed as WKT; placed at the scene origin")
        return Georef(kind="none")
    return Georef(kind="crs", crs=wkt)


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


def _check_chunk_table(path: str, data_offset: int, file_size: int) -> None:
    """LAZ starts its point data with the chunk-table offset; a corrupt one sends the decoder
    seeking and scanning for a long time, so refuse it up front."""
    with open(path, "rb") as fh:
        fh.seek(data_offset)
        raw = fh.read(8)
    if len(raw) < 8:
        raise LoadError(path, "LAZ point data is missing (file truncated)")
    (table,) = struct.unpack("<q", raw)
    if table == -1:
        return
    if not data_offset + 8 <= table <= file_size - 8:
        raise LoadError(path, f"corrupt LAZ chunk table offset {table} for a {file_size}-byte file")
    with open(path, "rb") as fh:
        fh.seek(table)
        version, n_chunks = struct.unpack("<II", fh.read(8))
    if version != 0 or n_chunks > table - data_offset:  # every chunk takes at least one byte
        raise LoadError(path, f"corrupt LAZ chunk table ({n_chunks} chunks in {table - data_offset} bytes)")


def _check_laz_layers(path: str, header, file_size: int) -> None:
    """LAZ 1.4 formats (6-10) store per-chunk layer sizes that lazrs allocates blindly (a flipped
    byte can cost 4 GiB); check each chunk's layer sizes against its size in the chunk table."""
    import lazrs

    fmt = header.point_format
    if fmt.id < 6 or fmt.id not in LAYERS_14:
        return
    vlr = next((v for v in header.vlrs if v.user_id == "laszip encoded" and v.record_id == 22204), None)
    if vlr is None or not hasattr(vlr, "record_data"):
        return
    n_layers = LAYERS_14[fmt.id][0] + max(0, fmt.size - LAYERS_14[fmt.id][1])
    data_offset = int(header.offset_to_point_data)
    with open(path, "rb") as fh:
        fh.seek(data_offset)
        try:
            table = lazrs.read_chunk_table(fh, lazrs.LazVlr(vlr.record_data))
        except Exception:  # noqa: BLE001 - no table (written without one) or unreadable: the decoder decides
            return
        pos = data_offset + 8
        for _count, nbytes in table:
            head = fmt.size + 4 + 4 * n_layers
            if pos + nbytes > file_size or nbytes < head:
                raise LoadError(path, "corrupt LAZ chunk table (a chunk lies outside the file)")
            fh.seek(pos + fmt.size)
            sizes = struct.unpack(f"<{1 + n_layers}I", fh.read(4 + 4 * n_layers))
            if head + sum(sizes[1:]) > nbytes:
                raise LoadError(path, "corrupt LAZ point data (layer sizes exceed their chunk)")
            pos += nbytes


def _check_size(path: str, header, file_size: int) -> None:
    """Uncompressed LAS: the declared points must fit in the file (checked before reading)."""
    count = int(header.point_count)
    if count < 0 or count > MAX_POINTS:
        raise LoadError(path, f"header declares an implausible point count ({count})")
    if header.are_points_compressed:
        _check_chunk_table(path, int(header.offset_to_point_data), file_size)
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


def _to_u8(rgb: np.ndarray) -> np.ndarray:
    """LAS colours are 16-bit but many writers store 8-bit values; scale only when needed."""
    if rgb.size and rgb.max() > 255:
        rgb = rgb >> 8
    return rgb.astype(np.uint8)


@register_loader(".las", ".laz", sniff=_sniff, priority=10, name="LAS/LAZ")
def read_las(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read a LAS/LAZ file into one PointCloudData layer."""
    import laspy

    try:
        file_size = os.path.getsize(path)
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    if file_size < HEADER_MIN:
        raise LoadError(path, f"too small to be a LAS file ({file_size} bytes)")
    _check_raw_header(path, file_size)
    warnings: list[str] = []
    try:
        reader = laspy.open(path, laz_backend=laspy.LazBackend.Lazrs)
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - laspy raises LaspyException, ValueError, struct errors...
        raise LoadError(path, f"not a readable LAS/LAZ file: {exc}") from None
    with reader:
        header = reader.header
        _check_size(path, header, file_size)
        if header.are_points_compressed:
            _check_laz_layers(path, header, file_size)
        count = int(header.point_count)
        fmt = header.point_format
        dims = set(fmt.dimension_names)
        has_rgb = {"red", "green", "blue"} <= dims
        has_gps = "gps_time" in dims
        compressed = bool(header.are_points_compressed)
        version = f"{header.version.major}.{header.version.minor}"
        label = f"{'LAZ' if compressed else 'LAS'} {version}" + (" COPC" if _is_copc(header) else "")
        georef = _georef(header, warnings)

        positions = np.empty((count, 3), dtype=np.float64)
        colors = np.empty((count, 3), dtype=np.uint16) if has_rgb else None
        attrs: dict[str, np.ndarray] = {
            "intensity": np.empty(count, np.uint16),
            "classification": np.empty(count, np.uint8),
            "return_number": np.empty(count, np.uint8),
            "number_of_returns": np.empty(count, np.uint8),
            "point_source_id": np.empty(count, np.uint16),
        }
        if has_gps:
            attrs["gps_time"] = np.empty(count, np.float64)

        done = 0
        if count:
            try:
                for chunk in reader.chunk_iterator(CHUNK):
                    if cancel is not None and cancel():
                        raise LoadCancelled()
                    n = min(len(chunk), count - done)
                    if n <= 0:
                        break
                    sl = slice(done, done + n)
                    positions[sl, 0] = np.asarray(chunk.x)[:n]
                    positions[sl, 1] = np.asarray(chunk.y)[:n]
                    positions[sl, 2] = np.asarray(chunk.z)[:n]
                    if colors is not None:
                        colors[sl, 0] = np.asarray(chunk.red)[:n]
                        colors[sl, 1] = np.asarray(chunk.green)[:n]
                        colors[sl, 2] = np.asarray(chunk.blue)[:n]
                    for name, arr in attrs.items():
                        arr[sl] = np.asarray(chunk[name])[:n]
                    done += n
                    if progress is not None:
                        progress(done / count, f"{done:,} of {count:,} points")
            except (LoadCancelled, LoadError):
                raise
            except Exception as exc:  # noqa: BLE001 - truncated/corrupt LAZ: the decoder fails mid-stream
                raise LoadError(path, f"point data is corrupt or truncated after {done} of {count} points ({exc})") from None
        if done < count:
            raise LoadError(path, f"header declares {count} points but the file holds only {done}")
        if count == 0:
            warnings.append("the file holds no points")

        metadata = {
            "point_format": int(fmt.id),
            "version": version,
            "scale": [float(v) for v in header.scales],
            "offset": [float(v) for v in header.offsets],
            "header_bounds": [[float(v) for v in header.mins], [float(v) for v in header.maxs]],
        }
    if progress is not None:
        progress(1.0, f"{count:,} points")
    return [
        PointCloudData(
            name=os.path.basename(path),
            kind="pointcloud",
            format=label,
            georef=georef,
            source=path,
            warnings=warnings,
            metadata=metadata,
            positions=positions,
            colors=_to_u8(colors) if colors is not None else None,
            attributes=attrs,
        )
    ]
