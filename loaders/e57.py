"""ASTM E57 laser scans via pye57 (libE57Format): every scan, placed by its pose, as one cloud.

Why not pye57's read_scan: it allocates buffers for the point count the file claims, so a lying
count costs that much memory. Here points are read in fixed-size chunks until the reader stops,
which bounds memory by the data present; cartesian and spherical scans, intensity, colours
(scaled by the file's colour limits) and invalid-point flags are handled.
"""
from __future__ import annotations

import os
import struct

import numpy as np

from loaders.base import Cancel, Georef, LayerData, LoadCancelled, LoadError, PointCloudData, Progress
from loaders.registry import register_loader

HEADER = struct.Struct("<8sIIQQQQ")  # signature, major, minor, physical length, XML offset, XML length, page size
CHUNK = 1_000_000
MAX_POINTS = 2_000_000_000
CARTESIAN = ("cartesianX", "cartesianY", "cartesianZ")
SPHERICAL = ("sphericalRange", "sphericalAzimuth", "sphericalElevation")
COLORS = ("colorRed", "colorGreen", "colorBlue")


def _sniff(head: bytes) -> bool:
    return head.startswith(b"ASTM-E57")


def _check_header(path: str, file_size: int) -> None:
    """The fixed header must describe this file: libE57 would otherwise seek into nothing."""
    with open(path, "rb") as fh:
        head = fh.read(HEADER.size)
    if len(head) < HEADER.size or not _sniff(head):
        raise LoadError(path, "not an E57 file (no ASTM-E57 signature)")
    _, major, _, length, xml_offset, xml_length, page = HEADER.unpack(head)
    if major != 1:
        raise LoadError(path, f"unsupported E57 version {major}")
    if length != file_size:
        raise LoadError(path, f"E57 header declares {length} bytes but the file has {file_size} (truncated?)")
    if page != 1024 or not HEADER.size <= xml_offset < file_size or xml_length > file_size:
        raise LoadError(path, "corrupt E57 header (XML section or page size outside the file)")


def _limits(node, prefix: str) -> tuple[float, float] | None:
    """(minimum, maximum) of e.g. colorLimits/colorRed, or None when the file does not say."""
    try:
        return float(node[f"{prefix}Minimum"].value()), float(node[f"{prefix}Maximum"].value())
    except Exception:  # noqa: BLE001 - libE57 raises E57Exception for a missing child
        return None


def _read_scan(e57, index: int, cancel: Cancel | None) -> dict[str, np.ndarray]:
    """One scan's fields, chunk by chunk (memory bounded by the data actually present)."""
    from pye57 import libe57

    header = e57.get_header(index)
    fields = set(header.point_fields)
    coords = CARTESIAN if set(CARTESIAN) <= fields else SPHERICAL if set(SPHERICAL) <= fields else None
    if coords is None:
        raise ValueError(f"scan {index} has neither cartesian nor spherical coordinates")
    claimed = int(header.point_count)
    if not 0 <= claimed <= MAX_POINTS:
        raise ValueError(f"scan {index} declares an implausible point count ({claimed})")
    wanted = list(coords) + [f for f in ("intensity", *COLORS) if f in fields]
    invalid = "cartesianInvalidState" if coords is CARTESIAN else "sphericalInvalidState"
    if invalid in fields:
        wanted.append(invalid)
    capacity = max(1, min(CHUNK, claimed))
    arrays, buffers = {}, libe57.VectorSourceDestBuffer()
    for name in wanted:
        dtype = np.int8 if name == invalid else np.float64  # pye57 mis-strides int64 buffers: floats are exact here
        arrays[name] = np.empty(capacity, dtype)
        buffers.append(libe57.SourceDestBuffer(e57.image_file, name, arrays[name], capacity, True, True))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in wanted}
    reader = header.points.reader(buffers)
    try:
        total = 0
        while total < claimed:
            if cancel is not None and cancel():
                raise LoadCancelled()
            n = int(reader.read())
            if n <= 0:
                break
            n = min(n, claimed - total)
            for name in wanted:
                parts[name].append(arrays[name][:n].copy())
            total += n
    finally:
        reader.close()
    out = {name: np.concatenate(chunks) if chunks else np.zeros(0, arrays[name].dtype) for name, chunks in parts.items()}
    if invalid in out:  # 0 = valid; 1/2 = direction only or no return: not a point
        keep = out.pop(invalid) == 0
        out = {k: v[keep] for k, v in out.items()}
    if coords is SPHERICAL:
        r, az, el = out.pop("sphericalRange"), out.pop("sphericalAzimuth"), out.pop("sphericalElevation")
        out["cartesianX"], out["cartesianY"], out["cartesianZ"] = r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)
    xyz = np.stack([out.pop(c) for c in CARTESIAN], axis=1)
    if header.has_pose():
        xyz = xyz @ np.asarray(header.rotation_matrix, dtype=np.float64).T + np.asarray(header.translation, dtype=np.float64)
    out["xyz"] = xyz
    if set(COLORS) <= set(out):
        limits = _limits(header.node["colorLimits"], "colorRed") if "colorLimits" in header.scan_fields else None
        lo, hi = limits if limits and limits[1] > limits[0] else (0.0, 255.0)
        rgb = np.stack([out.pop(c) for c in COLORS], axis=1).astype(np.float64)
        out["rgb"] = np.clip((rgb - lo) * (255.0 / (hi - lo)), 0, 255).round().astype(np.uint8)
    return out


