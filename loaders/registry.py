"""Extension and content sniffing -> loader function. A new format is one function plus one decorator."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from loaders.base import Cancel, LayerData, LoadCancelled, LoadError, Progress, read_head

Loader = Callable[..., list[LayerData]]
SNIFF_BYTES = 64


@dataclass
class _Entry:
    name: str
    extensions: tuple[str, ...]
    sniff: Callable[[bytes], bool] | None
    priority: int
    func: Loader
    sniff_bytes: int = SNIFF_BYTES  # a format known only past the first 64 bytes (a schedule XML's root) asks for more


_REGISTRY: list[_Entry] = []
_BUILTINS = ("loaders.las", "loaders.copc", "loaders.e57", "loaders.ifc", "loaders.tiles3d", "loaders.mesh", "loaders.cityjson", "loaders.geojson", "loaders.xyz",
             "loaders.schedule", "loaders.results_raster", "loaders.results_vtk",
             "loaders.results_netcdf", "loaders.results_csv")


def _ensure_builtins() -> None:
    """Import the built-in loaders on first use, so `import loaders` stays cheap."""
    import importlib

    for module in _BUILTINS:
        importlib.import_module(module)


def register_loader(*extensions: str, sniff: Callable[[bytes], bool] | None = None, priority: int = 0, name: str | None = None,
                    sniff_bytes: int = SNIFF_BYTES):
    """Register `func(path, *, progress=None, cancel=None) -> list[LayerData]` for these extensions.
    `sniff` sees the file's first `sniff_bytes` bytes."""

    def deco(func: Loader) -> Loader:
        _REGISTRY.append(_Entry(name or func.__name__, tuple(e.lower() for e in extensions), sniff, priority, func, sniff_bytes))
        _REGISTRY.sort(key=lambda e: -e.priority)
        return func

    return deco


def _extension(path: str) -> str:
    name = os.path.basename(path.split("?")[0]).lower()
    for entry in _REGISTRY:
        for ext in entry.extensions:
            if name.endswith(ext):
                return ext
    return os.path.splitext(name)[1]


def find_loader(path: str | Path) -> _Entry:
    """Pick a loader: content sniffing first (a .las that is really IFC still opens), then extension."""
    _ensure_builtins()
    p = str(path)
    if os.path.isdir(p):
        tileset = os.path.join(p, "tileset.json")
        if os.path.isfile(tileset):
            return find_loader(tileset)
        from loaders.results_raster import is_raster_folder  # a folder of GeoTIFFs: a raster time series

        if is_raster_folder(p):
            return _named(p, "GeoTIFF")
        raise LoadError(p, "is a directory (open a file inside it, or a folder holding tileset.json)")
    size = max([SNIFF_BYTES] + [e.sniff_bytes for e in _REGISTRY if e.sniff is not None])
    head = read_head(p, size)  # missing, unreadable or empty: the same words everywhere
    for entry in _REGISTRY:
        if entry.sniff is not None and entry.sniff(head[:entry.sniff_bytes]):
            return entry
    ext = _extension(p)
    for entry in _REGISTRY:
        if ext in entry.extensions:
            return entry
    raise LoadError(p, f"unknown file format (extension '{ext or '(none)'}')")


@contextmanager
def loader_errors(path: str | Path, name: str) -> Iterator[None]:
    """Every failure inside becomes LoadError (LoadCancelled passes through): a library's
    exception must never reach the user raw."""
    try:
        yield
    except (LoadError, LoadCancelled):
        raise
    except MemoryError:
        raise LoadError(path, "not enough memory to load this file") from None
    except Exception as exc:  # noqa: BLE001
        raise LoadError(path, f"{name}: {type(exc).__name__}: {exc}".strip()) from exc


def _named(path: str | Path, name: str) -> _Entry:
    _ensure_builtins()
    for entry in _REGISTRY:
        if entry.name == name:
            return entry
    raise LoadError(path, f"unknown loader '{name}' (known: {', '.join(sorted({e.name for e in _REGISTRY}))})")


def load(path: str | Path, *, progress: Progress | None = None, cancel: Cancel | None = None,
         loader: str | None = None) -> list[LayerData]:
    """Load any supported file or http(s) URL. Every failure becomes LoadError; LoadCancelled passes through."""
    from loaders.remote import is_url, mirror

    if is_url(str(path)):
        try:
            local, warnings = mirror(str(path), progress=progress, cancel=cancel)
        except (LoadError, LoadCancelled):
            raise
        except Exception as exc:  # noqa: BLE001
            raise LoadError(path, f"cannot download: {type(exc).__name__}: {exc}") from None
        try:
            layers = load(local, progress=progress, cancel=cancel, loader=loader)
        except LoadError as exc:
            raise LoadError(path, exc.reason) from None
        finally:  # everything is in memory now: the mirror is not kept
            shutil.rmtree(os.path.dirname(local), ignore_errors=True)
        for layer in layers:
            layer.source = str(path)
            layer.warnings = warnings + layer.warnings
        return layers
    entry = find_loader(path)  # also checks that the path exists and is readable
    if loader is not None:  # a project file names the loader that read it
        entry = _named(path, loader)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "tileset.json")):  # find_loader chose by its tileset.json
        path = os.path.join(path, "tileset.json")
    with loader_errors(path, entry.name):
        layers = entry.func(str(path), progress=progress, cancel=cancel)
    for layer in layers:
        layer.source = layer.source or str(path)
        layer.metadata.setdefault("loader", entry.name)  # project files record which loader read it
    return layers


def supported_extensions() -> list[str]:
    _ensure_builtins()
    return sorted({e for entry in _REGISTRY for e in entry.extensions})
