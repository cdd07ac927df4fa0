"""Where `tile` writes, and the promise that it never deletes what it did not write.

Every output path is checked before any work: a COPC goes to a new file or replaces one that
Twinscape wrote (its LAS header says so) or, with `overwrite`, a file the user named; a 3D Tiles
tileset goes to a new or empty folder, or one that holds only files a manifest
(`twinscape-manifest.json`, written last) lists as Twinscape's. Output is built under a
temporary name in the same folder (`.NAME.<random>.part`) and renamed into place at the end;
on failure or Ctrl-C the temporary output and any folders created for it are removed. Old
tiles are deleted only when the manifest lists them and their names are tile names.
"""
from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field

from loaders.base import LoadError

MANIFEST = "twinscape-manifest.json"
GENERATOR = "twinscape tile"
_TILE_NAME = re.compile(r"^tiles/\d+/\d+_\d+_\d+\.pnts$")
_MANIFEST_MAX_BYTES = 64 << 20


@dataclass
class OutputPlan:
    """A checked output: its final path, the temporary sibling the job writes, and what to undo."""

    path: str
    fmt: str
    staging: str
    overwrite: bool = False
    created_dirs: list[str] = field(default_factory=list)  # parents made for this output, outermost first


def os_reason(exc: OSError, what: str = "cannot write") -> str:
    """'cannot write: read-only file system' rather than an exception class name."""
    text = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        return f"{what}: the disk is full ({text})"
    return f"{what}: {text[:1].lower()}{text[1:]}"


def is_twinscape_copc(path: str) -> bool:
    """True for a COPC file whose LAS header names `twinscape tile` as its generating software."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(375 + 54)
    except OSError:
        return False
    return (len(head) == 375 + 54 and head[:4] == b"LASF" and head[58:90].rstrip(b"\0") == GENERATOR.encode()
            and head[375 + 2:375 + 18].rstrip(b"\0") == b"copc")


def read_manifest(folder: str) -> set[str] | None:
    """Files an earlier `tile` wrote into `folder`, or None when it left no readable manifest."""
    path = os.path.join(folder, MANIFEST)
    try:
        if os.path.getsize(path) > _MANIFEST_MAX_BYTES:
            return None
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("generator") != GENERATOR or not isinstance(data.get("files"), list):
        return None
    return {f for f in data["files"] if isinstance(f, str) and _ours_by_name(f)}


def _ours_by_name(rel: str) -> bool:
    """Only names `tile` itself writes count, so an edited manifest cannot point elsewhere."""
    return rel == "tileset.json" or bool(_TILE_NAME.match(rel))


def write_manifest(folder: str, files: set[str]) -> None:
    tmp = os.path.join(folder, f".{MANIFEST}.{secrets.token_hex(4)}.part")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"generator": GENERATOR, "manifest_version": 1, "format": "3dtiles",
                   "files": sorted(files)}, fh, indent=0)
    os.replace(tmp, os.path.join(folder, MANIFEST))


def _files_under(folder: str, limit: int | None = None) -> list[str]:
    """Relative posix paths of the files (and links) under folder; stops after `limit`."""
    out: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            rel = os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/")
            if rel != MANIFEST:
                out.append(rel)
                if limit is not None and len(out) >= limit:
                    return out
    return out


def _foreign(folder: str, limit: int | None = None) -> list[str]:
    owned = read_manifest(folder) or set()
    out = []
    for rel in _files_under(folder):
        if rel not in owned:
            out.append(rel)
            if limit is not None and len(out) >= limit:
                break
    return out


def _clashes(folder: str) -> list[str]:
    """Files not of ours at names `tile` writes (tileset.json, tiles/L/X_Y_Z.pnts): never replaced."""
    owned = read_manifest(folder) or set()
    names = ["tileset.json"] if os.path.lexists(os.path.join(folder, "tileset.json")) else []
    tiles = os.path.join(folder, "tiles")
    if os.path.islink(tiles):
        return ["tiles (a link)"]  # writing or deleting through it would touch another folder
    if os.path.isdir(tiles):
        for rel in _files_under(tiles):
            if os.path.isdir(os.path.join(tiles, rel)):  # a linked folder inside tiles/
                return [f"tiles/{rel} (a link)"]
            names.append("tiles/" + rel)
    return [rel for rel in names if _ours_by_name(rel) and rel not in owned]


def _make_parents(path: str, plan_dirs: list[str]) -> None:
    """Create the missing folders above `path`, remembering them so a failure can remove them."""
    parent = os.path.dirname(path)
    missing = []
    while not os.path.lexists(parent):
        missing.append(parent)
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    if os.path.lexists(parent) and not os.path.isdir(parent):
        raise LoadError(path, f"{parent} is a file, not a folder")
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        except OSError as exc:
            raise LoadError(path, os_reason(exc, f"cannot create the folder {folder}")) from None
        plan_dirs.append(folder)


def plan_output(output: str, fmt: str, *, overwrite: bool = False, inputs: tuple[str, ...] = ()) -> OutputPlan:
    """Check `output` and reserve its temporary sibling; raises LoadError(output, reason)."""
    if not output.strip():
        raise LoadError(output, "the output path is empty")
    path = os.path.realpath(os.path.abspath(output))
    for src in inputs:
        try:
            if os.path.exists(path) and os.path.samefile(src, path):
                raise LoadError(output, "is also an input; choose another output")
        except OSError:
            continue
    if fmt == "copc":
        _check_copc(path, output, overwrite)
    else:
        _check_tiles(path, output, overwrite)
    plan = OutputPlan(path=path, fmt=fmt, staging="", overwrite=overwrite)
    _make_parents(path, plan.created_dirs)
    staging = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{secrets.token_hex(4)}.part")
    try:
        if fmt == "copc":
            with open(staging, "xb"):
                pass
        else:
            os.mkdir(staging)
    except OSError as exc:
        discard(plan)
        raise LoadError(output, os_reason(exc, f"cannot write in {os.path.dirname(path)}")) from None
    plan.staging = staging
    return plan


def _check_copc(path: str, shown: str, overwrite: bool) -> None:
    if os.path.isdir(path):
        raise LoadError(shown, "is a folder; --format copc writes one file (name it, e.g. out.copc.laz)")
    if not os.path.lexists(path):
        return
    if not os.path.isfile(path):
        raise LoadError(shown, "exists and is not a regular file; choose another output")
    if not overwrite and not is_twinscape_copc(path):
        raise LoadError(shown, "exists and is not a COPC file Twinscape wrote; pass --overwrite to replace it")


def _check_tiles(path: str, shown: str, overwrite: bool) -> None:
    """A new or empty folder, or one with our manifest; with `overwrite` any folder. In every
    case a file of someone else's at a name `tile` writes stops the job (it is never replaced)."""
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path):
        raise LoadError(shown, "exists and is not a folder; --format 3dtiles writes a folder")
    if read_manifest(path) is None and not overwrite:
        foreign = _foreign(path, limit=3)
        if foreign:
            raise LoadError(shown, f"the folder holds files Twinscape did not write ({', '.join(foreign)}) and no "
                                   f"{MANIFEST}; choose a new or empty folder, or pass --overwrite to write "
                                   "beside them (they are kept)")
        return
    clash = _clashes(path)
    if clash:
        raise LoadError(shown, f"{clash[0]} was not written by Twinscape and is never replaced, "
                               "not even with --overwrite; move it away first")


