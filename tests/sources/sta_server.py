"""A local SensorThings 1.1 HTTP server for tests (http.server, port 0, its own thread), answering with
JSON shaped as the OGC 18-088 (1.1) examples: entities with `@iot.id`, `@iot.selfLink` and relative
navigation links (`Things(1)/Locations`), collections `{"value": [...], "@iot.nextLink": ...}` paged two
at a time, a landing page whose serverSettings list the MQTT endpoint (or none, for polling)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = 2
MQTT_CONFORMANCE = "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/observations-creation"

THINGS = [  # (name, description, lon, lat, [(datastream name, property, unit name, symbol)])
    ("Air station Jianghan Rd", "PM2.5 and NO2 on a light pole.", 114.3058, 30.5931,
     [("pm25 at Jianghan Rd", "PM2.5", "microgram per cubic metre", "ug/m3"),
      ("no2 at Jianghan Rd", "NO2", "microgram per cubic metre", "ug/m3")]),
    ("Car park North", "Occupancy counter.", 114.3049, 30.5939, [("occupancy North", "Occupancy", "percent", "%")]),
    ("Oven", "This thing is an oven.", 114.3061, 30.5921,
     [("oven temperature", "DewPoint Temperature", "degree Celsius", "°C")]),
]


class StaServer:
    def __init__(self, mqtt_endpoint: str | None) -> None:
        self.mqtt_endpoint = mqtt_endpoint
        self.observations: dict[int, list[dict]] = {}
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self.root = f"http://127.0.0.1:{self.port}/v1.1"
        self.entities = self._build()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"sta+http://127.0.0.1:{self.port}/v1.1"

    def _build(self) -> dict[str, object]:
        e: dict[str, object] = {}
        things, ds_id, op_id = [], 0, 0
        for tid, (name, desc, lon, lat, streams) in enumerate(THINGS, start=1):
            things.append({"@iot.id": tid, "@iot.selfLink": f"{self.root}/Things({tid})",
                           "Locations@iot.navigationLink": f"Things({tid})/Locations",
                           "Datastreams@iot.navigationLink": f"Things({tid})/Datastreams",
                           "HistoricalLocations@iot.navigationLink": f"Things({tid})/HistoricalLocations",
                           "name": name, "description": desc, "properties": {"owner": "City"}})
            e[f"Things({tid})/Locations"] = [{
                "@iot.id": tid, "@iot.selfLink": f"{self.root}/Locations({tid})",
                "Things@iot.navigationLink": f"Locations({tid})/Things",
                "HistoricalLocations@iot.navigationLink": f"Locations({tid})/HistoricalLocations",
                "encodingType": "application/geo+json", "name": name, "description": desc,
                "location": {"type": "Point", "coordinates": [lon, lat]}}]
            dss = []
            for ds_name, prop, unit_name, symbol in streams:
                ds_id += 1
                op_id += 1
                dss.append({"@iot.id": ds_id, "@iot.selfLink": f"{self.root}/Datastreams({ds_id})",
                            "Thing@iot.navigationLink": f"Datastreams({ds_id})/Thing",
                            "Sensor@iot.navigationLink": f"Datastreams({ds_id})/Sensor",
                            "ObservedProperty@iot.navigationLink": f"Datastreams({ds_id})/ObservedProperty",
                            "Observations@iot.navigationLink": f"Datastreams({ds_id})/Observations",
                            "name": ds_name, "description": f"This is a datastream measuring {prop}.",
                            "unitOfMeasurement": {"name": unit_name, "symbol": symbol,
                                                  "definition": "http://unitsofmeasure.org/ucum.html#para-30"},
                            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                            "phenomenonTime": "2014-03-01T13:00:00Z/2015-05-11T15:30:00Z"})
                e[f"Datastreams({ds_id})/ObservedProperty"] = {
                    "@iot.id": op_id, "@iot.selfLink": f"{self.root}/ObservedProperties({op_id})",
                    "Datastreams@iot.navigationLink": f"ObservedProperties({op_id})/Datastreams",
                    "description": f"{prop} as measured.", "name": prop, "definition": "http://dbpedia.org/page/Dew_point"}
                self.observations[ds_id] = []
            e[f"Things({tid})/Datastreams"] = dss
        e["Things"] = things
        return e

    def add_observation(self, ds_id: int, result, when: str) -> dict:
        n = sum(len(v) for v in self.observations.values()) + 1
        obs = {"@iot.id": n, "@iot.selfLink": f"{self.root}/Observations({n})",
               "FeatureOfInterest@iot.navigationLink": f"Observations({n})/FeatureOfInterest",
               "Datastream@iot.navigationLink": f"Observations({n})/Datastream",
               "phenomenonTime": when, "resultTime": when, "result": result}
        self.observations[ds_id].append(obs)
        return obs

    def _landing(self) -> dict:
        names = ["Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors", "Observations",
                 "ObservedProperties", "FeaturesOfInterest"]
        doc = {"value": [{"name": n, "url": f"{self.root}/{n}"} for n in names],
               "serverSettings": {"conformance": ["http://www.opengis.net/spec/iot_sensing/1.1/req/request-data"]}}
        if self.mqtt_endpoint:
            doc["serverSettings"]["conformance"].append(MQTT_CONFORMANCE)
            doc["serverSettings"][MQTT_CONFORMANCE] = {"endpoints": [self.mqtt_endpoint]}
        return doc

    def answer(self, path: str, query: dict) -> tuple[int, object]:
        rel = path.split("/v1.1", 1)[-1].strip("/")
        if rel == "":
            return 200, self._landing()
        if rel.endswith("/Observations") and rel.startswith("Datastreams("):
            ds = int(rel[len("Datastreams("):rel.index(")")])
            items = sorted(self.observations.get(ds, []), key=lambda o: o["phenomenonTime"], reverse=True)
            return 200, {"value": items[: int(query.get("$top", ["100"])[0])]}
        if rel not in self.entities:
            return 404, {"code": 404, "type": "error", "message": "Nothing found."}
        value = self.entities[rel]
        if not isinstance(value, list):
            return 200, value
        skip = int(query.get("$skip", ["0"])[0])
        doc = {"@iot.count": len(value), "value": value[skip: skip + PAGE]}
        if skip + PAGE < len(value):
            doc["@iot.nextLink"] = f"{self.root}/{rel}?$top={PAGE}&$skip={skip + PAGE}"
        return 200, doc

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                server.requests.append(self.path)
                code, doc = server.answer(parts.path, parse_qs(parts.query))
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def __enter__(self) -> "StaServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
