"""Project files (.twin): versioned JSON. Sources are paths relative to the project file.

`${demo}` in a source path stands for the demo data cache, generated on first use.
Each source also keeps its absolute path: a project copied elsewhere finds its data through the
relative path (data copied along) or the absolute one (data left in place). A source found by
neither is not dropped: its LayerSpec is `missing`, lists the paths tried, and the scene keeps it
as a MissingLayer that saves back untouched. Every document is checked against the schema
(app.model.project_schema) before use. Never pickle; never store secrets.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from app.model.frame import SceneFrame
from app.model.layers import clean_view_side
from app.model.project_schema import SchemaError, check_project
from app.model.scene import Bookmark, Camera, Scene
from loaders.base import LoadError, check_input

SCHEMA_VERSION = 1
PROJECT_EXTENSIONS = (".twin",)
MAX_PROJECT_BYTES = 16 * 1024 * 1024


@dataclass
class LayerSpec:
    path: str  # absolute after expansion (the relative path's target when the file is missing)
    loader: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)  # paths looked at, in order
    missing: bool = False  # neither the relative nor the absolute path exists
    absolute: str | None = None  # the absolute path as stored in the file

    def source(self) -> dict[str, Any]:
        """The layer's source as MissingLayer keeps it: saving writes it back as it was read."""
        return {"path": self.path, "absolute": self.absolute, "loader": self.loader, "options": dict(self.options)}


@dataclass
class ProjectSpec:
    path: str
    name: str
    frame: SceneFrame
    camera: Camera | None
    layers: list[LayerSpec]
    bookmarks: list[Bookmark]
    ui: dict[str, Any] = field(default_factory=dict)  # view settings (the model tree's grouping...)
    clock: dict[str, Any] | None = None  # the SceneClock's state (ISO times with offsets), checked on read
    tours: list[Any] = field(default_factory=list)  # app.model.tours.Tour, stops naming bookmarks
    annotations: list[Any] = field(default_factory=list)  # app.model.annotations Measurement / Annotation
    section: Any = None  # app.model.annotations.Section or None


def is_project(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(PROJECT_EXTENSIONS)


def migrate_v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """v0 (pre-release) listed layers as plain paths and had no frame: wrap them in v1 specs."""
    doc = dict(doc)
    doc["layers"] = [{"source": {"path": p}, "state": {}} if isinstance(p, str) else p for p in doc.get("layers", [])]
    doc.setdefault("frame", {"origin_lla": None})
    doc["schema_version"] = 1
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: migrate_v0_to_v1}


def _expand(source: str, base: Path, variables: dict[str, Callable[[], Path]]) -> str:
    for key, resolve in variables.items():
        token = "${" + key + "}"
        if token in source:
            source = source.replace(token, str(resolve()))
    if "${" in source:
        raise ValueError(f"unknown variable in source path '{source}'")
    if "://" in source:  # a URL (http, mqtt, sim://demo...) stays a URL (Path would fold its "//")
        return source
    p = Path(source)
    if p.is_absolute():
        return str(p)
    try:
        return str((base / p).resolve())
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13): the path as written
        return os.path.abspath(base / p)


def _demo_dir() -> Path:
    from assets.demo.generate import ensure_demo_data  # generator of the embedded demo: no Qt, no VTK

    return ensure_demo_data()


