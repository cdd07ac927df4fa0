"""Finds English text in the Qt shell that does not go through tr(): the check behind
tests/ui/test_i18n.py, and a tool (`python -m tests.ui.i18n_scan app/ui/x.py`) while wrapping."""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRAPPERS = {"tr", "QT_TR_NOOP", "translate"}
NOT_SHOWN_CALLS = {"getLogger", "debug", "info", "warning", "exception", "error", "log", "setObjectName", "value", "setValue",
                   "startswith", "endswith", "split", "join", "replace", "strip", "get", "pop", "setdefault", "format_map",
                   "QSettings", "property", "setProperty", "findChild", "findChildren", "connect", "isinstance", "hasattr",
                   "getattr", "setattr", "re.compile", "compile", "match", "search", "sub", "fullmatch", "Path", "open",
                   "encode", "decode", "strftime", "strptime", "fromisoformat", "import_module", "environ", "getenv",
                   "QKeySequence", "setShortcut", "QColor", "setStyleSheet", "setData", "data", "TypeError", "ValueError",
                   "RuntimeError", "KeyError", "AssertionError", "NotImplementedError", "print"}
WORDS = re.compile(r"[A-Za-z]{2,}")
KEYS = r"((Ctrl|Shift|Alt|Meta)\+)*(Space|Left|Right|Up|Down|Home|End|PgUp|PgDown|PageUp|PageDown|Esc|Escape|Return|Enter|Tab|Del|Delete|Backspace|F\d{1,2}|[A-Z0-9]|[+\-=\[\]])"
NOT_WORDS = {"gdi generic", "GlobalId"}  # renderer names, IFC attribute names


def _shown_like(text: str) -> bool:
    """Prose a user would read: two or more words, or one capitalised word ("Cancel", "Elevation")."""
    words = WORDS.findall(text)
    if not words or re.fullmatch(r"[\w.:/*\-]+", text) and not text[:1].isupper():
        return False  # keys, paths, file patterns, dotted names
    if re.fullmatch(r"[A-Z_0-9]+", text) or re.fullmatch(r"(Ifc|Pset_|Qto_)\w*", text) or text.startswith(("#", "%", "*.")):
        return False
    if re.fullmatch(r"[a-z_]+(:[\w.]*)?", text) or "<" in text[:1]:
        return False
    if re.fullmatch(KEYS, text) or text.startswith("SP_") or "yyyy" in text or text in NOT_WORDS:
        return False  # key names, icon names, date formats
    return len(words) >= 2 or text[:1].isupper() or text.startswith("&") or bool(re.fullmatch(r"\(\w[\w ]*\)", text))


def leftovers(path: Path) -> list[tuple[int, str]]:
    """(line, text) of string literals that look shown but are not wrapped; a `# i18n: not shown`
    comment on the line exempts it (keys, formats, protocol words)."""
    src = path.read_text(encoding="utf-8")
    return sorted((node.lineno, text) for node, text in leftover_nodes(ast.parse(src), src.splitlines()))


def leftover_nodes(tree: ast.AST, lines: list[str]) -> list[tuple[ast.AST, str]]:
    skip: set[int] = set()
    for node in ast.walk(tree):  # docstrings and wrapped or not-shown calls
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in WRAPPERS or name in NOT_SHOWN_CALLS:
                for sub in ast.walk(node):
                    skip.add(id(sub))
        annotations = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotations = [a.annotation for a in (*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs)] + [node.returns]
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        for ann in annotations:
            for sub in ast.walk(ann) if ann is not None else ():
                skip.add(id(sub))
        if isinstance(node, ast.Subscript):
            for sub in ast.walk(node.slice):
                skip.add(id(sub))
        if isinstance(node, ast.Compare):
            for sub in ast.walk(node):
                skip.add(id(sub))
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    skip.add(id(key))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for sub in ast.walk(node):
                skip.add(id(sub))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            for v in node.values:
                skip.add(id(v))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if "i18n: not shown" in lines[node.lineno - 1] or not _shown_like(text):
            continue
        found.append((node, text))
    return found


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for line, text in leftovers(Path(arg)):
            print(f"{arg}:{line}: {text[:100]!r}")
