"""Result layers: placed in the scene frame, time-aware only with several steps, values at the clock's
time blended linearly between steps (nearest where a step is NaN or the array is integer)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from app.model.results import ResultLayer
from app.model.scene import Scene
from loaders.base import Georef
from loaders.results_base import ResultData

T0 = datetime(2026, 12, 21, 1, 0, tzinfo=timezone.utc)


def series(times: list[float] | None = None, absolute: bool = True) -> ResultData:
    pts = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    steps = [{"depth": np.array([0.0, 1.0, np.nan]), "cls": np.array([1, 1, 1])},
             {"depth": np.array([2.0, 3.0, 4.0]), "cls": np.array([2, 2, 2])}]
    if times is None:
        times = [T0.timestamp(), T0.timestamp() + 3600]
    return ResultData(name="r", kind="simulation", format="test", georef=Georef(), points=pts, steps=steps,
                      times=np.array(times), times_absolute=absolute, units={"depth": "m"})


def layer_of(data: ResultData) -> ResultLayer:
    [layer] = Scene().make_layers(data)
    assert isinstance(layer, ResultLayer)
    return layer


def test_values_follow_the_time_linearly_with_nan_and_integers_nearest() -> None:
    layer = layer_of(series())
    assert layer.time_aware and layer.color_mode == "depth" and layer.unit("depth") == "m"
    quarter = T0 + timedelta(minutes=15)
    v = layer.values_at(quarter)
    assert v[:2] == pytest.approx([0.5, 1.5])
    assert np.isnan(v[2])  # the nearer step (the first) has no value there
    assert layer.values_at(T0 + timedelta(minutes=45))[2] == pytest.approx(4.0)
    assert layer.values_at(quarter, "cls")[0] == 1 and layer.values_at(T0 + timedelta(minutes=40), "cls")[0] == 2
    assert layer.values_at(T0 - timedelta(days=1))[1] == 1.0  # before the first step: the first
    assert layer.values_at(T0 + timedelta(days=1))[1] == 3.0  # after the last: the last
    assert layer.data_range("depth") == (0.0, 4.0)
    assert layer.step_label(quarter) == "between steps 1 and 2 (25%)"


def test_relative_times_count_from_the_time_origin() -> None:
    layer = layer_of(series([0.0, 600.0], absolute=False))
    assert layer.epochs() is None and layer.values_at(T0)[1] == 1.0  # no origin yet: the first step
    layer.time_origin = T0.isoformat()
    assert layer.span() == (T0, T0 + timedelta(minutes=10))
    assert layer.values_at(T0 + timedelta(minutes=5))[0] == pytest.approx(1.0)


def test_single_step_is_not_time_aware_and_state_round_trips() -> None:
    data = series()
    data.steps, data.times = data.steps[:1], None
    layer = layer_of(data)
    assert not layer.time_aware
    layer.cmap, layer.representation, layer.height_by = "water", "points", "depth"
    again = ResultLayer.from_state(layer.get_state(), layer.data)
    assert (again.cmap, again.representation, again.height_by, again.color_mode) == ("water", "points", "depth", "depth")
    odd = ResultLayer.from_state({**layer.get_state(), "cmap": "nope", "representation": "x", "color_mode": "zz"}, layer.data)
    assert (odd.cmap, odd.representation, odd.color_mode) == ("viridis", "surface", "depth")
