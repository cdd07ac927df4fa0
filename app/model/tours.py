"""Bookmarks the user makes and tours through them. No Qt, no VTK.

A bookmark is a named camera with an optional thumbnail (a small PNG, kept base64 in the project
so a project stays one file; ~160x90 keeps it a few KB). Names are unique, compared without case
and surrounding spaces: a tour names its stops by bookmark, so two "Site" bookmarks would make a
tour ambiguous. A tour whose stop names a bookmark that was deleted still plays: that stop is
skipped and `missing_stops` says which, for a message at play or export time.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from app.model.scene import Bookmark, Camera

THUMBNAIL_SIZE = (160, 90)
MAX_THUMBNAIL_BYTES = 96 * 1024  # a 160x90 PNG is 5-25 KB; anything larger is not a thumbnail
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PAUSE_S = 3600.0
MAX_TRANSITION_S = 600.0
DEFAULT_PAUSE_S = 2.0


class BookmarkError(ValueError):
    """A bookmark or tour edit that cannot be made; the message says why."""


def _key(name: str) -> str:
    return name.strip().casefold()


def find_bookmark(marks: Iterable[Bookmark], name: str) -> Bookmark | None:
    key = _key(name)
    return next((b for b in marks if _key(b.name) == key), None)


def unique_name(marks: Iterable[Bookmark], name: str, ignore: Bookmark | None = None) -> str:
    """`name`, or `name (2)`, `name (3)`... the first that no other bookmark has."""
    taken = {_key(b.name) for b in marks if b is not ignore}
    base = re.sub(r"\s+\(\d+\)$", "", name.strip()) if _key(name) in taken else name.strip()
    if _key(base) not in taken:
        return base
    n = 2
    while _key(f"{base} ({n})") in taken:
        n += 1
    return f"{base} ({n})"


def check_name(marks: Iterable[Bookmark], name: str, ignore: Bookmark | None = None) -> str:
    """The cleaned name, or BookmarkError when it is empty or another bookmark has it."""
    clean = name.strip()
    if not clean:
        raise BookmarkError("a bookmark needs a name")
    other = find_bookmark((b for b in marks if b is not ignore), clean)
    if other is not None:
        raise BookmarkError(f"a bookmark named '{other.name}' already exists (try '{unique_name(marks, clean, ignore)}')")
    return clean


def add_bookmark(marks: list[Bookmark], name: str, camera: Camera, thumbnail: bytes | None = None) -> Bookmark:
    """Append a bookmark; a name already taken raises BookmarkError with a free one to use."""
    mark = Bookmark(check_name(marks, name), camera, thumbnail=thumbnail)
    marks.append(mark)
    return mark


def rename_bookmark(marks: list[Bookmark], mark: Bookmark, name: str, tours: Iterable["Tour"] = ()) -> None:
    """Rename in place (the list emits its change); tours that named it follow the new name."""
    new = check_name(marks, name, ignore=mark)
    old = mark.name
    for tour in tours:
        for stop in tour.stops:
            if _key(stop.bookmark) == _key(old):
                stop.bookmark = new
    mark.name = new
    index = next(i for i, b in enumerate(marks) if b is mark)
    marks[index] = mark  # the EventedList says "changed"


def move_bookmark(marks: list[Bookmark], index: int, to: int) -> None:
    if not (0 <= index < len(marks) and 0 <= to < len(marks)) or index == to:
        return
    mark = marks.pop(index)
    marks.insert(to, mark)


# --- thumbnails in the project file ----------------------------------------------------------
def thumbnail_to_text(png: bytes | None) -> str | None:
    return base64.b64encode(png).decode("ascii") if png else None


def thumbnail_from_text(text: str | None, key: str = "thumbnail") -> bytes | None:
    """base64 PNG -> bytes; ValueError naming `key` when it is not one."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"{key}: expected base64 PNG text")
    if len(text) > MAX_THUMBNAIL_BYTES * 4 // 3 + 4:
        raise ValueError(f"{key}: larger than {MAX_THUMBNAIL_BYTES // 1024} KiB; a thumbnail is ~160x90")
    try:
        png = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{key}: not base64 text") from None
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError(f"{key}: not a PNG image")
    return png


# --- tours -----------------------------------------------------------------------------------
@dataclass
class TourStop:
    """Fly to `bookmark` in `transition` s (None: by distance), then stay `pause` s. On arrival the
    stop may switch layers on/off by name and set the scene clock (ISO time with offset)."""

    bookmark: str
    pause: float = DEFAULT_PAUSE_S
    transition: float | None = None
    layers: dict[str, bool] | None = None
    time: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bookmark": self.bookmark, "pause": self.pause, "transition": self.transition}
        if self.layers is not None:
            out["layers"] = dict(self.layers)
        if self.time is not None:
            out["time"] = self.time
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TourStop":
        t = d.get("transition")
        return cls(str(d["bookmark"]), float(d.get("pause", DEFAULT_PAUSE_S)), None if t is None else float(t),
                   {str(k): bool(v) for k, v in d["layers"].items()} if d.get("layers") is not None else None,
                   d.get("time"))


@dataclass
class Tour:
    name: str
    stops: list[TourStop] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "stops": [s.to_dict() for s in self.stops]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Tour":
        return cls(str(d["name"]), [TourStop.from_dict(s) for s in d.get("stops") or []])

    def missing_stops(self, marks: Iterable[Bookmark]) -> list[str]:
        """Bookmark names this tour stops at that no longer exist (those stops are skipped)."""
        marks = list(marks)
        return [s.bookmark for s in self.stops if find_bookmark(marks, s.bookmark) is None]

    def playable(self, marks: Iterable[Bookmark]) -> list[tuple[TourStop, Bookmark]]:
        marks = list(marks)
        return [(s, b) for s in self.stops for b in [find_bookmark(marks, s.bookmark)] if b is not None]


def missing_message(tour: Tour, marks: Iterable[Bookmark]) -> str | None:
    """One readable line for a tour naming deleted bookmarks, or None."""
    missing = tour.missing_stops(marks)
    if not missing:
        return None
    names = ", ".join(f"'{m}'" for m in missing)
    return f"tour '{tour.name}': no bookmark named {names}; {'that stop is' if len(missing) == 1 else 'those stops are'} skipped"


def find_tour(tours: Iterable[Tour], name: str | None) -> Tour | None:
    """The tour named `name` (any case), or the first tour when `name` is None."""
    tours = list(tours)
    if name is None:
        return tours[0] if tours else None
    return next((t for t in tours if _key(t.name) == _key(name)), None)


def set_clock_time(clock: Any, iso: str) -> Any:
    """Set the scene clock for a tour stop, widening its range when the stop's time lies outside it
    (a stop that shows 11:30 of a flood must not be clamped to a range that ends at 09:00)."""
    from app.model.clock import parse_time, zone_of

    when = parse_time(iso, zone_of(clock.zone))
    if when < clock.start or when > clock.end:
        clock.set_range(min(clock.start, when), max(clock.end, when))
    return clock.set_time(when)
