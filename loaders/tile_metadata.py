"""EXT_structural_metadata property tables -> per-feature Python lists (for picking and styling).

Hand-written: the binary table layout (values / arrayOffsets / stringOffsets buffer views) is
small, and no maintained Python library decodes it. Every offset is checked against the bytes
of its buffer view; the row count is bounded before anything is allocated.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from loaders._binary import BinaryError, as_int, parse_json, read_file

if TYPE_CHECKING:
    from loaders.gltf import _Reader

MAX_ROWS = 5_000_000
TYPES = {"INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "UINT16": np.uint16, "INT32": np.int32, "UINT32": np.uint32,
         "INT64": np.int64, "UINT64": np.uint64, "FLOAT32": np.float32, "FLOAT64": np.float64}
COMPS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def _array(raw: memoryview, dtype, n: int, what: str) -> np.ndarray:
    dt = np.dtype(dtype).newbyteorder("<")
    if n < 0 or n * dt.itemsize > len(raw):
        raise BinaryError(f"{what} needs {n * dt.itemsize} bytes, the buffer view holds {len(raw)}")
    return np.frombuffer(raw, dt, n).astype(dt.newbyteorder("="))


def _offsets(reader: _Reader, spec: dict, key: str, type_key: str, n: int) -> np.ndarray:
    off = _array(reader.buffer_view(spec[key]), TYPES.get(str(spec.get(type_key, "UINT32")), np.uint32), n + 1, key).astype(np.int64)
    if np.any(np.diff(off) < 0):
        raise BinaryError(f"{key} are not increasing")
    return off


def _strings(reader: _Reader, spec: dict, n: int) -> list[str]:
    values = reader.buffer_view(spec["values"])
    off = _offsets(reader, spec, "stringOffsets", "stringOffsetType", n)
    if n and off[-1] > len(values):
        raise BinaryError("stringOffsets point past the string values")
    raw = bytes(values)
    return [raw[a:b].decode("utf-8", "replace") for a, b in zip(off[:-1], off[1:])]


def _column(reader: _Reader, prop: dict, spec: dict, rows: int, enums: dict) -> list:
    """One property of a table: `rows` Python values (scalars, lists, strings, booleans, enum names)."""
    ptype = prop.get("type")
    is_array, fixed = bool(prop.get("array")), prop.get("count")
    per_row = as_int(fixed, "array count", 1, 10_000) if is_array and fixed is not None else (None if is_array else 1)
    var_off = _offsets(reader, spec, "arrayOffsets", "arrayOffsetType", rows) if per_row is None else None
    total = int(var_off[-1]) if var_off is not None else rows * per_row  # elements over all rows
    if ptype == "STRING":
        flat: list = _strings(reader, spec, total)
    elif ptype == "BOOLEAN":
        bits = np.unpackbits(np.frombuffer(reader.buffer_view(spec["values"]), np.uint8), bitorder="little")
        if total > len(bits):
            raise BinaryError("boolean values are too short")
        flat = bits[:total].astype(bool).tolist()
    else:
        comps = COMPS.get(str(ptype), 0) if ptype != "ENUM" else 1
        enum = enums.get(prop.get("enumType")) if ptype == "ENUM" else None
        ctype = (enum or {}).get("valueType", "UINT16") if ptype == "ENUM" else prop.get("componentType")
        if not comps or ctype not in TYPES:
            raise BinaryError(f"property type {ptype}/{ctype} is not supported")
        arr = _array(reader.buffer_view(spec["values"]), TYPES[ctype], total * comps, "values")
        if ptype == "ENUM":
            names = {v.get("value"): v.get("name") for v in (enum or {}).get("values", []) if isinstance(v, dict)}
            flat = [names.get(int(v), int(v)) for v in arr]
        else:
            vals = arr.astype(np.float64)
            if prop.get("normalized") and np.dtype(TYPES[ctype]).kind in "iu":
                vals = np.maximum(vals / float(np.iinfo(TYPES[ctype]).max), -1.0)
            for key, op in (("scale", np.multiply), ("offset", np.add)):
                v = spec.get(key, prop.get(key))
                if isinstance(v, (int, float)) or (isinstance(v, list) and len(v) == comps):
                    vals = op(vals.reshape(-1, comps), np.asarray(v, np.float64)).reshape(-1)
            keep_int = np.dtype(TYPES[ctype]).kind in "iu" and not prop.get("normalized") and "scale" not in spec and "offset" not in spec
            out = vals.astype(np.int64) if keep_int else vals
            flat = out.tolist() if comps == 1 else out.reshape(-1, comps).tolist()
    if var_off is not None:
        return [flat[a:b] for a, b in zip(var_off[:-1], var_off[1:])]
    if per_row == 1:
        return flat[:rows]
    return [flat[i * per_row : (i + 1) * per_row] for i in range(rows)]


def _schema(reader: _Reader, ext: dict) -> dict:
    schema = ext.get("schema")
    if isinstance(schema, dict):
        return schema
    uri = ext.get("schemaUri")
    if isinstance(uri, str):
        return parse_json(read_file(reader._resolve(uri)), "metadata schema")
    return {}


def property_table(reader: _Reader, ext: Any, index: int, warnings: list[str]) -> dict[str, list]:
    """Property table `index` of a glTF's EXT_structural_metadata as {property: per-feature values}.
    Unreadable properties are dropped with a warning; a broken table gives {}."""
    if not isinstance(ext, dict):
        return {}
    tables = ext.get("propertyTables")
    if not isinstance(tables, list) or not 0 <= index < len(tables) or not isinstance(tables[index], dict):
        return {}
    table = tables[index]
    try:
        schema = _schema(reader, ext)
        rows = as_int(table.get("count"), "property table count", 0, MAX_ROWS)
    except BinaryError as exc:
        warnings.append(f"property table ignored: {exc}")
        return {}
    classes = schema.get("classes") if isinstance(schema.get("classes"), dict) else {}
    cls = classes.get(table.get("class"))
    props = cls.get("properties") if isinstance(cls, dict) and isinstance(cls.get("properties"), dict) else {}
    enums = schema.get("enums") if isinstance(schema.get("enums"), dict) else {}
    out: dict[str, list] = {}
    for name, spec in (table.get("properties") or {}).items() if isinstance(table.get("properties"), dict) else []:
        prop = props.get(name)
        if not isinstance(prop, dict) or not isinstance(spec, dict) or "values" not in spec:
            continue
        try:
            out[name] = _column(reader, prop, spec, rows, enums)
        except (BinaryError, KeyError, ValueError, OverflowError) as exc:
            warnings.append(f"property '{str(name)[:40]}' ignored: {exc}")
    return out


MAX_HIERARCHY_DEPTH = 64


def hierarchy_properties(table: dict, binary, batch_length: int, warnings: list[str]) -> dict[str, list]:
    """3DTILES_batch_table_hierarchy: every feature's own class properties plus those it inherits
    from its ancestors (the nearest first, as CesiumJS's getProperty walks up), and its class name
    under "class". {} when the batch table has no hierarchy; a broken one is one warning."""
    from loaders._binary import TABLE_TYPE, table_value

    ext = table.get("extensions") if isinstance(table.get("extensions"), dict) else {}
    h = ext.get("3DTILES_batch_table_hierarchy") or table.get("HIERARCHY")  # the draft's name
    if not isinstance(h, dict) or batch_length <= 0:
        return {}
    try:
        n = as_int(h.get("instancesLength"), "instancesLength", 0, MAX_ROWS)
        classes = h.get("classes") if isinstance(h.get("classes"), list) else []

        def ints(key: str, count: int, default: int | None) -> np.ndarray | None:
            value = h.get(key)
            if value is None:
                return None if default is None else np.full(count, default, np.int64)
            if isinstance(value, dict):
                spec = dict(value, componentType=value.get("componentType", "UNSIGNED_SHORT"))
                return table_value({key: spec}, binary, key, count, 1, "UNSIGNED_SHORT")[:, 0].astype(np.int64)
            return table_value({key: value}, binary, key, count, 1, "UNSIGNED_SHORT")[:, 0].astype(np.int64)

        class_ids = ints("classIds", n, None)
        if class_ids is None or np.any((class_ids < 0) | (class_ids >= len(classes))):
            raise BinaryError("classIds are missing or name no class")
        counts = ints("parentCounts", n, 1 if "parentIds" in h else 0)
        parent_ids = ints("parentIds", int(counts.sum()), None) if counts.sum() else np.zeros(0, np.int64)
        if parent_ids is not None and np.any((parent_ids < 0) | (parent_ids >= n)):
            raise BinaryError("parentIds point past the instances")
        starts = np.concatenate([[0], np.cumsum(counts)])
        index_in_class = np.zeros(n, np.int64)
        seen = np.zeros(len(classes), np.int64)
        for i, c in enumerate(class_ids):
            index_in_class[i] = seen[c]
            seen[c] += 1
        columns: list[dict[str, list]] = []
        for c, cls in enumerate(classes):
            inst = cls.get("instances") if isinstance(cls, dict) and isinstance(cls.get("instances"), dict) else {}
            cols: dict[str, list] = {}
            for name, value in inst.items():
                if isinstance(value, list):
                    cols[name] = value
                elif isinstance(value, dict) and value.get("type") in TABLE_TYPE:
                    arr = table_value({name: value}, binary, name, int(seen[c]), TABLE_TYPE[value["type"]], "FLOAT")
                    cols[name] = arr[:, 0].tolist() if arr.shape[1] == 1 else arr.tolist()
            columns.append(cols)
    except (BinaryError, TypeError, ValueError) as exc:
        warnings.append(f"3DTILES_batch_table_hierarchy ignored: {exc}")
        return {}
    names = ["class"] + sorted({k for cols in columns for k in cols})
    out: dict[str, list] = {k: [None] * min(batch_length, n) for k in names}
    for f in range(min(batch_length, n)):
        stack, visited, depth = [f], set(), 0
        while stack and depth < MAX_HIERARCHY_DEPTH * 4:
            i = stack.pop(0)
            depth += 1
            if i in visited:
                continue  # a cycle in a broken hierarchy: each instance once
            visited.add(i)
            c = int(class_ids[i])
            if out["class"][f] is None:
                out["class"][f] = str(classes[c].get("name", c)) if isinstance(classes[c], dict) else str(c)
            for name, col in columns[c].items():
                j = int(index_in_class[i])
                if out[name][f] is None and j < len(col):
                    out[name][f] = col[j]
            stack.extend(int(p) for p in parent_ids[starts[i]:starts[i + 1]] if int(p) != i)
    return out


def entity_rows(level: str, entity: Any, schema: Any) -> dict[str, Any]:
    """3D Tiles 1.1 metadata of one entity (tileset, group, tile, content) as rows for the
    properties dock: "<level> class" names its class (the schema's name for it), then one row per
    property under the schema's display name. {} when there is no such metadata."""
    if not isinstance(entity, dict) or not isinstance(entity.get("properties"), dict):
        return {}
    classes = schema.get("classes") if isinstance(schema, dict) and isinstance(schema.get("classes"), dict) else {}
    cls = str(entity.get("class", ""))
    cdef = classes.get(cls) if isinstance(classes.get(cls), dict) else {}
    pdefs = cdef.get("properties") if isinstance(cdef.get("properties"), dict) else {}
    out: dict[str, Any] = {f"{level} class": f"{cdef['name']} ({cls})" if isinstance(cdef.get("name"), str) else cls}
    for name, value in list(entity["properties"].items())[:512]:
        pdef = pdefs.get(name) if isinstance(pdefs.get(name), dict) else {}
        label = pdef.get("name") if isinstance(pdef.get("name"), str) else name
        out[f"{level}: {label}"] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)[:200]
    return out


def schema_label(doc: dict) -> str | None:
    """The schema's name or id, as the dock shows it beside the classes."""
    schema = doc.get("schema")
    if isinstance(schema, dict):
        return str(schema.get("name") or schema.get("id") or "schema")
    if isinstance(doc.get("schemaUri"), str):
        return doc["schemaUri"][:120]
    return None


def tileset_rows(doc: dict) -> dict[str, Any]:
    """Rows of the tileset's own metadata (and its schema's name)."""
    out = entity_rows("tileset", doc.get("metadata"), doc.get("schema"))
    label = schema_label(doc)
    if out and label:
        out["schema"] = label
    return out


def content_rows(doc: dict, content: Any) -> dict[str, Any]:
    """Rows of one content's metadata and of the group it belongs to."""
    if not isinstance(content, dict):
        return {}
    out = entity_rows("content", content.get("metadata"), doc.get("schema"))
    groups = doc.get("groups") if isinstance(doc.get("groups"), list) else []
    g = content.get("group")
    if isinstance(g, int) and 0 <= g < len(groups):
        out.update(entity_rows("group", groups[g], doc.get("schema")))
        out["group"] = g
    return out
