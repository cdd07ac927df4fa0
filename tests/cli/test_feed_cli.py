"""`twinscape feed listen|simulate|record|replay` against a real Mosquitto and the simulated demo."""
from __future__ import annotations

import json
import threading

import pytest

from app.cli import main
from tests.broker import broker, free_port  # noqa: F401 (fixture)


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_simulate_into_a_broker_while_listening(broker, capsys) -> None:
    result: dict = {}
    listener = threading.Thread(target=lambda: result.setdefault(
        "rc", main(["feed", "listen", broker.url("city/#"), "--duration", "2.5", "--json"])))
    listener.start()
    import time
    time.sleep(0.8)  # the listener is subscribed (QoS 1, persistent session) before publishing starts
    assert main(["feed", "simulate", "--broker", broker.url(), "--topic", "city", "--sensors", "50",
                 "--rate", "200", "--duration", "1"]) == 0
    listener.join(10)
    out = _json_lines(capsys.readouterr().out)
    sent = next(o for o in out if "sent" in o)
    heard = next(o for o in out if "received" in o)
    assert result["rc"] == 0 and sent["sent"] == 200
    assert heard["received"] == 200 and heard["sensors"] == 50 and heard["malformed"] == 0
    assert set(heard) >= {"received", "malformed", "dropped", "sensors", "latency_ms_p50", "latency_ms_p99"}
    assert 0 <= heard["latency_ms_p50"] <= heard["latency_ms_p99"]


def test_record_then_replay_to_a_broker(broker, tmp_path, capsys) -> None:
    rec = tmp_path / "demo.jsonl"
    assert main(["feed", "record", "sim://demo?history=10", "-o", str(rec), "--duration", "0.5"]) == 0
    recorded = _json_lines(capsys.readouterr().out)[0]["recorded"]
    text = rec.read_text(encoding="utf-8")
    assert recorded > 100 and len(text.splitlines()) == recorded and "鄂" not in text
    result: dict = {}
    listener = threading.Thread(target=lambda: result.setdefault(
        "rc", main(["feed", "listen", broker.url("replay/#"), "--duration", "2.5", "--json"])))
    listener.start()
    import time
    time.sleep(0.8)
    assert main(["feed", "replay", str(rec), "--broker", broker.url(), "--speed", "100", "--retime"]) == 0
    listener.join(10)
    out = _json_lines(capsys.readouterr().out)
    assert next(o for o in out if "sent" in o)["sent"] == recorded
    assert next(o for o in out if "received" in o)["received"] == recorded


def test_listen_to_the_demo_without_json_prints_readings(capsys) -> None:
    assert main(["feed", "listen", "sim://demo", "--duration", "0.3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(" aq-01 pm25=" in line and "ug/m3" in line for line in out)
    assert "received" in out[-1] and "sensors" in out[-1]


@pytest.mark.parametrize("argv, where, reason", [
    (["listen", "mqtt://127.0.0.1:{port}/x", "--duration", "1"], "mqtt://127.0.0.1:{port}/x", "cannot reach broker"),
    (["listen", "gopher://x"], "gopher://x", "not a feed URL"),
    (["listen", "mqtt://h/x?qos=7"], "mqtt://h/x?qos=7", "qos"),
    (["simulate", "--broker", "mqtt://127.0.0.1:{port}", "--duration", "1"], "mqtt://127.0.0.1:{port}", "cannot reach"),
    (["record", "sim://demo", "-o", "out.txt"], "out.txt", "jsonl or .csv"),
    (["replay", "missing.jsonl", "--broker", "mqtt://127.0.0.1:{port}"], "missing.jsonl", "not found"),
    (["listen", "sim://demo", "--mapping", "nope.json"], "nope.json", "No such file"),
])
def test_bad_input_is_one_error_line_and_exit_2(argv, where, reason, capsys) -> None:
    port = str(free_port())
    assert main(["feed"] + [a.replace("{port}", port) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {where.replace('{port}', port)}: ") and reason in err and "Traceback" not in err


def test_refused_login_exits_2(tmp_path, capsys) -> None:
    from tests.broker import Broker, need_mosquitto
    need_mosquitto()
    b = Broker(tmp_path / "b", users={"u": "right"})
    b.start()
    try:
        url = b.url("x/#")
        assert main(["feed", "listen", url, "--user", "u", "--duration", "1"]) == 2
    finally:
        b.kill()
    assert "login refused by broker" in capsys.readouterr().err
