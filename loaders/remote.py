"""http(s) sources: a tileset (or a single file) is mirrored into a temporary folder, then the
local loader reads it. Bounded: same host only, no path outside the tileset's folder, a byte
and file budget, a timeout per request, cancel between files.

Streaming only what the view needs is the 3D Tiles streaming issue's job; this is the
foundation's "open a tileset URL" at its finest level.
"""
from __future__ import annotations

import json
import os
import posixpath
import tempfile
import urllib.error
import urllib.request
from urllib.parse import unquote, urljoin, urlsplit

from loaders.base import Cancel, LoadCancelled, LoadError, Progress

MAX_BYTES = 1 << 30  # 1 GiB for one mirrored tileset
MAX_FILES = 20_000
TIMEOUT_S = 30.0
CHUNK = 1 << 20


def is_url(path: str) -> bool:
    return path.lower().startswith(("http://", "https://"))


def _contents(tile: dict) -> list[str]:
    items = ([tile["content"]] if isinstance(tile.get("content"), dict) else []) + [
        c for c in tile.get("contents", []) if isinstance(c, dict)]
    return [u for c in items if isinstance(u := c.get("uri", c.get("url")), str) and u]


def _tile_uris(root: dict) -> list[str]:
    """Every content URI of a tile tree, iteratively (a deep tree must not hit the recursion limit)."""
    out, stack = [], [root]
    while stack:
        tile = stack.pop()
        if not isinstance(tile, dict):
            continue
        out.extend(_contents(tile))
        stack.extend(c for c in tile.get("children", []) if isinstance(c, dict))
    return out


class _Mirror:
    def __init__(self, url: str, folder: str, progress: Progress | None, cancel: Cancel | None) -> None:
        parts = urlsplit(url)
        self.origin = (parts.scheme, parts.netloc)
        self.root_url = url
        self.base_path = posixpath.dirname(parts.path).rstrip("/") + "/"
        self.folder = folder
        self.query = parts.query  # kept on child requests (access tokens live there)
        self.progress, self.cancel = progress, cancel
        self.bytes = 0
        self.files = 0
        self.seen: set[str] = set()

    def local_path(self, url: str) -> str | None:
        """Where a URL goes in the mirror, or None when it leaves the tileset's host or folder."""
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self.origin:
            return None
        path = posixpath.normpath(unquote(parts.path))
        if not (path + "/").startswith(self.base_path) and path != self.base_path.rstrip("/"):
            return None
        return os.path.join(self.folder, *path[len(self.base_path):].split("/"))

    def fetch(self, url: str) -> bytes:
        if self.cancel and self.cancel():
            raise LoadCancelled()
        if self.files >= MAX_FILES:
            raise LoadError(self.root_url, f"more than {MAX_FILES} files; too large to open at full detail")
        request_url = url if (urlsplit(url).query or not self.query) else f"{url}?{self.query}"
        try:
            with urllib.request.urlopen(request_url, timeout=TIMEOUT_S) as resp:  # noqa: S310 - http(s) only
                declared = int(resp.headers.get("Content-Length") or 0)
                if self.bytes + declared > MAX_BYTES:
                    raise LoadError(self.root_url, "tileset is larger than 1 GiB; too large to open at full detail")
                chunks = []
                while chunk := resp.read(CHUNK):
                    self.bytes += len(chunk)
                    if self.bytes > MAX_BYTES:
                        raise LoadError(self.root_url, "tileset is larger than 1 GiB; too large to open at full detail")
                    chunks.append(chunk)
        except urllib.error.HTTPError as exc:
            raise LoadError(url, f"HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LoadError(url, f"cannot download: {reason}") from None
        self.files += 1
        return b"".join(chunks)

    def save(self, url: str, data: bytes) -> str:
        path = self.local_path(url)
        assert path is not None
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def tileset(self, url: str, warnings: list[str], depth: int = 0) -> str:
        data = self.fetch(url)
        path = self.save(url, data)
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LoadError(url, f"not a 3D Tiles tileset (invalid JSON: {exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("root"), dict):
            raise LoadError(url, "not a 3D Tiles tileset (no root tile)")
        uris = _tile_uris(doc["root"])
        for i, uri in enumerate(uris):
            if "{" in uri:  # implicit tiling templates: the local loader warns and reads what it can
                uri = uri.replace("{level}", "0").replace("{x}", "0").replace("{y}", "0").replace("{z}", "0")
            child = urljoin(url, uri)
            if child in self.seen:
                continue
            self.seen.add(child)
            if self.local_path(child) is None:
                warnings.append(f"content '{uri[:80]}' is on another host or outside the tileset folder; not fetched")
                continue
            if depth == 0 and self.progress:
                self.progress(0.8 * i / max(1, len(uris)), f"downloading {uri[:60]}")
            try:
                if urlsplit(child).path.lower().endswith(".json") and depth < 8:
                    self.tileset(child, warnings, depth + 1)
                else:
                    self.save(child, self.fetch(child))
            except LoadError as exc:
                if exc.path == self.root_url:  # a budget was exceeded: stop the whole load
                    raise
                warnings.append(f"content '{uri[:80]}': {exc.reason}; skipped")
        return path


def mirror(url: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> tuple[str, list[str]]:
    """Download a tileset URL (or one file) into a new temporary folder; return the local path."""
    folder = tempfile.mkdtemp(prefix="twinscape-remote-")
    m = _Mirror(url, folder, progress, cancel)
    warnings: list[str] = []
    name = posixpath.basename(urlsplit(url).path) or "tileset.json"
    if name.lower().endswith(".json"):
        return m.tileset(url, warnings), warnings
    return m.save(url, m.fetch(url)), warnings
