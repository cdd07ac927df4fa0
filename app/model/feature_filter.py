"""Feature filters: a small expression language over per-feature properties.

`height > 50 and use in ("office", "retail")` picks 3D Tiles features, CityJSON objects or IFC
elements. The tokenizer and recursive-descent parser are hand-written rather than a whitelist
over Python's `ast`: the language is not Python (`${name}` as in CesiumJS styles, `[Pset.Prop]`,
`contains`, `===`, `&&`) and nothing here ever reaches `eval`. Evaluation is vectorised over
columns (the shape batch tables have): one numpy operation per expression node, not per feature.

Semantics are SQL-like three-valued logic: a missing property, None, NaN or a type mismatch
(`"5" > 3`) gives "unknown", and unknown never matches, also under `not`, so
`not (height < 10)` does not pick a feature without a height. `x == null` tests for a missing x.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from app.model._filter_values import (
    _arith, _column, _compare, _literal, _logic, _membership, _negate, _text_test, _truth, _Val,
)

MAX_LENGTH = 10_000  # characters; an expression is typed by a person
MAX_DEPTH = 100  # nesting; deeper input is refused before Python's recursion limit is near
_KEYWORDS = {"and", "or", "not", "in", "contains", "startswith", "endswith", "true", "false", "null", "none"}
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<dollar>\$\{[^}]*\})
  | (?P<bracket>\[[^\]"',]*\])
  | (?P<name>[^\W\d][\w.]*)
  | (?P<op>===|!==|==|!=|<>|<=|>=|&&|\|\||[<>=!+\-*/%(),\[\]])
""", re.X)
_COMPARE = {"==": "==", "===": "==", "=": "==", "!=": "!=", "!==": "!=", "<>": "!=",
            "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class FilterError(ValueError):
    """A filter expression that cannot be parsed; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.message = message
        self.column = column


# --- parsing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Tok:
    kind: str  # num, str, prop, name (keyword), op, end
    text: str
    value: Any
    col: int  # 1-based


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        col = pos + 1
        if m is None:
            ch = text[pos]
            if ch in "\"'":
                raise FilterError("unterminated string", col)
            if text.startswith("${", pos):
                raise FilterError("unterminated ${...} property name", col)
            raise FilterError(f"unexpected character {ch!r}", col)
        kind, raw = m.lastgroup or "", m.group()
        after_in = bool(out) and out[-1].kind == "name" and out[-1].value == "in"
        if kind == "bracket" and after_in:  # `x in [1, 2]`: a list, not a property name
            kind, raw = "op", "["
        pos += len(raw)
        if kind == "ws":
            continue
        if kind == "num":
            out.append(_Tok("num", raw, float(raw), col))
        elif kind == "str":
            out.append(_Tok("str", raw, _unescape(raw[1:-1]), col))
        elif kind in ("dollar", "bracket"):
            name = raw[2:-1] if kind == "dollar" else raw[1:-1]
            if not name.strip():
                raise FilterError("empty property name", col)
            out.append(_Tok("prop", raw, name.strip(), col))
        elif kind == "name" and raw.lower() in _KEYWORDS:
            out.append(_Tok("name", raw, raw.lower(), col))
        elif kind == "name":
            out.append(_Tok("prop", raw, raw, col))
        else:
            out.append(_Tok("op", raw, raw, col))
    out.append(_Tok("end", "", None, len(text) + 1))
    return out


_Fn = Callable[["_Env"], _Val]


class _Parser:
    """Recursive descent: or > and > not > comparison > sum > product > unary > atom."""

    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.names: set[str] = set()

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at(self, *values: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "name") and tok.value in values

    def expect(self, value: str, what: str) -> None:
        if not self.at(value):
            tok = self.peek()
            raise FilterError(f"expected {what}, found {self._describe(tok)}", tok.col)
        self.take()

    @staticmethod
    def _describe(tok: _Tok) -> str:
        return "the end of the expression" if tok.kind == "end" else repr(tok.text)

    def parse(self) -> tuple[_Fn, str]:
        fn, kind = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            hint = " (chain comparisons with 'and')" if tok.kind == "op" and tok.value in _COMPARE else ""
            raise FilterError(f"unexpected {self._describe(tok)}{hint}", tok.col)
        if kind in ("num", "str", "null"):
            raise FilterError("the expression gives a value, not true/false (compare it, e.g. height > 10)", 1)
        return fn, kind

    def nested(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError("expression nested too deeply", tok.col)

    def or_(self) -> tuple[_Fn, str]:
        left, kind = self.and_()
        while self.at("or", "||"):
            self.take()
            right, _ = self.and_()
            left, kind = (lambda env, a=left, b=right: _logic("or", a(env), b(env))), "bool"
        return left, kind

    def and_(self) -> tuple[_Fn, str]:
        left, kind = self.not_()
        while self.at("and", "&&"):
            self.take()
            right, _ = self.not_()
            left, kind = (lambda env, a=left, b=right: _logic("and", a(env), b(env))), "bool"
        return left, kind

    def not_(self) -> tuple[_Fn, str]:
        if self.at("not", "!"):
            tok = self.take()
            self.nested(tok)
            inner, _ = self.not_()
            self.depth -= 1
            return (lambda env, a=inner: _negate(a(env))), "bool"
        return self.comparison()

    def comparison(self) -> tuple[_Fn, str]:
        left, kind = self.sum_()
        tok = self.peek()
        if tok.kind == "op" and tok.value in _COMPARE:
            self.take()
            right, _ = self.sum_()
            op = _COMPARE[tok.value]
            return (lambda env, a=left, b=right: _compare(op, a(env), b(env))), "bool"
        negate = False
        if self.at("not") and self.toks[self.i + 1].kind == "name" and self.toks[self.i + 1].value == "in":
            self.take()
            negate = True
        if self.at("in"):
            self.take()
            items = self.items()
            fn: _Fn = lambda env, a=left: _membership(a(env), [f(env) for f in items])  # noqa: E731
            return ((lambda env, f=fn: _negate(f(env))) if negate else fn), "bool"
        if self.at("contains", "startswith", "endswith"):
            op = self.take().value
            right, _ = self.sum_()
            return (lambda env, a=left, b=right: _text_test(op, a(env), b(env))), "bool"
        return left, kind

    def items(self) -> list[_Fn]:
        tok = self.peek()
        close = {"(": ")", "[": "]"}.get(tok.value if tok.kind == "op" else "")
        if close is None:
            raise FilterError(f"expected a list such as (\"a\", \"b\") after 'in', found {self._describe(tok)}", tok.col)
        self.take()
        out: list[_Fn] = []
        while not self.at(close):
            out.append(self.sum_()[0])
            if not self.at(","):
                break
            self.take()
        self.expect(close, f"',' or '{close}'")
        return out

    def sum_(self) -> tuple[_Fn, str]:
        left, kind = self.product()
        while self.at("+", "-"):
            op = self.take().value
            right, _ = self.product()
            left, kind = (lambda env, a=left, b=right, op=op: _arith(op, a(env), b(env))), "num"
        return left, kind

    def product(self) -> tuple[_Fn, str]:
        left, kind = self.unary()
        while self.at("*", "/", "%"):
            op = self.take().value
            right, _ = self.unary()
            left, kind = (lambda env, a=left, b=right, op=op: _arith(op, a(env), b(env))), "num"
        return left, kind

    def unary(self) -> tuple[_Fn, str]:
        if self.at("-", "+"):
            tok = self.take()
            self.nested(tok)
            inner, _ = self.unary()
            self.depth -= 1
            if tok.value == "+":
                return inner, "num"
            return (lambda env, a=inner: _arith("-", a(env), None)), "num"
        return self.atom()

    def atom(self) -> tuple[_Fn, str]:
        tok = self.take()
        if tok.kind in ("num", "str"):
            lit = _literal(tok.value)
            return (lambda env: lit), tok.kind
        if tok.kind == "name" and tok.value in ("true", "false", "null", "none"):
            lit = _literal({"true": True, "false": False}.get(tok.value))
            return (lambda env: lit), ("bool" if tok.value in ("true", "false") else "null")
        if tok.kind == "prop":
            if self.at("("):
                raise FilterError(f"function calls such as {tok.text}(...) are not supported", tok.col)
            name = tok.value
            self.names.add(name)
            return (lambda env: env.column(name)), "any"
        if tok.kind == "op" and tok.value == "(":
            self.nested(tok)
            inner, kind = self.or_()
            self.depth -= 1
            self.expect(")", "')'")
            return inner, kind
        if tok.kind == "end":
            raise FilterError("expected a value (a number, \"text\", true/false or a property name), found the end", tok.col)
        raise FilterError(f"expected a value, found {tok.text!r}", tok.col)


# --- public API --------------------------------------------------------------------------------------
class _Env:
    """Columns converted on first use, once per evaluation."""

    def __init__(self, columns: Mapping[str, Any], n: int) -> None:
        self.columns, self.n, self.cache = columns, n, {}

    def column(self, name: str) -> _Val:
        if name not in self.cache:
            self.cache[name] = _column(self.columns.get(name), self.n)
        return self.cache[name]


class FeatureFilter:
    """A compiled filter. Immutable; `compile_filter` caches them, so compiling per tile is cheap."""

    def __init__(self, expression: str, fn: _Fn | None, names: frozenset[str]) -> None:
        self.expression = expression
        self.names = names  # property names the expression reads
        self._fn = fn

    @property
    def is_blank(self) -> bool:
        return self._fn is None

    def mask(self, columns: Mapping[str, Sequence | np.ndarray], count: int | None = None) -> np.ndarray:
        """(count,) bool: which features match. columns: property -> per-feature values (a batch
        table's shape); count defaults to the length of the first column."""
        if count is None:
            count = len(next(iter(columns.values()))) if columns else 0
        if self._fn is None:
            return np.ones(count, dtype=bool)
        val, known = _truth(self._fn(_Env(columns, count)))
        return np.array(np.broadcast_to(val & known, (count,)), dtype=bool)

    def applies_to(self, columns: Mapping[str, Any]) -> bool:
        """Whether a table holds any property the filter reads. A tile whose batch table has none
        of them (terrain under `height > 30`) is not what the filter is about: draw it whole, as
        MeshLayer does for a merged tileset."""
        return not self.names or any(n in columns for n in self.names)

    def matches(self, props: Mapping[str, Any]) -> bool:
        """One feature given as a dict (an ElementInfo's properties, a CityJSON attribute dict)."""
        return bool(self.mask({k: [props[k]] for k in self.names if k in props}, 1)[0])

    def __repr__(self) -> str:
        return f"FeatureFilter({self.expression!r})"


@functools.lru_cache(maxsize=128)
def compile_filter(expression: str) -> FeatureFilter:
    """Parse `expression`; raise FilterError (message with a 1-based column) when it is invalid.
    A blank expression matches everything."""
    if len(expression) > MAX_LENGTH:
        raise FilterError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    if not expression.strip():
        return FeatureFilter(expression, None, frozenset())
    parser = _Parser(expression)
    fn, _ = parser.parse()
    return FeatureFilter(expression, fn, frozenset(parser.names))


def columns_from_records(records: Iterable[Mapping[str, Any]], names: Iterable[str]) -> dict[str, list]:
    """Per-feature dicts -> the columns a filter reads. Only `names` are looked up, so lazily read
    property sets (IFC) are untouched when a filter does not need them."""
    names = list(names)
    cols: dict[str, list] = {n: [] for n in names}
    for rec in records:
        for n in names:
            cols[n].append(rec.get(n))
    return cols


@dataclass(frozen=True)
class FilterResult:
    """What a layer shows for its filter: mask of matches (all True when blank or invalid)."""

    mask: np.ndarray
    error: str = ""  # FilterError text; "" when valid
    unknown: tuple[str, ...] = ()  # referenced names no feature carries (likely typos)

    @property
    def matched(self) -> int:
        return int(self.mask.sum())

    @property
    def total(self) -> int:
        return int(len(self.mask))


def evaluate_filter(expression: str, columns: Mapping[str, Sequence | np.ndarray], count: int) -> FilterResult:
    """Never raises: an invalid expression keeps every feature and reports why."""
    try:
        flt = compile_filter(expression)
    except FilterError as exc:
        return FilterResult(np.ones(count, dtype=bool), str(exc))
    unknown = tuple(sorted(n for n in flt.names
                           if n not in columns or all(v is None for v in columns[n])))
    return FilterResult(flt.mask(columns, count), "", unknown)


def cell_mask(expression: str, properties: Mapping[str, Sequence | np.ndarray],
              cell_feature: np.ndarray | None) -> np.ndarray | None:
    """Per-cell keep mask for one tile part, the streaming tileset visual's call: `properties` is
    the tile's batch/property table, `cell_feature` the feature id per cell (-1 = none, kept).
    None when every cell stays: blank or invalid expression, no feature ids, or a table without
    any property the filter reads (see `FeatureFilter.applies_to`)."""
    if cell_feature is None or not expression.strip():
        return None
    try:
        flt = compile_filter(expression)
    except FilterError:
        return None
    if not flt.applies_to(properties):
        return None
    ids = np.asarray(cell_feature, dtype=np.int64)
    count = max(int(ids.max(initial=-1)) + 1, max((len(v) for v in properties.values()), default=0))
    keep = flt.mask(properties, count)
    out = np.ones(len(ids), dtype=bool)
    has = ids >= 0
    out[has] = keep[ids[has]]
    return None if out.all() else out
