"""Bookmarks you make (unique names, rename, reorder, thumbnails) and tours, saved in the project."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from app.model.project import read_project, write_project
from app.model.scene import Bookmark, Camera, Scene
from app.model.tours import (
    BookmarkError, Tour, TourStop, add_bookmark, find_tour, missing_message, move_bookmark, rename_bookmark, unique_name,
)
from loaders.base import LoadError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
CAM = Camera((100.0, -100.0, 80.0), (0.0, 0.0, 0.0))


def test_a_name_given_twice_is_refused_with_a_free_name_to_use() -> None:
    scene = Scene()
    events: list[int] = []
    scene.bookmarks_changed.connect(lambda: events.append(1))
    add_bookmark(scene.bookmarks, "Site", CAM)
    with pytest.raises(BookmarkError, match=r"a bookmark named 'Site' already exists \(try 'Site \(2\)'\)"):
        add_bookmark(scene.bookmarks, " Site ", CAM)
    with pytest.raises(BookmarkError, match="needs a name"):
        add_bookmark(scene.bookmarks, "  ", CAM)
    assert unique_name(scene.bookmarks, "Site") == "Site (2)" and events == [1]


def test_rename_follows_in_tours_and_reorder_moves() -> None:
    scene = Scene()
    a = add_bookmark(scene.bookmarks, "A", CAM)
    add_bookmark(scene.bookmarks, "B", CAM)
    tour = Tour("t", [TourStop("a"), TourStop("B")])
    with pytest.raises(BookmarkError):
        rename_bookmark(scene.bookmarks, a, "b", [tour])
    rename_bookmark(scene.bookmarks, a, "Gate", [tour])
    assert [s.bookmark for s in tour.stops] == ["Gate", "B"]
    move_bookmark(scene.bookmarks, 0, 1)
    assert [b.name for b in scene.bookmarks] == ["B", "Gate"]


def test_a_tour_naming_a_deleted_bookmark_says_so_and_keeps_the_rest() -> None:
    marks = [Bookmark("A", CAM), Bookmark("C", CAM)]
    tour = Tour("Story", [TourStop("A"), TourStop("B"), TourStop("C")])
    assert [s.bookmark for s, _ in tour.playable(marks)] == ["A", "C"]
    assert missing_message(tour, marks) == "tour 'Story': no bookmark named 'B'; that stop is skipped"
    assert find_tour([tour], None) is tour and find_tour([tour], "story") is tour and find_tour([tour], "x") is None


def test_bookmarks_thumbnails_and_tours_round_trip(tmp_path: Path) -> None:
    scene = Scene()
    scene.bookmarks.append(Bookmark("Site", CAM, thumbnail=PNG))
    scene.bookmarks.append(Bookmark("Top", Camera((0.0, -1.0, 500.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))))
    scene.tours.append(Tour("Story", [TourStop("Site", pause=1.5, transition=2.0, layers={"Scan": True, "Design": False},
                                               time="2015-06-01T14:00:00+02:00"), TourStop("Top")]))
    path = tmp_path / "p.twin"
    write_project(scene, path)
    spec = read_project(path)
    assert [b.name for b in spec.bookmarks] == ["Site", "Top"] and spec.bookmarks[0].thumbnail == PNG
    assert spec.bookmarks[1].thumbnail is None
    assert spec.tours[0].to_dict() == scene.tours[0].to_dict()
    assert "thumbnail" not in json.loads(path.read_text())["bookmarks"][1]


def _doc(**extra) -> dict:
    return {"schema_version": 1, "layers": [], "bookmarks": [{"name": "A", "camera": {"position": [1, 2, 3]}}], **extra}


@pytest.mark.parametrize("extra, message", [
    ({"tours": [{"name": "", "stops": []}]}, "tours[0].name: must not be empty"),
    ({"tours": [{"name": "t", "stops": [{"bookmark": "A", "pause": -1}]}]}, "tours[0].stops[0].pause: -1 is out of range"),
    ({"tours": [{"name": "t", "stops": [{"bookmark": "A", "transition": "slow"}]}]}, "tours[0].stops[0].transition: expected a number"),
    ({"tours": [{"name": "t", "stops": [{"bookmark": "A", "layers": {"Scan": "yes"}}]}]}, "tours[0].stops[0].layers.Scan: expected true or false"),
    ({"tours": [{"name": "t", "stops": [{"bookmark": "A", "time": "noon"}]}]}, "tours[0].stops[0].time: not an ISO date/time"),
    ({"bookmarks": [{"name": "A", "camera": {"position": [1, 2, 3]}, "thumbnail": "!!"}]}, "bookmarks[0].thumbnail: not base64"),
    ({"bookmarks": [{"name": "A", "camera": {"position": [1, 2, 3]}, "thumbnail": base64.b64encode(b"GIF89a").decode()}]},
     "bookmarks[0].thumbnail: not a PNG image"),
])
def test_bad_tours_and_thumbnails_are_refused_with_the_key(tmp_path: Path, extra: dict, message: str) -> None:
    path = tmp_path / "bad.twin"
    path.write_text(json.dumps(_doc(**extra)))
    with pytest.raises(LoadError, match="malformed project: " + message.replace("[", r"\[").replace("]", r"\]")
                       .replace("(", r"\(").replace(")", r"\)")):
        read_project(path)


def test_a_hand_written_project_naming_a_bookmark_twice_opens_with_a_unique_name(tmp_path: Path) -> None:
    path = tmp_path / "twice.twin"
    cam = {"position": [1, 2, 3]}
    path.write_text(json.dumps({"schema_version": 1, "layers": [], "bookmarks": [{"name": "A", "camera": cam},
                                                                               {"name": "a", "camera": cam}]}))
    assert [b.name for b in read_project(path).bookmarks] == ["A", "a (2)"]


def test_a_stop_time_outside_the_clock_range_widens_it_instead_of_being_clamped() -> None:
    from app.model.clock import SceneClock
    from app.model.tours import set_clock_time

    clock = SceneClock(zone="Asia/Shanghai", time="2026-11-30T10:00", start="2026-11-30T00:00", end="2026-12-01T00:00")
    t = set_clock_time(clock, "2026-12-21T11:30:00+08:00")
    assert t.isoformat() == "2026-12-21T11:30:00+08:00" and clock.end == t
