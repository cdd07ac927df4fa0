"""OGC SensorThings API 1.1 feed: metadata over HTTP (Things, Locations, Datastreams with their
unitOfMeasurement and ObservedProperty, following `@iot.nextLink` pages and navigation links), then new
Observations over the MQTT binding (`v1.1/Datastreams(id)/Observations`) when the server offers one,
else by HTTP polling.

URL: `sta+http://host:port/path/v1.1[?mqtt=mqtt://broker:1883|off][&poll=S][&silent=S]`. One sensor per
Datastream, id `Datastreams(<id>)`, its quantity named after the ObservedProperty, positioned at the
Thing's Location (GeoJSON lon/lat[/h], EPSG:4979).
"""
from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urljoin

from app.sources.base import BaseFeed
from app.sources.credentials import Credentials, split_credentials
from app.sources.mapping import FeedMapping, Malformed, SensorInfo, UnknownSensor
from app.sources.readings import FeedError, finite

MAX_BYTES = 50_000_000
MAX_PAGES = 2_000
MAX_DATASTREAMS = 100_000
HTTP_TIMEOUT_S = 10.0
OPTIONS = ("mqtt", "poll", "silent")


def ds_key(ds_id: Any) -> str:
    """The OData key form used in paths and MQTT topics: Datastreams(5) or Datastreams('abc')."""
    return f"Datastreams({ds_id})" if isinstance(ds_id, int) else f"Datastreams('{ds_id}')"


