"""LAZ chunk tables read and validated by us, then chunks decoded in parallel by lazrs.

Why hand-written: lazrs' parallel decoder trusts the chunk table, and a mutated table once made
it allocate tens of GB. A table that passes `validated_chunks` describes chunks that lie inside
the file, in order, and hold exactly the points the header declares; decoding such chunks
(`decode_chunks`) allocates only the output buffer we size ourselves. Anything doubtful returns
None and the caller falls back to lazrs' sequential decoder. Shared by the LAS and COPC loaders.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from loaders.base import LoadError

VARIABLE = 0xFFFFFFFF  # LAZ VLR chunk size meaning "every chunk says how many points it holds"
LAYERS_14 = {6: (9, 30), 7: (10, 36), 8: (11, 38), 9: (10, 59), 10: (12, 67)}  # LAZ layers, standard record size


@dataclass(frozen=True)
class Chunk:
    """One LAZ chunk: `count` points compressed in `nbytes` bytes starting at file `offset`."""

    offset: int
    count: int
    nbytes: int


def chunk_table_offset(path: str, fh: BinaryIO, data_offset: int, file_size: int) -> tuple[int, int]:
    """(offset of the chunk table, its number of chunks); (-1, 0) when the writer left none. A
    corrupt offset sends lazrs seeking and scanning for a long time: refused with LoadError."""
    fh.seek(data_offset)
    raw = fh.read(8)
    if len(raw) < 8:
        raise LoadError(path, "LAZ point data is missing (file truncated)")
    (table,) = struct.unpack("<q", raw)
    if table == -1:
        return -1, 0
    if not data_offset + 8 <= table <= file_size - 8:
        raise LoadError(path, f"corrupt LAZ chunk table offset {table} for a {file_size}-byte file")
    fh.seek(table)
    version, n_chunks = struct.unpack("<II", fh.read(8))
    if version != 0 or n_chunks > table - data_offset:  # every chunk takes at least one byte
        raise LoadError(path, f"corrupt LAZ chunk table ({n_chunks} chunks in {table - data_offset} bytes)")
    return table, n_chunks


def check_item_size(path: str, vlr_data: bytes, point_size: int) -> None:
    """The LAZ VLR's items must add up to the header's point record length: lazrs splits its
    output by the items' size and panics ("mid > len", a Rust abort message on stderr and an
    exception no `except Exception` catches) when a flipped byte makes them disagree."""
    import lazrs

    try:
        item_size = int(lazrs.LazVlr(vlr_data).item_size())
    except Exception:  # noqa: BLE001 - lazrs.LazrsError for an unreadable VLR
        raise LoadError(path, "corrupt LAZ VLR (unreadable item list)") from None
    if item_size != point_size:
        raise LoadError(path, f"corrupt LAZ VLR: its items take {item_size} bytes per point, "
                              f"the header's point records {point_size}")


def max_chunks(vlr_data: bytes, count: int) -> int:
    """How many chunks `count` points can take: a table claiming more is not read at all
    (decoding millions of bogus entries would look like a hang)."""
    import lazrs

    try:
        chunk_size = int(lazrs.LazVlr(vlr_data).chunk_size())
    except Exception:  # noqa: BLE001
        return 0
    if chunk_size == VARIABLE:
        return count
    return -(-count // max(chunk_size, 1))


def read_table(fh: BinaryIO, vlr_data: bytes, data_offset: int) -> tuple[list[Chunk], int] | None:
    """The chunk table as file-placed `Chunk`s (counts as stored: fixed-size tables repeat the
    VLR's chunk size) and the VLR's chunk size; None when lazrs cannot read it."""
    import lazrs

    try:
        vlr = lazrs.LazVlr(vlr_data)
        chunk_size = int(vlr.chunk_size())
        fh.seek(data_offset)
        raw = lazrs.read_chunk_table(fh, vlr)
    except Exception:  # noqa: BLE001 - unreadable table: the sequential decoder decides
        return None
    chunks, pos = [], data_offset + 8
    for count, nbytes in raw:
        chunks.append(Chunk(pos, int(count), int(nbytes)))
        pos += int(nbytes)
    return chunks, chunk_size


def consistent(chunks: list[Chunk], chunk_size: int, data_offset: int, table: int, count: int) -> list[Chunk] | None:
    """`chunks` with exact point counts when the table is consistent, else None (decode
    sequentially). Consistent: the chunks tile the bytes between the point data start and the
    table exactly, each holds at least one point and one byte, fixed-size chunks hold the VLR's
    chunk size (the last one the remainder), variable-size counts add up to the header's count."""
    n = len(chunks)
    if count == 0 or n == 0:
        return [] if count == 0 and n == 0 else None
    if any(c.nbytes < 1 or c.count < 0 for c in chunks) or sum(c.nbytes for c in chunks) != table - data_offset - 8:
        return None
    if chunk_size == VARIABLE:
        if any(c.count < 1 for c in chunks) or sum(c.count for c in chunks) != count:
            return None
        return chunks
    if chunk_size < 1 or n != -(-count // chunk_size):
        return None
    last = count - chunk_size * (n - 1)
    return [Chunk(c.offset, chunk_size if i < n - 1 else last, c.nbytes) for i, c in enumerate(chunks)]


def check_count(path: str, chunks: list[Chunk], chunk_size: int, data_offset: int, table: int, count: int) -> None:
    """A chunk table that tiles the point data exactly is the file's own; when its points do
    not add up to the header's count, the header lies. The sequential decoder would trust the
    header (a flipped count byte made lazrs allocate 3.7 GB and abort the process under a
    memory limit): say what is wrong instead."""
    if not chunks or any(c.nbytes < 1 for c in chunks) or sum(c.nbytes for c in chunks) != table - data_offset - 8:
        return  # not a table to judge by: the decoder's own end-of-data checks apply
    if chunk_size == VARIABLE:
        held = sum(c.count for c in chunks)
        if all(c.count >= 1 for c in chunks) and held != count:
            raise LoadError(path, f"header declares {count:,} points but the LAZ chunk table holds {held:,}")
    elif chunk_size >= 1 and len(chunks) != -(-count // chunk_size):
        raise LoadError(path, f"header declares {count:,} points but the LAZ chunk table has {len(chunks)} "
                              f"chunks of {chunk_size:,}")


def check_layers(path: str, fh: BinaryIO, chunks: list[Chunk], fmt_id: int, point_size: int, file_size: int) -> None:
    """LAZ 1.4 formats (6-10) store per-chunk layer sizes that lazrs allocates blindly (a flipped
    byte can cost 4 GiB), in the parallel and the sequential decoder alike: each chunk must lie
    in the file and its layer sizes must fit in the chunk."""
    if fmt_id not in LAYERS_14:
        return
    n_layers = LAYERS_14[fmt_id][0] + max(0, point_size - LAYERS_14[fmt_id][1])
    head = point_size + 4 + 4 * n_layers
    for chunk in chunks:
        if chunk.offset + chunk.nbytes > file_size or chunk.nbytes < head:
            raise LoadError(path, "corrupt LAZ chunk table (a chunk lies outside the file)")
        fh.seek(chunk.offset + point_size)
        sizes = struct.unpack(f"<{1 + n_layers}I", fh.read(4 + 4 * n_layers))
        if head + sum(sizes[1:]) > chunk.nbytes:
            raise LoadError(path, "corrupt LAZ point data (layer sizes exceed their chunk)")


def groups(chunks: list[Chunk], points: int) -> list[list[Chunk]]:
    """Consecutive runs of chunks of about `points` points each (one read, one parallel decode)."""
    out: list[list[Chunk]] = []
    run: list[Chunk] = []
    total = 0
    for chunk in chunks:
        contiguous = not run or run[-1].offset + run[-1].nbytes == chunk.offset
        if run and (total + chunk.count > points or not contiguous):
            out.append(run)
            run, total = [], 0
        run.append(chunk)
        total += chunk.count
    if run:
        out.append(run)
    return out


def decode_chunks(fh: BinaryIO, run: list[Chunk], vlr_data: bytes, point_size: int,
                  out: np.ndarray | None = None) -> np.ndarray:
    """Decode contiguous chunks (in parallel where lazrs can) into raw point records (uint8).

    `out`, when given, is a buffer at least as large as needed and is reused. Raises
    lazrs.LazrsError (or ValueError) for corrupt chunk data.
    """
    import lazrs

    if int(lazrs.LazVlr(vlr_data).item_size()) != point_size:  # lazrs would panic, not raise
        raise ValueError(f"LAZ items take {lazrs.LazVlr(vlr_data).item_size()} bytes per point, the records {point_size}")
    n = sum(c.count for c in run)
    nbytes = sum(c.nbytes for c in run)
    fh.seek(run[0].offset)
    compressed = bytearray(nbytes)
    got = fh.readinto(compressed)
    if got != nbytes:
        raise ValueError(f"chunk data truncated ({got} of {nbytes} bytes)")
    size = n * point_size
    buf = out[:size] if out is not None and len(out) >= size else np.empty(size, dtype=np.uint8)
    lazrs.decompress_points_with_chunk_table(compressed, vlr_data, buf, [(c.count, c.nbytes) for c in run],
                                             lazrs.DecompressionSelection(lazrs.SELECTIVE_DECOMPRESS_ALL))
    return buf
