"""Recordings of a live feed, so presentations run without network: JSON lines or CSV.

Only processed readings are written (sensor ids and meta already pseudonymised where personal), so a
personal field can never reach a recording in clear. JSONL: one reading per line
`{"id", "time", "kind", "lon", "lat", "h" | "x", "y", "z", "values", "units", "meta"}`.
CSV (long form, streamable): `id,time,kind,crs,p0,p1,p2,quantity,value,unit,name,type,meta` (other meta as JSON), one row per value.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO, Iterator

from app.sources.mapping import FeedMapping, Malformed
from app.sources.readings import Reading, finite

CSV_COLUMNS = ["id", "time", "kind", "crs", "p0", "p1", "p2", "quantity", "value", "unit", "name", "type", "meta"]
_PLAIN = FeedMapping(meta_paths={})


def recording_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ValueError(f"a recording is .jsonl or .csv, not '{suffix or 'no extension'}'")


def reading_to_record(r: Reading) -> dict:
    rec: dict = {"id": r.sensor_id, "time": round(r.time, 3), "kind": r.kind}
    if r.position is not None:
        keys = ("lon", "lat", "h") if r.position_crs == "EPSG:4979" else ("x", "y", "z")
        rec.update(zip(keys, r.position))
    rec["values"], rec["units"] = r.values, r.units
    if r.meta:
        rec["meta"] = r.meta
    return rec


def record_to_reading(rec: object, received: float = 0.0) -> Reading:
    """A reading from one recorded line (Malformed when it is not one)."""
    if not isinstance(rec, dict):
        raise Malformed("recorded reading is not an object")
    if rec.get("time") is None:
        raise Malformed("recorded reading has no time")
    (r,) = _PLAIN.parse([rec], "", 0.0, received)
    meta = rec.get("meta") or {}
    if not isinstance(meta, dict):
        raise Malformed("meta is not an object")
    return Reading(r.sensor_id, r.time, r.values, r.units, r.position, r.position_crs, r.kind, received,
                   {str(k)[:64]: str(v)[:200] for k, v in meta.items() if not isinstance(v, (dict, list))})


class RecordingWriter:
    """Appends readings to a .jsonl or .csv file; use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = recording_format(self.path)
        self._file: IO[str] = open(self.path, "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file) if self.format == "csv" else None
        if self._csv:
            self._csv.writerow(CSV_COLUMNS)
        self.count = 0

    def write(self, readings: list[Reading]) -> None:
        for r in readings:
            if self._csv is None:
                self._file.write(json.dumps(reading_to_record(r), ensure_ascii=False, allow_nan=False) + "\n")
            else:
                pos = list(r.position) if r.position is not None else ["", "", ""]
                crs = r.position_crs or ""
                base = [r.sensor_id, f"{r.time:.3f}", r.kind, crs, *pos]
                rest = {k: v for k, v in r.meta.items() if k not in ("name", "type")}
                tail = [r.meta.get("name", ""), r.meta.get("type", ""),
                        json.dumps(rest, ensure_ascii=False) if rest else ""]
                for q, v in (r.values.items() or [("", "")]):
                    self._csv.writerow(base + [q, v, r.units.get(q, "")] + tail)
            self.count += 1
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_records(f: IO[str], fmt: str) -> Iterator[dict | Malformed]:
    """Recorded readings as dicts in the JSONL shape (or a Malformed for a bad line); CSV rows are regrouped."""
    if fmt == "jsonl":
        for line in f:
            if not line.strip():
                continue
            if len(line) > 1_000_000:
                yield Malformed("line over 1 MB")
                continue
            try:
                yield json.loads(line)
            except ValueError:
                yield Malformed("line is not JSON")
        return
    reader = csv.DictReader(f)
    if reader.fieldnames is None or not {"id", "time"} <= set(reader.fieldnames):
        yield Malformed("CSV recording needs the columns " + ",".join(CSV_COLUMNS))
        return
    current: dict | None = None
    for row in reader:
        key = (row.get("id"), row.get("time"))
        if current is None or (current["id"], current["_t"]) != key:
            if current is not None:
                yield _finish(current)
            current = {"id": row.get("id"), "_t": row.get("time"), "time": finite(row.get("time")),
                       "kind": row.get("kind") or "sensor", "values": {}, "units": {}, "meta": {}}
            crs = row.get("crs")
            if crs in ("EPSG:4979", "scene"):
                keys = ("lon", "lat", "h") if crs == "EPSG:4979" else ("x", "y", "z")
                current.update(zip(keys, (row.get("p0"), row.get("p1"), row.get("p2") or 0)))
            for m in ("name", "type"):
                if row.get(m):
                    current["meta"][m] = row[m]
            try:
                extra = json.loads(row["meta"]) if row.get("meta") else {}
            except ValueError:
                extra = {}
            if isinstance(extra, dict):
                current["meta"].update(extra)
        if row.get("quantity"):
            current["values"][row["quantity"]] = row.get("value")
            if row.get("unit"):
                current["units"][row["quantity"]] = row["unit"]
    if current is not None:
        yield _finish(current)


def _finish(rec: dict) -> dict:
    rec.pop("_t", None)
    return rec


def open_text(path: str | Path) -> IO[str]:
    return io.open(path, "r", encoding="utf-8", errors="replace", newline="")
