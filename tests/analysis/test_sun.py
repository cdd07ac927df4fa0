"""Sun position: the NREL SPA paper's example, an independent textbook (NOAA) computation, the CLI."""
from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from app.analysis.sun import SunError, day_times, parse_iso, reference_day, sun_position, sun_positions, sun_vector


def test_spa_paper_example() -> None:
    """Reda & Andreas (2004), NREL/TP-560-34302, table A5.1: 2003-10-17 12:30:30 -07:00 at Golden."""
    t = datetime(2003, 10, 17, 12, 30, 30, tzinfo=timezone(timedelta(hours=-7)))
    p = sun_position(t, 39.742476, -105.1786, 1830.14, pressure_hpa=820.0, temperature_c=11.0, delta_t=67.0)
    assert p.zenith == pytest.approx(50.11162, abs=1e-4)
    assert p.azimuth == pytest.approx(194.34024, abs=1e-4)


def noaa_position(t: datetime, lat: float, lon: float) -> tuple[float, float]:
    """NOAA's spreadsheet formulas (Meeus, low accuracy) with its refraction: independent of pvlib."""
    utc = t.astimezone(timezone.utc)
    jd = utc.timestamp() / 86400.0 + 2440587.5
    c = (jd - 2451545.0) / 36525.0
    l0 = (280.46646 + c * (36000.76983 + c * 0.0003032)) % 360
    m = 357.52911 + c * (35999.05029 - 0.0001537 * c)
    e = 0.016708634 - c * (0.000042037 + 0.0000001267 * c)
    mr = math.radians(m)
    ctr = math.sin(mr) * (1.914602 - c * (0.004817 + 0.000014 * c)) + math.sin(2 * mr) * (0.019993 - 0.000101 * c) + math.sin(3 * mr) * 0.000289
    omega = 125.04 - 1934.136 * c
    lam = l0 + ctr - 0.00569 - 0.00478 * math.sin(math.radians(omega))
    eps0 = 23 + (26 + (21.448 - c * (46.815 + c * (0.00059 - c * 0.001813))) / 60) / 60
    eps = math.radians(eps0 + 0.00256 * math.cos(math.radians(omega)))
    decl = math.asin(math.sin(eps) * math.sin(math.radians(lam)))
    y = math.tan(eps / 2) ** 2
    l0r = math.radians(l0)
    eqt = 4 * math.degrees(y * math.sin(2 * l0r) - 2 * e * math.sin(mr) + 4 * e * y * math.sin(mr) * math.cos(2 * l0r)
                           - 0.5 * y * y * math.sin(4 * l0r) - 1.25 * e * e * math.sin(2 * mr))
    minutes = utc.hour * 60 + utc.minute + utc.second / 60
    tst = (minutes + eqt + 4 * lon) % 1440
    ha = math.radians(tst / 4 - 180 if tst / 4 >= 0 else tst / 4 + 180)
    latr = math.radians(lat)
    cz = math.sin(latr) * math.sin(decl) + math.cos(latr) * math.cos(decl) * math.cos(ha)
    zen = math.degrees(math.acos(max(-1.0, min(1.0, cz))))
    el = 90 - zen
    if el > 85:
        refr = 0.0
    elif el > 5:
        te = math.tan(math.radians(el))
        refr = 58.1 / te - 0.07 / te ** 3 + 0.000086 / te ** 5
    elif el > -0.575:
        refr = 1735 + el * (-518.2 + el * (103.4 + el * (-12.79 + el * 0.711)))
    else:
        refr = -20.772 / math.tan(math.radians(el))
    el += refr / 3600
    az = math.degrees(math.acos(max(-1.0, min(1.0, ((math.sin(latr) * cz) - math.sin(decl)) / (math.cos(latr) * math.sin(math.radians(zen)))))))
    az = (az + 180) % 360 if ha > 0 else (540 - az) % 360
    return az, el


@pytest.mark.parametrize("place", [(30.5928, 114.3055, "Asia/Shanghai"), (52.37, 4.89, "Europe/Amsterdam"), (-33.87, 151.21, "Australia/Sydney")])
def test_agrees_with_an_independent_computation(place: tuple[float, float, str]) -> None:
    from zoneinfo import ZoneInfo

    lat, lon, zone = place
    times = [datetime(2026, m, d, h, 17, tzinfo=ZoneInfo(zone)) for m, d in ((1, 20), (3, 21), (6, 21), (12, 22)) for h in (8, 11, 14, 17)]
    got = sun_positions(times, lat, lon, pressure_hpa=1010.0, temperature_c=10.0)
    checked = 0
    for t, p in zip(times, got):
        az, el = noaa_position(t, lat, lon)
        if el < 5:  # the textbook refraction is coarse near the horizon
            continue
        checked += 1
        assert p.elevation == pytest.approx(el, abs=0.05), t
        assert (p.azimuth - az + 180) % 360 - 180 == pytest.approx(0.0, abs=0.05), t
    assert checked >= 8


def test_naive_times_are_refused_and_zones_respected() -> None:
    with pytest.raises(SunError, match="no time zone"):
        sun_positions([datetime(2026, 12, 22, 12)], 30.6, 114.3)
    a = sun_position(parse_iso("2026-12-22T12:00+08:00"), 30.6, 114.3)
    b = sun_position(parse_iso("2026-12-22T04:00Z"), 30.6, 114.3)
    assert a.azimuth == pytest.approx(b.azimuth) and a.elevation == pytest.approx(b.elevation)
    assert 170 < a.azimuth < 185 and 34 < a.elevation < 37  # Wuhan, noon on the solstice: 90 - 30.6 - 23.4
    with pytest.raises(SunError, match="latitude"):
        sun_positions([parse_iso("2026-12-22T04:00Z")], 91, 0)
    np.testing.assert_allclose(sun_vector(90.0, 0.0), [1, 0, 0], atol=1e-12)


def test_reference_days_and_window() -> None:
    assert reference_day("winter solstice", 2026) == date(2026, 12, 22)  # 2026-12-21 20:50 UTC = Dec 22 in Beijing
    assert reference_day("winter solstice", 2026, "UTC") == date(2026, 12, 21)
    assert reference_day("great cold", 2026) == date(2026, 1, 20)
    times = day_times(date(2026, 12, 22), "Asia/Shanghai", *[datetime.strptime(s, "%H:%M").time() for s in ("08:00", "16:00")], 15)
    assert len(times) == 32 and times[0].isoformat() == "2026-12-22T08:07:30+08:00"
    with pytest.raises(SunError):
        reference_day("midsummer", 2026)


def test_cli_json_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    assert main(["sun", "--lat", "30.5928", "--lon", "114.3055", "--time", "2026-12-22T12:00+08:00", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"azimuth", "elevation"} and 34 < out["elevation"] < 37
    assert main(["sun", "--lat", "30", "--lon", "114", "--time", "noon"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: noon:") and "Traceback" not in err
