"""docs/schedule_status.png: planned versus actual (issue 11 item 4) on the demo's Block C, compared with
its design, and a schedule written here (a frame task and a walls task per storey, in building order)
linked to its elements: coloured by schedule status at the clock's time, the Schedule tab open.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/schedule_status_screenshot.py docs/schedule_status.png
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def write_plan(model, folder: Path, start: datetime) -> tuple[Path, Path]:
    """A schedule CSV (two tasks per storey: the frame, then the walls, 12 days each, overlapping) and a
    link table GUID;TaskUID for the model's elements (spaces and openings left out)."""
    storeys = sorted({e.storey for e in model.elements if e.storey}, key=lambda s: [int(p) if p.isdigit() else p for p in s.split()])
    structure = {"IfcSlab", "IfcColumn", "IfcBeam", "IfcFooting"}
    tasks, links = ["UID,ID,WBS,Name,Start,Finish"], ["GUID;TaskUID"]
    for k, storey in enumerate(storeys):
        for j, part in enumerate(("frame", "walls")):
            uid = 2 * k + j + 1
            t0 = start + timedelta(days=10 * k + 8 * j)
            tasks.append(f"{uid},{uid},1.{uid},{storey} {part},{t0.isoformat()},{(t0 + timedelta(days=12)).isoformat()}")
            for e in model.elements:
                if e.storey == storey and not e.hidden_by_default and (e.ifc_class in structure) == (j == 0):
                    links.append(f"{e.id};{uid}")
    plan, table = folder / "plan.csv", folder / "links.csv"
    plan.write_text("\n".join(tasks) + "\n", encoding="utf-8")
    table.write_text("\n".join(links) + "\n", encoding="utf-8")
    return plan, table


def main(out: str) -> int:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    from app.demo import demo_project_path
    from app.model.layers import MeshLayer
    from app.model.schedule_layer import ScheduleLayer
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(Path(out).with_suffix(".ini")), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1500, 940)
    window.show()
    window.open_paths([str(demo_project_path())])

    def settle(seconds: float = 600) -> None:
        start = time.monotonic()
        while (window.tasks.tasks or window.comparisons.busy()) and time.monotonic() - start < seconds:
            app.processEvents()
            time.sleep(0.05)

    settle()
    model = next(la for la in window.scene.layers if isinstance(la, MeshLayer) and la.data.get("comparison_status") is not None)
    folder = Path(tempfile.mkdtemp())
    plan, table = write_plan(model, folder, datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc))
    window.open_paths([str(plan)])
    settle()
    schedule = next(la for la in window.scene.layers if isinstance(la, ScheduleLayer))
    report = schedule.link(model, "table", str(table))
    print(" / ".join(report.lines()))
    window.scene.clock.set_time(datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc) + timedelta(days=29))
    for layer in window.scene.layers:
        if layer.kind == "pointcloud":
            layer.visible = False  # the model's colours, not the scan's points in front of them
    window.layer_tree.tree.setCurrentItem(window.layer_tree.item_for(model))
    model.opacity = 1.0
    model.color_mode = "schedule_status"
    window.canvas.zoom_to(model.bounds())
    dock = window.comparisons.comparison_dock
    dock.show()
    dock.raise_()
    dock.tabs.setCurrentWidget(dock.schedule_tab)
    window.resizeDocks([dock], [280], Qt.Orientation.Vertical)
    window.resizeDocks([window.layer_tree], [330], Qt.Orientation.Horizontal)
    for _ in range(40):
        app.processEvents()
        window.canvas.tick()
        time.sleep(0.05)
    window.canvas.render()
    app.processEvents()
    window.grab().save(out)
    Path(out).with_suffix(".ini").unlink(missing_ok=True)
    print(f"wrote {out}; errors: {window.errors}")
    window.project_files.maybe_save = lambda: True  # nothing here is a change to keep
    window.close()
    return 1 if window.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/schedule_status.png"))
