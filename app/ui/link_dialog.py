"""Link to model: choose the model layer and where the task-element links come from (a link table
CSV, an IFC property `Pset.Property`, or the IFC's own 4D), then read the report in plain counts.

The dialog stays open after linking so the counts (matched / unmatched / ambiguous, or "the links
were made for another model") can be read; a bad file or property is said in the same place.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from app.model.scene import Scene
from app.model.schedule_layer import LinkError, ScheduleLayer, model_layers
from app.model.schedule_links import LinkReport
from app.ui.i18n import tr


class LinkDialog(QDialog):
    def __init__(self, scene: Scene, layer: ScheduleLayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr('Link {v0} to a model').format(v0=layer.name))
        self.scene, self.layer = scene, layer
        self.report: LinkReport | None = None
        self.on_linked: Callable[[], None] | None = None  # e.g. mark the scene unsaved
        self.models = model_layers(scene.layers)
        form = QFormLayout()
        self.model_box = QComboBox()
        self.model_box.addItems([m.name for m in self.models])
        if layer.target in [m.name for m in self.models]:
            self.model_box.setCurrentText(layer.target)
        form.addRow(tr("Model layer"), self.model_box)
        self.table_radio = QRadioButton(tr("Link table (CSV)"))
        self.property_radio = QRadioButton(tr("IFC property"))
        self.ifc_radio = QRadioButton(tr("The IFC's own 4D (IfcTask)"))
        self.kinds = QButtonGroup(self)
        for button in (self.table_radio, self.property_radio, self.ifc_radio):
            self.kinds.addButton(button)
        self.table_path = QLineEdit()
        self.table_path.setPlaceholderText(tr("links.csv: a GUID column and a task column (UID, ID, WBS or name)"))
        browse = QPushButton(tr("Browse..."))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.table_path)
        row.addWidget(browse)
        self.property_name = QLineEdit()
        self.property_name.setPlaceholderText(tr("Pset.Property, e.g. Pset_4D.Task"))
        form.addRow(self.table_radio, row)
        form.addRow(self.property_radio, self.property_name)
        form.addRow(self.ifc_radio, QLabel(""))
        {"property": self.property_radio, "ifc": self.ifc_radio}.get(layer.link_kind, self.table_radio).setChecked(True)
        if layer.link_kind == "table":
            self.table_path.setText(layer.link_source)
        elif layer.link_kind == "property":
            self.property_name.setText(layer.link_source)
        self.table_path.textEdited.connect(lambda _: self.table_radio.setChecked(True))
        self.property_name.textEdited.connect(lambda _: self.property_radio.setChecked(True))
        self.result_label = QLabel("" if self.models else tr("No model with elements is open: open an IFC or a BIM model first."))
        self.result_label.setWordWrap(True)
        self.result_label.setMinimumWidth(420)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.link_button = buttons.addButton(tr("Link"), QDialogButtonBox.ButtonRole.ApplyRole)
        self.link_button.setEnabled(bool(self.models))
        self.link_button.clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.result_label)
        box.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Link table"), "", tr("Link tables (*.csv *.txt);;All files (*)"))
        if path:
            self.table_path.setText(path)
            self.table_radio.setChecked(True)

    def kind_and_source(self) -> tuple[str, str]:
        if self.property_radio.isChecked():
            return "property", self.property_name.text().strip()
        if self.ifc_radio.isChecked():
            return "ifc", ""
        return "table", self.table_path.text().strip()

    def apply(self) -> LinkReport | None:
        """Link and show the report (or why not) in the dialog."""
        kind, source = self.kind_and_source()
        if not self.models:
            return None
        if kind != "ifc" and not source:
            self.result_label.setText(tr("Choose a link table file.") if kind == "table" else tr("Name the property as Pset.Property."))
            return None
        model = self.models[self.model_box.currentIndex()]
        try:
            self.report = self.layer.link(model, kind, source)
        except LinkError as exc:
            self.result_label.setText(tr('No links made: {exc}').format(exc=exc))
            return None
        self.result_label.setText(self.summary(self.report))
        if self.on_linked is not None:
            self.on_linked()
        return self.report

    @staticmethod
    def summary(report: LinkReport) -> str:
        """Matched / unmatched / ambiguous in plain words, the most important line first."""
        lines = report.lines()
        return "\n".join(lines[:1] + [f"matched: {report.element_matched:,}   unmatched: {report.element_missing:,}   "
                                      f"ambiguous: {report.ambiguous:,}"] + lines[1:])