def _point(location: Any) -> tuple[float, float, float] | None:
    """lon, lat, h from a GeoJSON Point (bare geometry or inside a Feature)."""
    if isinstance(location, dict) and location.get("type") == "Feature":
        location = location.get("geometry")
    if not isinstance(location, dict) or location.get("type") != "Point":
        return None
    c = location.get("coordinates")
    if not isinstance(c, list) or len(c) < 2:
        return None
    vals = [finite(v) for v in c[:3]]
    if any(v is None for v in vals):
        return None
    lon, lat = vals[0], vals[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat, vals[2] if len(vals) > 2 else 0.0


class SensorThingsFeed(BaseFeed):
    kind_name = "SensorThings feed"

    def __init__(self, url: str, mapping: FeedMapping | None = None, *, credentials: Credentials | None = None,
                 queue_size: int = 50_000) -> None:
        url, in_url = split_credentials(url)
        credentials = (credentials or Credentials()).merged(in_url) if (credentials or in_url) else None
        scheme, sep, rest = url.partition("://")
        if scheme.lower() not in ("sta+http", "sta+https") or not rest.split("/")[0]:
            raise FeedError(url, "a SensorThings URL looks like sta+http://host:port/v1.1")
        rest, _, query_text = rest.partition("?")
        q = parse_qs(query_text)
        unknown = set(q) - set(OPTIONS)
        if unknown:
            raise FeedError(url, f"unknown option {sorted(unknown)[0]!r} (known: {', '.join(OPTIONS)})")
        super().__init__(url, mapping, queue_size)
        self.base = f"{scheme.lower()[4:]}://{rest.rstrip('/')}"
        self.version = self.base.rsplit("/", 1)[-1] if self.base.rsplit("/", 1)[-1].startswith("v1.") else "v1.1"
        self.mqtt_override = q.get("mqtt", [""])[-1]
        self.poll_s = self._seconds(url, q, "poll", 10.0)
        self.silent_s = self._seconds(url, q, "silent", 900.0)
        self.credentials = credentials
        self.datastreams: dict[str, dict] = {}  # sensor id -> datastream JSON (with its Thing's position)
        self.mqtt_endpoint: str | None = None
        self._inner = None

    @staticmethod
    def _seconds(url: str, q: dict, name: str, default: float) -> float:
        if name not in q:
            return default
        v = finite(q[name][-1])
        if v is None or not 0.05 <= v <= 86_400:
            raise FeedError(url, f"{name} must be seconds between 0.05 and 86,400")
        return v

    # -- HTTP ----------------------------------------------------------------------------------
    def _get(self, url: str) -> Any:
        req = urllib.request.Request(url, headers={"Accept": "application/json"})
        c = self.credentials
        if c and c.username:
            token = base64.b64encode(f"{c.username}:{c.password or ''}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:  # noqa: S310 - user-given server
            body = resp.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise Malformed(f"response over {MAX_BYTES // 1_000_000} MB")
        try:
            return json.loads(body)
        except ValueError:
            raise Malformed("response is not JSON") from None

    def _link(self, link: str) -> str:
        """Navigation links may be relative to the service root (the 1.1 examples' `Things(1)/Locations`)."""
        return urljoin(self.base + "/", link)

    def _collection(self, url: str) -> Iterator[dict]:
        pages = 0
        while url and pages < MAX_PAGES and not self._stop.is_set():
            doc = self._get(url)
            pages += 1
            if not isinstance(doc, dict) or not isinstance(doc.get("value", []), list):
                raise Malformed("collection without a 'value' list")
            yield from (v for v in doc.get("value", []) if isinstance(v, dict))
            nxt = doc.get("@iot.nextLink")
            url = self._link(nxt) if isinstance(nxt, str) else ""

    def _related(self, entity: dict, name: str, many: bool) -> list[dict]:
        """An expanded (inline, maybe paged) or navigated related entity set."""
        inline = entity.get(name)
        if many and isinstance(inline, list):
            items = [v for v in inline if isinstance(v, dict)]
            nxt = entity.get(f"{name}@iot.nextLink")
            return items + (list(self._collection(self._link(nxt))) if isinstance(nxt, str) else [])
        if not many and isinstance(inline, dict):
            return [inline]
        link = entity.get(f"{name}@iot.navigationLink")
        if not isinstance(link, str):
            return []
        if many:
            return list(self._collection(self._link(link)))
        doc = self._get(self._link(link))
        return [doc] if isinstance(doc, dict) else []

    # -- metadata ------------------------------------------------------------------------------
    def load_metadata(self) -> None:
        landing = self._get(self.base)
        self.mqtt_endpoint = self._find_mqtt(landing)
        expand = urlencode({"$expand": "Locations,Datastreams($expand=ObservedProperty)"})
        for thing in self._collection(f"{self.base}/Things?{expand}"):
            locations = self._related(thing, "Locations", True)
            position = next((p for p in (_point(loc.get("location")) for loc in locations) if p), None)
            for ds in self._related(thing, "Datastreams", True):
                if len(self.datastreams) >= MAX_DATASTREAMS or "@iot.id" not in ds:
                    continue
                props = self._related(ds, "ObservedProperty", False)
                prop = str((props[0].get("name") if props else None) or ds.get("name") or "value")[:64]
                uom = ds.get("unitOfMeasurement") if isinstance(ds.get("unitOfMeasurement"), dict) else {}
                unit = str(uom.get("symbol") or uom.get("name") or "")[:32]
                sid = ds_key(ds["@iot.id"])
                self.datastreams[sid] = {"id": ds["@iot.id"], "quantity": prop, "unit": unit, "position": position}
                info = SensorInfo(sid, f"{thing.get('name', '')} · {ds.get('name', '')}"[:200],
                                  str(ds.get("description", ""))[:500], {prop: unit} if unit else {}, prop,
                                  position, "EPSG:4979" if position else None, "sensor")
                with self._sensors_lock:
                    self._sensors[sid] = info

    def _find_mqtt(self, landing: Any) -> str | None:
        if self.mqtt_override:
            return None if self.mqtt_override == "off" else self.mqtt_override
        settings = landing.get("serverSettings") if isinstance(landing, dict) else None
        if not isinstance(settings, dict):
            return None
        for key, value in settings.items():
            if "mqtt" in key.lower() and isinstance(value, dict):
                for ep in value.get("endpoints", []):
                    if isinstance(ep, str) and ep.lower().startswith(("mqtt://", "mqtts://")):
                        return ep
        return None

    def _mapping_for(self, sid: str) -> FeedMapping:
        d = self.datastreams[sid]
        return FeedMapping(id_path="$topic[1]", time_path="phenomenonTime", values_path="",
                           value_paths={d["quantity"]: "result"}, units={d["quantity"]: d["unit"]} if d["unit"] else {},
                           positions={sid: list(d["position"])} if d["position"] else {}, meta_paths={},
                           lon_path="", lat_path="", x_path="", y_path="", position_path="", kind_path="")

    # -- the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                self.load_metadata()
                break
            except urllib.error.HTTPError as exc:
                self._problem(f"SensorThings server answered HTTP {exc.code} ({exc.reason})")
            except urllib.error.URLError as exc:
                self._problem(f"cannot reach SensorThings server: {getattr(exc.reason, 'strerror', None) or exc.reason}")
            except (Malformed, OSError, ValueError) as exc:
                self._problem(f"SensorThings metadata unreadable: {exc}")
            self.stats.state = "error"
            self._ready.set()
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, 60.0)
        if self._stop.is_set():
            return
        if self.mqtt_endpoint:
            self._follow_mqtt()
        else:
            self._poll()

    def _follow_mqtt(self) -> None:
        from app.sources.mqtt import MqttFeed

        topics = {f"{self.version}/{sid}/Observations": sid for sid in self.datastreams}
        if not topics:
            self.stats.state = "connected"
            self._problem("the server lists no Datastreams")
            self._ready.set()
            self._stop.wait()
            return
        endpoint = self.mqtt_endpoint.rstrip("/") + "/" + next(iter(topics)) + f"?silent={self.silent_s:g}"
        inner = MqttFeed(endpoint, credentials=self.credentials, topics=list(topics),
                         topic_mappings={t: self._mapping_for(sid) for t, sid in topics.items()})
        inner.stats, inner._queue, inner._stop, inner._ready = self.stats, self._queue, self._stop, self._ready
        inner._sensors, inner._sensors_lock = self._sensors, self._sensors_lock
        self._inner = inner
        try:
            inner._run()
        finally:
            inner._thread = None
            inner._close()

    def _poll(self) -> None:
        self.stats.state = "connected"
        self._ready.set()
        last: dict[str, float] = {}
        while not self._stop.is_set():
            for sid in list(self.datastreams):
                if self._stop.is_set():
                    return
                self._poll_one(sid, last)
            self._stop.wait(self.poll_s)

    def _poll_one(self, sid: str, last: dict[str, float]) -> None:
        query = urlencode({"$orderby": "phenomenonTime desc", "$top": "100"})
        mapping = self._mapping_for(sid)
        try:
            doc = self._get(f"{self.base}/{sid}/Observations?{query}")
        except (urllib.error.URLError, OSError, Malformed) as exc:
            self._problem(f"polling {sid}: {getattr(exc, 'reason', None) or exc}")
            return
        values = doc.get("value") if isinstance(doc, dict) else None
        if not isinstance(values, list):
            self.stats.malformed += 1
            return
        fresh = []
        for obs in values:
            try:
                (r,) = mapping.parse(obs, f"{self.version}/{sid}/Observations", time.time(), time.monotonic())
            except (Malformed, UnknownSensor) as exc:
                self.stats.malformed += 1
                self._problem(f"malformed observation: {exc}")
                continue
            if r.time > last.get(sid, float("-inf")):
                fresh.append(r)
        for r in sorted(fresh, key=lambda r: r.time):
            self._put(r)
        if fresh:
            last[sid] = max(r.time for r in fresh)
