"""Lesson 3, forecasting: monthly airline passengers, 1949-1960, and honest baselines.

Read it top to bottom, in the order the lesson teaches it:

1. the split: fit on 1949-1956, score one-step-ahead forecasts of 1957-1960, and a
   12-month forecast of 1960 from everything up to December 1959;
2. baselines every model must beat: persistence, seasonal naive and SARIMA;
3. preparing the series for a network: log, seasonal differencing, scaling, windows;
4. a small MLP on those windows, used two ways for many steps ahead: recursive (one
   step, fed its own forecasts) and direct (one output per month ahead);
5. the side-by-side table `compare` builds.

The lesson of the numbers: the well-known LSTM tutorial on this series (raw scaled
values, one step ahead) scores a test RMSE of about 47.5, worse than simply repeating
last year (41.9). The network only competes once it is given what SARIMA is given:
the log (the seasonal swing grows with the level) and the seasonal difference (it
removes the yearly pattern, leaving a series that is nearly stationary). Even then
SARIMA(0,1,1)(0,1,1)12, with two parameters, is very hard to beat on 144 months.

Measured (benchmarks/lesson3_airline.py, ForecastConfig chosen on 1949-1954 -> 1955-1956):
one step ahead over 1957-1960, SARIMA 13.7, the MLP about 20, seasonal naive 41.9;
all of 1960 at once, SARIMA 18.6, the direct MLP about 21, the recursive MLP about 27,
seasonal naive 50.7. The network beats the naive baselines by far; it does not beat
SARIMA, and on a series this short that is the expected result, not a bug.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from practicum import data
from practicum.lessons import common
from practicum.train import fit, make_loader, predict, seed_everything

FloatArray = NDArray[np.float64]
Forecaster = Callable[[FloatArray, int], FloatArray]
"""forecaster(history, horizon): the next `horizon` values after `history`."""
OneStep = Callable[[FloatArray, int], FloatArray]
"""one_step(y, start): a forecast of each y[t], t >= start, made from y[:t] alone."""

# ---------------------------------------------------------------------------------------
# 1. The split
# ---------------------------------------------------------------------------------------

SEASON = 12
"""Months in a year: the series repeats its pattern with this period."""
TEST_START = 96
"""Index of January 1957: 1949-1956 (96 months) is the training span."""
FORECAST_ORIGIN = 132
"""Index of January 1960: the 12-month forecast sees 1949-1959 and predicts 1960."""
HORIZON = 12


def load_passengers() -> FloatArray:
    """The 144 monthly totals (thousands of passengers) from `practicum data`."""
    return np.asarray(data.load("airline-passengers")["passengers"], dtype=np.float64)


def rmse(forecast: ArrayLike, truth: ArrayLike) -> float:
    """Root mean squared error, in the series' own unit (thousands of passengers)."""
    f, t = np.asarray(forecast, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    if f.shape != t.shape:
        raise ValueError(f"rmse: forecast has shape {f.shape} but truth has {t.shape}")
    return float(np.sqrt(np.mean((f - t) ** 2)))


def rolling(forecaster: Forecaster) -> OneStep:
    """One step ahead: at every month t, forecast y[t] from y[:t], everything seen so far."""

    def one_step(y: FloatArray, start: int) -> FloatArray:
        return np.array([forecaster(y[:t], 1)[0] for t in range(start, len(y))])

    return one_step


def one_step_rmse(one_step: OneStep, y: ArrayLike, start: int = TEST_START) -> float:
    """RMSE of one-step-ahead forecasts of y[start:] (1957-1960 by default)."""
    series = np.asarray(y, dtype=np.float64)
    return rmse(one_step(series, start), series[start:])


def forecast_12_rmse(forecaster: Forecaster, y: ArrayLike, origin: int = FORECAST_ORIGIN) -> float:
    """RMSE of one 12-month forecast of y[origin:origin + 12] from y[:origin] (1960)."""
    series = np.asarray(y, dtype=np.float64)
    truth = series[origin : origin + HORIZON]
    if len(truth) < HORIZON:
        raise ValueError(f"forecast_12_rmse: origin {origin} leaves {len(truth)} months, not 12")
    return rmse(forecaster(series[:origin], HORIZON), truth)


# ---------------------------------------------------------------------------------------
# 2. Baselines
# ---------------------------------------------------------------------------------------


def persistence(history: ArrayLike, horizon: int = 1) -> FloatArray:
    """Tomorrow looks like today: repeat the last value."""
    return np.full(horizon, float(np.asarray(history, dtype=np.float64)[-1]))


def seasonal_naive(history: ArrayLike, horizon: int = 1, season: int = SEASON) -> FloatArray:
    """This July looks like last July: repeat the last full season."""
    past = np.asarray(history, dtype=np.float64)
    if len(past) < season:
        raise ValueError(f"seasonal_naive: needs {season} months of history, got {len(past)}")
    result: FloatArray = past[-season:][np.arange(horizon) % season]
    return result


SARIMA_ORDER = (0, 1, 1)
SARIMA_SEASONAL = (0, 1, 1, SEASON)
"""The "airline model" of Box and Jenkins: on log passengers, difference once and once
seasonally, then one moving-average term for each. Two parameters in all."""


def _sarima(log_history: FloatArray) -> Any:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(log_history, order=SARIMA_ORDER, seasonal_order=SARIMA_SEASONAL)
    with warnings.catch_warnings():  # convergence chatter on short series; the fit is fine
        warnings.simplefilter("ignore")
        return model.fit(disp=False)


def sarima_forecast(history: ArrayLike, horizon: int = HORIZON) -> FloatArray:
    """Fit the airline model on log(history), forecast `horizon` months, undo the log."""
    fitted = _sarima(np.log(np.asarray(history, dtype=np.float64)))
    return np.exp(np.asarray(fitted.forecast(horizon), dtype=np.float64))


def sarima_one_step(y: ArrayLike, start: int = TEST_START) -> FloatArray:
    """One-step-ahead forecasts of y[start:], parameters estimated on y[:start] only.

    The parameters are fixed after the training span; the Kalman filter then runs over
    the test months, updating its state (not its parameters) with each observed month.
    That is exactly what a network trained once and fed the true history does.
    """
    log_y = np.log(np.asarray(y, dtype=np.float64))
    filtered = _sarima(log_y[:start]).apply(log_y)
    log_forecast = np.asarray(filtered.get_prediction(start=start).predicted_mean, np.float64)
    return np.exp(log_forecast)


# ---------------------------------------------------------------------------------------
# 3. Preparing the series: log, seasonal difference, scaling, windows
# ---------------------------------------------------------------------------------------


def log_seasonal_diff(y: ArrayLike, season: int = SEASON) -> FloatArray:
    """z[t] = log y[t + season] - log y[t]: growth over the same month a year earlier.

    The log turns the growing seasonal swing into a constant one; the seasonal
    difference removes it. What is left wanders slowly around a few percent a year.
    """
    log_y = np.log(np.asarray(y, dtype=np.float64))
    result: FloatArray = log_y[season:] - log_y[:-season]
    return result


def undo_log_seasonal_diff(
    history: ArrayLike, z_future: ArrayLike, season: int = SEASON
) -> FloatArray:
    """The values after `history` that the future growths `z_future` imply."""
    growths = np.atleast_1d(np.asarray(z_future, dtype=np.float64))
    log_y: list[float] = list(np.log(np.asarray(history, dtype=np.float64)))
    for z in growths:
        log_y.append(log_y[-season] + float(z))  # for h > season this uses forecasts: it must
    future: FloatArray = np.exp(np.array(log_y[len(log_y) - len(growths) :]))
    return future


def make_windows(
    z: ArrayLike, window: int, horizon: int = 1
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Inputs (N, window) of consecutive values and targets (N, horizon) of the next ones."""
    series = np.asarray(z, dtype=np.float32)
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"make_windows: {len(series)} values are too few for window {window} + horizon {horizon}"
        )
    starts = np.arange(n)[:, None]
    return series[starts + np.arange(window)], series[starts + window + np.arange(horizon)]


# ---------------------------------------------------------------------------------------
# 4. A small network on windows, recursive and direct
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastConfig:
    """The reference forecaster; chosen on 1949-1954 -> 1955-1956 (benchmark --validate)."""

    window: int = 13
    """Months of (scaled, log, seasonally differenced) history the network sees."""
    hidden: int = 32
    epochs: int = 300
    lr: float = 3e-3
    weight_decay: float = 1e-2
    ensemble: int = 5
    """Networks trained from different seeds and averaged: 96 months make one noisy."""


class WindowMLP(nn.Module):
    """window -> hidden -> horizon, added to the window's last value.

    The skip makes "next year's growth equals this year's" the starting guess; the
    network only learns corrections to it, which a few dozen windows can support.
    """

    def __init__(self, window: int, horizon: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(window, hidden), nn.Tanh(), nn.Linear(hidden, horizon))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = x[:, -1:] + self.net(x)
        return out


@dataclass
class NeuralForecaster:
    """Trained networks plus the scaling they were trained with."""

    nets: list[nn.Module]
    mean: float
    std: float
    window: int
    horizon: int

    def predict_z(self, windows: NDArray[np.float64]) -> FloatArray:
        """Ensemble-mean forecasts (N, horizon) of z for unscaled z windows (N, window)."""
        x = ((windows - self.mean) / self.std).astype(np.float32)
        outputs = torch.stack([predict(net, x) for net in self.nets]).mean(0)
        return outputs.double().numpy() * self.std + self.mean


def train_forecaster(
    history: ArrayLike, *, horizon: int = 1, cfg: ForecastConfig = ForecastConfig(), seed: int = 0
) -> NeuralForecaster:
    """Train `cfg.ensemble` WindowMLPs on the windows of z = log_seasonal_diff(history).

    Scaling uses the training span's mean and standard deviation only: the test months
    must not leak in through the scaler.
    """
    z = log_seasonal_diff(history)
    mean, std = float(z.mean()), float(z.std()) or 1.0
    x, t = make_windows((z - mean) / std, cfg.window, horizon)
    nets: list[nn.Module] = []
    for member in range(cfg.ensemble):
        seed_everything(seed * 1000 + member)
        net = WindowMLP(cfg.window, horizon, cfg.hidden)
        loader = make_loader(x, t, batch_size=len(x))  # a few dozen windows: one batch
        optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        fit(
            net,
            loader,
            epochs=common.scale(cfg.epochs, 5),
            optimizer=optimizer,
            loss_fn=nn.MSELoss(),
            metrics={},
            device=torch.device("cpu"),  # a 1k-parameter net: a GPU would only add latency
            progress=False,
        )
        nets.append(net)
    return NeuralForecaster(nets, mean, std, cfg.window, horizon)


def neural_one_step(model: NeuralForecaster, y: ArrayLike, start: int) -> FloatArray:
    """One-step-ahead forecasts of y[start:], each from the true history before it."""
    series = np.asarray(y, dtype=np.float64)
    z = log_seasonal_diff(series)
    first = start - SEASON - model.window  # z[i] belongs to month i + SEASON
    if first < 0:
        raise ValueError(f"neural_one_step: start {start} leaves too little history")
    ends = np.arange(start - SEASON, len(z))
    windows = z[ends[:, None] - model.window + np.arange(model.window)]
    z_next = model.predict_z(windows)[:, 0]
    return np.exp(np.log(series[start - SEASON : len(series) - SEASON]) + z_next)


def neural_forecast(
    model: NeuralForecaster, history: ArrayLike, horizon: int, *, recursive: bool
) -> FloatArray:
    """`horizon` months after `history`, direct (one output per month) or recursive.

    Recursive feeds each one-step forecast back in as if it had been observed, so its
    errors compound; direct needs a network trained with `horizon` outputs.
    """
    z = list(log_seasonal_diff(history))
    if len(z) < model.window:
        raise ValueError(
            f"neural_forecast: {len(z) + SEASON} months of history; the network needs"
            f" {model.window + SEASON}"
        )
    if recursive:
        for _ in range(horizon):
            z.append(model.predict_z(np.array([z[-model.window :]]))[0, 0])
        z_future = np.array(z[-horizon:])
    else:
        if model.horizon < horizon:
            raise ValueError(f"neural_forecast: trained for {model.horizon} months, not {horizon}")
        z_future = model.predict_z(np.array([z[-model.window :]]))[0, :horizon]
    return undo_log_seasonal_diff(history, z_future)


# ---------------------------------------------------------------------------------------
# 5. Side by side
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    model: str
    one_step_rmse: float
    """One step ahead over 1957-1960, fitted on 1949-1956 (with the default split)."""
    forecast_12_rmse: float
    """All of 1960 at once, fitted on 1949-1959 (with the default split)."""


def neural_methods(cfg: ForecastConfig, seed: int) -> dict[str, tuple[OneStep, Forecaster]]:
    """The two ways to use the network, as (one_step, forecaster) pairs for `compare`.

    Each trains on exactly the history it is handed, so nothing after the forecast
    origin is ever seen.
    """

    def one_step(horizon: int) -> OneStep:
        return lambda y, start: neural_one_step(
            train_forecaster(y[:start], horizon=horizon, cfg=cfg, seed=seed), y, start
        )

    def forecaster(recursive: bool) -> Forecaster:
        def run(history: FloatArray, horizon: int) -> FloatArray:
            trained = train_forecaster(
                history, horizon=1 if recursive else horizon, cfg=cfg, seed=seed
            )
            return neural_forecast(trained, history, horizon, recursive=recursive)

        return run

    return {
        "MLP, 1 output, recursive": (one_step(1), forecaster(recursive=True)),
        "MLP, 12 outputs, direct": (one_step(HORIZON), forecaster(recursive=False)),
    }


def compare(
    y: ArrayLike,
    *,
    cfg: ForecastConfig = ForecastConfig(),
    seed: int = 0,
    start: int = TEST_START,
    origin: int = FORECAST_ORIGIN,
) -> list[Row]:
    """Every model on the same months: persistence, seasonal naive, SARIMA, the MLP."""
    series = np.asarray(y, dtype=np.float64)
    methods: dict[str, tuple[OneStep, Forecaster]] = {
        "persistence": (rolling(persistence), persistence),
        "seasonal naive": (rolling(seasonal_naive), seasonal_naive),
        "SARIMA(0,1,1)(0,1,1)12, log": (sarima_one_step, sarima_forecast),
        **neural_methods(cfg, seed),
    }
    return [
        Row(name, one_step_rmse(one, series, start), forecast_12_rmse(many, series, origin))
        for name, (one, many) in methods.items()
    ]


def markdown_table(rows: list[Row]) -> str:
    """The comparison as a Markdown table, one row per model."""
    lines = [
        "| model | one-step RMSE | 12-month RMSE |",
        "|---|---:|---:|",
    ]
    lines += [f"| {r.model} | {r.one_step_rmse:.1f} | {r.forecast_12_rmse:.1f} |" for r in rows]
    return "\n".join(lines)
