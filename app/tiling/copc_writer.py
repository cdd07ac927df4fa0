"""COPC output: each octree node is one variable-size LAZ chunk; the file is LAS 1.4 with the
`copc` info VLR first, the LAZ VLR, an optional WKT VLR, the chunks, the LAZ chunk table and
the hierarchy EVLR.

Chunks are compressed inside the node tasks with lazrs (already installed through laspy[lazrs],
the compressor laspy itself uses), so compression runs in parallel; the final step only
concatenates files. copclib would add a C++ wheel for what is a few hundred bytes of headers
written here with struct, following the COPC 1.0 and LAS 1.4 R15 layouts.
"""
from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass

import numpy as np

from app.tiling.layout import Layout

HEADER_SIZE = 375
VLR_HEADER = 54
EVLR_HEADER = 60
ENTRY = struct.Struct("<iiiiQii")  # VoxelKey (level, x, y, z), offset, byte size, point count


def laz_vlr(point_format: int):
    import lazrs

    return lazrs.LazVlr.new_for_compression(point_format, 0, True)  # variable-size chunks


class CopcSink:
    """Compresses each node to a LAZ chunk appended to this task's chunk file."""

    def __init__(self, layout: Layout, path: str) -> None:
        self.layout = layout
        self.path = path
        self.vlr = laz_vlr(layout.point_format)
        self.entries: list[dict] = []
        self.offset = 0
        self.fh = open(path, "wb")

    def write(self, key: tuple[int, int, int, int], records: np.ndarray) -> None:
        import lazrs

        if not len(records):
            return
        data = lazrs.compress_points(self.vlr, np.frombuffer(records.tobytes(), np.uint8), False)
        table_at = struct.unpack_from("<q", data, 0)[0]
        chunk = memoryview(data)[8:table_at]  # drop the offset word and the one-entry chunk table
        self.fh.write(chunk)
        self.entries.append({"key": key, "count": int(len(records)), "file": self.path,
                             "offset": self.offset, "size": len(chunk)})
        self.offset += len(chunk)

    def finish(self) -> list[dict]:
        self.fh.close()
        return self.entries


@dataclass
class CopcSpec:
    """Picklable factory a worker turns into a sink."""

    layout: Layout
    tmpdir: str

    def __call__(self, name: str) -> CopcSink:
        return CopcSink(self.layout, os.path.join(self.tmpdir, "chunks", f"{name}.laz"))


def _vlr(user: str, record: int, payload: bytes, description: str = "") -> bytes:
    return struct.pack("<H16sHH32s", 0, user.encode(), record, len(payload), description.encode()[:32]) + payload


def _evlr(user: str, record: int, payload: bytes, description: str = "") -> bytes:
    return struct.pack("<H16sHQ32s", 0, user.encode(), record, len(payload), description.encode()[:32]) + payload


def _ancestors_filled(entries: list[dict]) -> list[dict]:
    """Every ancestor of a node needs a hierarchy entry, even with no points, or readers stop there."""
    keys = {tuple(e["key"]) for e in entries}
    out = list(entries)
    for level, x, y, z in list(keys):
        while level > 0:
            level, x, y, z = level - 1, x >> 1, y >> 1, z >> 1
            if (level, x, y, z) in keys:
                break
            keys.add((level, x, y, z))
            out.append({"key": (level, x, y, z), "count": 0, "file": None, "offset": 0, "size": 0})
    if not keys:
        out.append({"key": (0, 0, 0, 0), "count": 0, "file": None, "offset": 0, "size": 0})
    return out


