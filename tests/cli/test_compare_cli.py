"""`twinscape compare` end to end: a generated georeferenced site (millimetre IFC with IfcMapConversion,
an occluded multi-station scan in EPSG:4547) gets the verdicts and schedule statuses the test chose;
reports in three formats; every bad input is one `error:` line and exit 2."""
from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from app.cli import main
from loaders.schedule import Schedule, Task
from tests import scan_sim as ss
from tests.fourd_fixtures import schedule_csv

ORIGIN = (500000.0, 2500000.0, 10.0)
OMIT, CUT, SHIFT = ["Column L1 11", "Beam L0 x01"], {"Wall N": 0.4}, {"Column L0 20": (0.12, 0.0, 0.0)}
DAY = datetime(2025, 6, 16, tzinfo=timezone.utc)
TASKS = [  # planned at DAY: complete, started, not started
    ("1", "L0 structure", DAY - timedelta(days=30), DAY - timedelta(days=5)),
    ("2", "L1 structure", DAY - timedelta(days=3), DAY + timedelta(days=20)),
    ("3", "Walls", DAY + timedelta(days=5), DAY + timedelta(days=15)),
]
PLANNED = {"1": 2, "2": 1, "3": 0}


def _task_of(name: str) -> str | None:
    if name.startswith(("Slab L0", "Column L0", "Beam L0", "Slab L1")):
        return "1"
    if name.startswith(("Column L1", "Beam L1")):
        return "2"
    if name.startswith("Wall"):
        return "3"
    return None  # Slab L2: in no task


def _truth(name: str) -> str:
    return "missing" if name in OMIT else "partial" if name in CUT else "deviating" if name in SHIFT else "built"


def _expected_schedule(name: str) -> str:
    task = _task_of(name)
    if task is None:
        return "not_planned"
    observed = {"missing": 0, "partial": 1}.get(_truth(name), 2)
    planned = PLANNED[task]
    return "ahead" if observed > planned else "behind" if observed < planned else "on_time"


def _stations(stations) -> list[str]:
    out = []
    for s in stations:
        out += ["--station", ",".join(str(o + v) for o, v in zip(ORIGIN, s))]
    return out