def read_project(path: str | os.PathLike) -> ProjectSpec:
    """Parse and validate a project file; raise LoadError with a readable reason."""
    p = Path(path)
    if not stat.S_ISREG(check_input(p).st_mode):  # pipes, devices and link loops are refused inside; a folder here
        raise LoadError(path, "not a file")
    if p.stat().st_size > MAX_PROJECT_BYTES:
        raise LoadError(path, "project file is larger than 16 MiB; heavy data belongs in sidecar files")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except RecursionError:  # "[[[[..." 100,000 deep: json's scanner gives up before we would
        raise LoadError(path, "not a Twinscape project (JSON nested too deeply)") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, or an integer of 5,000 digits
        raise LoadError(path, f"not a Twinscape project (invalid JSON: {exc})") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read the project: {exc.strerror or exc}") from None
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise LoadError(path, "not a Twinscape project (no schema_version)")
    version = doc.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 0:
        raise LoadError(path, f"unsupported project schema_version {version!r} (this version reads up to {SCHEMA_VERSION})")
    try:
        while version < SCHEMA_VERSION:
            doc = MIGRATIONS[version](doc)
            version = doc["schema_version"]
        check_project(doc)
        if doc.get("clock") is not None:
            from app.model.clock import check_clock

            check_clock(doc["clock"], "clock")
        return _parse(p, doc)
    except SchemaError as exc:
        raise LoadError(path, f"malformed project: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LoadError(path, f"malformed project: {exc}") from None


def _is_url(path: str) -> bool:
    return "://" in path


def _locate(relative: str, absolute: str | None, base: Path,
            variables: dict[str, Callable[[], Path]]) -> tuple[str, list[str], bool]:
    """(path to open, paths tried, missing): the relative path first (data copied along with the
    project), then the stored absolute one (data left where it was)."""
    first = _expand(relative, base, variables)
    if _is_url(first):
        return first, [first], False
    tried = [first] + ([absolute] if absolute and absolute != first else [])
    for candidate in tried:
        if os.path.exists(candidate):
            return candidate, tried, False
    return first, tried, True


def _parse(p: Path, doc: dict[str, Any]) -> ProjectSpec:
    variables = {"demo": _demo_dir}
    frame_doc = doc.get("frame") or {}
    origin = frame_doc.get("origin_lla")
    frame = SceneFrame(tuple(float(v) for v in origin) if origin else None, frame_doc.get("display_crs"))
    layers = []
    for entry in doc.get("layers") or []:
        src = entry["source"]
        found, tried, missing = _locate(src["path"], src.get("absolute"), p.parent, variables)
        layers.append(
            LayerSpec(
                path=found,
                loader=src.get("loader"),
                options=dict(src.get("options") or {}),
                state=_layer_state(entry),
                tried=tried,
                missing=missing and src.get("loader") != "comparison",  # without its sidecar it is computed again
                absolute=src.get("absolute"),
            )
        )
    bookmarks, tours = read_bookmarks_and_tours(doc)
    camera = Camera.from_dict(doc["camera"]) if doc.get("camera") else None
    ui = doc.get("ui")
    from app.model.annotations import parse_annotations, parse_section

    return ProjectSpec(str(p), str(doc.get("name", p.stem)), frame, camera, layers, bookmarks,
                       {k: v for k, v in ui.items() if isinstance(v, dict)} if isinstance(ui, dict) else {},
                       dict(doc["clock"]) if doc.get("clock") is not None else None, tours,
                       parse_annotations(doc.get("annotations")), parse_section(doc.get("section")))


def read_bookmarks_and_tours(doc: dict[str, Any]) -> tuple[list[Bookmark], list[Any]]:
    """Bookmarks (a name given twice by hand gets " (2)": tours need unique names) and tours."""
    from app.model.tours import Tour, thumbnail_from_text, unique_name

    bookmarks: list[Bookmark] = []
    for i, b in enumerate(doc.get("bookmarks") or []):
        png = thumbnail_from_text(b.get("thumbnail"), f"bookmarks[{i}].thumbnail")
        bookmarks.append(Bookmark(unique_name(bookmarks, b["name"]), Camera.from_dict(b["camera"]), thumbnail=png))
    return bookmarks, [Tour.from_dict(t) for t in doc.get("tours") or []]


def bookmark_entry(mark: Bookmark) -> dict[str, Any]:
    from app.model.tours import thumbnail_to_text

    entry: dict[str, Any] = {"name": mark.name, "camera": mark.camera.to_dict()}
    if mark.thumbnail:
        entry["thumbnail"] = thumbnail_to_text(mark.thumbnail)
    return entry


def _layer_state(entry: dict[str, Any]) -> dict[str, Any]:
    """A layer's saved state; a side that is not one (a hand edit) opens as "auto"."""
    state = dict(entry.get("state") or {})
    if "view_side" in state:
        state["view_side"] = clean_view_side(state["view_side"])
    return state


def _saved_source(source: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Relative to the project's folder and absolute: whichever survives a move is used on
    reading. A missing layer's source keeps the absolute path it was read with."""
    src = dict(source)
    target = str(src["path"])
    if _is_url(target):
        src.pop("absolute", None)
        return src
    src["absolute"] = src.get("absolute") or os.path.abspath(target)
    try:
        src["path"] = os.path.relpath(target, folder)
    except ValueError:  # another drive on Windows: keep it absolute
        pass
    return src


def write_project(scene: Scene, path: str | os.PathLike, name: str = "", *, backup: bool = True,
                  camera: Camera | None = None) -> None:
    """Save layers that came from files, and derived layers (comparisons, analysis results) with
    their arrays in sidecar files next to the project (app.model.derived), written first.
    Layers whose file is missing are saved too, with their source and state as they were read.
    `backup`: the file this save replaces is kept as `NAME.twin.bak` (one backup; the autosave
    recovery file keeps none). `camera`: the view to save instead of `scene.camera`."""
    from app.model.derived import write_sidecars

    p = Path(path)
    derived = write_sidecars(list(scene.layers), p)
    layers = []
    for layer in scene.layers:
        entry = derived.get(id(layer))
        if entry is not None:
            layers.append({**entry, "source": _saved_source(entry["source"], p.parent)})
            continue
        if not layer.source:
            continue
        layers.append({"source": _saved_source(layer.source, p.parent), "state": layer.get_state()})
    doc = {
        "schema_version": SCHEMA_VERSION,
        "name": name or p.stem,
        "frame": scene.frame.get_state(),
        "camera": (camera or scene.camera).to_dict(),
        "layers": layers,
        "bookmarks": [bookmark_entry(b) for b in scene.bookmarks],
        "tours": [t.to_dict() for t in scene.tours],
        "annotations": [item.to_dict() for item in scene.annotations],
        "section": scene.section.to_dict() if scene.section is not None else None,
        "ui": {k: dict(v) for k, v in scene.ui_state.items() if isinstance(v, dict)},
        "clock": scene.clock.get_state(),
    }
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    if backup:
        keep_backup(p)
    os.replace(tmp, p)


BACKUP_SUFFIX = ".bak"


def keep_backup(path: Path) -> Path | None:
    """The project file about to be replaced becomes `NAME.twin.bak` (the one backup), swapped in
    atomically: a crash at any moment leaves the project, its backup, or both, never neither.
    A backup that cannot be written (a full disk, a read-only folder) does not stop the save."""
    if not path.is_file():
        return None
    bak = path.with_name(path.name + BACKUP_SUFFIX)
    part = path.with_name(path.name + BACKUP_SUFFIX + ".tmp")
    try:
        part.unlink(missing_ok=True)
        try:
            os.link(path, part)  # no copy: the old file's bytes, under a second name
        except OSError:
            shutil.copy2(path, part)
        os.replace(part, bak)
        return bak
    except OSError:
        logging.getLogger(__name__).warning("could not keep a backup of %s", path, exc_info=True)
        part.unlink(missing_ok=True)
        return None
