"""Streaming controls for a streamed 3D Tiles layer: detail (maximum screen-space error, as
CesiumJS's maximumScreenSpaceError) and the memory budget for its tiles (cacheBytes)."""
from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from app.model.layers import Layer, TilesetLayer
from app.ui.i18n import tr


class TilesetControls(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer: TilesetLayer | None = None
        self.sse = QDoubleSpinBox()
        self.sse.setRange(1.0, 256.0)
        self.sse.setDecimals(1)
        self.sse.setSingleStep(2.0)
        self.sse.setSuffix(tr(" px"))
        self.sse.setToolTip(tr("Maximum screen-space error: lower draws finer tiles sooner (more data); "
                            "CesiumJS's default is 16 px"))
        self.memory = QSpinBox()
        self.memory.setRange(16, 65536)
        self.memory.setSingleStep(128)
        self.memory.setSuffix(tr(" MiB"))
        self.memory.setToolTip(tr("Memory for this tileset's loaded tiles; least recently used tiles out of view are "
                               "dropped past it, and detail is lowered gradually while the view alone needs more"))
        self.points = QDoubleSpinBox()  # streamed point clouds: base size, grown near the camera
        self.points.setRange(1.0, 20.0)
        self.points.setSingleStep(0.5)
        self.points.setSuffix(tr(" px"))
        self.points.setToolTip(tr("Point size of streamed points; points near the camera grow to close the gaps"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(tr("Detail")))
        row.addWidget(self.sse)
        row.addWidget(QLabel(tr("Memory")))
        row.addWidget(self.memory)
        row.addWidget(QLabel(tr("Points")))
        row.addWidget(self.points)
        self.sse.valueChanged.connect(self._on_sse)
        self.memory.valueChanged.connect(self._on_memory)
        self.points.valueChanged.connect(self._on_points)

    def set_layer(self, layer: Layer | None) -> None:
        """Show for a streamed tileset only; fill from its settings without writing them back."""
        streamed = isinstance(layer, TilesetLayer) and layer.streamed
        self.layer = None
        self.setVisible(streamed)
        if streamed:
            self.sse.setValue(layer.max_sse)
            self.memory.setValue(round(layer.memory_budget_mb))
            self.points.setValue(layer.point_size)
            self.layer = layer

    def _on_sse(self, value: float) -> None:
        if self.layer is not None:
            self.layer.max_sse = float(value)

    def _on_memory(self, value: int) -> None:
        if self.layer is not None:
            self.layer.memory_budget_mb = float(value)

    def _on_points(self, value: float) -> None:
        if self.layer is not None:
            self.layer.point_size = float(value)
