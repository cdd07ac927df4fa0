"""The window's comparisons: starts the engine in a worker, applies its answer on the GUI thread,
keeps the histogram and progress docks on the current comparison, exports reports, and computes
comparisons a project asks for without results (the demo's Block C) once their layers are loaded.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.model.comparison import ComparisonLayer, data_from_result, find_layer
from app.model.layers import Layer, MeshLayer, PointCloudLayer
from app.tasks import Task
from app.ui.compare_dialog import comparison_name, design_layers, scan_layers
from app.ui.comparison_dock import ComparisonDock
from app.ui.deviation_dock import DeviationDock
from app.ui.stations import parse_stations
from app.ui.i18n import tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

REPORT_FILTERS = {"HTML report (*.html)": ".html", "JSON (*.json)": ".json", "CSV, one row per element (*.csv)": ".csv"}


class ComparisonController:
    def __init__(self, window: "MainWindow") -> None:
        self.window = window
        self.scene = window.scene
        self.task: Task | None = None
        from app.ui.dock_tabs import tab_beside_when_shown

        self.deviation_dock = DeviationDock(self.scene, window)
        self.comparison_dock = ComparisonDock(self.scene, window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.deviation_dock)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.comparison_dock)
        tab_beside_when_shown(window, self.deviation_dock, self.comparison_dock)  # the bottom keeps only the
        # timeline: a tall progress table beside it took 400 px of height from the view
        self.deviation_dock.hide()
        self.comparison_dock.hide()
        self.scene.layers.inserted.connect(self._on_inserted)
        self.scene.layers.removed.connect(lambda *_: self.refresh())
        self._pending = QTimer(window, interval=250, timeout=self._run_pending)

    # --- the current comparison and its docks --------------------------------------------------
    def comparisons(self) -> list[ComparisonLayer]:
        return [layer for layer in self.scene.layers if isinstance(layer, ComparisonLayer)]

    def current(self) -> ComparisonLayer | None:
        """The last comparison in the layer list (the newest, unless the user reordered them)."""
        found = self.comparisons()
        return found[-1] if found else None

    def refresh(self) -> None:
        layer = self.current()
        self.deviation_dock.show_layer(layer)
        self.comparison_dock.show_layer(layer)
        if layer is not None and not self.deviation_dock.isVisible() and layer.computed:
            self.deviation_dock.show()
            self.comparison_dock.show()
            self.comparison_dock.raise_()  # progress by storey first; the histogram is the next tab

    def _on_inserted(self, _index: int, layer: Layer) -> None:
        if isinstance(layer, ComparisonLayer):
            layer.data_changed.connect(self.refresh)
            if not layer.computed:
                self._pending.start()
        self.refresh()

    # --- running --------------------------------------------------------------------------------
    def start(self, scan: PointCloudLayer | None, designs: list[MeshLayer], tolerance: float, max_distance: float,
              target: ComparisonLayer | None = None, stations: str = "") -> str | None:
        """Start a comparison; returns why it cannot start (shown by the caller), or None.
        `stations`: scanner positions as typed ("x, y, z; ..." in the display CRS), or ""."""
        if scan is None:
            return tr("Choose a scan: no point cloud layer is open.")
        if not designs:
            return tr("Choose at least one BIM layer to compare the scan with.")
        if not tolerance > 0:
            return tr('The tolerance must be more than 0 m (it is {tolerance:g} m).').format(tolerance=tolerance)
        if not max_distance > tolerance:
            return tr('The far cut-off ({max_distance:g} m) must be beyond the tolerance ({tolerance:g} m).').format(max_distance=max_distance, tolerance=tolerance)
        if self.task is not None and not self.task.done:
            return tr("A comparison is already running; wait for it or cancel it.")
        try:
            from app.analysis.c2m import C2MError
            from app.analysis.compare import CompareSettings, compare_arrays
            from app.analysis.design import DesignModel
        except ImportError as exc:
            return tr('The comparison engine is not available here ({exc}).').format(exc=exc)
        settings = CompareSettings(tolerance=tolerance, max_distance=max_distance)
        try:
            settings.validate()
        except C2MError as exc:
            return str(exc)
        try:
            positions = parse_stations(stations, self.scene.frame)
        except ValueError as exc:
            return str(exc)
        meshes = [(_mesh_data(layer), layer.data["vertices"]) for layer in designs]
        points = scan.positions

        def work(task: Task) -> Any:
            design = DesignModel.from_meshes(meshes)
            return compare_arrays(design, points, settings, stations=positions, cancel=task.cancelled,
                                  progress=lambda f, *m: task.report(f, *(str(x) for x in m[:1])))

        task = self.window.tasks.submit(tr('Comparing {v0}').format(v0=scan.name), work)
        task.on_done = self._finish  # type: ignore[attr-defined]
        task.keeps_clean = target is not None  # type: ignore[attr-defined]  # a project asked for it: nothing unsaved
        task.comparison = (scan, designs, tolerance, max_distance, target, stations)  # type: ignore[attr-defined]
        self.task = task
        self.window.progress.setValue(0)
        self.window.progress.setFormat(tr("Comparing %p%"))
        self.window.progress.show()
        self.window.cancel_button.show()
        if target is not None:
            target.info["pending"] = "comparing\u2026"
        self.window.statusBar().showMessage(tr('Comparing {v0} with {v1}…').format(v0=scan.name, v1=', '.join((d.name for d in designs))), 5000)
        return None

    def _finish(self, task: Task) -> None:
        scan, designs, tolerance, max_distance, target, stations = task.comparison  # type: ignore[attr-defined]
        self.task = None
        try:
            result = task.future.result()  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - bad input (C2MError) or a bug: a message, never a traceback
            if task.cancelled():
                self.window.statusBar().showMessage(tr("Comparison cancelled"), 5000)
            elif isinstance(exc, ValueError):  # C2MError is a ValueError: the engine's own words
                self.show_error(str(exc))
            else:
                self.show_error(tr('internal error: {v0}: {exc}').format(v0=type(exc).__name__, exc=exc))
            if target is not None:
                target.info["pending"] = tr("not computed (cancelled or failed): Analysis \u203a Compare scan with design\u2026")
            return
        if task.cancelled():
            self.window.statusBar().showMessage(tr("Comparison cancelled"), 5000)
            return
        data = data_from_result(result)
        if target is not None and not any(target is other for other in self.scene.layers):
            self.window.statusBar().showMessage(tr("The comparison was removed while it ran: its result is dropped"), 5000)
            return
        if target is not None:
            target.info.pop("pending", None)
            target.result = result
            target.data = data
            target.data_changed.emit()
        else:
            for old in [c for c in self.comparisons() if c.scan == scan.name]:  # one comparison colours a scan
                self.scene.layers.remove(old)
            layer = ComparisonLayer(name=comparison_name(scan, designs), scan=scan.name, design=tuple(d.name for d in designs),
                                    tolerance=tolerance, max_distance=max_distance, stations=stations, data=data)
            layer.result = result
            self.scene.layers.append(layer)
        self.refresh()
        counts = data.status_counts()
        self.window.statusBar().showMessage(tr("Compared: ") + ", ".join(f"{v} " + tr(k) for k, v in counts.items()), 8000)

    def show_error(self, text: str) -> None:
        self.window.errors.append(text)
        briefing = getattr(self.window, "briefing", None)
        if briefing is not None and briefing.divert(text):  # briefing mode: no box over the audience
            return
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Could not compare"), text, QMessageBox.StandardButton.Ok, self.window)
        box.setModal(False)
        box.show()
        self.window.message_box = box

    def busy(self) -> bool:
        """A comparison runs, or a project's comparison waits to start (screenshots wait for it)."""
        running = self.task is not None and not self.task.done
        return running or any(not c.computed and c.info.get("pending", "").startswith("results") for c in self.comparisons())

    def _run_pending(self) -> None:
        """Comparisons a project asked for without results: once nothing is loading and their
        layers are there, compute them (one at a time)."""
        pending = [c for c in self.comparisons() if not c.computed and c.info.get("pending", "").startswith("results")]
        if not pending:
            self._pending.stop()
            return
        if self.window.tasks.tasks:
            return
        comp = pending[0]
        scan = find_layer(scan_layers(self.scene.layers), comp.scan, PointCloudLayer)
        designs = [d for name in comp.design for d in [find_layer(design_layers(self.scene.layers), name, MeshLayer)] if d]
        if scan is None or len(designs) != len(comp.design):
            comp.info["pending"] = tr("not computed: its scan or design layers are not open")
            return
        error = self.start(scan, designs, comp.tolerance, comp.max_distance, target=comp,  # type: ignore[arg-type]
                           stations=comp.stations)
        if error:
            comp.info["pending"] = tr('not computed: {error}').format(error=error)

    # --- reports --------------------------------------------------------------------------------
    def export_report(self, path: str | None = None) -> str | None:
        """Write the current comparison's report (.html, .json or .csv); returns the path written."""
        comp = self.current()
        if comp is None or not comp.computed:
            self.show_error(tr("No comparison to export yet: run Analysis \u203a Compare scan with design\u2026 first."))
            return None
        if path is None:
            start = os.path.join(self.window.project_files.start_dir(), "comparison.html")
            path, chosen = QFileDialog.getSaveFileName(self.window, tr("Export comparison report"), start, ";;".join(REPORT_FILTERS))
            if not path:
                return None
            if Path(path).suffix.lower() not in (".html", ".json", ".csv"):
                path += REPORT_FILTERS.get(chosen, ".html")
        try:
            from app.analysis.report import write_report

            result = comp.result if comp.result is not None else rebuild_result(comp, self.scene.layers)
            images = self._images(comp, result) if Path(path).suffix.lower() == ".html" else None
            write_report(result, path, images)
        except (OSError, ValueError, ImportError) as exc:
            self.show_error(f"{Path(path).name}: {getattr(exc, 'strerror', None) or exc}")
            return None
        self.window.statusBar().showMessage(tr('Report written to {path}').format(path=path), 8000)
        return path

    def _images(self, comp: ComparisonLayer, result: Any) -> dict[str, bytes] | None:
        """Off-screen pictures of the coloured scan and model (app.compare_images); the report is
        still written, without them, where off-screen rendering is not available."""
        scan = find_layer(self.scene.layers, comp.scan, PointCloudLayer)
        try:
            from app.compare_images import comparison_images

            return comparison_images(result, scan.positions) if scan is not None else None
        except Exception as exc:  # noqa: BLE001 - a report without pictures beats no report
            self.window.statusBar().showMessage(tr('report without pictures: {exc}').format(exc=exc), 8000)
            return None

    def close(self) -> None:
        self._pending.stop()
        self.comparison_dock.schedule_tab.detach()  # the scene may outlive the window


