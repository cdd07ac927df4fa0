"""File > Export image... as a user does it: the dialog, a 2x PNG with a title, a bad folder said
in the dialog (no box on top of it)."""
from __future__ import annotations

from pathlib import Path

import vtk
from PySide6.QtCore import Qt

from tests.ui.conftest import wait_loaded, write_las


def _png_size(path: Path) -> tuple[int, int]:
    reader = vtk.vtkPNGReader()
    reader.SetFileName(str(path))
    reader.Update()
    return reader.GetOutput().GetDimensions()[:2]


def test_export_a_2x_image_with_a_title(qtbot, window, tmp_path: Path) -> None:
    window.open_paths([str(write_las(tmp_path / "scan.las", n=3000))])
    wait_loaded(qtbot, window)
    window.scene.clock.set_zone("Asia/Shanghai")
    window.export_image_action.trigger()
    dialog = window.export_image_dialog
    assert dialog.isVisible() and "+08:00 Asia/Shanghai" in dialog.date.text()
    w, h = window.view.ren_win.GetSize()
    assert dialog.size_label.text() == f"{2 * w:,} x {2 * h:,} px"
    dialog.path.setText(str(tmp_path / "missing-folder" / "view.png"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "does not exist" in dialog.problem.text()  # said in the dialog itself
    dialog.title.setText("Riverside district")
    dialog.path.setText(str(tmp_path / "view"))  # no extension: .png is added
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    out = tmp_path / "view.png"
    assert not dialog.isVisible() and dialog.written == str(out)
    assert _png_size(out) == (2 * w, 2 * h)
    assert tuple(window.view.ren_win.GetSize()) == (w, h)  # the window's view is back at its size
    assert window.settings.value("export_image/dir") == str(tmp_path)