def commit(plan: OutputPlan) -> None:
    """Rename the finished output into place; for a folder, replace only Twinscape's own files."""
    if plan.fmt == "copc":
        _check_copc(plan.path, plan.path, True)  # a folder that appeared meanwhile still may not be replaced
        os.replace(plan.staging, plan.path)
        return
    new = set(_files_under(plan.staging))
    if not os.path.lexists(plan.path):
        write_manifest(plan.staging, new)
        try:
            os.rename(plan.staging, plan.path)
            return
        except OSError:
            if not os.path.isdir(plan.path):
                raise
    _check_tiles(plan.path, plan.path, plan.overwrite)  # again: the folder may have changed during the job
    old = read_manifest(plan.path) or set()
    clash = [rel for rel in new if os.path.lexists(os.path.join(plan.path, rel)) and rel not in old]
    if clash:
        raise LoadError(plan.path, f"{clash[0]} was not written by Twinscape; it is kept and nothing was replaced")
    write_manifest(plan.path, old | new)  # a crash while moving leaves every file of ours listed
    for rel in sorted(new):
        target = os.path.join(plan.path, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(os.path.join(plan.staging, rel), target)
    for rel in sorted(old - new):
        try:
            os.remove(os.path.join(plan.path, rel))
        except FileNotFoundError:
            pass
        _prune_empty(plan.path, os.path.dirname(rel))
    write_manifest(plan.path, new)
    shutil.rmtree(plan.staging, ignore_errors=True)


def _prune_empty(root: str, rel_dir: str) -> None:
    """Remove now-empty tile folders (tiles/<level>, tiles) and nothing that still holds a file."""
    while rel_dir and rel_dir.split("/")[0] == "tiles":
        try:
            os.rmdir(os.path.join(root, rel_dir))
        except OSError:
            return
        rel_dir = os.path.dirname(rel_dir)


def discard(plan: OutputPlan) -> None:
    """Remove the temporary output and the folders made for it; the user's files are untouched."""
    if plan.staging:
        if os.path.isdir(plan.staging) and not os.path.islink(plan.staging):
            shutil.rmtree(plan.staging, ignore_errors=True)
        else:
            try:
                os.remove(plan.staging)
            except OSError:  # already gone (renamed into place) or never made
                pass
    for folder in reversed(plan.created_dirs):
        try:
            os.rmdir(folder)
        except OSError:
            break
