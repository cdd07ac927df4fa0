"""Vectorised values and operations behind app.model.feature_filter.

A property column becomes a `_Val`: per-feature values split by type (number, text, boolean),
each with a mask of the features holding that type. Every operation is a few numpy calls over
whole columns; masks carry SQL-like three-valued logic (value, known).
"""
from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

_MAX_TEXT_BYTES = 64 << 20  # a string column wider than this stays an object array
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "%": np.mod}
_TYPES = ("num", "txt", "bit")


# --- values ------------------------------------------------------------------------------------
class _Val:
    """Per-feature values split by type: num (float64), txt (str), bit (bool), each with a mask of
    the features that hold a value of that type. Literals are numpy scalars and broadcast."""

    __slots__ = ("num", "num_ok", "txt", "txt_ok", "bit", "bit_ok", "other_ok", "null")

    def __init__(self, **kw: Any) -> None:
        for slot in self.__slots__:
            setattr(self, slot, kw.get(slot))
        self.null = bool(kw.get("null", False))

    def missing(self) -> Any:
        present: Any = False if self.other_ok is None else self.other_ok  # lists, dicts: present
        for t in _TYPES:
            if getattr(self, t) is not None:
                present = present | getattr(self, t + "_ok")
        return ~np.asarray(present, dtype=bool)


def _boolean(value: Any, known: Any) -> _Val:
    return _Val(bit=np.asarray(value & known, dtype=bool), bit_ok=np.asarray(known, dtype=bool))


def _literal(value: Any) -> _Val:
    if value is None:
        return _Val(null=True)
    if isinstance(value, bool):
        return _Val(bit=np.bool_(value), bit_ok=np.bool_(True))
    if isinstance(value, str):
        return _Val(txt=np.str_(value), txt_ok=np.bool_(True))
    return _Val(num=np.float64(value), num_ok=np.bool_(not np.isnan(value)))


def _text_array(values: list) -> np.ndarray:
    width = max((len(v) for v in values), default=1)
    return np.array(values, dtype=object if len(values) * width * 4 > _MAX_TEXT_BYTES else str)


def _column(values: Sequence | np.ndarray | None, n: int) -> _Val:
    """One property's per-feature values as a _Val (shorter columns are padded with missing)."""
    if values is None:
        return _Val()
    arr = values if isinstance(values, np.ndarray) else None
    if arr is None:
        seq = list(values[:n]) if isinstance(values, (list, tuple)) else list(values)[:n]
        try:
            arr = np.asarray(seq) if seq and not isinstance(seq[0], (list, tuple, dict)) else None
        except (ValueError, TypeError):
            arr = None
        if arr is not None and arr.dtype.kind == "U" and not all(type(v) is str for v in seq):
            arr = None  # numpy turned numbers into strings: classify one by one
    else:
        seq = None
    if arr is not None and arr.ndim == 1 and arr.dtype.kind in "biufU":
        arr = arr[:n]
        pad = n - len(arr)
        if arr.dtype.kind == "b":
            ok = np.r_[np.ones(len(arr), bool), np.zeros(pad, bool)]
            return _Val(bit=np.r_[arr, np.zeros(pad, bool)], bit_ok=ok)
        if arr.dtype.kind == "U":
            ok = np.r_[np.ones(len(arr), bool), np.zeros(pad, bool)]
            return _Val(txt=np.r_[arr, np.full(pad, "", dtype=arr.dtype)], txt_ok=ok)
        num = np.r_[arr.astype(np.float64), np.full(pad, np.nan)]
        return _Val(num=num, num_ok=~np.isnan(num))
    if seq is None:
        seq = list(arr[:n])
    seq = seq + [None] * (n - len(seq))
    # Mixed or object column (None, NaN, numbers next to strings): classify in one pass.
    is_bit = np.fromiter((isinstance(v, (bool, np.bool_)) for v in seq), bool, n)
    is_txt = np.fromiter((isinstance(v, str) for v in seq), bool, n)
    is_num = np.fromiter((isinstance(v, (int, float, np.integer, np.floating)) for v in seq), bool, n) & ~is_bit
    num = np.array([float(v) if k else np.nan for v, k in zip(seq, is_num)], dtype=np.float64)
    other = np.fromiter((v is not None for v in seq), bool, n) & ~(is_bit | is_txt | is_num)
    return _Val(num=num, num_ok=is_num & ~np.isnan(num), other_ok=other,
                txt=_text_array([v if k else "" for v, k in zip(seq, is_txt)]), txt_ok=is_txt,
                bit=np.array([bool(v) if k else False for v, k in zip(seq, is_bit)], dtype=bool), bit_ok=is_bit)


