"""`twinscape compare`: scan versus design (and planned versus actual) as a JSON, CSV or HTML report.

Headless: no Qt. Bad input ends in one `error: PATH: reason` line on stderr and exit 2, never a
traceback (--debug shows one). One JSON line with the figures goes to stdout.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from app.cli_args import comma_numbers
from loaders.base import LoadCancelled, LoadError

EXIT_BAD_INPUT = 2


def _error(path: str, reason: str) -> None:
    print(f"error: {path}: {reason}", file=sys.stderr, flush=True)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


_station = comma_numbers(3, "a station is E,N,H (three numbers)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not '{text}'") from None
    if not 10_000 <= value <= 50_000_000:
        raise argparse.ArgumentTypeError(f"must be between 10,000 and 50,000,000, not {value:,}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="twinscape compare",
        description="Compare a laser scan with the BIM design: signed distances, element verdicts (built, partial, "
                    "missing, deviating) and progress, written as a JSON, CSV or HTML report. With --schedule, --links "
                    "and --date, each element also gets its task and schedule status (ahead, on_time, behind, not_planned).")
    p.add_argument("--design", nargs="+", required=True, metavar="MODEL.ifc", help="the design IFC file(s)")
    p.add_argument("--scan", metavar="SCAN", help="LAS/LAZ, COPC (.copc.laz) or E57 (may be left out with --schedule: "
                                                  "the planned state at the date alone)")
    p.add_argument("-o", "--output", required=True, metavar="REPORT", help="REPORT.json, REPORT.csv or REPORT.html")
    p.add_argument("--tolerance", type=float, default=0.05, metavar="M", help="within this distance a surface is as designed (m, default 0.05)")
    p.add_argument("--max-distance", type=float, default=1.0, metavar="M",
                   help="points farther than this from the design are 'far' (clutter) and left out (m, default 1.0)")
    p.add_argument("--scan-crs", metavar="CRS", help="CRS of the scan's coordinates (e.g. EPSG:4547) when its file has none "
                                                     "or a wrong one")
    p.add_argument("--station", type=_station, action="append", metavar="E,N,H",
                   help="a scanner position in the scan's coordinates (repeat for each station; E57 poses are used otherwise)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="send the scan's chunks to this dask scheduler (tcp://host:8786), "
                                                          "or 'local' for a local cluster (default: compare here, C2M on "
                                                          "every core)")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="local cluster workers (default: cores, at most 8)")
    p.add_argument("--chunk-points", type=_positive_int, default=2_000_000, metavar="N",
                   help="scan points read and compared at once (bounds memory; default 2,000,000)")
    p.add_argument("--schedule", metavar="FILE", help="construction schedule (MS Project XML, P6 XML or CSV)")
    p.add_argument("--links", metavar="LINKS.csv", help="link table: a GUID column and a task column (UID, ID, WBS or name)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day to compare the schedule with (its end, in the schedule's zone)")
    p.add_argument("--progress", action="store_true", help="print progress to stderr")
    return p


class _Bad(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


def _check_args(args: argparse.Namespace) -> date | None:
    from app.analysis.report import SUFFIXES

    out = Path(args.output)
    if out.suffix.lower() not in SUFFIXES:
        raise _Bad(args.output, f"unknown report type '{out.suffix or out.name}': use .json, .csv or .html")
    if not out.parent.is_dir():
        raise _Bad(args.output, f"the folder {out.parent} does not exist")
    scheduled = [args.schedule, args.links, args.date]
    if any(scheduled) and not all(scheduled):
        missing = [n for n, v in zip(("--schedule", "--links", "--date"), scheduled) if not v]
        raise _Bad(missing[0], "planned versus actual needs --schedule, --links and --date together")
    if not args.scan and not args.schedule:
        raise _Bad("--scan", "give the scan to compare (or --schedule, --links and --date for the planned state alone)")
    if args.workers is not None and args.workers < 1:
        raise _Bad("--workers", f"must be at least 1, not {args.workers}")
    if args.date:
        try:
            return date.fromisoformat(args.date)
        except ValueError:
            raise _Bad("--date", f"'{args.date}' is not a date like 2025-03-31") from None
    return None


def _schedule(args: argparse.Namespace, elements: list, day: date) -> tuple[Any, Any, Any]:
    from app.analysis.schedule_status import end_of_day
    from app.model.schedule_links import read_link_table
    from loaders.schedule import read_schedule

    schedule = read_schedule(args.schedule)
    for w in schedule.warnings:
        _warn(f"{args.schedule}: {w}")
    links = read_link_table(args.links, schedule, [e.id for e in elements])
    for line in links.report.lines()[:1]:
        _warn(f"{args.links}: {line}")
    return schedule, links, end_of_day(day, schedule.time_zone)


def _planned_only(args: argparse.Namespace, day: date) -> dict:
    """Without a scan: the design's elements with their tasks and planned state at the date."""
    from app.analysis.report import write_planned_report
    from app.analysis.schedule_status import schedule_parts
    from loaders.ifc import read_ifc

    elements = [e for path in args.design for e in read_ifc(path)[0].elements if not e.hidden_by_default]
    schedule, links, when = _schedule(args, elements, day)
    parts = schedule_parts(elements, None, schedule, links, when)
    rows = [{"guid": e.id, "ifc_class": e.ifc_class, "name": e.name, "storey": e.storey, **extra}
            for e, extra in zip(elements, parts.pop("elements"))]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["planned"] or "not_planned"] = counts.get(r["planned"] or "not_planned", 0) + 1
    report = {"summary": {"mode": "planned", "date": parts["date"], "elements": len(rows), "planned": counts,
                          "design": {"paths": list(args.design)}}, "elements": rows, "schedule": parts}
    write_planned_report(report, args.output)
    return {"output": args.output, "elements": len(rows), "planned": counts}


