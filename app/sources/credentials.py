"""Credentials for a feed: never in the project file. The system keyring keeps them where one works;
on a headless machine keyring has no backend (NoKeyringError, measured) and `load_credentials` gives
None, so the GUI asks at open. Tests install an in-memory backend with `keyring.set_keyring`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields, replace
from urllib.parse import unquote, urlsplit

log = logging.getLogger("twinscape.feeds")
SERVICE = "twinscape-feeds"


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def __repr__(self) -> str:  # a password must never reach a log line or a traceback
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "password"}
        return f"Credentials({', '.join(f'{k}={v!r}' for k, v in shown.items())}, password={'***' if self.password else None})"

    __str__ = __repr__

    def merged(self, other: "Credentials | None") -> "Credentials":
        """These credentials with the blanks filled from `other`."""
        if other is None:
            return self
        return replace(self, **{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})

    def to_secret(self) -> str:
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_secret(cls, text: str) -> "Credentials":
        data = json.loads(text)
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


def split_credentials(url: str) -> tuple[str, Credentials | None]:
    """The URL without `user:password@` (what a project may save) and the credentials it carried."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, None
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return url, None
    user, _, password = userinfo.partition(":")
    return f"{scheme}://{hostport}{slash}{tail}", Credentials(unquote(user) or None, unquote(password) or None)


def keyring_key(url: str) -> str:
    """One entry per scheme://host:port (not per topic): the same broker, the same login."""
    parts = urlsplit(url.split("?")[0].replace("#", "%23"))
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def load_credentials(url: str) -> Credentials | None:
    """The stored credentials for this feed's server, or None (none stored, or no working keyring)."""
    try:
        import keyring
        secret = keyring.get_password(SERVICE, keyring_key(url))
    except Exception as exc:  # noqa: BLE001 - NoKeyringError, a locked or broken backend: ask instead
        log.info("keyring unavailable (%s): credentials will be asked for", type(exc).__name__)
        return None
    if not secret:
        return None
    try:
        return Credentials.from_secret(secret)
    except (ValueError, TypeError):
        log.warning("stored feed credentials are unreadable; ignoring them")
        return None


def save_credentials(url: str, credentials: Credentials) -> bool:
    """Store in the keyring; False where no keyring works (the caller keeps them in memory only)."""
    try:
        import keyring
        keyring.set_password(SERVICE, keyring_key(url), credentials.to_secret())
        return True
    except Exception as exc:  # noqa: BLE001
        log.info("keyring unavailable (%s): credentials kept for this session only", type(exc).__name__)
        return False


def delete_credentials(url: str) -> bool:
    try:
        import keyring
        keyring.delete_password(SERVICE, keyring_key(url))
        return True
    except Exception:  # noqa: BLE001 - nothing stored, or no keyring
        return False
