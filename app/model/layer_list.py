"""An ordered, evented list of layers (what the layer tree shows and the canvas draws)."""
from __future__ import annotations

from typing import Iterator

from psygnal import Signal

from app.model.layers import Layer


class LayerList:
    inserted = Signal(int, object)  # index, layer
    removed = Signal(int, object)
    moved = Signal(int, int)

    def __init__(self) -> None:
        self._layers: list[Layer] = []

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(list(self._layers))

    def __getitem__(self, index: int) -> Layer:
        return self._layers[index]

    def index(self, layer: Layer) -> int:
        return next(i for i, item in enumerate(self._layers) if item is layer)

    def append(self, layer: Layer) -> None:
        self.insert(len(self._layers), layer)

    def insert(self, index: int, layer: Layer) -> None:
        names = {item.name for item in self._layers}
        base, n = layer.name, 2
        while layer.name in names:  # unique names keep the tree and project files unambiguous
            layer.name = f"{base} [{n}]"
            n += 1
        self._layers.insert(index, layer)
        self.inserted.emit(index, layer)

    def remove(self, layer: Layer) -> None:
        index = self.index(layer)
        del self._layers[index]
        self.removed.emit(index, layer)

    def move(self, src: int, dst: int) -> None:
        layer = self._layers.pop(src)
        self._layers.insert(dst, layer)
        self.moved.emit(src, dst)

    def clear(self) -> None:
        for layer in reversed(list(self._layers)):
            self.remove(layer)