def _compare(args: argparse.Namespace, day: date | None) -> dict:
    from app.analysis.compare import CompareSettings, compare_files
    from app.analysis.report import write_report

    def progress(fraction: float, message: str) -> None:
        if args.progress:
            print(f"{fraction:6.1%} {message}", file=sys.stderr, flush=True)

    settings = CompareSettings(tolerance=args.tolerance, max_distance=args.max_distance, chunk_points=args.chunk_points)
    result = compare_files(args.design, args.scan, settings, scan_crs=args.scan_crs, stations=args.station,
                           scheduler=args.scheduler, workers=args.workers, progress=progress, warn=_warn)
    if day is not None:
        from app.analysis.schedule_status import schedule_parts

        schedule, links, when = _schedule(args, result.design.elements, day)
        result.schedule = schedule_parts(result.design.elements, [v.status for v in result.verdicts], schedule, links, when)
    images = None
    if Path(args.output).suffix.lower() in (".html", ".htm"):
        progress(0.97, "rendering pictures")
        try:
            from app.compare_images import comparison_images
            from app.logs import vtk_to_log

            if not getattr(args, "debug", False):
                vtk_to_log()  # VTK's own stderr lines (no X display, no FXAA) are not the user's business

            images = comparison_images(result)
        except Exception as exc:  # noqa: BLE001 - no OpenGL here: the report is still complete without pictures
            _warn(f"pictures left out of the report: {type(exc).__name__}: {exc}")
    write_report(result, args.output, images)
    s = result.summary
    out = {"output": args.output, "elements": s["elements"], "elements_by_status": s["elements_by_status"],
           "progress_pct": s["progress_pct"], "points_used": s["points_used"], "far_points": s["far_points"]}
    if result.schedule is not None:
        out["schedule_status"] = result.schedule["counts"]
    return out


def run(args: argparse.Namespace) -> int:
    """The command; 0 on success, 2 on bad input (one `error:` line), 130 when interrupted."""
    from app.analysis.c2m import C2MError
    from app.analysis.compare import SettingError
    from app.analysis.report import ReportError

    t0 = time.perf_counter()
    failed: tuple[str, str] | None = None
    debug = bool(getattr(args, "debug", False))

    def fail(path: str, reason: str) -> tuple[str, str]:
        if debug:  # inside the except clause: the traceback is still there
            traceback.print_exc()
        return path, reason

    try:
        day = _check_args(args)
        out = _compare(args, day) if args.scan else _planned_only(args, day)  # type: ignore[arg-type]
    except _Bad as exc:
        failed = fail(exc.path, exc.reason)
    except LoadError as exc:
        failed = fail(exc.path, exc.reason)
    except SettingError as exc:
        failed = fail(f"--{exc.option}", str(exc))
    except C2MError as exc:
        failed = fail(args.scan or args.design[0], str(exc))
    except ReportError as exc:
        failed = fail(args.output, str(exc))
    except (LoadCancelled, KeyboardInterrupt):
        print("interrupted: no report was written", file=sys.stderr, flush=True)
        return 130
    except MemoryError:
        failed = fail(args.scan or args.design[0], "not enough memory for this input (try a smaller --chunk-points)")
    except Exception as exc:  # noqa: BLE001 - a real bug: labelled as such, traceback with --debug
        failed = fail(args.output, f"internal error: {type(exc).__name__}: {exc}")
    if failed is not None:
        _error(*failed)
        return EXIT_BAD_INPUT
    out["seconds"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0