@pytest.fixture(scope="module")
def frame_site(tmp_path_factory):
    """The 49-element two-storey frame, millimetres, IfcMapConversion to EPSG:4547; a 4-station scan."""
    d = tmp_path_factory.mktemp("frame")
    site = ss.two_storey_frame()
    ids = ss.write_site_ifc(d / "site.ifc", site, unit="MILLIMETRE", map_origin=ORIGIN, epsg=4547)
    built = ss.mesh_from_boxes(ss.as_built(site, omit=OMIT, cut=CUT, shift=SHIFT), clutter=ss.FRAME_CLUTTER)
    scan = ss.simulate_scan(built, ss.FRAME_STATIONS, h_step_deg=0.5, v_step_deg=0.5, n_floating=300, seed=3)
    ss.write_las(d / "scan.laz", scan, origin=ORIGIN, epsg=4547)
    tasks = [Task(uid=u, id=u, wbs=f"1.{u}", name=n, start=a, finish=b) for u, n, a, b in TASKS]
    schedule_csv(d / "schedule.csv", Schedule(tasks, format="csv"))
    rows = ["GUID;TaskUID"] + [f"{ids[e.index]};{_task_of(e.name)}" for e in site if _task_of(e.name)]
    (d / "links.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return d, site


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    d = tmp_path_factory.mktemp("small")
    site = ss.simple_site()
    ss.write_site_ifc(d / "site.ifc", site, unit="MILLIMETRE", map_origin=ORIGIN, epsg=4547)
    built = ss.mesh_from_boxes(ss.as_built(site, omit=["Column B"]))
    scan = ss.simulate_scan(built, [(2.0, 2.0, 1.5), (8.0, 6.0, 1.5)], h_step_deg=1.0, v_step_deg=1.0, seed=2)
    ss.write_las(d / "scan.laz", scan, origin=ORIGIN, epsg=4547)
    return d, scan


def test_done_when_generated_site_verdicts_and_schedule(frame_site, capsys) -> None:
    d, site = frame_site
    out = d / "report.json"
    code = main(["compare", "--design", str(d / "site.ifc"), "--scan", str(d / "scan.laz"), "--tolerance", "0.05",
                 *_stations(ss.FRAME_STATIONS), "--schedule", str(d / "schedule.csv"), "--links", str(d / "links.csv"),
                 "--date", DAY.date().isoformat(), "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    line = json.loads(captured.out.strip().splitlines()[-1])
    assert line["elements"] == 49 and line["output"] == str(out)
    report = json.loads(out.read_text())
    elements = {e["name"]: e for e in report["elements"]}
    assert len(elements) == 49
    right = sum(elements[e.name]["status"] == _truth(e.name) for e in site)
    assert right >= 0.95 * 49, {n: e["status"] for n, e in elements.items() if e["status"] != _truth(n)}
    on_schedule = sum(elements[e.name]["schedule_status"] == _expected_schedule(e.name) for e in site)
    assert on_schedule >= 0.95 * 49
    assert elements["Column L1 11"]["task"] == "L1 structure" and elements["Slab L2"]["task"] is None
    s = report["summary"]
    assert s["design"]["crs"] == s["scan"]["crs"] == "EPSG:4547" and s["stations"] == 4
    assert s["points_used"] > 100_000 and s["far_points"] > 0 and s["tolerance"] == 0.05
    assert set(s["progress"]["by_class"]) == {"IfcSlab", "IfcColumn", "IfcBeam", "IfcWall"}
    assert s["progress"]["by_storey"]["Level 0"]["elements"] == 49
    by_task = report["schedule"]["by_task"]
    assert by_task["Walls [3]"]["planned"] == "not_started" and by_task["Walls [3]"]["ahead"] == 4
    assert report["schedule"]["links"]["elements_linked"] == 48


def test_planned_state_without_scan(frame_site, capsys) -> None:
    d, site = frame_site
    out = d / "planned.json"
    code = main(["compare", "--design", str(d / "site.ifc"), "--schedule", str(d / "schedule.csv"), "--links",
                 str(d / "links.csv"), "--date", DAY.date().isoformat(), "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    rows = {e["name"]: e for e in json.loads(out.read_text())["elements"]}
    want = {"1": "complete", "2": "started", "3": "not_started", None: None}
    assert all(rows[e.name]["planned"] == want[_task_of(e.name)] for e in site)
    for suffix in ("csv", "html"):
        assert main(["compare", "--design", str(d / "site.ifc"), "--schedule", str(d / "schedule.csv"), "--links",
                     str(d / "links.csv"), "--date", DAY.date().isoformat(), "-o", str(d / f"planned.{suffix}")]) == 0
    with (d / "planned.csv").open(encoding="utf-8-sig") as fh:
        table = {r["name"]: r for r in csv.DictReader(fh)}
    assert table["Wall S"]["planned"] == "not_started" and table["Wall S"]["task"] == "Walls"
    page = (d / "planned.html").read_text()
    assert "Planned state at 2025-06-16T23:59:59+00:00" in page and "L1 structure [2]" in page


def test_csv_and_html_reports(small_site, capsys) -> None:
    d, scan = small_site
    assert main(["compare", "--design", str(d / "site.ifc"), "--scan", str(d / "scan.laz"), "-o", str(d / "r.csv")]) == 0
    with (d / "r.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 and {r["name"]: r["status"] for r in rows}["Column B"] == "missing"
    assert list(rows[0])[:5] == ["guid", "ifc_class", "name", "storey", "status"]
    assert main(["compare", "--design", str(d / "site.ifc"), "--scan", str(d / "scan.laz"), "-o", str(d / "r.html")]) == 0
    page = (d / "r.html").read_text()
    assert page.count("data:image/png;base64,") == 3, capsys.readouterr().err  # scan, model, histogram
    assert "Column B" in page and "Progress by storey" in page and "Level 0" in page and "<script" not in page


def _las(path, points: np.ndarray, origin, epsg: int | None = 4547) -> None:
    import laspy
    import pyproj

    header = laspy.LasHeader(point_format=6, version="1.4")
    header.offsets, header.scales = np.floor(origin), np.full(3, 1e-3)
    if epsg:
        header.add_crs(pyproj.CRS.from_epsg(epsg))
    las = laspy.LasData(header)
    if len(points):
        las.x, las.y, las.z = (points + origin).T
    las.write(str(path))


def _bad_inputs(d, scan, tmp):
    import ifcopenshell
    import ifcopenshell.api

    f = ifcopenshell.file(schema="IFC4")
    ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcProject", name="Empty")
    f.write(str(tmp / "empty.ifc"))
    _las(tmp / "far.las", scan.points, np.array(ORIGIN) + [5000.0, 0, 0])
    _las(tmp / "empty.las", np.zeros((0, 3)), np.array(ORIGIN))
    _las(tmp / "absurd.las", scan.points[:100], np.array([1e12, 1e12, 0.0]))
    _las(tmp / "nocrs.las", scan.points, np.array(ORIGIN), epsg=None)
    (tmp / "notes.txt").write_text("not a scan")
    data = (d / "scan.laz").read_bytes()
    (tmp / "truncated.laz").write_bytes(data[: len(data) // 2])
    site, good = str(d / "site.ifc"), str(d / "scan.laz")
    return {
        "no overlap": (["--design", site, "--scan", str(tmp / "far.las")], r"far\.las: the scan and the design do not overlap: "
                                                                          r"scan extent x 505\d+.*design extent x 500000"),
        "empty scan": (["--design", site, "--scan", str(tmp / "empty.las")], "empty.las: the scan holds no points"),
        "design without geometry": (["--design", str(tmp / "empty.ifc"), "--scan", good], "empty.ifc: no geometry"),
        "absurd coordinates": (["--design", site, "--scan", str(tmp / "absurd.las")], "absurd.las: absurd coordinates"),
        "tolerance 0": (["--design", site, "--scan", good, "--tolerance", "0"], "--tolerance: the tolerance must be a positive"),
        "negative tolerance": (["--design", site, "--scan", good, "--tolerance", "-0.1"], "--tolerance: "),
        "scan without CRS": (["--design", site, "--scan", str(tmp / "nocrs.las")], "no CRS.*--scan-crs"),
        "bad --scan-crs": (["--design", site, "--scan", good, "--scan-crs", "EPSG:0"], "--scan-crs 'EPSG:0' is not a CRS"),
        "missing scan": (["--design", site, "--scan", str(tmp / "nope.laz")], "nope.laz: no such file"),
        "truncated scan": (["--design", site, "--scan", str(tmp / "truncated.laz")], r"truncated\.laz: .*(corrupt|truncated)"),
        "not a scan": (["--design", site, "--scan", str(tmp / "notes.txt")], "notes.txt: not a scan"),
        "bad report type": (["--design", site, "--scan", good, "-o", str(tmp / "r.pdf")], r"r\.pdf: unknown report type"),
        "half a schedule": (["--design", site, "--scan", good, "--schedule", str(tmp / "notes.txt")], "--links: planned versus"),
        "bad date": (["--design", site, "--scan", good, "--schedule", good, "--links", good, "--date", "16/6/2025"],
                     "--date: '16/6/2025' is not a date"),
    }


def test_every_bad_input_is_one_error_line(small_site, tmp_path, capsys) -> None:
    import re

    d, scan = small_site
    for case, (args, pattern) in _bad_inputs(d, scan, tmp_path).items():
        if "-o" not in args:
            args = [*args, "-o", str(tmp_path / "r.json")]
        code = main(["compare", *args])
        err = capsys.readouterr().err
        assert code == 2, (case, err)
        assert err.startswith("error: ") and "Traceback" not in err, (case, err)
        assert re.search(pattern, err), (case, err)
        assert not (tmp_path / "r.json").exists(), case  # no report presented as truth


def test_unreachable_scheduler_is_an_error(small_site, tmp_path, capsys, monkeypatch) -> None:
    import socket

    monkeypatch.setenv("TWINSCAPE_SCHEDULER_TIMEOUT", "2")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d, _ = small_site
    code = main(["compare", "--design", str(d / "site.ifc"), "--scan", str(d / "scan.laz"), "--scheduler",
                 f"tcp://127.0.0.1:{port}", "-o", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: tcp://127.0.0.1:{port}: cannot reach the dask scheduler"), err
