"""MQTT feed URLs: `mqtt[s][5]://[user[:password]@]host[:port]/topic/#?qos=1&version=5&silent=60&client_id=X`.

The topic is the whole path (wildcards `+` and `#` included: `#` is not a URL fragment here); several
topics can be joined with `,`. A password in the URL is taken out of `url` (it never reaches a project
file) and kept only in the returned Credentials.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from app.sources.credentials import Credentials
from app.sources.readings import FeedError

OPTIONS = ("qos", "version", "v", "silent", "client_id", "keepalive", "clean")


@dataclass
class MqttTarget:
    url: str                 # without the password
    host: str
    port: int
    topics: list[str]
    tls: bool
    version: int             # 4 (3.1.1) or 5
    qos: int
    silent_after: float      # seconds without messages before a subscription counts as silent
    client_id: str
    keepalive: int
    clean: bool              # True: no broker session (QoS 1 messages sent while away are lost)
    credentials: Credentials | None


def _int(url: str, query: dict[str, list[str]], name: str, default: int, lo: int, hi: int) -> int:
    if name not in query:
        return default
    text = query[name][-1]
    try:
        value = int(text)
    except ValueError:
        raise FeedError(url, f"{name} must be a whole number, not {text!r}") from None
    if not lo <= value <= hi:
        raise FeedError(url, f"{name} must be between {lo} and {hi}")
    return value


def parse_mqtt_url(url: str, require_topic: bool = True) -> MqttTarget:
    """Raises FeedError with a reason; a publisher's broker URL needs no topic."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("mqtt", "mqtts", "mqtt5", "mqtts5"):
        raise FeedError(url, "an MQTT URL starts with mqtt:// or mqtts://")
    netloc, _, path = rest.partition("/")
    path, _, query_text = path.partition("?")
    query = parse_qs(query_text, keep_blank_values=True)
    unknown = set(query) - set(OPTIONS)
    if unknown:
        raise FeedError(url, f"unknown option {sorted(unknown)[0]!r} (known: {', '.join(OPTIONS)})")
    creds = None
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, _, password = userinfo.partition(":")
        creds = Credentials(username=unquote(user) or None, password=unquote(password) or None)
    tls = scheme.startswith("mqtts")
    host, port = hostport, 8883 if tls else 1883
    if hostport.startswith("["):  # [ipv6]:port
        host, _, tail = hostport[1:].partition("]")
        if tail.startswith(":"):
            port = _port(url, tail[1:])
    elif ":" in hostport:
        host, _, port_text = hostport.rpartition(":")
        port = _port(url, port_text)
    if not host:
        raise FeedError(url, "no broker host")
    topics = [t for t in (unquote(p).strip() for p in path.split(",")) if t]
    if not topics and require_topic:
        raise FeedError(url, "no topic: add one after the host, e.g. mqtt://host:1883/city/#")
    for t in topics:
        if "#" in t[:-1] or (t.endswith("#") and len(t) > 1 and t[-2] != "/"):
            raise FeedError(url, f"topic {t!r}: '#' may only be the last level")
    version = 5 if scheme.endswith("5") else 4
    if "version" in query or "v" in query:
        v = (query.get("version") or query["v"])[-1]
        if v not in ("3", "3.1.1", "4", "5"):
            raise FeedError(url, f"version must be 3.1.1 or 5, not {v!r}")
        version = 5 if v == "5" else 4
    silent = 60.0
    if "silent" in query:
        try:
            silent = float(query["silent"][-1])
        except ValueError:
            raise FeedError(url, "silent must be seconds") from None
        if not 0.1 <= silent <= 86_400:
            raise FeedError(url, "silent must be between 0.1 and 86,400 seconds")
    client_id = query.get("client_id", [""])[-1]
    clean = query.get("clean", ["0"])[-1] in ("1", "true", "yes")
    tail = (f"/{path}" if path else "") + (f"?{query_text}" if query_text else "")
    safe_url = f"{scheme}://{hostport}{tail}"
    if creds and creds.username and not creds.password:  # a user name alone is no secret
        safe_url = f"{scheme}://{userinfo}@{hostport}{tail}"
    return MqttTarget(safe_url, host, port, topics, tls, version, _int(url, query, "qos", 1, 0, 2), silent,
                      client_id, _int(url, query, "keepalive", 30, 5, 3600), clean, creds)


def _port(url: str, text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise FeedError(url, f"port must be a number, not {text!r}") from None
    if not 1 <= port <= 65535:
        raise FeedError(url, f"port {port} is out of range")
    return port
