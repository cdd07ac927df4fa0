"""IFC property sets, read on first use: reading every element's sets up front would cost as much
as triangulating it, on the cores the geometry iterator needs (see loaders/ifc.py)."""
from __future__ import annotations

from typing import Any, Iterable

from loaders._ifc_units import Measure, UnitTable  # noqa: F401 - Measure re-exported for the UI
from loaders.base import Cancel, ElementInfo

ATTRIBUTES = ("Description", "ObjectType", "LongName", "Tag", "PredefinedType")  # shown as "Attributes.<name>"


def _plain(value: Any) -> Any:
    """Property values for the UI: scalars as they are, anything else as a short string."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)[:200]


class LazyProperties(dict):
    """An element's flat "Pset.Prop" / "Attributes.X" dict, read from the IFC file on first use.

    Reading every property set costs more than computing simple geometry, so the loader only
    records which element this is; the first read (the properties dock, a colour-by-property)
    fills the dict. It is a real dict after that, safe from the GUI thread (a lock guards the
    shared file and caches). Copies, pickles and `dict(...)` are plain filled dicts. Caveat: the C
    `json.dumps` looks at a dict's size without calling its methods and writes "{}" for one never
    read; read it first (any access) or pass `dict(props)`.
    """

    __slots__ = ("_source", "_eid")

    def __init__(self, *args, **kwargs) -> None:
        dict.__init__(self, *args, **kwargs)
        self._source: _PropertySource | None = None
        self._eid = 0

    @classmethod
    def deferred(cls, source: "_PropertySource", eid: int) -> "LazyProperties":
        """An empty dict that fills itself from `source` on first read (no __init__: hot path)."""
        out = dict.__new__(cls)
        out._source = source
        out._eid = eid
        return out

    def _fill(self) -> None:
        if self._source is not None:
            self._source.fill(self)

    def __getitem__(self, key):
        self._fill()
        return dict.__getitem__(self, key)

    def __contains__(self, key) -> bool:
        self._fill()
        return dict.__contains__(self, key)

    def __iter__(self):
        self._fill()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._fill()
        return dict.__len__(self)

    def __eq__(self, other) -> bool:
        self._fill()
        if isinstance(other, LazyProperties):
            other._fill()
        return dict.__eq__(self, other)

    def __ne__(self, other) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._fill()
        return dict.__repr__(self)

    def __or__(self, other):
        self._fill()
        return dict(self) | other

    def __reduce__(self):
        self._fill()
        return (dict, (dict(self.items()),))

    def __copy__(self) -> dict:
        return dict(self.items())

    def __deepcopy__(self, memo) -> dict:
        import copy

        return copy.deepcopy(dict(self.items()), memo)

    def get(self, key, default=None):
        self._fill()
        return dict.get(self, key, default)

    def keys(self):
        self._fill()
        return dict.keys(self)

    def items(self):
        self._fill()
        return dict.items(self)

    def values(self):
        self._fill()
        return dict.values(self)

    def copy(self) -> dict:
        return dict(self.items())

    def __setitem__(self, key, value) -> None:
        self._fill()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key) -> None:
        self._fill()
        dict.__delitem__(self, key)

    def __ior__(self, other):
        self._fill()
        return dict.__ior__(self, other)

    def update(self, *args, **kwargs) -> None:
        self._fill()
        dict.update(self, *args, **kwargs)

    def pop(self, *args):
        self._fill()
        return dict.pop(self, *args)

    def popitem(self):
        self._fill()
        return dict.popitem(self)

    def setdefault(self, key, default=None):
        self._fill()
        return dict.setdefault(self, key, default)

    def clear(self) -> None:
        self._fill()
        dict.clear(self)


class _PropertySource:
    """What LazyProperties read from: the open file, the type map and per-pset caches.

    Holds the ifcopenshell file until every element's properties were read (then lets it go:
    a big model's file is hundreds of MB)."""

    def __init__(self, f, types: dict[int, Any]) -> None:
        import threading

        import ifcopenshell.util.element as ue

        self.ue = ue
        self.f = f
        self.types = types
        self.created = self.filled = 0
        self.finished = False
        self.lock = threading.Lock()
        self.psets: dict[int, dict[str, Any]] = {}
        self.type_props: dict[int, dict[str, Any]] = {}
        self.attrs: dict[str, list[tuple[str, int]]] = {}
        self.units = UnitTable(f)

    def _definition(self, definition) -> dict[str, Any]:
        """One IfcPropertySet / IfcElementQuantity / predefined set, flattened to "Pset.Prop";
        numbers of a measure with a unit become Measures (angles in degrees, converted once)."""
        key = definition.id()
        flat = self.psets.get(key)
        if flat is None:
            try:
                props = self.ue.get_property_definition(definition) or {}
                kinds = self._measure_classes(definition)
            except Exception:  # noqa: BLE001 - a malformed pset must not lose the element
                props, kinds = {}, {}
            prefix = f"{definition.Name}."
            flat = self.psets[key] = {prefix + k: self.units.measure(_plain(v), *kinds.get(k, (None, None)))
                                      for k, v in props.items() if k != "id"}
        return flat

    @staticmethod
    def _measure_classes(definition) -> dict[str, tuple[str | None, Any]]:
        """{property name: (measure or quantity class, its own unit or None)} of single values and quantities."""
        out: dict[str, tuple[str | None, Any]] = {}
        if definition.is_a("IfcPropertySet"):
            for prop in definition.HasProperties or ():
                if prop.is_a("IfcPropertySingleValue") and prop.NominalValue is not None:
                    out[prop.Name] = (prop.NominalValue.is_a(), prop.Unit)
        elif definition.is_a("IfcElementQuantity"):
            for quantity in definition.Quantities or ():
                if quantity.is_a("IfcPhysicalSimpleQuantity"):
                    out[quantity.Name] = (quantity.is_a(), quantity.Unit)
        return out

    def fill(self, target: LazyProperties) -> None:
        """Fill `target` once, whichever thread asks first (others wait on the lock, then see it
        filled); let the file go once loading finished and every element was filled."""
        with self.lock:
            if target._source is None:
                return
            try:
                if self.f is not None:
                    dict.update(target, self._properties(self.f.by_id(target._eid)))
            except Exception:  # noqa: BLE001 - a broken relationship costs the properties, not the viewer
                pass
            finally:
                target._source = None  # only now: a reader that skipped the lock sees a full dict
                self.filled += 1
                self._release_if_done()

    def finish(self, created: int) -> None:
        """Loading is over (done, cancelled or failed): `created` LazyProperties point here."""
        with self.lock:
            self.created = created
            self.finished = True
            self._release_if_done()

    def _release_if_done(self) -> None:
        if self.finished and self.filled >= self.created:
            self.f = None
            self.types = {}
            self.psets.clear()
            self.type_props.clear()

    def _properties(self, product) -> dict[str, Any]:
        out: dict[str, Any] = {}
        element_type = self.types.get(product.id())
        if element_type is not None:
            tid = element_type.id()
            inherited = self.type_props.get(tid)
            if inherited is None:
                inherited = {}
                for definition in element_type.HasPropertySets or ():
                    inherited.update(self._definition(definition))
                self.type_props[tid] = inherited
            out.update(inherited)
        for rel in getattr(product, "IsDefinedBy", None) or ():
            if not rel.is_a("IfcRelDefinesByProperties") or rel.RelatingPropertyDefinition is None:
                continue
            definition = rel.RelatingPropertyDefinition
            # IFC4 IfcPropertySetDefinitionSet: a list of sets in one relation
            for d in definition.wrappedValue if definition.is_a("IfcPropertySetDefinitionSet") else (definition,):
                out.update(self._definition(d))
        cls = product.is_a()
        present = self.attrs.get(cls)
        if present is None:
            names = list(product.get_attribute_names())
            present = self.attrs[cls] = [(n, names.index(n)) for n in ATTRIBUTES if n in names]
        for name, index in present:
            value = product[index]
            if value is not None and value != "":
                out[f"Attributes.{name}"] = _plain(value)
        return out


def fill_properties(elements: Iterable[ElementInfo], cancel: Cancel | None = None) -> int:
    """Read every not-yet-read LazyProperties now (from a worker thread after loading, so that the
    GUI never waits on a first read); returns how many were filled. Stops early on cancel."""
    n = 0
    for i, e in enumerate(elements):
        props = e.properties
        if isinstance(props, LazyProperties) and props._source is not None:
            props._fill()
            n += 1
        if cancel is not None and i % 256 == 0 and cancel():
            break
    return n
