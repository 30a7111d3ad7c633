"""Lesson 3 forecasting: exact baselines, the transforms, SARIMA on the real series, the MLP."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from practicum import data
from practicum.data.synthetic import write_airline_like
from practicum.lessons import lesson3_forecast as l3

AIRLINE_CSV = Path("/work/shared/data/airline/airline-passengers.csv")
SMALL = l3.ForecastConfig(window=13, hidden=8, ensemble=2)
SINGLE = l3.ForecastConfig(window=13, hidden=8, ensemble=1)


def periodic(years: int = 6) -> np.ndarray:
    return np.tile(np.arange(1.0, 13.0) ** 2, years)


def test_seasonal_naive_is_exact_on_a_periodic_series() -> None:
    y = periodic()
    assert l3.one_step_rmse(l3.rolling(l3.seasonal_naive), y, start=24) == 0.0
    assert l3.forecast_12_rmse(l3.seasonal_naive, y, origin=36) == 0.0
    # beyond one season it repeats the last season again
    np.testing.assert_array_equal(l3.seasonal_naive(y[:24], 30), y[24:54])


def test_persistence_on_a_ramp_is_off_by_the_slope() -> None:
    ramp = 5.0 + 3.0 * np.arange(60)
    assert l3.one_step_rmse(l3.rolling(l3.persistence), ramp, start=30) == pytest.approx(3.0)
    # 12 months ahead it is off by 3h at step h
    expected = math.sqrt(np.mean((3.0 * np.arange(1, 13)) ** 2))
    assert l3.forecast_12_rmse(l3.persistence, ramp, origin=40) == pytest.approx(expected)


def test_baseline_errors_are_one_clear_line() -> None:
    with pytest.raises(ValueError, match="needs 12 months of history, got 5"):
        l3.seasonal_naive(np.ones(5))
    with pytest.raises(ValueError, match="leaves 4 months, not 12"):
        l3.forecast_12_rmse(l3.persistence, np.ones(40), origin=36)
    with pytest.raises(ValueError, match=r"forecast has shape \(2,\) but truth has \(3,\)"):
        l3.rmse(np.ones(2), np.ones(3))


def test_log_seasonal_diff_round_trips() -> None:
    y = np.exp(np.linspace(4.0, 6.0, 48)) * (1 + 0.2 * np.sin(np.arange(48)))
    z = l3.log_seasonal_diff(y)
    assert z.shape == (36,)
    np.testing.assert_allclose(z[0], math.log(y[12] / y[0]))
    # the future's growths, applied to the past, give back the future (also beyond 12 months)
    np.testing.assert_allclose(l3.undo_log_seasonal_diff(y[:20], z[8:]), y[20:])


def test_make_windows_slides_one_step_at_a_time() -> None:
    x, t = l3.make_windows(np.arange(10.0), window=3, horizon=2)
    assert x.shape == (6, 3) and t.shape == (6, 2)
    np.testing.assert_array_equal(x[2], [2, 3, 4])
    np.testing.assert_array_equal(t[2], [5, 6])
    with pytest.raises(ValueError, match="4 values are too few for window 3 \\+ horizon 2"):
        l3.make_windows(np.arange(4.0), window=3, horizon=2)


@pytest.mark.skipif(not AIRLINE_CSV.is_file(), reason="shared airline-passengers.csv absent")
def test_sarima_on_the_real_series_matches_the_published_numbers() -> None:
    data.import_files("airline-passengers", [str(AIRLINE_CSV)])
    y = l3.load_passengers()
    assert y.shape == (144,)
    one_step = l3.one_step_rmse(l3.sarima_one_step, y)
    twelve = l3.forecast_12_rmse(l3.sarima_forecast, y)
    assert 12.5 < one_step < 15.0  # about 13.7
    assert 17.0 < twelve < 20.0  # about 18.6
    assert l3.one_step_rmse(l3.rolling(l3.seasonal_naive), y) == pytest.approx(41.85, abs=0.01)
    assert l3.forecast_12_rmse(l3.seasonal_naive, y) == pytest.approx(50.71, abs=0.01)


@pytest.fixture
def series(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    monkeypatch.setenv("PRACTICUM_SMOKE", "1")
    csv = write_airline_like(tmp_path / "airline-passengers.csv")
    data.import_files("airline-passengers", [str(csv)], verify=False)
    return l3.load_passengers()


def test_neural_forecaster_is_deterministic_and_shaped(series: np.ndarray) -> None:
    first = l3.train_forecaster(series[:96], horizon=12, cfg=SMALL, seed=3)
    again = l3.train_forecaster(series[:96], horizon=12, cfg=SMALL, seed=3)
    other = l3.train_forecaster(series[:96], horizon=12, cfg=SMALL, seed=4)
    steps = l3.neural_one_step(first, series, 96)
    assert steps.shape == (48,) and np.isfinite(steps).all() and (steps > 0).all()
    np.testing.assert_array_equal(steps, l3.neural_one_step(again, series, 96))
    assert not np.array_equal(steps, l3.neural_one_step(other, series, 96))
    direct = l3.neural_forecast(first, series[:132], 12, recursive=False)
    recursive = l3.neural_forecast(first, series[:132], 12, recursive=True)
    assert direct.shape == recursive.shape == (12,)
    # both start from the same one-step forecast; they part afterwards
    assert direct[0] == pytest.approx(recursive[0])
    with pytest.raises(ValueError, match="trained for 12 months, not 24"):
        l3.neural_forecast(first, series[:132], 24, recursive=False)


def test_compare_lists_every_model_side_by_side(series: np.ndarray) -> None:
    rows = l3.compare(series, cfg=SINGLE)
    assert [r.model for r in rows][:3] == [
        "persistence",
        "seasonal naive",
        "SARIMA(0,1,1)(0,1,1)12, log",
    ]
    assert len(rows) == 5
    assert rows[1].one_step_rmse == l3.one_step_rmse(l3.rolling(l3.seasonal_naive), series)
    assert all(math.isfinite(r.one_step_rmse) and r.forecast_12_rmse > 0 for r in rows)
    table = l3.markdown_table(rows).splitlines()
    assert len(table) == 7 and table[2].startswith("| persistence | ")


def test_neural_forecast_says_when_history_is_too_short(series: np.ndarray) -> None:
    trained = l3.train_forecaster(series[:96], cfg=SINGLE)
    with pytest.raises(ValueError, match="20 months of history; the network needs 25"):
        l3.neural_forecast(trained, series[:20], 12, recursive=True)
    with pytest.raises(ValueError, match="start 20 leaves too little history"):
        l3.neural_one_step(trained, series, 20)