def write_copc(out_path: str, layout: Layout, entries: list[dict], stats: dict) -> dict:
    """Assemble the COPC file from the node chunk files; streams, never holds the cloud."""
    import lazrs

    entries = _ancestors_filled(entries)
    vlr = laz_vlr(layout.point_format)
    laz_payload = vlr.record_data()
    wkt = (layout.crs_wkt or "").encode() + b"\0" if layout.crs_wkt else b""
    info_len = 160
    vlrs_len = (VLR_HEADER + info_len) + (VLR_HEADER + len(laz_payload)) + ((VLR_HEADER + len(wkt)) if wkt else 0)
    data_offset = HEADER_SIZE + vlrs_len
    # point data: [i64 offset to chunk table][chunks...][chunk table]
    pos = data_offset + 8
    order = sorted((e for e in entries if e["count"] > 0), key=lambda e: (e["key"][0], e["file"], e["offset"]))
    for e in order:
        e["abs"] = pos
        pos += e["size"]
    table_at = pos
    table = io.BytesIO()
    lazrs.write_chunk_table(table, [(e["count"], e["size"]) for e in order], vlr)
    evlr_at = table_at + len(table.getvalue())
    hier = b"".join(ENTRY.pack(*e["key"], e.get("abs", 0), e["size"], e["count"])
                    for e in sorted(entries, key=lambda e: tuple(e["key"])))
    hier_payload_at = evlr_at + EVLR_HEADER

    count = sum(e["count"] for e in entries)
    scales, offsets = np.asarray(layout.scales), np.asarray(layout.offsets)
    imin, imax = np.asarray(stats["imin"], np.float64), np.asarray(stats["imax"], np.float64)
    if count == 0:
        imin = imax = np.zeros(3)
    mins, maxs = imin * scales + offsets, imax * scales + offsets
    gps_min, gps_max = stats["gps"] if count else (0.0, 0.0)
    info = struct.pack("<5d2Q2d11Q", *layout.center, layout.halfsize, layout.spacing(0),
                       hier_payload_at, len(hier), gps_min, gps_max, *([0] * 11))
    global_encoding = 16  # WKT bit: required for point formats 6-10 (LAS 1.4 R15)
    returns = list(stats["returns"][1:16]) + [0] * 15
    header = struct.pack(
        "<4sHH16sBB32s32sHHHIIBHI5I3d3d6dQQIQ15Q",
        b"LASF", 0, global_encoding, b"\0" * 16, 1, 4, b"twinscape".ljust(32, b"\0"),
        b"twinscape tile".ljust(32, b"\0"), 1, 2026, HEADER_SIZE, data_offset, 3 if wkt else 2,
        0x80 | layout.point_format, layout.record_size, 0, 0, 0, 0, 0, 0,
        *scales, *offsets, maxs[0], mins[0], maxs[1], mins[1], maxs[2], mins[2],
        0, evlr_at, 1, count, *returns[:15])
    assert len(header) == HEADER_SIZE
    try:  # out_path is the job's temporary name (app.tiling.output renames it into place)
        _write(out_path, header, info, laz_payload, wkt, table_at, order, table.getvalue(), hier)
    except BaseException:
        if os.path.exists(out_path):
            os.remove(out_path)
        raise
    return {"points": count, "nodes": len(order), "bytes": os.path.getsize(out_path)}


def _write(tmp: str, header: bytes, info: bytes, laz_payload: bytes, wkt: bytes, table_at: int,
           order: list[dict], table: bytes, hier: bytes) -> None:
    with open(tmp, "wb") as out:
        out.write(header)
        out.write(_vlr("copc", 1, info, "COPC info"))
        out.write(_vlr("laszip encoded", 22204, laz_payload, "lazrs variable chunks"))
        if wkt:
            out.write(_vlr("LASF_Projection", 2112, wkt, "WKT"))
        out.write(struct.pack("<q", table_at))
        handles: dict[str, object] = {}
        try:
            for e in order:
                fh = handles.get(e["file"]) or handles.setdefault(e["file"], open(e["file"], "rb"))
                fh.seek(e["offset"])
                _copy(fh, out, e["size"])
        finally:
            for fh in handles.values():
                fh.close()
        out.write(table)
        out.write(_evlr("copc", 1000, hier, "EPT hierarchy"))


def _copy(src, dst, size: int, block: int = 1 << 22) -> None:
    left = size
    while left > 0:
        data = src.read(min(block, left))
        if not data:
            raise OSError("chunk file ended early")
        dst.write(data)
        left -= len(data)

