"""Lesson 3 forecasting: exact baselines, the transforms, SARIMA on the real series, the MLP."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from practicum import data
from practicum.data.synthetic import write_airline_like
from practicum.lessons.lesson3 import forecast as l3
from practicum.lessons.lesson3 import reference

AIRLINE_CSV = Path("/work/shared/data/airline/airline-passengers.csv")
SMALL = l3.ForecastConfig(hidden=8, ensemble=2)
SINGLE = l3.ForecastConfig(hidden=8, ensemble=1)
GROWTH = l3.ForecastConfig(inputs="growth", window=13, hidden=8, ensemble=1)
TUTORIAL = l3.TutorialConfig(epochs=1)


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


def test_log_seasonal_diff_refuses_what_has_no_log() -> None:
    y = np.linspace(100.0, 200.0, 30)
    y[17] = 0.0
    with pytest.raises(ValueError, match=r"value 0\.0 at index 17 is not > 0"):
        l3.log_seasonal_diff(y)
    y[17] = math.nan
    with pytest.raises(ValueError, match="value nan at index 17 is not > 0"):
        l3.log_seasonal_diff(y)


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
    assert not np.allclose(direct[1:], recursive[1:])
    with pytest.raises(ValueError, match="trained for 12 months, not 24"):
        l3.neural_forecast(first, series[:132], 24, recursive=False)


def test_one_step_forecasts_use_only_the_past(series: np.ndarray) -> None:
    model = l3.train_forecaster(series[:96], cfg=SINGLE)
    changed = series.copy()
    changed[110:] *= 1.5  # the future changes; forecasts up to month 110 must not
    before = l3.neural_one_step(model, series, 96)
    after = l3.neural_one_step(model, changed, 96)
    np.testing.assert_array_equal(before[:15], after[:15])
    assert not np.allclose(before[15:], after[15:])


def ar_growth_series(n: int = 144, phi: float = 0.3, seed: int = 0) -> np.ndarray:
    """A seasonal series whose yearly growth z returns towards 8% a year (AR(1), phi)."""
    rng = np.random.default_rng(seed)
    log_y: list[float] = list(np.log(200.0) + 0.2 * np.sin(2 * np.pi * np.arange(12) / 12))
    z = 0.08
    for _ in range(n - 12):
        z = 0.08 + phi * (z - 0.08) + float(rng.normal(0, 0.03))
        log_y.append(log_y[-12] + z)
    series: np.ndarray = np.exp(np.array(log_y))
    return series


def test_the_network_learns_what_its_starting_guess_misses() -> None:
    """The network starts out predicting "growth stays as it is"; on a series whose growth
    returns to its usual level it must learn that, and beat that guess clearly."""
    y = ar_growth_series()
    cfg = l3.ForecastConfig(hidden=8, ensemble=2, epochs=200)
    network = l3.neural_one_step(l3.train_forecaster(y[:96], cfg=cfg), y, 96)
    z = l3.log_seasonal_diff(y)
    same_growth = y[84:132] * np.exp(z[83:131])  # last year's month times the latest growth
    assert l3.rmse(network, y[96:]) < 0.9 * l3.rmse(same_growth, y[96:])
    assert l3.rmse(network, y[96:]) < 0.5 * l3.one_step_rmse(l3.rolling(l3.persistence), y)
    assert l3.rmse(network, y[96:]) < 0.5 * l3.one_step_rmse(l3.rolling(l3.seasonal_naive), y)


def test_validate_never_looks_past_its_last_validation_year(series: np.ndarray) -> None:
    scores = l3.validate(series, SINGLE)
    assert all(math.isfinite(v) and v > 0 for v in scores)
    damaged = series.copy()
    damaged[96:] = 1e9  # the test years: validation must not see them
    assert l3.validate(damaged, SINGLE) == scores
    with pytest.raises(ValueError, match="origin 140 leaves 4 months, not 12"):
        l3.validate(series, SINGLE, origins=(140,))


def test_homework_validation_stays_inside_what_the_homework_hands_out(
    series: np.ndarray,
) -> None:
    handed_out = series[: l3.HOMEWORK_ORIGIN]  # 1949-1959: 1960 is hidden
    origins = l3.HOMEWORK_VALIDATION_ORIGINS
    assert origins[-1] == l3.HOMEWORK_ORIGIN - l3.HORIZON  # up to 1959, the latest year given
    scores = l3.validate(handed_out, SINGLE, origins=origins)
    damaged = series.copy()
    damaged[l3.HOMEWORK_ORIGIN :] = 1e9
    assert l3.validate(damaged, SINGLE, origins=origins) == scores


def test_lstm_tutorial_is_seeded_and_scores_the_last_48_months(series: np.ndarray) -> None:
    forecast = l3.lstm_tutorial_one_step(series, seed=1, cfg=TUTORIAL)
    assert forecast.shape == (48,) and np.isfinite(forecast).all()
    np.testing.assert_array_equal(forecast, l3.lstm_tutorial_one_step(series, seed=1, cfg=TUTORIAL))
    assert not np.array_equal(forecast, l3.lstm_tutorial_one_step(series, seed=2, cfg=TUTORIAL))
    score = l3.lstm_tutorial(series, seed=1, cfg=TUTORIAL)
    assert score == pytest.approx(l3.rmse(forecast, series[96:]))


def test_tutorial_lstm_starts_as_keras_does() -> None:
    net = l3.TutorialLSTM(look_back=1, units=4)
    bias = dict(net.lstm.named_parameters())["bias_ih_l0"].detach()
    np.testing.assert_array_equal(bias[4:8], np.ones(4))  # forget gate
    assert float(bias[:4].abs().sum() + bias[8:].abs().sum()) == 0.0
    assert float(net.out.bias.detach().abs().sum()) == 0.0
    x = torch.rand(5, 1)
    assert net(x).shape == (5, 1)


def test_compare_lists_every_model_side_by_side(series: np.ndarray) -> None:
    rows = l3.compare(series, cfg=SINGLE, first=GROWTH, tutorial=TUTORIAL)
    assert [r.model for r in rows] == [
        "persistence",
        "seasonal naive",
        "SARIMA(0,1,1)(0,1,1)12, log",
        "LSTM tutorial (scaled passengers, look_back=1)",
        *l3.row_names(GROWTH),
        *l3.row_names(SINGLE),
    ]
    assert l3.row_names(SINGLE)[0] == "MLP on last change + growth, 1 output, recursive"
    assert l3.row_names(GROWTH)[1] == "MLP on 13 growths, 12 outputs, direct"
    assert rows[1].one_step_rmse == l3.one_step_rmse(l3.rolling(l3.seasonal_naive), series)
    assert math.isnan(rows[3].forecast_12_rmse)  # the tutorial forecasts one step only
    assert all(math.isfinite(r.one_step_rmse) and r.seconds >= 0 for r in rows)
    table = l3.markdown_table(rows).splitlines()
    assert len(table) == 10 and table[2].startswith("| persistence | ")
    assert table[5].startswith("| LSTM tutorial") and " | — | " in table[5]
    without = l3.compare(series, cfg=SINGLE, first=None, tutorial=None)
    assert [r.model for r in without][3:] == list(l3.row_names(SINGLE))


def test_forecast_homework_gives_the_next_months(series: np.ndarray) -> None:
    forecast = reference.forecast_homework(series[:132], seed=2, cfg=SINGLE)
    model = l3.train_forecaster(series[:132], horizon=1, cfg=SINGLE, seed=2)
    assert reference.HOMEWORK_RECURSIVE  # chosen on validation: recursive, one output fed back
    np.testing.assert_array_equal(
        forecast, l3.neural_forecast(model, series[:132], 12, recursive=True)
    )
    assert forecast.shape == (12,) and (forecast > 0).all()
    direct = reference.forecast_homework(series[:132], seed=2, cfg=SINGLE, recursive=False)
    twelve = l3.train_forecaster(series[:132], horizon=12, cfg=SINGLE, seed=2)
    np.testing.assert_array_equal(
        direct, l3.neural_forecast(twelve, series[:132], 12, recursive=False)
    )


def test_neural_forecast_says_when_history_is_too_short(series: np.ndarray) -> None:
    trained = l3.train_forecaster(series[:96], cfg=GROWTH)
    with pytest.raises(ValueError, match="20 months of history; the network needs 25"):
        l3.neural_forecast(trained, series[:20], 12, recursive=True)
    with pytest.raises(ValueError, match="start 20 leaves too little history"):
        l3.neural_one_step(trained, series, 20)
    with pytest.raises(ValueError, match="15 months leave 1 training windows for lookback 2"):
        l3.train_forecaster(series[:15], cfg=SINGLE)