# --- operations (all vectorised; masks combine with & and |) ------------------------------------
def _truth(v: _Val) -> tuple[Any, Any]:
    if v.bit is None:
        return np.bool_(False), np.bool_(False)
    return v.bit & v.bit_ok, v.bit_ok


def _equal(a: _Val, b: _Val) -> _Val:
    if a.null or b.null:
        return _boolean((a.missing() if b.null else b.missing()), np.bool_(True))
    val: Any = np.bool_(False)
    known: Any = np.bool_(False)
    for t in _TYPES:
        x, y = getattr(a, t), getattr(b, t)
        if x is not None and y is not None:
            ok = getattr(a, t + "_ok") & getattr(b, t + "_ok")
            known = known | ok
            val = val | (ok & (x == y))
    return _boolean(val, known)


def _compare(op: str, a: _Val, b: _Val) -> _Val:
    if op in ("==", "!="):
        eq = _equal(a, b)
        return eq if op == "==" else _negate(eq)
    val: Any = np.bool_(False)
    known: Any = np.bool_(False)
    for t in ("num", "txt"):  # booleans have no order
        x, y = getattr(a, t), getattr(b, t)
        if x is not None and y is not None:
            ok = getattr(a, t + "_ok") & getattr(b, t + "_ok")
            known = known | ok
            val = val | (ok & _ORDER[op](x, y))
    return _boolean(val, known)


def _text_test(op: str, a: _Val, b: _Val) -> _Val:
    if a.txt is None or b.txt is None:
        return _boolean(np.bool_(False), np.bool_(False))
    ok = a.txt_ok & b.txt_ok
    x, y = a.txt, b.txt
    if getattr(x, "dtype", np.dtype(str)).kind == "O" or getattr(y, "dtype", np.dtype(str)).kind == "O":
        fn = {"contains": lambda s, t: t in s, "startswith": str.startswith, "endswith": str.endswith}[op]
        xs, ys = np.broadcast_arrays(np.asarray(x, dtype=object), np.asarray(y, dtype=object))
        hit = np.fromiter((fn(str(s), str(t)) for s, t in zip(xs.ravel(), ys.ravel())), bool, xs.size).reshape(xs.shape)
    elif op == "contains":
        hit = np.strings.find(x, y) >= 0
    else:
        hit = getattr(np.strings, op)(x, y)
    return _boolean(ok & hit, ok)


def _membership(a: _Val, items: list[_Val]) -> _Val:
    """Known where `a` can be compared with some item; true where it equals one."""
    val: Any = np.bool_(False)
    known: Any = np.bool_(False)
    for item in items:
        eq = _equal(a, item)
        val = val | eq.bit
        known = known | eq.bit_ok
    return _boolean(val, known)


def _negate(v: _Val) -> _Val:
    val, known = _truth(v)
    return _boolean(~val, known)


def _logic(op: str, a: _Val, b: _Val) -> _Val:
    av, ak = _truth(a)
    bv, bk = _truth(b)
    if op == "and":
        return _boolean(av & bv, (ak & bk) | (ak & ~av) | (bk & ~bv))
    return _boolean(av | bv, (ak & bk) | av | bv)


def _arith(op: str, a: _Val, b: _Val | None) -> _Val:
    if b is None:  # unary minus
        return _Val(num=-a.num, num_ok=a.num_ok) if a.num is not None else _Val()
    if a.num is None or b.num is None:
        return _Val()
    with np.errstate(all="ignore"):
        num = _ARITH[op](a.num, b.num)
    return _Val(num=num, num_ok=a.num_ok & b.num_ok & ~np.isnan(num))
