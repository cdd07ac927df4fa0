"""`twinscape video PROJECT [--tour NAME] -o OUT.mp4 [--size WxH] [--fps N]`: a tour as an MP4.

Headless: no Qt. A progress bar goes to stderr, one JSON line with the figures to stdout. Bad
input ends in `error: PATH: reason` and exit 2 before anything renders; never a traceback
(--debug shows one).
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback

from loaders.base import LoadError

EXIT_BAD_INPUT = 2
BAR_WIDTH = 30


def build_parser() -> argparse.ArgumentParser:
    from app.cli import _int_in_range, _parse_size

    p = argparse.ArgumentParser(prog="twinscape video",
                                description="Render a project's tour off-screen to an H.264 MP4 at a constant frame rate "
                                            "(frame k shows the tour at k/fps, however long it takes to render).")
    p.add_argument("project", metavar="PROJECT", help="a .twin project with at least one tour")
    p.add_argument("--tour", metavar="NAME", default=None, help="the tour to record (default: the project's first)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.mp4")
    p.add_argument("--size", type=_parse_size, default=(1280, 720), metavar="WxH",
                   help="frame size (odd sizes are rounded down to even for H.264; default 1280x720)")
    p.add_argument("--fps", type=_int_in_range(1, 120), default=30, metavar="N", help="frames per second (default 30)")
    p.add_argument("--no-live", action="store_true",
                   help="live sensor layers render as saved, without opening their feeds (offline, faster)")
    p.add_argument("--budget", type=_int_in_range(1, 1_000_000_000), default=None, metavar="N",
                   help="point budget (points drawn at most per frame)")
    return p


class ProgressBar:
    """A bar redrawn in place on a terminal; on a pipe or log, a line every 10%."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        pct = int(100 * done / max(total, 1))
        if self.tty:
            filled = BAR_WIDTH * done // max(total, 1)
            self.stream.write(f"\r[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {pct:3d}% frame {done}/{total}")
            if done >= total:
                self.stream.write("\n")
        elif pct // 10 != self.last // 10 or done >= total:
            self.stream.write(f"video: {pct:3d}% frame {done}/{total}\n")
        self.last = pct
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from app.video import export_video

    failed: list[LoadError] = []

    def error(exc: LoadError) -> None:
        failed.append(exc)
        print(f"error: {exc.path}: {exc.reason}", file=sys.stderr, flush=True)

    def warn(path: str, message: str) -> None:
        print(f"note: {message}" if "rounded to" in message else f"warning: {path}: {message}", file=sys.stderr, flush=True)

    result = None
    try:
        result = export_video(args.project, args.output, tour=args.tour, size=args.size, fps=args.fps, budget=args.budget, live=not args.no_live,
                              progress=ProgressBar(), on_error=error, on_warning=warn)
    except LoadError as exc:
        error(exc)
    except ValueError as exc:
        error(LoadError(args.output, str(exc)))
    except MemoryError:
        error(LoadError(args.output, "not enough memory to render this tour"))
    except Exception as exc:  # noqa: BLE001 - a real bug: labelled as such, traceback with --debug
        error(LoadError(args.output, f"internal error: {type(exc).__name__}: {exc}"))
        if args.debug:
            traceback.print_exc()
    if result is not None:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return EXIT_BAD_INPUT if failed or result is None else 0
