"""Safe, streaming XML for schedule files (MSPDI, P6): no DOCTYPE or ENTITY declarations (so no
'billion laughs' expansion), elements yielded with their path and cleared after use so a 50 MB file
never holds its whole tree."""
from __future__ import annotations

import functools
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, tzinfo
from typing import Iterator

from loaders.base import Cancel, LoadCancelled, LoadError

_DECL = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def local(tag: str) -> str:
    """'{namespace}Task' -> 'Task'."""
    return tag.rsplit("}", 1)[-1]


def check_safe(path: str, data: bytes) -> None:
    """Refuse document type and entity declarations: schedules never need them, and an entity that
    expands to itself a billion times is the classic way to exhaust memory through XML."""
    text = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: look at the decoded text
        text = data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    m = _DECL.search(text)
    if m:
        raise LoadError(path, f"XML with a <!{m.group(1).decode().upper()}> declaration is refused (entity expansion is unsafe)")


def root_name(path: str, data: bytes) -> str:
    """The root element's local name (for 'not a schedule' messages)."""
    check_safe(path, data)
    try:
        for _event, el in ET.iterparse(io.BytesIO(data), events=("start",)):
            return local(el.tag)
    except ET.ParseError as exc:
        raise LoadError(path, f"not well-formed XML ({exc})") from None
    return "?"


def walk(path: str, data: bytes, wanted: dict[tuple[str, ...], str], cancel: Cancel | None = None
         ) -> Iterator[tuple[str, ET.Element]]:
    """Yield (label, element) for every element whose parent path (local names from the root) is a key
    of `wanted`, e.g. {("Project", "Tasks"): "task"}; the element is cleared after the caller is done.
    Text-only children of the root come as ("header", element)."""
    check_safe(path, data)
    stack: list[str] = []
    nodes: list[ET.Element] = []
    count = 0
    deepest = max(len(k) for k in wanted)
    try:
        for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                stack.append(local(el.tag) if len(stack) < deepest else "")  # deeper names are never asked for
                nodes.append(el)
                continue
            stack.pop()
            nodes.pop()
            if len(stack) > deepest:  # most events: a field of a task, read by the caller from the task itself
                continue
            label = wanted.get(tuple(stack))
            if label is not None and (label != "header" or len(el) == 0):
                yield label, el
                count += 1
                if cancel is not None and count % 1000 == 0 and cancel():
                    raise LoadCancelled()
            elif not (len(stack) <= 1 and len(el)):
                continue
            # done with it (or a block nobody asked for: resources, assignments): the parent's children
            # so far are all handled, so dropping them keeps a 100k-task file from holding its tree
            if nodes:
                del nodes[-1][:]
            else:
                el.clear()
    except ET.ParseError as exc:
        raise LoadError(path, f"not well-formed XML ({exc})") from None


def text(el: ET.Element, name: str) -> str:
    """Text of the first direct child with this local name ('' when absent)."""
    for child in el:
        if local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def fields(el: ET.Element) -> dict[str, str]:
    """Local name -> text of the direct children (the first of each name): one pass per element."""
    out: dict[str, str] = {}
    for child in el:
        out.setdefault(local(child.tag), (child.text or "").strip())
    return out


def children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if local(c.tag) == name]


def xml_date(value: str, tz: tzinfo, bad: list[str]) -> datetime | None:
    """An XML date (ISO) -> aware datetime; an unreadable one is counted in `bad` and read as missing."""
    from loaders.schedule import parse_date

    try:
        return parse_date(value, tz)
    except ValueError:
        bad.append(value)
        return None


def number(value: str, default: float = 0.0) -> float:
    try:
        out = float(value)
    except ValueError:
        return default
    return out if out == out and abs(out) != float("inf") else default
