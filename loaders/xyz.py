"""ASCII point clouds (.xyz .txt .csv .pts .asc) as CloudCompare, scanners and spreadsheets write them.

The layout (delimiter, header row, PTS count line, what the columns after x y z mean) is
sniffed from the first lines; the body is then read in fixed-size blocks parsed by numpy's C
`loadtxt`, so memory stays bounded by the block size plus what the file holds, and progress
and cancel work. Ragged or non-numeric lines are skipped and counted, never fatal.
"""
from __future__ import annotations

import io
import os
import re
import warnings as _warnings

import numpy as np

from loaders.base import Cancel, Georef, LayerData, LoadCancelled, LoadError, PointCloudData, Progress
from loaders.registry import register_loader

BLOCK = 4 << 20  # bytes parsed per loadtxt call
MAX_LINE = 64 << 10  # a longer line is not a point record; refuse rather than buffer gigabytes
SAMPLE_LINES = 50
MAX_POINTS = 2_000_000_000
COMMENTS = ("#", "//")
DELIMS = {";": "semicolon", ",": "comma", "\t": "tab", None: "whitespace"}
ALIASES = {
    "x": "x", "easting": "x", "east": "x", "e": "x", "lon": "x", "long": "x", "longitude": "x", "lng": "x",
    "y": "y", "northing": "y", "north": "y", "n": "y", "lat": "y", "latitude": "y",
    "z": "z", "elevation": "z", "elev": "z", "height": "z", "h": "z", "alt": "z", "altitude": "z",
    "r": "r", "red": "r", "rf": "r", "g": "g", "green": "g", "gf": "g", "b": "b", "blue": "b", "bf": "b",
    "i": "intensity", "int": "intensity", "inten": "intensity", "intensity": "intensity",
    "scalar_intensity": "intensity", "class": "classification", "cls": "classification",
    "classification": "classification", "scalar_classification": "classification",
    "nx": "nx", "ny": "ny", "nz": "nz", "normal_x": "nx", "normal_y": "ny", "normal_z": "nz",
}


def _split(line: str, delim: str | None) -> list[str]:
    fields = [f.strip() for f in line.split(delim)]
    return fields[:-1] if delim is not None and len(fields) > 1 and fields[-1] == "" else fields  # trailing ","


def _floats(fields: list[str], decimal_comma: bool = False) -> list[float] | None:
    try:
        return [float(f.replace(",", ".") if decimal_comma else f) for f in fields]
    except ValueError:
        return None


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(COMMENTS)


def _read_head(path: str, fh: io.BufferedReader, size: int) -> tuple[list[str], int]:
    """The first lines (without the last, maybe partial one) and the BOM length to skip."""
    head = fh.read(min(size, 4 * MAX_LINE))
    if not head.strip():
        raise LoadError(path, "file is empty")
    bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    head = head[bom:]
    b = np.frombuffer(head, np.uint8)
    if b"\0" in head or np.count_nonzero(((b >= 32) & (b < 127)) | (b == 9) | (b == 10) | (b == 13)) < 0.95 * len(b):
        raise LoadError(path, "binary data, not an ASCII point cloud")
    lines = head.decode("latin-1").split("\n")
    lines = (lines if len(head) + bom >= size else lines[:-1])[:4 * SAMPLE_LINES]
    if not lines or any(len(ln) > MAX_LINE for ln in lines[:SAMPLE_LINES]):
        raise LoadError(path, f"a line is longer than {MAX_LINE // 1024} KiB: not an ASCII point cloud")
    return lines, bom


