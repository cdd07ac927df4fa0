"""`twinscape` command line. Headless commands (info, render) never import app.ui."""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Sequence

from app.jsonsafe import clean as _clean
from loaders.base import LoadError

EXIT_BAD_INPUT = 2
# Subcommands that live in their own module app/cli_<name>.py, each with build_parser() and run(args).
MODULE_SUBCOMMANDS = ("compare", "change", "feed", "sun", "flood", "video")
SUBCOMMANDS = ("info", "render", "tile") + MODULE_SUBCOMMANDS


def _error(path: str, reason: str) -> None:
    print(f"error: {path}: {reason}", file=sys.stderr)


def _run_guarded(paths: Sequence[str], debug: bool, fn) -> bool:
    """Call fn(path) for each path; LoadError (and any surprise) becomes one `error:` line."""
    ok = True
    for path in paths:
        try:
            fn(path)
        except LoadError as exc:
            ok = False
            _error(exc.path, exc.reason)
            if debug:
                traceback.print_exc()
        except MemoryError:  # not a bug: the input is larger than this machine (or its ulimit) allows
            ok = False
            _error(path, "not enough memory for this input")
        except Exception as exc:  # noqa: BLE001 - never a traceback for the user without --debug
            ok = False
            _error(path, f"internal error: {type(exc).__name__}: {exc}")
            if debug:
                traceback.print_exc()
    return ok


def cmd_info(args: argparse.Namespace) -> int:
    from app.info import describe

    def one(path: str) -> None:
        print(json.dumps(_clean(describe(path, deep=args.deep)), allow_nan=False, ensure_ascii=False), flush=True)

    return 0 if _run_guarded(args.paths, args.debug, one) else EXIT_BAD_INPUT


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, not '{text}'") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError("size must be between 16x16 and 8192x8192")
    return w, h


