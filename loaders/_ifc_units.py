"""Units of IFC property values: a number in a property set means nothing without the file's
IfcUnitAssignment (a slope of 30 is degrees in one file, radians in another).

Values become `Measure`s: floats (colour ramps and filters compute with them as before) that
also carry their unit symbol. Plane angles are shown in degrees, converted once from the file's
angle unit. Some exporters convert an angle that already was in degrees a second time
(ArchiCAD's FZK-Haus stores a 30 degree roof slope as 1718.873 in a degree-based file): a value
that only makes sense as an angle after undoing that conversion is shown undone, with a note.
"""
from __future__ import annotations

import math
from typing import Any

FULL_TURN_DEG = 360.0
# What an unassigned unit type means: IFC's SI defaults for the measures property sets use most.
SI_DEFAULTS = {
    "LENGTHUNIT": "m", "AREAUNIT": "m²", "VOLUMEUNIT": "m³", "MASSUNIT": "kg", "TIMEUNIT": "s",
    "THERMODYNAMICTEMPERATUREUNIT": "K", "POWERUNIT": "W", "PRESSUREUNIT": "Pa", "FORCEUNIT": "N",
    "ENERGYUNIT": "J", "THERMALTRANSMITTANCEUNIT": "W/(m²·K)", "THERMALCONDUCTANCEUNIT": "W/(m·K)",
    "MASSDENSITYUNIT": "kg/m³", "VOLUMETRICFLOWRATEUNIT": "m³/s", "LINEARVELOCITYUNIT": "m/s",
}
QUANTITY_UNIT_TYPES = {"IfcQuantityLength": "LENGTHUNIT", "IfcQuantityArea": "AREAUNIT", "IfcQuantityVolume": "VOLUMEUNIT",
                       "IfcQuantityWeight": "MASSUNIT", "IfcQuantityTime": "TIMEUNIT"}


class Measure(float):
    """A property value with its unit ("m", "°", "m²"); `note` says when the value was corrected."""

    __slots__ = ("unit", "note")

    def __new__(cls, value: float, unit: str = "", note: str = "") -> "Measure":
        out = float.__new__(cls, value)
        out.unit = unit
        out.note = note
        return out

    def __reduce__(self):
        return (Measure, (float(self), self.unit, self.note))

    def __copy__(self) -> "Measure":
        return self

    def __deepcopy__(self, memo) -> "Measure":
        return self


def _pretty(symbol: str) -> str:
    """ifcopenshell's "m2", "W/m2.K" -> "m²", "W/m²·K"."""
    out = []
    for i, ch in enumerate(symbol):
        if ch in "23" and i and symbol[i - 1].isalpha():
            out.append("²" if ch == "2" else "³")
        elif ch == ".":
            out.append("·")
        else:
            out.append(ch)
    return "".join(out)


class UnitTable:
    """Per-file unit look-ups, each unit type worked out once (called under the properties lock)."""

    def __init__(self, f) -> None:
        import ifcopenshell.util.unit as uu

        self.uu = uu
        self.f = f
        self.by_type: dict[str, tuple[str, float | None]] = {}  # unit type -> (symbol, radians per unit for angles)

    def _named(self, unit_type: str) -> tuple[str, float | None]:
        hit = self.by_type.get(unit_type)
        if hit is None:
            try:
                unit = self.uu.get_project_unit(self.f, unit_type)
            except Exception:  # noqa: BLE001 - a broken unit assignment costs the unit, not the value
                unit = None
            hit = self.by_type[unit_type] = self._describe(unit, unit_type)
        return hit

    def _describe(self, unit, unit_type: str) -> tuple[str, float | None]:
        if unit_type == "PLANEANGLEUNIT":
            return "°", 1.0 if unit is None else _radians_per_unit(unit)
        if unit is None:
            return SI_DEFAULTS.get(unit_type, ""), None
        try:
            return _pretty(self.uu.get_unit_symbol(unit)).replace("?", ""), None
        except Exception:  # noqa: BLE001
            return SI_DEFAULTS.get(unit_type, ""), None

    def measure(self, value: Any, measure_class: str | None, unit=None) -> Any:
        """`value` as a Measure when its class has a unit; anything else unchanged."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not measure_class:
            return value
        if measure_class in QUANTITY_UNIT_TYPES:
            unit_type = QUANTITY_UNIT_TYPES[measure_class]
        elif measure_class.endswith("Measure") and measure_class not in ("IfcCountMeasure", "IfcNumericMeasure",
                                                                          "IfcRatioMeasure", "IfcNormalisedRatioMeasure"):
            unit_type = self.uu.get_measure_unit_type(measure_class)
        else:
            return value
        symbol, radians = self._describe(unit, unit_type) if unit is not None else self._named(unit_type)
        if radians is not None:
            return _degrees(float(value), radians)
        return Measure(value, symbol) if symbol else value


def _radians_per_unit(unit) -> float:
    """Radians in one of the file's angle units: 1 for RADIAN, pi/180 for a DEGREE conversion."""
    try:
        if unit.is_a("IfcSIUnit"):
            return 1.0
        if unit.is_a("IfcConversionBasedUnit"):
            factor = unit.ConversionFactor
            value = float(getattr(factor.ValueComponent, "wrappedValue", factor.ValueComponent))
            base = factor.UnitComponent
            return value * (_radians_per_unit(base) if base is not None and not base.is_a("IfcSIUnit") else 1.0)
    except Exception:  # noqa: BLE001 - fall through to the name
        pass
    return math.pi / 180.0 if "DEG" in str(getattr(unit, "Name", "")).upper() else 1.0


def _degrees(stored: float, radians_per_unit: float) -> Measure:
    """An angle in degrees, converted once; a value beyond a full turn that is a plausible angle
    after undoing the exporter's extra degree conversion is shown undone, with a note."""
    if abs(radians_per_unit * 180.0 / math.pi - 1.0) < 1e-9:  # a DEGREE unit (its factor often cut to 13 digits)
        degrees = stored
    else:
        degrees = math.degrees(stored * radians_per_unit)
    if abs(degrees) > FULL_TURN_DEG:
        once = math.radians(degrees)
        if abs(once) <= FULL_TURN_DEG:
            if radians_per_unit == 1.0:
                note = f"stored as {stored:g} in a radian-based file: the exporter wrote degrees; shown as degrees"
            else:
                note = (f"stored as {stored:g} in a degree-based file: the exporter converted degrees to degrees "
                        "a second time; shown converted once")
            return Measure(once, "°", note)
    return Measure(degrees, "°")