def _sniff_layout(path: str, lines: list[str]) -> dict:
    """Delimiter, column count, data start line, header names and PTS count from the head lines."""
    stripped = [ln.strip() for ln in lines]
    if any(re.match(r"(?i)(ncols|nrows|xllcorner|xllcenter)\b", s) for s in stripped[:6]):
        raise LoadError(path, "ESRI ASCII grid (raster), not a point cloud")
    body = [s.replace('"', "") for s in stripped if s and not _is_comment(s)]
    quoted = any('"' in s for s in stripped[:SAMPLE_LINES])
    stripped = [s.replace('"', "") for s in stripped] if quoted else stripped
    for delim in DELIMS:  # the first delimiter that splits the data lines into >= 3 numeric fields
        decimal_comma = delim == ";" and any("," in s for s in body[:SAMPLE_LINES])
        rows = [(i, _floats(_split(s, delim), decimal_comma)) for i, s in enumerate(stripped) if s and not _is_comment(s)]
        counts = [len(v) for _, v in rows if v is not None and len(v) >= 3]
        if counts:
            break
    else:
        widths = [len(f) for d in DELIMS for s in body if _floats(f := _split(s, d)) is not None]
        if widths:
            raise LoadError(path, f"only {max(widths)} numeric column(s); need at least x, y, z")
        raise LoadError(path, "no numeric data lines near the start: not an ASCII point cloud")
    ncols = max(set(counts), key=counts.count)
    if ncols > 1000:
        raise LoadError(path, f"{ncols} columns: not an ASCII point cloud")
    first = next(i for i, v in rows if v is not None and len(v) == ncols)
    header, count, skipped = None, None, 0
    for s in stripped[:first]:
        tokens = _split(s.lstrip("#/ "), delim) if s else []
        if len(tokens) == ncols and _floats(tokens) is None:
            header = tokens
        elif len(tokens) == 1 and tokens[0].isdigit():
            count = int(tokens[0])  # PTS: the point count precedes the points
        elif s and not _is_comment(s):
            skipped += 1
    sample = np.array([v for _, v in rows if v is not None and len(v) == ncols][:SAMPLE_LINES])
    trailing = delim is not None and all(s.endswith(delim) for s in stripped[first:first + 5] if s and not _is_comment(s))
    return {"delim": delim, "decimal_comma": decimal_comma, "quoted": quoted, "trailing": trailing, "ncols": ncols, "first": first,
            "header": header, "count": count, "preamble": skipped, "sample": sample}


def _name(token: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", token.strip().strip("'\"").lower()).strip("_")
    return ALIASES.get(key, ALIASES.get(key.replace("scalar_", ""), key or "field"))


def _roles(layout: dict) -> list[str]:
    """A role per column: x y z r g b nx ny nz intensity classification or an attribute name."""
    ncols, sample = layout["ncols"], layout["sample"]
    if layout["header"]:
        names = [_name(t) for t in layout["header"]]
        if not {"x", "y", "z"} <= set(names):
            names[:3] = ["x", "y", "z"]  # unnamed coordinates: the first three columns, as without a header
    else:
        def rgb(c: int) -> bool:
            v = sample[:, c:c + 3]
            return v.shape[1] == 3 and bool(np.all(v == np.round(v)) and v.min() >= 0 and v.max() <= 65535)

        def unit(c: int) -> bool:
            v = sample[:, c:c + 3]
            return v.shape[1] == 3 and bool(np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-2))

        names = ["x", "y", "z"] + [f"field{i}" for i in range(3, ncols)]
        col = 3
        if ncols - col >= 4 and rgb(col + 1) and (ncols - col == 4 or not rgb(col)):
            names[col], col = "intensity", col + 1  # PTS: x y z i r g b
        if rgb(col):
            names[col:col + 3], col = ["r", "g", "b"], col + 3
        if unit(col):
            names[col:col + 3], col = ["nx", "ny", "nz"], col + 3
        if ncols - col == 1 and "intensity" not in names:
            names[col] = "intensity"
    seen: dict[str, int] = {}
    for i, n in enumerate(names):  # duplicates keep their data under a numbered name
        seen[n] = seen.get(n, 0) + 1
        names[i] = n if seen[n] == 1 else f"{n}_{seen[n]}"
    return names