def _georef(e57, warnings: list[str]) -> Georef:
    """E57 keeps any CRS as free text (`coordinateMetadata`, often empty): use it when pyproj
    understands it, else place the scan unreferenced with a warning."""
    try:
        text = str(e57.root["coordinateMetadata"].value()).strip()
    except Exception:  # noqa: BLE001 - optional element
        text = ""
    if text:
        try:
            import pyproj

            return Georef(kind="crs", crs=pyproj.CRS.from_user_input(text).to_wkt())
        except Exception:  # noqa: BLE001
            warnings.append("CRS text in file is not understood; placed unreferenced at the scene origin")
            return Georef(kind="none")
    warnings.append("no CRS in file; placed unreferenced at the scene origin (set its EPSG code or place it by hand)")
    return Georef(kind="none")


def _reason(exc: BaseException) -> str:
    """libE57's message is one line of reason, then a multi-line debug dump (context, source
    file and line): the reason is what the user reads."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def open_e57(path: str):  # noqa: ANN201 - a pye57.E57
    """The file opened by libE57 after its header was checked; LoadError with the reason otherwise
    (the loader and the comparison's chunked reader open E57 files the same way)."""
    import pye57

    try:
        file_size = os.path.getsize(path)
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    _check_header(path, file_size)
    try:
        return pye57.E57(path)
    except Exception as exc:  # noqa: BLE001 - libE57 reports bad files as E57Exception/RuntimeError
        raise LoadError(path, f"not a readable E57 file: {_reason(exc)}") from None


@register_loader(".e57", sniff=_sniff, priority=5, name="E57")
def read_e57(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Every scan of an E57 file, in the file's common frame, as one point cloud (`scan` attribute)."""
    e57 = open_e57(path)
    warnings: list[str] = []
    try:
        scans = []
        n_scans = int(e57.scan_count)
        for i in range(n_scans):
            try:
                scans.append(_read_scan(e57, i, cancel))
            except LoadCancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad scan does not lose the others
                warnings.append(f"scan {i} could not be read ({type(exc).__name__}: {_reason(exc)}); skipped")
            if progress is not None:
                progress((i + 1) / max(n_scans, 1), f"scan {i + 1} of {n_scans}")
        if n_scans and not scans:
            raise LoadError(path, "no scan in the file could be read: " + "; ".join(warnings))
        georef = _georef(e57, warnings)
    finally:
        e57.close()
    positions = np.concatenate([s["xyz"] for s in scans]) if scans else np.zeros((0, 3))
    attrs: dict[str, np.ndarray] = {}
    if scans and all("intensity" in s for s in scans):
        attrs["intensity"] = np.concatenate([s["intensity"] for s in scans]).astype(np.float32)
    if len(scans) > 1:
        attrs["scan"] = np.concatenate([np.full(len(s["xyz"]), i, np.uint16) for i, s in enumerate(scans)])
    colors = np.concatenate([s["rgb"] for s in scans]) if scans and all("rgb" in s for s in scans) else None
    finite = np.isfinite(positions).all(axis=1)
    if not finite.all():  # drop what cannot be drawn, say so
        warnings.append(f"{int((~finite).sum()):,} points with NaN or infinite coordinates dropped")
        positions, attrs = positions[finite], {k: v[finite] for k, v in attrs.items()}
        colors = None if colors is None else colors[finite]
    if len(positions) == 0:
        warnings.append("the file holds no points")
    return [PointCloudData(name=os.path.basename(path), kind="pointcloud", format="E57", georef=georef, source=path,
                           warnings=warnings, metadata={"scans": len(scans)}, positions=positions, colors=colors,
                           attributes=attrs)]
