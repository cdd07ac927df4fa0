"""Comparison reports by suffix: .json (summary + elements), .csv (one row per element), .html
(one self-contained page: screenshots, histogram, tables; report_html.py).

Why one writer for the GUI and the CLI: both export the same ComparisonResult, so a report saved
from the window and one from `twinscape compare` are the same file. JSON never holds NaN or
infinity (null instead), and only plain Python types.
"""
from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any

from app.jsonsafe import clean

SUFFIXES = (".json", ".csv", ".html", ".htm")
CSV_BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with a BOM: without it Chinese names turn to mojibake
CSV_COLUMNS = ("guid", "ifc_class", "name", "storey", "status", "coverage", "mean_distance", "max_distance", "points",
               "offset_x", "offset_y", "offset_z")
SCHEDULE_COLUMNS = ("task", "schedule_status")


class ReportError(ValueError):
    """The report cannot be written there (unknown suffix, unwritable folder): the message says why."""


def report_dict(result) -> dict:
    """The JSON report: result.report() plus the histogram, cleaned."""
    out = dict(result.report())
    edges, counts = result.histogram
    out["histogram"] = {"edges_m": edges, "counts": counts}
    return clean(out)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def csv_rows(report: dict) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of the element table: one row per element, the offset as three columns."""
    elements = report["elements"]
    scheduled = any("schedule_status" in e for e in elements)
    header = list(CSV_COLUMNS) + (list(SCHEDULE_COLUMNS) if scheduled else [])
    rows = []
    for e in elements:
        off = e.get("offset") or [None, None, None]
        row = {**e, "offset_x": off[0], "offset_y": off[1], "offset_z": off[2]}
        rows.append([_cell(row.get(k)) for k in header])
    return header, rows


def _write_text(path: Path, text: str) -> None:
    """Written beside the target and renamed, so a failed export never leaves half a report."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot write the report: {exc.strerror or exc}") from None


def write_report(result, path, images: dict[str, bytes] | None = None) -> None:
    """Write `result` (a ComparisonResult) to `path` as JSON, CSV or HTML by its suffix.

    `images`: PNG bytes by name ("scan", "model"; app.compare_images.comparison_images) for the
    HTML page; the histogram is drawn here. Raises ReportError for a bad suffix or folder."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReportError(f"unknown report type '{p.suffix or p.name}': use .json, .csv or .html")
    if not p.parent.is_dir():
        raise ReportError(f"the folder {p.parent} does not exist")
    report = report_dict(result)
    if suffix == ".json":
        _write_text(p, json.dumps(report, indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    elif suffix == ".csv":
        import io

        header, rows = csv_rows(report)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        _write_text(p, CSV_BOM + buf.getvalue())
    else:
        from app.analysis.report_html import render_html

        _write_text(p, render_html(result, report, images or {}))


def write_planned_report(report: dict, path) -> None:
    """The schedule-only report (`compare --schedule` without a scan): the planned state at the
    date per element, by suffix like write_report."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReportError(f"unknown report type '{p.suffix or p.name}': use .json, .csv or .html")
    report = clean(report)
    header = ["guid", "ifc_class", "name", "storey", "task", "planned"]
    if suffix == ".json":
        _write_text(p, json.dumps(report, indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    elif suffix == ".csv":
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[_cell(e.get(k)) for k in header] for e in report["elements"]])
        _write_text(p, CSV_BOM + buf.getvalue())
    else:
        from app.analysis.report_html import render_planned_html

        _write_text(p, render_planned_html(report, header))