def _parse(text: bytes, ncols: int, delim: str | None, trailing: bool) -> tuple[np.ndarray, int]:
    """Parse a block with loadtxt (all ncols, so a line with extra fields is caught too); on a bad
    line, bisect so only the bad lines go the slow per-line way. Returns (rows, bad line count)."""
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # "input contained no data" on an all-comment block
            comments = COMMENTS if b"//" in text else "#"  # numpy handles multi-char comments in Python: 2x slower
            arr = np.loadtxt(io.BytesIO(text), delimiter=delim, comments=comments,
                             usecols=range(ncols) if trailing else None, ndmin=2)
        if arr.size == 0 or arr.shape[1] == ncols:
            return arr.reshape(-1, ncols), 0
    except ValueError:
        pass
    lines = text.split(b"\n")
    if len(lines) > 64:
        half = len(lines) // 2
        a, ba = _parse(b"\n".join(lines[:half]), ncols, delim, trailing)
        b, bb = _parse(b"\n".join(lines[half:]), ncols, delim, trailing)
        return np.concatenate([a, b]), ba + bb
    good, bad = [], 0
    for raw in lines:
        s = raw.decode("latin-1").strip()
        if not s or _is_comment(s):
            continue
        fields = _split(s, delim)
        vals = _floats(fields) if len(fields) == ncols and len(s) <= MAX_LINE else None
        if vals is not None:
            good.append(vals)
        elif not (len(fields) == 1 and fields[0].isdigit()):  # a lone integer: next PTS scan's count
            bad += 1
    return np.array(good, dtype=np.float64).reshape(-1, ncols), bad


def _sidecar_georef(path: str, warnings: list[str]) -> Georef:
    """ASCII has no CRS; a `.prj` (WKT) or `.crs.txt` ("EPSG:NNNN") next to the file supplies one."""
    stem = os.path.splitext(path)[0]
    for side in (path + ".prj", stem + ".prj", path + ".crs.txt", stem + ".crs.txt"):
        if not os.path.isfile(side):
            continue
        try:
            with open(side, encoding="utf-8", errors="replace") as fh:
                text = fh.read(1 << 20).strip()
            if side.endswith(".crs.txt"):
                m = re.search(r"(?i)EPSG\s*:\s*(\d+)", text)
                text = f"EPSG:{m.group(1)}" if m else text
            import pyproj

            pyproj.CRS.from_user_input(text)
            return Georef(kind="crs", crs=text)
        except Exception:  # noqa: BLE001 - pyproj raises CRSError and friends on a bad sidecar
            warnings.append(f"CRS sidecar {os.path.basename(side)} is unreadable; placed at the scene origin")
            return Georef(kind="none")
    warnings.append("no CRS in file; placed at the scene origin")
    return Georef(kind="none")


def _finish_attr(name: str, v: np.ndarray) -> np.ndarray:
    """Integral intensity/classification become uint8/uint16 like LAS; everything else float32."""
    if name in ("intensity", "classification") and v.size and np.all(v == np.round(v)) and v.min() >= 0:
        if name == "classification" and v.max() <= 255:
            return v.astype(np.uint8)
        if v.max() <= 65535:
            return v.astype(np.uint16)
    return v.astype(np.float32)


def _finish_colors(c: np.ndarray, meta: dict) -> np.ndarray:
    """8-bit kept; 16-bit shifted down like LAS; 0..1 floats (CloudCompare Rf Gf Bf) scaled up."""
    if c.size and c.max() <= 1.0 and np.any(c != np.round(c)):
        c, meta["color_depth"] = c * 255.0, "float"
    elif c.size and c.max() > 255:
        c, meta["color_depth"] = np.floor(c / 256.0), 16
    else:
        meta["color_depth"] = 8
    return np.clip(np.round(c), 0, 255).astype(np.uint8)


