"""Personal fields (plate, person id, phone id) never reach readings, recordings, the saved mapping or the
log in clear: they are dropped or replaced by a salted hash whose salt exists only in this process."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from app.sources.base import BaseFeed
from app.sources.feed import FeedMapping
from app.sources.privacy import pseudonym
from app.sources.recording import RecordingWriter

PLATE, PERSON, PHONE = "鄂A12345", "person-8812", "+86-138-0000-1111"
MAPPING = FeedMapping(id_path="person", personal=["person", "plate", "phone"], meta_paths={"plate": "plate"})


def _messages() -> list[bytes]:
    good = {"person": PERSON, "plate": PLATE, "phone": PHONE, "lon": 114.3, "lat": 30.59, "kind": "mover",
            "values": {"speed": 4.2}}
    bad = dict(good, values={"speed": float("nan")})  # malformed: its reason is logged, never its content
    return [json.dumps(good).encode(), json.dumps(bad).encode(), json.dumps(dict(good, lon="x")).encode()]


def test_personal_fields_never_leave_in_clear(tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    feed = BaseFeed("test://privacy", MAPPING)
    for m in _messages():
        feed._handle(m, f"people/{PERSON}")
    readings = feed.drain()
    assert len(readings) == 1 and feed.stats.malformed == 2
    r = readings[0]
    assert r.sensor_id == pseudonym(PERSON) and r.meta == {"plate": pseudonym(PLATE)} and r.kind == "mover"
    for suffix in (".jsonl", ".csv"):
        with RecordingWriter(tmp_path / f"rec{suffix}") as w:
            w.write(readings)
    saved = json.dumps(MAPPING.to_dict(), ensure_ascii=False)
    texts = {"recording.jsonl": (tmp_path / "rec.jsonl").read_text(encoding="utf-8"),
             "recording.csv": (tmp_path / "rec.csv").read_text(encoding="utf-8"),
             "mapping": saved, "log": caplog.text, "stats": repr(feed.stats), "sensors": repr(feed.sensors()),
             "reading": repr(r)}
    for where, text in texts.items():
        for secret in (PLATE, PERSON, PHONE, "12345", "8812"):
            assert secret not in text, f"{secret!r} leaked into the {where}"
    assert "person" in saved and "plate" in saved  # the names are kept (the mapping says what is personal)


def test_drop_mode_keeps_no_trace_of_the_field() -> None:
    feed = BaseFeed("test://privacy", FeedMapping(personal=["plate"], personal_mode="drop",
                                                  meta_paths={"plate": "plate"}))
    feed._handle(json.dumps({"id": "veh-1", "plate": PLATE, "lon": 114.3, "lat": 30.59, "values": {"v": 1}}), "")
    (r,) = feed.drain()
    assert r.meta == {} and r.sensor_id == "veh-1"


def test_the_salt_is_new_in_every_process() -> None:
    code = "from app.sources.privacy import pseudonym; print(pseudonym('鄂A12345'))"
    repo = Path(__file__).resolve().parents[2]
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo).stdout
            for _ in range(2)}
    assert len(runs) == 2 and pseudonym(PLATE) not in {r.strip() for r in runs}


def test_personal_fields_never_reach_the_project_file_or_what_the_window_shows(tmp_path) -> None:
    """Issue 13's Done-when: the readings go into a sensor layer in a scene (its ring history, its pick
    text, its labels' source) and the project is saved: the clear values appear nowhere."""
    from app.model.project import write_project
    from app.model.scene import Scene
    from app.model.sensors import make_sensor_layer

    feed = BaseFeed("test://privacy", MAPPING)
    for m in _messages():
        feed._handle(m, f"people/{PERSON}")
    scene = Scene()
    scene.frame.origin_lla = (30.59, 114.3, 0.0)
    layer = make_sensor_layer("test://privacy", MAPPING.to_dict(), name="People")
    scene.layers.append(layer)
    assert layer.ingest(feed.drain(), scene.frame, feed.sensors()) == 1
    shown = json.dumps([layer.describe(row) for row in range(len(layer.view().positions))], ensure_ascii=False, default=str)
    write_project(scene, tmp_path / "p.twin")
    saved = (tmp_path / "p.twin").read_text(encoding="utf-8")
    sidecars = "".join(p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".twin")
    for where, text in {"project": saved, "sidecars": sidecars, "picked properties": shown}.items():
        for secret in (PLATE, PERSON, PHONE, "12345", "8812"):
            assert secret not in text, f"{secret!r} leaked into the {where}"
    assert pseudonym(PERSON) in shown  # the sensor is still there, under its pseudonym
