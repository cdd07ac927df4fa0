"""IFC models stream: partial layers arrive while loading, and the final layer holds everything."""
from __future__ import annotations

from pathlib import Path

from app.model import BimLayer, Scene
from app.model.opening import build_layers
from tests.ifc_fixtures import make_ifc_grid


def test_partial_layers_grow_to_the_full_model(tmp_path: Path) -> None:
    path = tmp_path / "grid.ifc"
    make_ifc_grid(path, 400)
    partial_counts: list[int] = []

    def on_partial(p: str, layers) -> None:
        assert p == str(path) and len(layers) == 1 and isinstance(layers[0], BimLayer)
        partial_counts.append(len(layers[0].elements))

    [final] = build_layers(Scene(), str(path), on_partial=on_partial)
    assert partial_counts and partial_counts[0] <= 40  # the first elements come at once
    assert partial_counts == sorted(partial_counts)
    assert len(final.elements) >= 400 and final.source["loader"] == "IFC"
    [plain] = build_layers(Scene(), str(path))
    assert {e.id for e in plain.elements} == {e.id for e in final.elements}
    assert len(plain.data["faces"]) == len(final.data["faces"])
