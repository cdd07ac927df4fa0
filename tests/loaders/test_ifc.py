"""IFC loader: FZK-Haus (IFC4) and Schependomlaan (IFC2x3) checked against ifcopenshell, plus generated files."""
from __future__ import annotations

import numpy as np
import pytest

import loaders
from loaders import LoadError, MeshData
from tests.loaders.builders import make_ifc
from tests.loaders.conftest import CORPUS, corpus_path

SCHEPENDOMLAAN = sorted(p.name for p in (CORPUS / "ifc" / "schependomlaan").glob("*.ifc")) if CORPUS.is_dir() else ["(corpus absent)"]


@pytest.fixture(scope="module")
def haus() -> MeshData:
    [layer] = loaders.load(corpus_path("ifc/fzk-haus/AC20-FZK-Haus.ifc"))
    return layer


def _check_mesh(layer: MeshData) -> None:
    assert layer.kind == "bim"
    assert layer.vertices.dtype == np.float64 and layer.vertices.shape[1] == 3
    assert layer.faces.dtype == np.int64 and layer.faces.max() < len(layer.vertices)
    assert layer.face_element.dtype == np.int32 and len(layer.face_element) == len(layer.faces)
    assert layer.face_element.min() >= 0 and layer.face_element.max() < len(layer.elements)
    assert len({e.id for e in layer.elements}) == len(layer.elements)
    assert np.all(np.isfinite(layer.vertices))


def test_fzk_haus_against_ifcopenshell(haus: MeshData) -> None:
    import ifcopenshell

    f = ifcopenshell.open(str(corpus_path("ifc/fzk-haus/AC20-FZK-Haus.ifc")))
    _check_mesh(haus)
    assert haus.format == "IFC4" and haus.metadata["schema"] == "IFC4"
    assert haus.metadata["storeys"] == len(f.by_type("IfcBuildingStorey")) == 2
    by_id = {e.id: e for e in haus.elements}
    products = {p.GlobalId: p for p in f.by_type("IfcProduct")}
    assert set(by_id) <= set(products)
    for gid, el in by_id.items():
        assert el.ifc_class == products[gid].is_a()
        assert not products[gid].is_a("IfcOpeningElement") and not products[gid].is_a("IfcSpace")
    walls = [w for w in f.by_type("IfcWall")]
    assert {w.GlobalId for w in walls} <= set(by_id)
    assert 80 <= len(haus.elements) <= 110 and len(haus.faces) > 15000
    assert len(haus.elements) + haus.metadata["skipped"] <= len(products)


def test_fzk_haus_properties_and_colors(haus: MeshData) -> None:
    walls = [e for e in haus.elements if e.ifc_class.startswith("IfcWall")]
    assert any(k.startswith("Pset_WallCommon.") for w in walls for k in w.properties)
    assert any(k.startswith("BaseQuantities.") for w in walls for k in w.properties)  # quantities too
    assert all(e.color is not None and len(e.color) == 4 and 0 <= min(e.color) and max(e.color) <= 1 for e in haus.elements)


def test_fzk_haus_georef_site_latlon(haus: MeshData) -> None:
    g = haus.georef
    assert g.kind == "enu"
    lat, lon, h = g.origin_lla
    assert lat == pytest.approx(49 + 6 / 60 + 1.566 / 3600, abs=1e-6)
    assert lon == pytest.approx(8 + 26 / 60 + 11.5404 / 3600, abs=1e-6)
    assert h == pytest.approx(110.0)
    size = haus.local_bounds()[1] - haus.local_bounds()[0]
    assert 10 < size[0] < 30 and 10 < size[1] < 30 and 5 < size[2] < 15  # metres, a small house


@pytest.mark.parametrize("name", SCHEPENDOMLAAN)
def test_schependomlaan_loads(name: str) -> None:
    import ifcopenshell

    path = corpus_path(f"ifc/schependomlaan/{name}")
    [layer] = loaders.load(path)
    _check_mesh(layer)
    assert layer.format == "IFC2X3"
    f = ifcopenshell.open(str(path))
    gids = {p.GlobalId for p in f.by_type("IfcProduct")}
    assert {e.id for e in layer.elements} <= gids
    assert len(layer.elements) > 50
    assert layer.georef.kind == "none" and any("placed at the scene origin" in w for w in layer.warnings)


def test_generated_wall_and_psets(tmp_path) -> None:
    path = tmp_path / "wall.ifc"
    make_ifc(path)
    [layer] = loaders.load(path)
    _check_mesh(layer)
    [wall] = layer.elements
    assert wall.ifc_class == "IfcWall" and wall.name == "W1"
    assert wall.properties["Pset_WallCommon.IsExternal"] is True
    np.testing.assert_allclose(layer.local_bounds(), [[0, 0, 0], [5, 0.2, 3]], atol=1e-6)


def test_site_georef_true_north(tmp_path) -> None:
    path = tmp_path / "site.ifc"
    make_ifc(path, georef="site")
    [layer] = loaders.load(path)
    g = layer.georef
    assert g.kind == "enu"
    lat, lon, h = g.origin_lla
    assert lat == pytest.approx(-(33 + 51 / 60 + 30.5 / 3600)) and lon == pytest.approx(151 + 12 / 60 + 36 / 3600) and h == 12.5
    north = g.matrix[:3, :3] @ np.array([1.0, 1.0, 0.0])  # the model's TrueNorth direction
    assert north[0] == pytest.approx(0, abs=1e-9) and north[1] > 0


def test_map_conversion_georef(tmp_path) -> None:
    path = tmp_path / "map.ifc"
    make_ifc(path, georef="map")
    [layer] = loaders.load(path)
    g = layer.georef
    assert g.kind == "crs" and g.crs == "EPSG:28356"
    e, n, h, _ = g.matrix @ np.array([1.0, 0.0, 0.0, 1.0])
    assert (e, n, h) == pytest.approx((334000.0, 6250001.0, 10.0))  # model x points to grid north


def test_project_without_geometry(tmp_path) -> None:
    import ifcopenshell
    import ifcopenshell.api

    f = ifcopenshell.file(schema="IFC4")
    ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcProject", name="Empty")
    path = tmp_path / "empty.ifc"
    f.write(str(path))
    with pytest.raises(LoadError, match="no geometry"):
        loaders.load(path)


def test_progress_and_cancel(tmp_path) -> None:
    path = tmp_path / "wall.ifc"
    make_ifc(path)
    seen: list[float] = []
    loaders.load(path, progress=lambda frac, msg: seen.append(frac))
    assert seen and seen[-1] == 1.0 and all(0 <= s <= 1 for s in seen)
    with pytest.raises(loaders.LoadCancelled):
        loaders.load(path, cancel=lambda: True)
