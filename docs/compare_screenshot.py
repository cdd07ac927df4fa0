"""docs/compare.png: the demo with Block C compared with its design (issue 12), framed on the site.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/compare_screenshot.py docs/compare.png
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(out: str) -> int:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    from app.demo import demo_project_path
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(Path(out).with_suffix(".ini")), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1500, 900)
    window.show()
    window.open_paths([str(demo_project_path())])
    start = time.monotonic()
    while (window.tasks.tasks or window.comparisons.busy()) and time.monotonic() - start < 600:
        app.processEvents()
        time.sleep(0.05)
    window.canvas.set_camera(window.scene.bookmarks[1].camera)  # "Construction site"
    window.resizeDocks([window.comparisons.comparison_dock], [230], Qt.Orientation.Vertical)
    window.resizeDocks([window.layer_tree], [360], Qt.Orientation.Horizontal)
    dock = window.comparisons.comparison_dock
    dock.tabs.setCurrentIndex(2)  # Elements: a built column of Level 2 selected (properties and highlight)
    table = dock.elements
    row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == "IfcColumn"
               and table.item(r, 3).text() == "Level 2")
    table.selectRow(row)
    table.cellClicked.emit(row, 1)
    window.properties.raise_()
    for _ in range(40):  # streamed district tiles for this view
        app.processEvents()
        window.canvas.tick()
        time.sleep(0.05)
    window.canvas.render()
    app.processEvents()
    window.grab().save(out)
    Path(out).with_suffix(".ini").unlink(missing_ok=True)
    print(f"wrote {out}; errors: {window.errors}")
    window.project_files.maybe_save = lambda: True  # the demo's comparison is not a change to keep
    window.close()
    return 1 if window.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/compare.png"))
