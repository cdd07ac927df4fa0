"""Crash recovery: the autosaved copy of each running window's project, and finding the copies
that a crashed session left behind. No Qt, no VTK.

Why per session: two windows (or two instances) may run at once, and one exiting cleanly must
not hide the other's crash. Each session writes into its own folder under a recovery root (the
GUI's is `$TWINSCAPE_STATE/recovery`, beside the log file: app/ui/autosave.py), `session-PID-TOKEN/`:
- `recovery.twin` (+ its `.derived` sidecars): an ordinary project file, written atomically by
  `write_project` (no backup), with the view's camera at the time of writing;
- `session.json`: which project it was (path or None for an untitled one), its name, when, which
  process;
- `clean_exit`: written when the session ends normally (its recovery file is removed too).
A recovery file newer than its session's clean-exit marker, from a process that is no longer
running, is what a crash left: the next start offers it.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.model.scene import Camera, Scene

RECOVERY_DIR = "recovery"
PROJECT_NAME = "recovery.twin"
META_NAME = "session.json"
CLEAN_EXIT = "clean_exit"
SESSION_PREFIX = "session-"


def _process_start(pid: int) -> str | None:
    """The kernel's start time of a process (Linux): tells a reused PID from the one that wrote."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[19]
    except (OSError, IndexError):
        return None


def _process_state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def is_running(pid: int, started: str | None = None) -> bool:
    """True while the process that wrote a session still runs (a zombie or a reused PID is not it)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that number: not ours, not running
        return started is None
    except OSError:
        return False
    if _process_state(pid) == "Z":
        return False
    return started is None or _process_start(pid) in (None, started)


@dataclass
class RecoverySession:
    """What a session left: its folder and what its `session.json` says."""

    folder: Path
    pid: int
    project_path: str | None  # the project file it was editing; None for an untitled project
    name: str
    saved_at: datetime  # aware, UTC
    started: str | None = None

    @property
    def project_file(self) -> Path:
        return self.folder / PROJECT_NAME

    def describe(self) -> str:
        where = self.project_path or "an untitled project"
        return f"{self.name} ({where}), autosaved {self.saved_at.astimezone():%Y-%m-%d %H:%M}"


def _read_meta(folder: Path) -> RecoverySession | None:
    try:
        doc = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
        saved = datetime.fromisoformat(str(doc["saved_at"]))
        if saved.tzinfo is None:
            saved = saved.replace(tzinfo=timezone.utc)
        path = doc.get("project_path")
        return RecoverySession(folder, int(doc["pid"]), str(path) if path else None, str(doc.get("name") or "Untitled"),
                               saved, doc.get("started"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def pending_sessions(root: Path) -> list[RecoverySession]:
    """Recovery files a crash left in `root` (newest first): newer than their clean-exit marker,
    written by a process that no longer runs. Folders of sessions that ended cleanly are tidied away."""
    found: list[RecoverySession] = []
    try:
        folders = [f for f in root.iterdir() if f.is_dir() and f.name.startswith(SESSION_PREFIX)]
    except OSError:
        return []
    for folder in folders:
        written, clean = _mtime(folder / PROJECT_NAME), _mtime(folder / CLEAN_EXIT)
        session = _read_meta(folder)
        if session is not None and (session.pid == os.getpid() or is_running(session.pid, session.started)):
            continue  # a window of this process, or another instance still at work
        if written is None or session is None or (clean is not None and clean >= written):
            shutil.rmtree(folder, ignore_errors=True)  # ended cleanly, or nothing usable in it
            continue
        found.append(session)
    return sorted(found, key=lambda s: s.saved_at, reverse=True)


def remove_session(session: RecoverySession | Path) -> None:
    shutil.rmtree(session.folder if isinstance(session, RecoverySession) else session, ignore_errors=True)


class RecoveryStore:
    """One session's recovery folder under `root` (created on the first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = self.root / f"{SESSION_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.writes = 0

    @property
    def project_file(self) -> Path:
        return self.folder / PROJECT_NAME

    def write(self, scene: "Scene", camera: "Camera | None", project_path: str | None, name: str) -> Path:
        """The scene as it is now into the recovery file (atomic), then the session's note."""
        from app.model.project import write_project

        self.folder.mkdir(parents=True, exist_ok=True)
        write_project(scene, self.project_file, name=name, backup=False, camera=camera)
        meta: dict[str, Any] = {"pid": os.getpid(), "started": _process_start(os.getpid()), "project_path": project_path,
                                "name": name, "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        tmp = self.folder / (META_NAME + ".tmp")
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / META_NAME)
        (self.folder / CLEAN_EXIT).unlink(missing_ok=True)
        self.writes += 1
        return self.project_file

    def discard(self) -> None:
        """The project was saved (or closed): its recovery copy is stale, not a crash's leftover."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def clean_exit(self) -> None:
        """The session ends normally: the marker first (a crash while removing is still clean)."""
        if self.folder.is_dir():
            try:
                (self.folder / CLEAN_EXIT).write_text(datetime.now(timezone.utc).isoformat(), encoding="utf-8")
            except OSError:
                pass
        self.discard()
