"""Logging: one rotating log file in the user's state folder.

Library warnings (numpy's `invalid value encountered in cast`, VTK/pyvista notices...) are
details for a bug report, not for the user: they go to the log file, never to the terminal or a
dialog. The user sees only the clean `error: PATH: reason` lines and messages the app writes.
"""
from __future__ import annotations

import logging
import os
import sys
import warnings
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "twinscape.log"
MAX_LOG_BYTES = 2 * 1024 * 1024
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"


def log_dir() -> Path:
    """$TWINSCAPE_STATE, else $XDG_STATE_HOME/twinscape, else ~/.local/state/twinscape."""
    if os.environ.get("TWINSCAPE_STATE"):
        return Path(os.environ["TWINSCAPE_STATE"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "twinscape"


def log_path() -> Path:
    return log_dir() / LOG_NAME


class _Handler(RotatingFileHandler):
    """Marks the handler this module installed, so that setting up twice adds nothing."""


def vtk_to_log() -> None:
    """VTK's own warnings ("Resetting view-up since view plane normal is parallel"...) print to
    stderr through vtkLogger: send them to vtk.log beside the log file (rewritten each run)."""
    try:
        from vtkmodules.vtkCommonCore import vtkLogger
    except ImportError:  # no VTK in this environment: nothing prints
        return
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_OFF)
    try:
        log_dir().mkdir(parents=True, exist_ok=True)
        vtkLogger.LogToFile(str(log_dir() / "vtk.log"), vtkLogger.TRUNCATE, vtkLogger.VERBOSITY_WARNING)
    except OSError:
        pass


def setup_logging(debug: bool = False, vtk: bool = False) -> Path | None:
    """Send log records and library warnings to the log file; returns its path (None when the
    state folder is not writable: records are then dropped rather than printed). `vtk`: VTK's
    messages too (the GUI and `render`; --debug leaves them on the terminal)."""
    root = logging.getLogger()
    path: Path | None = log_path()
    if not any(isinstance(h, _Handler) for h in root.handlers):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = _Handler(path, maxBytes=MAX_LOG_BYTES, backupCount=BACKUPS, encoding="utf-8")
        except OSError:  # a read-only home: never fall back to the terminal
            handler, path = logging.NullHandler(), None
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if debug and not any(getattr(h, "_twinscape_debug", False) for h in root.handlers):
        echo = logging.StreamHandler(sys.stderr)  # --debug: the developer asked to see everything
        echo._twinscape_debug = True  # type: ignore[attr-defined]
        root.addHandler(echo)
    logging.captureWarnings(True)  # warnings.showwarning -> logger "py.warnings" -> the file
    if not sys.warnoptions:  # -W or PYTHONWARNINGS from the user win
        warnings.simplefilter("default")  # each distinct warning once per place, in the log
    if vtk and not debug:
        vtk_to_log()
    logging.getLogger("twinscape").info("started: %s", " ".join(sys.argv))
    return path
