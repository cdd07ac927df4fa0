"""Small seeded test files built in code: LAS, glb, b3dm, pnts, tilesets, IFC."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np


def make_las(path: Path, n: int = 1000, *, seed: int = 7, epsg: int | None = 4547, rgb16: bool = True, wkt: str | None = None) -> np.ndarray:
    """LAS 1.2 point format 3 with known coordinates; returns the (n,3) scaled positions written."""
    import laspy

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.array([500000.0, 3000000.0, 0.0])
    if epsg is not None:
        import pyproj

        header.add_crs(pyproj.CRS.from_epsg(epsg))
    if wkt is not None:
        from laspy.vlrs.known import WktCoordinateSystemVlr

        header.vlrs.append(WktCoordinateSystemVlr(wkt))
    las = laspy.LasData(header)
    xyz = np.c_[rng.uniform(500000, 500100, n), rng.uniform(3000000, 3000050, n), rng.uniform(0, 30, n)]
    las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    las.intensity = rng.integers(0, 65535, n).astype(np.uint16)
    las.classification = rng.integers(0, 10, n).astype(np.uint8)
    scale = 257 if rgb16 else 1
    las.red = rng.integers(0, 256, n).astype(np.uint16) * scale
    las.green = rng.integers(0, 256, n).astype(np.uint16) * scale
    las.blue = rng.integers(0, 256, n).astype(np.uint16) * scale
    las.gps_time = np.linspace(0, 10, n)
    las.write(str(path))
    return np.c_[np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)]


def _pad(b: bytes, fill: bytes = b" ") -> bytes:
    return b + fill * (-len(b) % 8)


def make_glb(positions: np.ndarray, indices: np.ndarray | None, *, colors: np.ndarray | None = None, batch_ids: np.ndarray | None = None,
             node: dict | None = None, rtc: list[float] | None = None) -> bytes:
    """A one-mesh GLB (y-up) with optional COLOR_0 (uint8 normalized) and _BATCHID (float)."""
    pos = np.asarray(positions, np.float32)
    chunks, views, accessors, attrs = [], [], [], {}

    def add(arr: np.ndarray, ctype: int, typ: str, normalized: bool = False) -> int:
        off = sum(len(c) for c in chunks)
        raw = np.ascontiguousarray(arr).tobytes()
        chunks.append(_pad(raw, b"\0"))
        views.append({"buffer": 0, "byteOffset": off, "byteLength": len(raw)})
        acc = {"bufferView": len(views) - 1, "componentType": ctype, "count": int(len(arr)), "type": typ}
        if normalized:
            acc["normalized"] = True
        if typ == "VEC3" and ctype == 5126:
            acc["min"], acc["max"] = arr.min(0).tolist(), arr.max(0).tolist()
        accessors.append(acc)
        return len(accessors) - 1

    attrs["POSITION"] = add(pos, 5126, "VEC3")
    if colors is not None:
        attrs["COLOR_0"] = add(np.asarray(colors, np.uint8), 5121, "VEC4" if np.shape(colors)[1] == 4 else "VEC3", True)
    if batch_ids is not None:
        attrs["_BATCHID"] = add(np.asarray(batch_ids, np.float32), 5126, "SCALAR")
    prim: dict = {"attributes": attrs, "mode": 4}
    if indices is not None:
        prim["indices"] = add(np.asarray(indices, np.uint32).reshape(-1), 5125, "SCALAR")
    binary = b"".join(chunks)
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [dict(node or {}, mesh=0)],
        "meshes": [{"primitives": [prim]}], "accessors": accessors, "bufferViews": views, "buffers": [{"byteLength": len(binary)}],
    }
    if rtc is not None:
        doc["extensions"] = {"CESIUM_RTC": {"center": rtc}}
        doc["extensionsUsed"] = ["CESIUM_RTC"]
    js = _pad(json.dumps(doc).encode())
    total = 12 + 8 + len(js) + 8 + len(binary)
    return struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", len(binary), b"BIN\0") + binary


def make_b3dm(glb: bytes, *, batch_length: int = 0, batch_table: dict | None = None, rtc: list[float] | None = None, legacy: bool = False) -> bytes:
    ft = {"BATCH_LENGTH": batch_length}
    if rtc is not None:
        ft["RTC_CENTER"] = rtc
    ftj = _pad(json.dumps(ft).encode())
    btj = _pad(json.dumps(batch_table).encode()) if batch_table else b""
    if legacy:  # the oldest header: magic, version, byteLength, batchLength, batchTableByteLength
        total = 20 + len(btj) + len(glb)
        return struct.pack("<4sIIII", b"b3dm", 1, total, batch_length, len(btj)) + btj + glb
    total = 28 + len(ftj) + len(btj) + len(glb)
    return struct.pack("<4s6I", b"b3dm", 1, total, len(ftj), 0, len(btj), 0) + ftj + btj + glb


def make_pnts(n: int = 100, *, seed: int = 3, quantized: bool = False, rgb565: bool = False, rtc: list[float] | None = None) -> tuple[bytes, np.ndarray]:
    """A pnts tile; returns (bytes, expected positions before the tile transform)."""
    rng = np.random.default_rng(seed)
    ft: dict = {"POINTS_LENGTH": n}
    body = b""
    if quantized:
        q = rng.integers(0, 65536, (n, 3)).astype(np.uint16)
        scale, offset = [10.0, 20.0, 5.0], [-5.0, -10.0, 0.0]
        ft.update(POSITION_QUANTIZED={"byteOffset": 0}, QUANTIZED_VOLUME_SCALE=scale, QUANTIZED_VOLUME_OFFSET=offset)
        body += _pad(q.tobytes(), b"\0")
        expected = q / 65535.0 * np.array(scale) + np.array(offset)
    else:
        p = rng.uniform(-10, 10, (n, 3)).astype(np.float32)
        ft["POSITION"] = {"byteOffset": 0}
        body += _pad(p.tobytes(), b"\0")
        expected = p.astype(np.float64)
    if rgb565:
        c = rng.integers(0, 65536, n).astype(np.uint16)
        ft["RGB565"] = {"byteOffset": len(body)}
        body += _pad(c.tobytes(), b"\0")
    else:
        c = rng.integers(0, 256, (n, 3)).astype(np.uint8)
        ft["RGB"] = {"byteOffset": len(body)}
        body += _pad(c.tobytes(), b"\0")
    if rtc is not None:
        ft["RTC_CENTER"] = rtc
        expected = expected + np.array(rtc)
    ftj = _pad(json.dumps(ft).encode())
    total = 28 + len(ftj) + len(body)
    return struct.pack("<4s6I", b"pnts", 1, total, len(ftj), len(body), 0, 0) + ftj + body, expected


def box(size: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Unit cube (8 vertices, 12 triangles)."""
    v = np.array([[x, y, z] for x in (0, size) for y in (0, size) for z in (0, size)], np.float64)
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1], [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return v, f


def write_tileset(folder: Path, root: dict, version: str = "1.0", **asset) -> Path:
    path = folder / "tileset.json"
    path.write_text(json.dumps({"asset": {"version": version, **asset}, "geometricError": 100, "root": root}))
    return path


ENU_TO_ECEF = [  # a column-major ENU frame at lon 8.4, lat 49.0 (near Karlsruhe), as a 3D Tiles transform
    -0.14608, 0.98927, 0.0, 0.0,
    -0.74900, -0.11060, 0.65342, 0.0,
    0.64641, 0.09545, 0.75700, 0.0,
    4132436.0, 610267.0, 4791078.0, 1.0,
]


def make_ifc(path: Path, *, georef: str | None = None, schema: str = "IFC4") -> None:
    """IFC4 with one wall: georef None, 'site' (lat/lon + TrueNorth) or 'map' (IfcMapConversion)."""
    import ifcopenshell
    import ifcopenshell.api as api

    f = ifcopenshell.file(schema=schema)
    project = api.run("root.create_entity", f, ifc_class="IfcProject", name="P")
    api.run("unit.assign_unit", f, length={"is_metric": True, "raw": "METERS"})
    model = api.run("context.add_context", f, context_type="Model")
    body = api.run("context.add_context", f, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW", parent=model)
    site = api.run("root.create_entity", f, ifc_class="IfcSite", name="S")
    api.run("aggregate.assign_object", f, relating_object=project, products=[site])
    wall = api.run("root.create_entity", f, ifc_class="IfcWall", name="W1")
    api.run("geometry.edit_object_placement", f, product=wall)
    rep = api.run("geometry.add_wall_representation", f, context=body, length=5, height=3, thickness=0.2)
    api.run("geometry.assign_representation", f, product=wall, representation=rep)
    api.run("spatial.assign_container", f, relating_structure=site, products=[wall])
    pset = api.run("pset.add_pset", f, product=wall, name="Pset_WallCommon")
    api.run("pset.edit_pset", f, pset=pset, properties={"IsExternal": True, "FireRating": "F90"})
    if georef == "site":
        site.RefLatitude, site.RefLongitude, site.RefElevation = (-33, -51, -30, -500000), (151, 12, 36, 0), 12.5
        model.TrueNorth = f.createIfcDirection((1.0, 1.0))  # north is 45 degrees clockwise... to the model's +x+y
    elif georef == "map":
        api.run("georeference.add_georeferencing", f, name="EPSG:28356")
        api.run("georeference.edit_georeferencing", f, coordinate_operation={"Eastings": 334000.0, "Northings": 6250000.0,
                "OrthogonalHeight": 10.0, "XAxisAbscissa": 0.0, "XAxisOrdinate": 1.0, "Scale": 1.0})
    f.write(str(path))
