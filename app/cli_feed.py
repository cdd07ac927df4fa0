"""`twinscape feed listen|simulate|record|replay`: live feeds from the command line, headless (no Qt).

Bad input (a bad URL, an unreachable broker, a refused login) ends in `error: URL: reason` on stderr and
exit 2, never a traceback (--debug shows one). Summaries are one JSON line on stdout.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from typing import Any

from app.sources.credentials import Credentials, load_credentials
from app.sources.feed import FeedError, FeedMapping, describe_url, open_feed

EXIT_BAD_INPUT = 2
DRAIN_EVERY_S = 0.1  # the GUI's 10 Hz: latency is measured as the view would see it
PASSWORD_ENV = "TWINSCAPE_FEED_PASSWORD"


def _error(url: str, reason: str) -> None:
    print(f"error: {url}: {reason}", file=sys.stderr, flush=True)


def _bounded(lo: float, hi: float, kind: type = float):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, not '{text}'") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo:,g} and {hi:,g}, not {text}")
        return value
    return parse


def _add_login(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("login and TLS (the password comes from $TWINSCAPE_FEED_PASSWORD or the keyring)")
    g.add_argument("--user", metavar="NAME", help="user name for the broker or server")
    g.add_argument("--ca", metavar="FILE", help="CA certificate (PEM) for mqtts://")
    g.add_argument("--cert", metavar="FILE", help="client certificate (PEM)")
    g.add_argument("--key", metavar="FILE", help="client key (PEM)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="twinscape feed", description="Live sensor feeds: listen to, simulate, "
                                "record and replay MQTT / SensorThings / recorded feeds.")
    sub = p.add_subparsers(dest="action", required=True, metavar="{listen,simulate,record,replay}")

    lis = sub.add_parser("listen", help="receive a feed and report counts and latency")
    lis.add_argument("url", metavar="URL", help="mqtt://host:port/topic/#, mqtts://..., sta+http://host/v1.1, "
                                                "sim://demo or a .jsonl/.csv recording")
    lis.add_argument("--duration", type=_bounded(0.1, 86_400), default=10.0, metavar="S", help="seconds (default 10)")
    lis.add_argument("--json", action="store_true", help="print only the summary, as one JSON line")
    lis.add_argument("--mapping", metavar="FILE.json", help="a feed mapping (FeedMapping.to_dict) for the messages")
    _add_login(lis)

    sim = sub.add_parser("simulate", help="publish simulated city sensors to a broker")
    sim.add_argument("--broker", required=True, metavar="URL", help="mqtt://host:port")
    sim.add_argument("--topic", default="city", metavar="PREFIX", help="topic prefix (default city)")
    sim.add_argument("--sensors", type=_bounded(1, 1_000_000, int), default=40, metavar="N")
    sim.add_argument("--rate", type=_bounded(0.1, 100_000), default=100.0, metavar="MSG_PER_S")
    sim.add_argument("--duration", type=_bounded(0.1, 86_400), default=10.0, metavar="S")
    sim.add_argument("--qos", type=int, choices=(0, 1), default=1)
    sim.add_argument("--seed", type=int, default=13)
    _add_login(sim)

    rec = sub.add_parser("record", help="record a feed to a .jsonl or .csv file (personal fields never in clear)")
    rec.add_argument("url", metavar="URL")
    rec.add_argument("-o", "--output", required=True, metavar="FILE")
    rec.add_argument("--duration", type=_bounded(0.1, 7 * 86_400), default=None, metavar="S",
                     help="seconds (default: until Ctrl-C)")
    rec.add_argument("--mapping", metavar="FILE.json")
    _add_login(rec)

    rep = sub.add_parser("replay", help="publish a recording to a broker at its recorded pace")
    rep.add_argument("file", metavar="FILE", help="a .jsonl or .csv recording")
    rep.add_argument("--broker", required=True, metavar="URL")
    rep.add_argument("--topic", default="replay", metavar="PREFIX")
    rep.add_argument("--speed", type=_bounded(0.1, 100), default=1.0, metavar="X", help="0.1-100 (default 1)")
    rep.add_argument("--retime", action="store_true", help="stamp readings with today's time (same pace)")
    _add_login(rep)
    return p


def _credentials(args: argparse.Namespace, url: str) -> Credentials | None:
    stored = load_credentials(url) if describe_url(url) in ("mqtt", "sensorthings") else None
    given = Credentials(username=args.user, password=os.environ.get(PASSWORD_ENV) or None, ca_file=args.ca,
                        cert_file=args.cert, key_file=args.key)
    if not any((given.username, given.password, given.ca_file, given.cert_file, given.key_file)):
        return stored
    return given.merged(stored)


def _mapping(args: argparse.Namespace) -> FeedMapping | None:
    if not getattr(args, "mapping", None):
        return None
    try:
        with open(args.mapping, encoding="utf-8") as f:
            return FeedMapping.from_dict(json.load(f))
    except OSError as exc:
        raise FeedError(args.mapping, exc.strerror or str(exc)) from None
    except ValueError as exc:
        raise FeedError(args.mapping, f"not a feed mapping: {exc}") from None


def _started(url: str, args: argparse.Namespace):
    feed = open_feed(url, _mapping(args), credentials=_credentials(args, url))
    feed.start()
    if not feed.wait_ready(8.0):
        feed.stop()
        raise FeedError(feed.url, feed.stats.message or "no answer from the server")
    return feed


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))
    return round(values[k], 2)


def cmd_listen(args: argparse.Namespace) -> int:
    feed = _started(args.url, args)
    latencies: list[float] = []
    ids: set[str] = set()
    with_latency = describe_url(args.url) != "replay"
    end = time.monotonic() + args.duration
    try:
        while time.monotonic() < end and not getattr(feed, "finished", False):
            time.sleep(min(DRAIN_EVERY_S, max(0.0, end - time.monotonic())))
            now_wall, now_mono = time.time(), time.monotonic()
            for r in feed.drain(1_000_000):
                ids.add(r.sensor_id)
                receive_wall = now_wall - (now_mono - r.received)
                if with_latency and abs(r.time - receive_wall) > 1e-4:  # a timestamp from the message
                    latencies.append((now_wall - r.time) * 1000.0)
                if not args.json:
                    values = ", ".join(f"{k}={v:g}{(' ' + r.units[k]) if k in r.units else ''}"
                                       for k, v in r.values.items())
                    print(f"{time.strftime('%H:%M:%S', time.gmtime(r.time))} {r.sensor_id} {values}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
    s = feed.stats
    summary: dict[str, Any] = {"url": feed.url, "received": s.received, "malformed": s.malformed, "dropped": s.dropped,
                               "unknown": s.unknown, "refused": s.refused,
                               "sensors": max(len(ids), len(feed.sensors())),
                               "latency_ms_p50": _percentile(latencies, 50), "latency_ms_p99": _percentile(latencies, 99),
                               "state": s.state, "message": s.message}
    print(json.dumps(summary, ensure_ascii=False) if args.json else
          f"{s.received:,} received, {s.malformed:,} malformed, {s.dropped:,} dropped, {summary['sensors']:,} sensors, "
          f"latency p50 {summary['latency_ms_p50']} ms, p99 {summary['latency_ms_p99']} ms", flush=True)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from app.sources.publish import MqttPublisher
    from app.sources.simulator import CitySimulator

    sim = CitySimulator(args.sensors, args.seed)
    pub = MqttPublisher(args.broker, credentials=_credentials(args, args.broker))
    prefix = args.topic.strip("/") or "city"
    topics = [f"{prefix}/{s.type}/{s.id}" for s in sim.sensors]
    sent, t0, total = 0, time.monotonic(), max(1, round(args.duration * args.rate))
    try:
        while sent < total:
            due = min(int((time.monotonic() - t0) * args.rate) + 1, total)
            while sent < due:
                i = sent % len(sim.sensors)
                pub.publish(topics[i], sim.message(i, time.time(), sent), qos=args.qos)
                sent += 1
            time.sleep(min(0.005, max(0.0, (sent / args.rate) - (time.monotonic() - t0))))
    except KeyboardInterrupt:
        pass
    finally:
        pub.flush(10.0)
        pub.close()
    wall = time.monotonic() - t0
    print(json.dumps({"sent": sent, "duration_s": round(wall, 3), "rate": round(sent / wall, 1) if wall else None,
                      "sensors": args.sensors, "topic": f"{prefix}/#"}), flush=True)
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from app.sources.recording import RecordingWriter

    try:
        writer = RecordingWriter(args.output)
    except ValueError as exc:
        raise FeedError(args.output, str(exc)) from None
    except OSError as exc:
        raise FeedError(args.output, exc.strerror or str(exc)) from None
    feed = _started(args.url, args)
    end = time.monotonic() + args.duration if args.duration else math.inf
    try:
        with writer:
            while time.monotonic() < end and not getattr(feed, "finished", False):
                time.sleep(min(DRAIN_EVERY_S, max(0.0, end - time.monotonic())))
                writer.write(feed.drain(1_000_000))
            feed.stop()
            writer.write(feed.drain(1_000_000))
    except KeyboardInterrupt:
        feed.stop()
    s = feed.stats
    print(json.dumps({"recorded": writer.count, "file": str(args.output), "malformed": s.malformed,
                      "dropped": s.dropped, "state": s.state}, ensure_ascii=False), flush=True)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from app.sources.publish import MqttPublisher
    from app.sources.recording import reading_to_record
    from app.sources.replay import ReplayFeed

    feed = ReplayFeed(args.file, speed=args.speed)
    pub = MqttPublisher(args.broker, credentials=_credentials(args, args.broker))
    prefix = args.topic.strip("/") or "replay"
    shift = None
    feed.start()
    try:
        while True:
            done = feed.finished or not feed.running
            for r in feed.drain(100_000):
                rec = reading_to_record(r)
                if args.retime:
                    shift = time.time() - r.time if shift is None else shift
                    rec["time"] = round(r.time + shift, 3)
                pub.publish(f"{prefix}/{r.sensor_id}", rec)
            if done:
                break
            time.sleep(0.01)
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
        pub.flush(10.0)
        pub.close()
    print(json.dumps({"sent": pub.sent, "malformed": feed.stats.malformed, "speed": args.speed}), flush=True)
    return 0


COMMANDS = {"listen": cmd_listen, "simulate": cmd_simulate, "record": cmd_record, "replay": cmd_replay}


def run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.action](args)
    except FeedError as exc:
        _error(exc.url, exc.reason)
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user without --debug
        target = getattr(args, "url", None) or getattr(args, "file", None) or getattr(args, "broker", "feed")
        _error(target, f"internal error: {type(exc).__name__}: {exc}")
        if args.debug:
            traceback.print_exc()
    return EXIT_BAD_INPUT
