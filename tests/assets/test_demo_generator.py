"""The seeded demo-data generator: determinism, file formats, and agreement between tiles, IFC and scan."""
from __future__ import annotations

import hashlib
import json
import math
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from assets.demo import generate as gen
from assets.demo.generate import DEMO_CRS, DEMO_ORIGIN_LLA, DEMO_VERSION, ensure_demo_data, generate_demo_data

STOREY_HEIGHT = 3.5


# ---------------------------------------------------------------- fixtures / helpers


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out)
    return out


@pytest.fixture(scope="module")
def tileset(demo):
    return json.loads((demo / "district" / "tileset.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest(demo):
    return json.loads((demo / "district" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def las(demo):
    import laspy

    return laspy.read(demo / "site_scan.laz")


@pytest.fixture(scope="module")
def ifc(demo):
    import ifcopenshell

    return ifcopenshell.open(str(demo / "site_building.ifc"))


@pytest.fixture(scope="module")
def proj():
    from pyproj import CRS, Transformer

    return Transformer.from_crs(CRS(DEMO_CRS).to_3d(), "EPSG:4978", always_xy=True)


def _hashes(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "complete.json"
    }


def parse_b3dm(data: bytes) -> dict:
    magic, version, length, ftj, ftb, btj, btb = struct.unpack("<4sIIIIII", data[:28])
    assert magic == b"b3dm" and version == 1
    assert length == len(data)
    ft = json.loads(data[28 : 28 + ftj])
    bt_start = 28 + ftj + ftb
    bt = json.loads(data[bt_start : bt_start + btj]) if btj else {}
    glb_start = bt_start + btj + btb
    # 3D Tiles 1.0: each JSON header ends, and the glb starts and ends, on an 8-byte boundary
    assert (28 + ftj) % 8 == 0 and bt_start % 8 == 0 and (bt_start + btj) % 8 == 0
    assert glb_start % 8 == 0 and len(data) % 8 == 0
    return {"feature_table": ft, "batch_table": bt, "glb": data[glb_start:]}


def parse_glb(glb: bytes) -> dict:
    magic, version, length = struct.unpack("<4sII", glb[:12])
    assert magic == b"glTF" and version == 2 and length == len(glb)
    jlen, jtype = struct.unpack("<I4s", glb[12:20])
    assert jtype == b"JSON" and jlen % 4 == 0
    js = glb[20 : 20 + jlen]
    assert js == js.rstrip(b" ") + b" " * (len(js) - len(js.rstrip(b" ")))  # padded with spaces only
    gltf = json.loads(js)
    blen, btype = struct.unpack("<I4s", glb[20 + jlen : 28 + jlen])
    assert btype == b"BIN\x00" and blen % 4 == 0 and (28 + jlen) % 4 == 0
    assert 28 + jlen + blen == len(glb)
    binary = glb[28 + jlen :]
    assert gltf["buffers"][0]["byteLength"] <= blen

    def accessor(i: int) -> np.ndarray:
        acc = gltf["accessors"][i]
        view = gltf["bufferViews"][acc["bufferView"]]
        dtype = {5126: "<f4", 5125: "<u4", 5121: "u1"}[acc["componentType"]]
        width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc["type"]]
        start = view["byteOffset"] + acc.get("byteOffset", 0)
        assert start % np.dtype(dtype).itemsize == 0 and view["byteOffset"] % 4 == 0
        arr = np.frombuffer(binary, dtype, acc["count"] * width, start)
        return arr.reshape(acc["count"], width) if width > 1 else arr

    prim = gltf["meshes"][0]["primitives"][0]
    assert len(gltf["meshes"]) == 1 and len(gltf["meshes"][0]["primitives"]) == 1 and prim["mode"] == 4
    out = {name: accessor(i) for name, i in prim["attributes"].items()}
    out["indices"] = accessor(prim["indices"])
    out["gltf"] = gltf
    return out


@pytest.fixture(scope="module")
def tiles(demo, tileset):
    out = {}
    for child in tileset["root"]["children"]:
        uri = child["content"]["uri"]
        b3dm = parse_b3dm((demo / "district" / uri).read_bytes())
        b3dm["mesh"] = parse_glb(b3dm["glb"])
        b3dm["tile"] = child
        out[uri] = b3dm
    return out


def _root_matrix(tileset) -> np.ndarray:
    return np.array(tileset["root"]["transform"], float).reshape(4, 4).T  # column-major


def tile_positions_proj(tileset, mesh, proj) -> np.ndarray:
    """glb positions (y-up, root frame) -> ECEF -> EPSG:4547 (E, N, h)."""
    from pyproj.enums import TransformDirection

    p = mesh["POSITION"].astype(np.float64)
    enu = np.stack([p[:, 0], -p[:, 2], p[:, 1]], axis=1)
    m = _root_matrix(tileset)
    ecef = enu @ m[:3, :3].T + m[:3, 3]
    e, n, h = proj.transform(ecef[:, 0], ecef[:, 1], ecef[:, 2], direction=TransformDirection.INVERSE)
    return np.stack([e, n, h], axis=1)


def map_conversion(ifc) -> dict:
    mc = ifc.by_type("IfcMapConversion")[0]
    return {"E": mc.Eastings, "N": mc.Northings, "H": mc.OrthogonalHeight, "a": mc.XAxisAbscissa,
            "o": mc.XAxisOrdinate, "s": mc.Scale or 1.0}


def proj_to_ifc_local(xyz: np.ndarray, mc: dict) -> np.ndarray:
    norm = math.hypot(mc["a"], mc["o"])
    c, s = mc["a"] / norm, mc["o"] / norm
    de, dn = xyz[:, 0] - mc["E"], xyz[:, 1] - mc["N"]
    return np.stack([(c * de + s * dn) / mc["s"], (-s * de + c * dn) / mc["s"], xyz[:, 2] - mc["H"]], axis=1)


# ---------------------------------------------------------------- cache / determinism


def test_constants():
    assert DEMO_ORIGIN_LLA == (30.5928, 114.3055, 22.0)
    assert DEMO_CRS == "EPSG:4547"


SUN = "sunlight/block_c_solstice.npz"


def test_deterministic(demo, tmp_path):
    t0 = time.perf_counter()
    generate_demo_data(tmp_path / "again")
    elapsed = time.perf_counter() - t0
    first, second = _hashes(demo), _hashes(tmp_path / "again")
    assert set(first) >= {"district/tileset.json", "district/manifest.json", "district/terrain.b3dm",
                          "site_building.ifc", "site_scan.laz", SUN}
    # the shadow study is ray cast: Embree builds its tree on several threads, so a handful of samples
    # on exact ties can differ between runs; its content is compared, every other file bit for bit
    a, b = (np.load(d / SUN) for d in (demo, tmp_path / "again"))
    assert abs(len(a["positions"]) - len(b["positions"])) <= 0.001 * len(a["positions"])
    assert abs(float(a["attr.sun_hours (h)"].mean()) - float(b["attr.sun_hours (h)"].mean())) < 0.01
    first.pop(SUN), second.pop(SUN)
    assert first == second
    print(f"demo generated in {elapsed:.1f} s")  # a figure for the log, not a test: speed belongs in benchmarks


def test_ensure_demo_data_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("TWINSCAPE_CACHE", str(tmp_path / "cache"))
    d = ensure_demo_data()
    assert d == tmp_path / "cache" / f"demo-v{DEMO_VERSION}"
    assert json.loads((d / "complete.json").read_text())["version"] == DEMO_VERSION
    assert (d / "site_scan.laz").is_file() and (d / "district" / "tileset.json").is_file()
    mtime = (d / "site_scan.laz").stat().st_mtime_ns

    def boom(out):  # must not be called again while the cache is complete
        raise AssertionError("regenerated a complete cache")

    monkeypatch.setattr(gen, "generate_demo_data", boom)
    t0 = time.perf_counter()
    assert ensure_demo_data() == d
    assert time.perf_counter() - t0 < 0.5
    assert (d / "site_scan.laz").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [d.name]  # no temp dirs left
    assert gen.main(["--out", str(d)]) == 0  # CLI on a complete directory: nothing to do


def test_crash_leaves_no_partial_data(tmp_path, monkeypatch):
    def crash(out):
        (Path(out) / "district").mkdir(parents=True)
        (Path(out) / "district" / "tileset.json").write_text("{")
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(gen, "generate_demo_data", crash)
    target = tmp_path / "c" / "demo-v1"
    with pytest.raises(RuntimeError):
        ensure_demo_data(target)
    assert not target.exists()
    assert list((tmp_path / "c").iterdir()) == []

    # a stale marker (other version) is not trusted
    target.mkdir(parents=True)
    (target / "complete.json").write_text(json.dumps({"version": DEMO_VERSION + 100}))
    assert not gen.is_complete(target)
    calls = []
    monkeypatch.setattr(gen, "generate_demo_data",
                        lambda out: (calls.append(out), (Path(out) / "complete.json").write_text(
                            json.dumps({"version": DEMO_VERSION}))))
    assert ensure_demo_data(target) == target and len(calls) == 1 and gen.is_complete(target)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["demo-v1"]


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("TWINSCAPE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert gen.default_demo_dir() == tmp_path / "twinscape" / f"demo-v{DEMO_VERSION}"
    monkeypatch.setenv("TWINSCAPE_CACHE", str(tmp_path / "x"))
    assert gen.default_demo_dir() == tmp_path / "x" / f"demo-v{DEMO_VERSION}"


# ---------------------------------------------------------------- 3D Tiles


def test_tileset_structure(tileset, proj):
    assert tileset["asset"]["version"] == "1.0" and tileset["asset"]["gltfUpAxis"] == "Y"
    root = tileset["root"]
    assert root["geometricError"] == 100 and len(root["children"]) == 5
    assert all(c["geometricError"] == 0 and "transform" not in c for c in root["children"])
    uris = [c["content"]["uri"] for c in root["children"]]
    assert uris[0] == "terrain.b3dm" and sorted(uris[1:]) == sorted(
        f"buildings_{q}.b3dm" for q in ("ne", "nw", "se", "sw"))
    m = _root_matrix(tileset)
    lat, lon, h = DEMO_ORIGIN_LLA
    from pyproj import Transformer

    origin = np.array(Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True).transform(lon, lat, h))
    assert np.allclose(m[:3, 3], origin, atol=1e-3)
    assert np.allclose(m[3], [0, 0, 0, 1])
    assert np.allclose(m[:3, :3].T @ m[:3, :3], np.eye(3), atol=1e-12)
    phi, lam = math.radians(lat), math.radians(lon)
    up = [math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)]
    east = [-math.sin(lam), math.cos(lam), 0.0]
    assert np.allclose(m[:3, 2], up, atol=1e-12) and np.allclose(m[:3, 0], east, atol=1e-12)


def test_b3dm_and_glb(tiles):
    assert len(tiles) == 5
    for uri, t in tiles.items():
        n = t["feature_table"]["BATCH_LENGTH"]
        mesh = t["mesh"]
        gltf = mesh["gltf"]
        assert gltf["asset"]["version"] == "2.0"
        pos, nor, col, bid, idx = mesh["POSITION"], mesh["NORMAL"], mesh["COLOR_0"], mesh["_BATCHID"], mesh["indices"]
        assert pos.dtype == np.float32 and nor.shape == pos.shape and len(col) == len(pos) == len(bid)
        acc = gltf["accessors"][gltf["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
        assert np.allclose(acc["min"], pos.min(0)) and np.allclose(acc["max"], pos.max(0))
        assert np.allclose(np.linalg.norm(nor, axis=1), 1.0, atol=1e-4)
        assert len(idx) % 3 == 0 and idx.max() < len(pos)
        assert bid.min() == 0 and bid.max() == n - 1 and np.all(bid == np.round(bid))
        for key, values in t["batch_table"].items():
            assert len(values) == n, (uri, key)
        # bounding box (root frame, z-up) contains every vertex and is tight
        box = np.array(t["tile"]["boundingVolume"]["box"])
        enu = np.stack([pos[:, 0], -pos[:, 2], pos[:, 1]], axis=1).astype(np.float64)
        c, half = box[:3], np.array([box[3], box[7], box[11]])
        assert np.all(np.abs(enu - c) <= half + 1e-3) and np.allclose(enu.min(0), c - half, atol=1e-3)
        if uri == "terrain.b3dm":
            assert n == 1 and t["batch_table"] == {"name": ["terrain"]}
        else:
            assert set(t["batch_table"]) >= {"name", "height", "use", "year", "floors"}
            tri = enu[idx.reshape(-1, 3)]
            fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
            assert np.all(np.einsum("ij,ij->i", fn, nor[idx.reshape(-1, 3)[:, 0]][:, [0, 2, 1]] * [1, -1, 1]) > 0)


def test_glb_loads_with_pygltflib(tiles):
    import pygltflib

    for t in tiles.values():
        g = pygltflib.GLTF2.load_from_bytes(t["glb"])
        assert g.meshes[0].primitives[0].attributes.POSITION is not None


def test_buildings(tiles, manifest, tileset, proj):
    buildings = manifest["buildings"]
    assert 35 <= len(buildings) <= 45
    names = [b["name"] for b in buildings]
    assert len(set(names)) == len(names)
    tile_names = sum((t["batch_table"]["name"] for u, t in tiles.items() if u != "terrain.b3dm"), [])
    assert sorted(tile_names) == sorted(names)
    for b in buildings:
        assert 9.0 <= b["height"] <= 90.0 and 1980 <= b["year"] <= 2022 and b["floors"] >= 2
        assert b["use"] in {"residential", "office", "retail", "school"}
    assert {b["use"] for b in buildings} == {"residential", "office", "retail", "school"}
    # the construction lot stays empty
    lot = np.array(manifest["lot"]["polygon_en"])
    lot_c = lot.mean(0)
    for b in buildings:
        fp = np.array(b["footprint_en"])
        assert np.min(np.hypot(*(fp - lot_c).T)) > 25.0
    # building vertices: flat roof at ground + height, base 1 m under the lowest terrain point of the footprint
    terrain = _terrain_surface(tiles, tileset, proj)
    for uri, t in tiles.items():
        if uri == "terrain.b3dm":
            continue
        xyz = tile_positions_proj(tileset, t["mesh"], proj)
        bid = t["mesh"]["_BATCHID"].astype(int)
        for k, name in enumerate(t["batch_table"]["name"]):
            b = next(x for x in buildings if x["name"] == name)
            pts = xyz[bid == k]
            assert abs(pts[:, 2].max() - (b["ground"] + b["height"])) < 0.01
            assert abs(pts[:, 2].min() - (b["ground"] - 1.0)) < 0.01
            fp = np.array(b["footprint_en"])
            assert np.all(terrain(fp[:, 0], fp[:, 1]) >= b["ground"] - 0.01)
            assert abs(t["batch_table"]["height"][k] - b["height"]) < 1e-9


def _terrain_surface(tiles, tileset, proj):
    """Piecewise-linear terrain of the terrain tile (its own triangles), converted to EPSG:4547."""
    from scipy.spatial import cKDTree

    t = tiles["terrain.b3dm"]["mesh"]
    xyz = tile_positions_proj(tileset, t, proj)
    tri = t["indices"].reshape(-1, 3).astype(int)
    a, b, c = xyz[tri[:, 0]], xyz[tri[:, 1]], xyz[tri[:, 2]]
    tree = cKDTree(((a + b + c) / 3)[:, :2])

    def height(e, n):
        q = np.stack([np.asarray(e, float), np.asarray(n, float)], axis=1)
        _, cand = tree.query(q, k=8)
        out = np.full(len(q), np.nan)
        for j in range(cand.shape[1]):
            k = cand[:, j]
            pa, pb, pc = a[k], b[k], c[k]
            v0, v1, v2 = pb[:, :2] - pa[:, :2], pc[:, :2] - pa[:, :2], q - pa[:, :2]
            den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
            wb = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
            wc = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
            wa = 1 - wb - wc
            hit = np.isnan(out) & (wa >= -1e-9) & (wb >= -1e-9) & (wc >= -1e-9)
            out[hit] = (wa * pa[:, 2] + wb * pb[:, 2] + wc * pc[:, 2])[hit]
        assert not np.isnan(out).any()
        return out

    return height


# ---------------------------------------------------------------- IFC


def test_ifc_content(ifc, manifest):
    import ifcopenshell.util.element

    assert ifc.schema == "IFC4"
    counts = {c: len(ifc.by_type(c)) for c in ("IfcBuildingStorey", "IfcSlab", "IfcWall", "IfcColumn")}
    assert counts == {"IfcBuildingStorey": 6, "IfcSlab": 7, "IfcWall": 24, "IfcColumn": 36}
    assert [b.Name for b in ifc.by_type("IfcBuilding")] == ["Block C"]
    assert len(ifc.by_type("IfcSite")) == 1 and len(ifc.by_type("IfcProject")) == 1
    elements = ifc.by_type("IfcElement")
    assert 60 <= len(elements) <= 150
    expected_pset = {"IfcWall": "Pset_WallCommon", "IfcSlab": "Pset_SlabCommon", "IfcColumn": "Pset_ColumnCommon"}
    for el in elements:
        assert el.Name
        psets = ifcopenshell.util.element.get_psets(el)
        assert expected_pset[el.is_a()] in psets, el
        if el.is_a("IfcWall"):
            assert psets["Pset_WallCommon"]["IsExternal"] is True and psets["Pset_WallCommon"]["LoadBearing"] is True
        container = ifcopenshell.util.element.get_container(el)
        assert container is not None and container.is_a("IfcBuildingStorey")
        styled = [s for r in el.Representation.Representations for i in r.Items for s in (i.StyledByItem or [])]
        assert styled, el
    storeys = sorted(ifc.by_type("IfcBuildingStorey"), key=lambda s: s.Elevation)
    assert [s.Elevation for s in storeys] == pytest.approx([i * STOREY_HEIGHT for i in range(6)])
    site = ifc.by_type("IfcSite")[0]
    lat = sum(v / 60**i for i, v in enumerate(site.RefLatitude[:3])) + site.RefLatitude[3] / 3.6e9
    lon = sum(v / 60**i for i, v in enumerate(site.RefLongitude[:3])) + site.RefLongitude[3] / 3.6e9
    assert abs(lat - DEMO_ORIGIN_LLA[0]) < 0.002 and abs(lon - DEMO_ORIGIN_LLA[1]) < 0.002


def test_ifc_georeferencing(ifc, manifest):
    crs = ifc.by_type("IfcProjectedCRS")[0]
    assert crs.Name == "EPSG:4547"
    mc = map_conversion(ifc)
    ref = manifest["ifc"]["map_conversion"]
    assert (mc["E"], mc["N"], mc["H"]) == (ref["eastings"], ref["northings"], ref["orthogonal_height"])
    assert (mc["E"], mc["N"]) == tuple(manifest["lot"]["corner_en"])
    assert mc["H"] == manifest["lot"]["pad_height"]
    assert math.degrees(math.atan2(mc["o"], mc["a"])) == pytest.approx(manifest["street_rotation_deg"])
    assert 5.0 <= manifest["street_rotation_deg"] <= 20.0
    # the lot lies near the district centre
    assert math.hypot(mc["E"] - manifest["origin_en"][0], mc["N"] - manifest["origin_en"][1]) < 80.0


@pytest.fixture(scope="module")
def ifc_boxes(ifc):
    """Every element's geometry (ifcopenshell.geom, IFC local frame): each is an axis-aligned box."""
    import ifcopenshell.geom

    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    boxes = {}
    for el in ifc.by_type("IfcElement"):
        shape = ifcopenshell.geom.create_shape(settings, el)
        v = np.array(shape.geometry.verts, float).reshape(-1, 3)
        assert len(v) >= 8 and len(shape.geometry.faces) >= 36
        lo, hi = v.min(0), v.max(0)
        corner = np.all(np.isclose(v, lo, atol=1e-6) | np.isclose(v, hi, atol=1e-6), axis=1)
        assert corner.all(), el  # box-shaped
        boxes[el.Name] = (lo, hi)
    return boxes


def test_ifc_geometry(ifc_boxes, manifest):
    assert len(ifc_boxes) == 67
    lo = np.min([b[0] for b in ifc_boxes.values()], axis=0)
    hi = np.max([b[1] for b in ifc_boxes.values()], axis=0)
    assert np.allclose(lo, [4, 4, 0]) and np.allclose(hi, [36, 26, 21.25])
    # the building fits in the 40 m x 30 m lot
    assert lo[0] >= 0 and lo[1] >= 0 and hi[0] <= 40 and hi[1] <= 30


# ---------------------------------------------------------------- scan


def test_laz_header(las, manifest):
    from pyproj import CRS

    h = las.header
    assert str(h.version) == "1.4" and h.point_format.id == 7
    assert h.point_count == len(las.points) == 150_000 == manifest["scan"]["points"]
    crs = h.parse_crs()
    assert crs is not None and crs.to_epsg() == 4547 and crs.equals(CRS("EPSG:4547"))
    assert np.allclose(h.scales, 0.001)
    assert abs(h.offsets[0] - manifest["lot"]["corner_en"][0]) < 1 and abs(h.offsets[1] - manifest["lot"]["corner_en"][1]) < 1
    cls = np.asarray(las.classification)
    assert set(np.unique(cls)) == {2, 6}
    assert 40_000 < (cls == 6).sum() < 120_000
    assert np.all(np.diff(np.asarray(las.gps_time)) >= 0)
    assert np.asarray(las.red).max() > 10_000 and np.asarray(las.intensity).max() > 0
    assert np.all(np.asarray(las.return_number) == 1)


def _box_surface_distance(p: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Unsigned distance from points (n,3) to the surface of boxes (m,3): (n, m)."""
    p = p[:, None, :]
    outside = np.linalg.norm(np.maximum(np.maximum(lo - p, p - hi), 0.0), axis=2)
    inside = np.min(np.minimum(p - lo, hi - p), axis=2)
    return np.where(inside > 0, inside, outside)


def test_scan_points_on_ifc_surfaces(las, ifc, ifc_boxes):
    mc = map_conversion(ifc)
    cls = np.asarray(las.classification)
    xyz = np.stack([np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)], axis=1)[cls == 6]
    local = proj_to_ifc_local(xyz, mc)
    names = list(ifc_boxes)
    lo = np.array([ifc_boxes[n][0] for n in names])
    hi = np.array([ifc_boxes[n][1] for n in names])
    best = np.empty(len(local))
    which = np.empty(len(local), int)
    for s in range(0, len(local), 10_000):
        d = _box_surface_distance(local[s : s + 10_000], lo, hi)
        which[s : s + 10_000] = d.argmin(1)
        best[s : s + 10_000] = d.min(1)
    assert best.max() < 0.02
    assert np.percentile(best, 50) < 0.006
    # only the first three storeys are built: points stay within their levels
    assert local[:, 2].min() > -0.02 and local[:, 2].max() < 3 * STOREY_HEIGHT + 0.02
    hit = {names[i] for i in np.unique(which)}
    assert any("L3" in n and "Column" in n for n in hit) and any("L2" in n and "Wall" in n for n in hit)
    # ... and nothing stands where the storey-3 walls and the upper storeys will be
    for name, (blo, bhi) in ifc_boxes.items():
        if "Wall L3" in name or any(f"L{k}" in name for k in (4, 5, 6)) or name == "Roof slab":
            core = np.all((local > blo - 0.02) & (local < bhi + 0.02), axis=1) & (local[:, 2] > blo[2] + 0.1)
            assert not core.any(), name


def test_scan_ground_matches_terrain_tile(las, tiles, tileset, proj, ifc):
    cls = np.asarray(las.classification)
    xyz = np.stack([np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)], axis=1)[cls == 2]
    height = _terrain_surface(tiles, tileset, proj)
    dz = xyz[:, 2] - height(xyz[:, 0], xyz[:, 1])
    assert np.abs(dz).max() < 0.02
    assert abs(np.median(dz)) < 0.002
    # ground points lie within 60 m (+ noise) of the lot, and the pad under the lot is flat at the IFC's z = 0
    mc = map_conversion(ifc)
    local = proj_to_ifc_local(xyz, mc)
    dx = np.maximum(np.maximum(-local[:, 0], local[:, 0] - 40.0), 0)
    dy = np.maximum(np.maximum(-local[:, 1], local[:, 1] - 30.0), 0)
    assert np.hypot(dx, dy).max() < 60.1
    on_lot = (dx == 0) & (dy == 0)
    assert on_lot.sum() > 1000 and np.abs(local[on_lot, 2]).max() < 0.02

