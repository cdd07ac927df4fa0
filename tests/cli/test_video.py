"""`twinscape video`: the demo tour as an H.264 MP4 that ffprobe reads; bad paths, sizes and names
refused with one line before anything renders; a tour naming a deleted bookmark still plays."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.demo import demo_project_path
from app.video import even_size
from tests.fixtures import write_las

pytestmark = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe (ffmpeg) is not installed")


def _probe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,pix_fmt,width,height,nb_read_frames,r_frame_rate", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["streams"][0]


def test_the_demo_tour_exports_an_mp4_ffprobe_reads(tmp_path: Path, capsys) -> None:
    out = tmp_path / "tour.mp4"
    assert main(["video", str(demo_project_path()), "-o", str(out), "--size", "161x91", "--fps", "1",
                 "--budget", "20000", "--no-live"]) == 0  # live feeds: test_live_layers_receive_readings_while_rendering
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert "note: size 161x91 rounded to 160x90 (H.264 needs even sizes)" in captured.err
    assert "video: 100% frame" in captured.err  # the progress bar (a line every 10% off a terminal)
    stream = _probe(out)
    assert stream["codec_name"] == "h264" and stream["pix_fmt"] == "yuv420p"
    assert (stream["width"], stream["height"]) == (160, 90) and stream["r_frame_rate"] == "1/1"
    assert int(stream["nb_read_frames"]) == result["frames"] >= 30
    assert result["tour"] == "The twin's story" and result["duration_s"] < 60
    assert [p.name for p in tmp_path.iterdir()] == ["tour.mp4"]  # no temporary file left


@pytest.mark.parametrize("output, reason", [
    ("{tmp}/no/such/folder/out.mp4", "folder {tmp}/no/such/folder does not exist"),
    ("{tmp}", "is a directory (give a video file name, e.g. OUT.mp4)"),
    ("/proc/out.mp4", "cannot write in /proc"),
    ("{tmp}/out.gif", "unsupported video type '.gif'"),
])
def test_an_unwritable_output_is_refused_before_rendering(tmp_path: Path, capsys, output: str, reason: str) -> None:
    output = output.format(tmp=tmp_path)
    assert main(["video", str(demo_project_path()), "-o", output]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {output}: {reason.format(tmp=tmp_path)}")


def test_an_unknown_tour_lists_the_tours_and_a_project_without_tours_says_so(tmp_path: Path, capsys) -> None:
    assert main(["video", str(demo_project_path()), "--tour", "Nope", "-o", str(tmp_path / "a.mp4")]) == 2
    assert capsys.readouterr().err.strip() == "error: Nope: no tour of that name (the project has: The twin's story)"
    bare = tmp_path / "bare.twin"
    bare.write_text(json.dumps({"schema_version": 1, "layers": []}))
    assert main(["video", str(bare), "-o", str(tmp_path / "b.mp4")]) == 2
    assert "the project has no tours (make one in Present > Tours)" in capsys.readouterr().err
    assert main(["video", str(tmp_path / "scan.las"), "-o", str(tmp_path / "c.mp4")]) == 2
    assert "not a Twinscape project (.twin)" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.mp4"))


def test_a_tour_naming_a_deleted_bookmark_plays_the_rest_with_a_warning(tmp_path: Path, capsys) -> None:
    write_las(tmp_path / "scan.las", n=2000, size=40.0, z_spread=5.0)
    cam = {"position": [60.0, -60.0, 50.0], "focal_point": [0.0, 0.0, 0.0]}
    near = {"position": [30.0, -30.0, 25.0], "focal_point": [0.0, 0.0, 0.0]}
    project = tmp_path / "p.twin"
    project.write_text(json.dumps({
        "schema_version": 1, "layers": [{"source": {"path": "scan.las"}, "state": {"name": "Scan"}}], "camera": cam,
        "bookmarks": [{"name": "Far", "camera": cam}, {"name": "Near", "camera": near}],
        "tours": [{"name": "Short", "stops": [{"bookmark": "Near", "pause": 0.5, "transition": 1.0},
                                             {"bookmark": "Gone", "pause": 1.0},
                                             {"bookmark": "Far", "pause": 0.5, "transition": 1.0,
                                              "layers": {"Scan": False, "Ghost": True}}]}]}))
    out = tmp_path / "short.mp4"
    assert main(["video", str(project), "-o", str(out), "--size", "96x64", "--fps", "10"]) == 0
    captured = capsys.readouterr()
    assert f"warning: {project}: tour 'Short': no bookmark named 'Gone'; that stop is skipped" in captured.err
    assert f"warning: {project}: tour 'Short': no layer named 'Ghost'" in captured.err
    assert json.loads(captured.out)["frames"] == 31 == int(_probe(out)["nb_read_frames"])  # 3 s at 10 fps, both ends
    assert main(["info", str(project)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["bookmarks"] == ["Far", "Near"] and info["tours"] == ["Short"]
    assert info["warnings"] == ["tour 'Short': no bookmark named 'Gone'; that stop is skipped"]


def test_live_layers_receive_readings_while_rendering() -> None:
    import time

    from app.model.scene import Scene
    from app.model.sensors import make_sensor_layer
    from app.video import _LiveFeeds

    scene = Scene()
    hidden, shown = make_sensor_layer("sim://demo?sensors=4", name="hidden"), make_sensor_layer("sim://demo?sensors=4", name="shown")
    hidden.visible = False
    scene.layers.append(hidden)
    scene.layers.append(shown)
    warned: list[str] = []
    feeds = _LiveFeeds(scene, lambda path, message: warned.append(message))
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not shown.counts()["sensors"]:
            feeds.drain()
            time.sleep(0.05)
    finally:
        feeds.close()
    assert shown.counts()["sensors"] > 0 and [layer.name for _, layer in feeds.feeds.values()] == ["shown"]
    assert not warned


def test_odd_sizes_round_down_to_even() -> None:
    assert even_size((161, 91)) == (160, 90) and even_size((160, 90)) == (160, 90) and even_size((1, 3)) == (2, 2)


def test_the_video_command_imports_no_qt() -> None:
    code = "import sys, app.cli_video, app.video; sys.exit(any(m.startswith(('PySide6', 'pyvistaqt', 'app.ui')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2]).returncode == 0