def _mesh_data(layer: MeshLayer) -> Any:
    from loaders.base import MeshData

    d = layer.data
    return MeshData(name=layer.name, kind="bim", format="", vertices=d["vertices"], faces=d["faces"],
                    face_element=d.get("face_element"), elements=list(layer.elements))


def rebuild_result(comp: ComparisonLayer, layers: Any) -> Any:
    """A ComparisonResult from saved results (a reopened project), for the report: the design
    again from the BIM layers, the verdicts from the saved table (matched by GlobalId)."""
    from app.analysis.compare import CompareSettings, ComparisonResult
    from app.analysis.design import DesignModel
    from app.analysis.verdicts import ElementVerdict

    layers = list(layers)
    designs = [find_layer(layers, name, MeshLayer) for name in comp.design]
    if any(d is None for d in designs):
        raise ValueError("the comparison's BIM layers are not all open; open them to export its report")
    design = DesignModel.from_meshes([(_mesh_data(d), d.data["vertices"]) for d in designs])  # type: ignore[union-attr]
    where = {(int(j), e.id): i for i, (j, e) in enumerate(zip(design.layer_of_element, design.elements))}
    verdicts = []
    for row in comp.data.rows():
        index = where.get((row["layer"], row["guid"]))
        if index is None:
            continue
        verdicts.append(ElementVerdict(index=index, status=row["status"], coverage=float(row["coverage"] or 0.0),
                                       points=int(row["points"]), mean_distance=_nan(row["mean_distance"]),
                                       max_distance=_nan(row["max_distance"]), offset=tuple(row["offset"]),
                                       **{k: row[k] for k in ("observable_cells", "exposed_cells") if k in row}))
    settings = CompareSettings(tolerance=comp.tolerance, max_distance=comp.max_distance)
    return ComparisonResult(design=design, verdicts=verdicts, summary=comp.data.summary,
                            histogram=(comp.data.edges, comp.data.counts), distance=comp.data.distance,
                            element=None, settings=settings)


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def install_comparisons(window: "MainWindow") -> ComparisonController:
    return ComparisonController(window)
