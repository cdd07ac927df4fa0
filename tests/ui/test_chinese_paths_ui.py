"""Chinese data through the window (issue 17 item 3): an IFC with Chinese names in a folder with
Chinese characters and spaces opens with its names in the model tree and properties, a project
saved beside it reopens through its relative path, recent files keep the path, and `twinscape tile`
writes into a Chinese output folder."""
from __future__ import annotations

import json
from pathlib import Path

from app.cli import main
from tests.cli.test_chinese_io import USE, WALL, _chinese_ifc
from tests.fixtures import write_las
from tests.ui.conftest import wait_loaded


def test_chinese_names_and_paths_in_the_window(qtbot, window, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QTreeWidgetItemIterator

    from app.model.project import write_project

    folder = tmp_path / "武汉 项目" / "设计 模型"
    folder.mkdir(parents=True)
    ifc = folder / f"{USE} 设计.ifc"
    _chinese_ifc(ifc)
    las = write_las(folder / "工地 扫描.las", n=2_000)
    window.open_paths([str(ifc), str(las)])
    wait_loaded(qtbot, window)
    assert window.errors == []
    names = [layer.name for layer in window.scene.layers]
    assert f"{USE} 设计.ifc" in names and "工地 扫描.las" in names
    texts = []
    it = QTreeWidgetItemIterator(window.model_tree.tree)
    while it.value():
        texts.append(it.value().text(0))
        it += 1
    assert any(WALL in t for t in texts) and any("一层" in t for t in texts), texts
    assert str(ifc) in window.recent_files() and str(las) in window.recent_files()

    project = tmp_path / "武汉 项目" / "我的 项目.twin"
    write_project(window.scene, project)
    saved = json.loads(project.read_text(encoding="utf-8"))
    assert {entry["source"]["path"] for entry in saved["layers"]} == {f"设计 模型/{USE} 设计.ifc", "设计 模型/工地 扫描.las"}
    moved = tmp_path / "搬家 以后"
    (tmp_path / "武汉 项目").rename(moved)  # the project and its data moved together: the relative paths still hold
    window.scene.layers.clear()
    window.open_paths([str(moved / "我的 项目.twin")])
    wait_loaded(qtbot, window)
    assert sorted(layer.name for layer in window.scene.layers) == sorted(names) and window.errors == []


def test_tile_writes_into_a_chinese_folder(tmp_path: Path, capsys) -> None:
    las = write_las(tmp_path / "点云 输入.las", n=20_000)
    out = tmp_path / "输出 瓦片"
    assert main(["tile", str(las), "-o", str(out), "--format", "3dtiles", "--threads", "--workers", "1"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["output"] == str(out) and (out / "tileset.json").is_file()
