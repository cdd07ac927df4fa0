"""Live-feed throughput and latency (`make bench`): 1,000 sensors at 1,000 msg/s through a real Mosquitto
for 5 s, published by `twinscape feed simulate` and received by `twinscape feed listen`, each in its own
process as in the README's command. Target (issue 13): at least 99% received, p99 message-to-drain latency
under 250 ms (the listener drains at the GUI's 10 Hz, so the drain wait is included)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.broker import broker  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parents[2]
SENSORS, RATE, DURATION = 1000, 1000, 5.0


def _twinscape(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app", "feed", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("qos", [1, 0])
def test_1000_sensors_at_1000_msg_per_s(broker, qos: int) -> None:
    listen = _twinscape("listen", broker.url("city/#") + f"?qos={qos}", "--duration", str(DURATION + 4), "--json")
    time.sleep(2.5)  # the listener is up and subscribed (Python start-up included)
    sim = _twinscape("simulate", "--broker", broker.url(), "--topic", "city", "--sensors", str(SENSORS),
                     "--rate", str(RATE), "--duration", str(DURATION), "--qos", str(qos))
    sim_out, sim_err = sim.communicate(timeout=60)
    out, err = listen.communicate(timeout=60)
    assert sim.returncode == 0 and listen.returncode == 0, sim_err + err
    sent = json.loads(sim_out.splitlines()[-1])
    heard = json.loads(out.splitlines()[-1])
    share = heard["received"] / sent["sent"]
    print(f"\nfeed throughput (QoS {qos}): sent {sent['sent']:,} in {sent['duration_s']} s ({sent['rate']} msg/s), "
          f"received {heard['received']:,} ({share:.2%}), malformed {heard['malformed']}, dropped {heard['dropped']}, "
          f"sensors {heard['sensors']}, latency p50 {heard['latency_ms_p50']} ms, p99 {heard['latency_ms_p99']} ms")
    assert sent["sent"] == SENSORS * RATE // 1000 * DURATION
    assert share >= 0.99 and heard["sensors"] == SENSORS
    assert heard["latency_ms_p99"] < 250