def _int_in_range(lo: int, hi: int, label: str = ""):
    """argparse type: an integer in [lo, hi], refused at parse time with the range in the message
    (a 0 budget became 300,000, 0 chunk points divided by zero deep in the job, negatives passed).
    `label` starts the message where argparse's own "argument X:" prefix is not enough."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{label}must be a whole number, not '{text}'") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{label}must be between {lo:,} and {hi:,}, not {value:,}")
        return value

    return parse


def cmd_render(args: argparse.Namespace) -> int:
    """Warnings as `warning: PATH: message`, each failure as `error: PATH: reason`; exit 2 when
    any input failed or nothing could be drawn (then no image is written)."""
    from app.render import render_offscreen

    paths = list(args.paths)
    if args.demo or not paths:
        from app.demo import demo_project_path

        paths.insert(0, str(demo_project_path()))
    errors: list[LoadError] = []

    def warn(path: str, message: str) -> None:
        print(f"warning: {path}: {message}", file=sys.stderr, flush=True)

    def error(exc: LoadError) -> None:
        errors.append(exc)
        _error(exc.path, exc.reason)

    result = None
    try:
        result = render_offscreen(paths, args.output, size=args.size, view=args.view, budget=args.budget,
                                  frames=args.frames, on_error=error, on_warning=warn)
    except LoadError as exc:
        error(exc)
    except MemoryError:
        error(LoadError(args.output, "not enough memory to render these inputs"))
    except Exception as exc:  # noqa: BLE001 - a real bug: labelled as such, traceback with --debug
        error(LoadError(args.output, f"internal error: {type(exc).__name__}: {exc}"))
        if args.debug:
            traceback.print_exc()
    if result is not None:
        print(json.dumps(_clean(result), allow_nan=False, ensure_ascii=False), flush=True)
    return EXIT_BAD_INPUT if errors or result is None else 0


def cmd_tile(args: argparse.Namespace) -> int:
    """LAS/LAZ -> COPC or 3D Tiles on dask; one JSON line with the figures, `error:` on bad input.
    Ctrl-C removes the partial output and exits 130 with one line."""
    from app.tiling import tile

    def progress(fraction: float, message: str) -> None:
        if args.progress:
            print(f"{fraction:6.1%} {message}", file=sys.stderr, flush=True)

    def run(_path: str) -> None:
        result = tile(args.paths, args.output, fmt=args.format, scheduler=args.scheduler, workers=args.workers,
                      processes=False if args.threads else True if args.processes else None, progress=progress,
                      chunk_points=args.chunk_points, overwrite=args.overwrite)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(json.dumps({"output": result.output, "format": result.format, "points": result.points,
                          "nodes": result.nodes, "seconds": round(result.seconds, 3),
                          "points_per_second": round(result.points_per_second)}, ensure_ascii=False), flush=True)

    try:
        return 0 if _run_guarded([args.output], args.debug, run) else EXIT_BAD_INPUT
    except KeyboardInterrupt:
        # dask futures collected after the interrupted event loop closed say "Exception ignored in
        # Future.__del__" at exit (seen in 1 of 3 fresh-clone runs): that goes to the log, not the terminal
        sys.unraisablehook = _unraisable_to_log
        print("interrupted: nothing was written", file=sys.stderr, flush=True)
        return 130


def _unraisable_to_log(unraisable: "sys.UnraisableHookArgs") -> None:
    import logging

    logging.getLogger("twinscape").debug("ignored after Ctrl-C: %s: %r in %r", unraisable.err_msg,
                                         unraisable.exc_value, unraisable.object)


def cmd_gui(args: argparse.Namespace) -> int:
    from app.ui.application import run_gui  # Qt only here

    return run_gui(list(args.paths), demo=not args.paths, screenshot=args.screenshot, size=args.size)


def build_parser(sub: str | None) -> argparse.ArgumentParser:
    from app import __version__

    if sub == "info":
        p = argparse.ArgumentParser(prog="twinscape info", description="Describe files as JSON lines (one per input).")
        p.add_argument("paths", nargs="+", metavar="PATH")
        p.add_argument("--deep", action="store_true", help="3D Tiles: read every content (adds points, triangles, features); LAS/LAZ: "
                       "read every point in bounded runs (checks the count, measures the bounds) instead of the header only")
    elif sub == "render":
        p = argparse.ArgumentParser(prog="twinscape render", description="Render files, a project or the demo off-screen to PNG.")
        p.add_argument("paths", nargs="*", metavar="PATH")
        p.add_argument("--demo", action="store_true", help="render the demo scene (default when no PATH is given)")
        p.add_argument("-o", "--output", required=True, metavar="OUT.png")
        p.add_argument("--size", type=_parse_size, default=(1280, 720), metavar="WxH")
        p.add_argument("--view", default=None, help="iso, top, north, or a bookmark name of the project")
        p.add_argument("--budget", type=_int_in_range(1, 1_000_000_000), default=None, metavar="N",
                       help="point budget (points drawn at most)")
        p.add_argument("--frames", type=_int_in_range(1, 1000), default=5, metavar="N",
                       help="steady-state frames to time (median reported)")
    elif sub == "tile":
        p = argparse.ArgumentParser(prog="twinscape tile", description="Convert LAS/LAZ files into one COPC file or a 3D Tiles pnts tileset, on dask.distributed.")
        p.add_argument("paths", nargs="+", metavar="INPUT")
        p.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="OUT.copc.laz, or a folder for 3dtiles: new, empty, or written by twinscape tile before")
        p.add_argument("--format", choices=("copc", "3dtiles"), default="copc")
        p.add_argument("--scheduler", metavar="ADDRESS", help="existing dask scheduler, e.g. tcp://host:8786 (default: a local cluster)")
        p.add_argument("--workers", type=_int_in_range(1, 1024, "--workers "), default=None, metavar="N",
                       help="local cluster workers (default: cores available, at most 8; worker processes are capped at the cores)")
        p.add_argument("--threads", action="store_true", help="local cluster with threads in this process (default: worker processes for 2M+ points)")
        p.add_argument("--processes", action="store_true", help="local cluster with worker processes whatever the size")
        p.add_argument("--chunk-points", type=_int_in_range(10_000, 50_000_000, "--chunk-points "), default=250_000, metavar="N",
                       help="points read at once per task, 10,000 to 50,000,000 (bounds memory)")
        p.add_argument("--overwrite", action="store_true",
                       help="replace an existing file that Twinscape did not write (COPC), or write into a folder "
                            "beside files it did not write (3dtiles; those are kept, never deleted)")
        p.add_argument("--progress", action="store_true", help="print progress to stderr")
    elif sub in MODULE_SUBCOMMANDS:  # each lives in its own module: app/cli_compare.py, app/cli_feed.py...
        import importlib

        p = importlib.import_module(f"app.cli_{sub}").build_parser()
    else:
        p = argparse.ArgumentParser(prog="twinscape", description="Twinscape: 3D Tiles, point clouds and BIM in one georeferenced scene.",
                                    epilog="subcommands: info PATH... [--deep], render [PATH...|--demo] -o OUT.png, tile INPUT... -o OUT [--format copc|3dtiles]")
        p.add_argument("paths", nargs="*", metavar="PATH", help="files, tileset folders or a .twin project (default: the demo)")
        p.add_argument("--version", action="version", version=f"twinscape {__version__}")
        p.add_argument("--screenshot", metavar="OUT.png", help="save the window to OUT.png once loaded, then quit")
        p.add_argument("--size", type=_parse_size, default=(1500, 900), metavar="WxH", help="window size")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    sub = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    args = build_parser(sub).parse_args(argv[1:] if sub else argv)
    from app.logs import setup_logging

    setup_logging(debug=args.debug, vtk=sub in (None, "render", "video"))  # library warnings go to the log file, never to the terminal
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "false")
    handler = {"info": cmd_info, "render": cmd_render, "tile": cmd_tile}.get(sub or "", cmd_gui)
    if sub in MODULE_SUBCOMMANDS:
        import importlib

        handler = importlib.import_module(f"app.cli_{sub}").run
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