@register_loader(".xyz", ".txt", ".csv", ".pts", ".asc", name="ASCII points")
def read_xyz(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read an ASCII point cloud into one PointCloudData layer."""
    try:
        size = os.path.getsize(path)
        fh = open(path, "rb")
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    with fh:
        lines, bom = _read_head(path, fh, size)
        layout = _sniff_layout(path, lines)
        if layout["count"] is not None and layout["count"] > MAX_POINTS:
            raise LoadError(path, f"declares {layout['count']:,} points; more than {MAX_POINTS:,} are refused")
        names = _roles(layout)
        delim, ncols = layout["delim"], layout["ncols"]
        pos_idx = [names.index(a) for a in "xyz"]
        col_idx = [names.index(a) for a in "rgb"] if {"r", "g", "b"} <= set(names) else []
        attr_idx = [(n, i) for i, n in enumerate(names) if i not in pos_idx + col_idx]
        rest = col_idx + [i for _, i in attr_idx]
        fh.seek(bom + sum(len(ln.encode("latin-1")) + 1 for ln in lines[:layout["first"]]))
        chunks: list[tuple[np.ndarray, np.ndarray]] = []
        carry, bad, dropped, total = b"", 0, 0, 0
        while True:
            if cancel is not None and cancel():
                raise LoadCancelled()
            block = fh.read(BLOCK)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            text, carry = data[:cut], data[cut:]
            if len(carry) > MAX_LINE:  # an unfinished line: the buffer never grows past MAX_LINE + BLOCK
                raise LoadError(path, f"a line is longer than {MAX_LINE // 1024} KiB: not an ASCII point cloud")
            text = text.replace(b",", b".") if layout["decimal_comma"] else text
            text = text.replace(b'"', b"") if layout["quoted"] else text
            if text:
                arr, nbad = _parse(text, ncols, delim, layout["trailing"])
                bad += nbad
                pos = arr[:, pos_idx]
                ok = np.isfinite(pos).all(axis=1)
                dropped += int(len(ok) - np.count_nonzero(ok))
                if not ok.all():
                    arr, pos = arr[ok], pos[ok]
                total += len(pos)
                if total > MAX_POINTS:
                    raise LoadError(path, f"more than {MAX_POINTS:,} points are refused")
                chunks.append((pos, arr[:, rest].astype(np.float32)))
            if progress is not None:
                progress(min(fh.tell() / max(size, 1), 0.99), f"{total:,} points")
            if not block:
                break
    if total == 0:
        raise LoadError(path, f"no valid points ({'all coordinates are NaN/inf' if dropped else 'no parseable point lines'})")
    positions, extra = np.concatenate([p for p, _ in chunks]), np.concatenate([e for _, e in chunks])
    del chunks  # the parts are copied: free them before the attributes are converted
    warnings: list[str] = []
    georef = _sidecar_georef(path, warnings)
    meta: dict = {"delimiter": DELIMS[delim], "columns": names, "header": layout["header"] is not None}
    meta.update({"decimal": "comma"} if layout["decimal_comma"] else {})
    if layout["count"] is not None:
        meta["declared_count"] = layout["count"]
        if layout["count"] > total + dropped + bad:
            warnings.append(f"file declares {layout['count']:,} points but holds only {total + dropped + bad:,}")
    if bad:
        warnings.append(f"skipped {bad:,} malformed line(s) (wrong column count or not numeric)")
    if dropped:
        warnings.append(f"dropped {dropped:,} row(s) with NaN/inf coordinates")
    if layout["preamble"]:
        warnings.append(f"skipped {layout['preamble']} text line(s) before the data")
    if layout["header"] and {"lon", "longitude", "lng"} & {t.lower() for t in layout["header"]} and georef.kind == "none":
        warnings.append("columns are named lon/lat: degrees are placed as metres (add FILE.crs.txt with EPSG:4326)")
    nc = len(col_idx)
    colors = _finish_colors(extra[:, :nc], meta) if nc else None
    attributes = {n: _finish_attr(n, extra[:, nc + k]) for k, (n, _) in enumerate(attr_idx)}
    if progress is not None:
        progress(1.0, f"{total:,} points")
    fmt = {".csv": "CSV", ".pts": "PTS"}.get(os.path.splitext(path)[1].lower(), "XYZ")
    return [PointCloudData(name=os.path.basename(path), kind="pointcloud", format=fmt, georef=georef, source=path,
                           warnings=warnings, metadata=meta, positions=positions, colors=colors, attributes=attributes)]
