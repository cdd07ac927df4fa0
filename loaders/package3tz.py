"""`.3tz` tileset packages: a zip with tileset.json at its root (3D Tiles archive format).

Cheapest correct route: the entries are extracted (bounded in count and size, names sanitised
by zipfile) into a temporary folder, read by the ordinary tileset loader, and the folder removed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile

from loaders._binary import MAX_FILE_BYTES
from loaders.base import Cancel, LayerData, LoadError, Progress
from loaders.registry import register_loader

MAX_ENTRIES = 1_000_000
MAX_TOTAL_BYTES = 8 * 1024**3


def _sniff_3tz(head: bytes) -> bool:
    return False  # a zip is only a tileset package by its extension


@register_loader(".3tz", sniff=_sniff_3tz, name="3D Tiles package")
def read_3tz(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    from loaders.tiles3d import read_tileset

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError(path, f"not a 3D Tiles package (zip): {exc}") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise LoadError(path, "package holds too many or too large entries")
        if any(i.file_size > MAX_FILE_BYTES for i in infos):
            raise LoadError(path, "package holds an entry larger than 2 GiB")
        if "tileset.json" not in archive.namelist():
            raise LoadError(path, "package has no tileset.json at its root")
        folder = tempfile.mkdtemp(prefix="twinscape-3tz-")
        try:
            try:
                for info in infos:
                    if cancel is not None and cancel():
                        from loaders.base import LoadCancelled

                        raise LoadCancelled()
                    if not info.is_dir() and not info.filename.startswith("@"):  # @3dtilesIndex1@ is only an index
                        archive.extract(info, folder)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
                raise LoadError(path, f"package entry cannot be read: {exc}") from None
            try:
                layers = read_tileset(os.path.join(folder, "tileset.json"), progress=progress, cancel=cancel)
            except LoadError as exc:
                raise LoadError(path, exc.reason) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    for layer in layers:
        layer.source = path
        layer.name = os.path.splitext(os.path.basename(path))[0]
    return layers
