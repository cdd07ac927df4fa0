"""Personal fields (person id, plate number, phone id) become a salted hash that cannot be reversed
outside this process: the salt is random per process and lives only in memory (never written).

The same clear value maps to the same pseudonym within one run, so a vehicle still makes one track;
across runs (or in a recording replayed later) the pseudonyms cannot be linked back to the clear value.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

_SALT = secrets.token_bytes(32)
PREFIX = "anon-"


def pseudonym(value: object) -> str:
    """`anon-` + 16 hex digits of HMAC-SHA256(per-process salt, value)."""
    digest = hmac.new(_SALT, str(value).encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:16]


def is_pseudonym(text: str) -> bool:
    return text.startswith(PREFIX) and len(text) == len(PREFIX) + 16
