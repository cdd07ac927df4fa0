"""Chinese data in and out (issue 17 item 3): IFC names and property values in Chinese (STEP
\\X2\\ encoding), paths with Chinese characters and spaces, JSON printed as UTF-8 (not \\u
escapes), CSV reports Excel opens as UTF-8 (BOM)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from app.cli import main
from tests.fixtures import write_las

WALL = "外墙 W1"
USE = "办公楼"


def _chinese_ifc(path: Path) -> None:
    import ifcopenshell
    import ifcopenshell.api as api

    f = ifcopenshell.file(schema="IFC4")
    project = api.run("root.create_entity", f, ifc_class="IfcProject", name="示范项目")
    api.run("unit.assign_unit", f, length={"is_metric": True, "raw": "METERS"})
    model = api.run("context.add_context", f, context_type="Model")
    body = api.run("context.add_context", f, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW", parent=model)
    site = api.run("root.create_entity", f, ifc_class="IfcSite", name="场地")
    storey = api.run("root.create_entity", f, ifc_class="IfcBuildingStorey", name="一层")
    api.run("aggregate.assign_object", f, relating_object=project, products=[site])
    api.run("aggregate.assign_object", f, relating_object=site, products=[storey])
    wall = api.run("root.create_entity", f, ifc_class="IfcWall", name=WALL)
    api.run("geometry.edit_object_placement", f, product=wall)
    rep = api.run("geometry.add_wall_representation", f, context=body, length=5, height=3, thickness=0.2)
    api.run("geometry.assign_representation", f, product=wall, representation=rep)
    api.run("spatial.assign_container", f, relating_structure=storey, products=[wall])
    pset = api.run("pset.add_pset", f, product=wall, name="Pset_WallCommon")
    api.run("pset.edit_pset", f, pset=pset, properties={"Reference": USE, "FireRating": "一级"})
    f.write(str(path))


def test_ifc_in_a_chinese_folder_keeps_its_chinese_names(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "项目 数据"
    folder.mkdir()
    path = folder / f"{USE} 设计.ifc"
    _chinese_ifc(path)
    raw = path.read_bytes()
    assert b"\\X2\\" in raw and USE.encode() not in raw  # STEP's own encoding, as exporters write it
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert str(path) in out and "\\u" not in out  # UTF-8, not escapes
    assert json.loads(out)["path"] == str(path)

    from loaders.registry import load

    [data] = load(str(path))
    [wall] = [e for e in data.elements if e.ifc_class == "IfcWall"]
    assert wall.name == WALL and wall.storey == "一层"
    assert USE in wall.properties.values() and "一级" in wall.properties.values()


def test_las_with_a_chinese_path_renders_and_reports_utf8(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "武汉 扫描"
    folder.mkdir()
    las = write_las(folder / "工地 扫描.las", n=2_000)
    out_png = folder / "效果 图.png"
    assert main(["render", str(las), "-o", str(out_png), "--size", "160x120", "--frames", "1"]) == 0
    assert out_png.stat().st_size > 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["output"] == str(out_png)


def test_csv_report_opens_in_excel_as_utf8(tmp_path: Path) -> None:
    from app.analysis.report import write_planned_report

    report = {"summary": {"date": "2026-12-01", "elements": 1}, "elements": [{"guid": "G1", "ifc_class": "IfcWall", "name": WALL, "storey": "一层",
                                                   "task": "砌筑", "planned": "built"}]}
    path = tmp_path / "计划 报告.csv"
    write_planned_report(report, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert WALL.encode("utf-8") in raw and "砌筑".encode("utf-8") in raw
    html = tmp_path / "计划 报告.html"
    write_planned_report(report, html)
    assert WALL in html.read_text(encoding="utf-8") and "charset=utf-8" in html.read_text(encoding="utf-8")


def test_bad_chinese_path_is_named_in_the_error(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "不存在 的.laz"
    assert main(["info", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"error: {missing}:" in err
    assert np.char.find(err, "\\u") == -1
