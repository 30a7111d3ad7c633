# %% [markdown]
# # Lesson 3, Section 3: forecasting, honestly
#
# Forecasting the airline series looks like the perfect job for a recurrent network: a
# sequence in, the next values out. A widely copied LSTM tutorial on exactly this series
# (J. Brownlee, "Time Series Prediction with LSTM Recurrent Neural Networks in Python with
# Keras", 2016) reports a test RMSE of about **47.5** (thousands of passengers) on its last
# 48 months. That sounds fine until you compare it with the dumbest forecast that knows
# the calendar, "this month will be like the same month last year": on the lesson's test
# months, 1957–1959, it scores **38.5**, and the tutorial's recipe, reproduced in
# Section 4, **47.0** (persistence, "next month like this one", 46.2). The LSTM loses to a
# rule with no parameters at all. A classical seasonal model, SARIMA, reaches **11.7**.
#
# This section teaches how not to fall into that trap:
#
# 1. a fair test: the split, one-step-ahead and multi-step forecasts, RMSE;
# 2. **baselines** every model must beat: persistence, seasonal naive, SARIMA;
# 3. **scaling**, fitted on the training months only;
# 4. the **log** and **seasonal differencing**: giving a model a series it can learn;
# 5. **windowing**: turning one series into many training examples;
# 6. **direct vs recursive** forecasts of many steps ahead.
#
# Section 4 trains networks with all of this and puts every model side by side. The quiz
# at the end opens it.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 4 s. The test suite runs a shrunken version (`PRACTICUM_SMOKE=1`). Not
# measured on a GPU.

# %%
import matplotlib.pyplot as plt
import numpy as np

from practicum.coursework import quiz
from practicum.lessons.lesson3 import forecast as fc

np.set_printoptions(precision=3, suppress=True)
y = fc.lesson_passengers()  # 1949-1959: 1960 is the homework's test year
years = 1949 + np.arange(len(y)) / 12
print(f"{len(y)} months, from {y[0]:.0f} to {y[-1]:.0f} thousand passengers")

# %% [markdown]
# ## 1. A fair test
#
# A forecast may use only the past. The lesson works with 1949–1959; 1960 is the
# homework's hidden test year and never appears. We fit every model on **1949–1956** (96
# months), make every choice on **validation years** carved from those (1956 forecast
# from 1949–1955, or 1954, 1955 and 1956 each from the years before it), and measure two
# things once, at the end (Section 4):
#
# - **one step ahead** over 1957–1959: at each month, forecast the next one from
#   everything observed so far (the true values, as they come in), 36 forecasts in all;
# - **12 months at once**: from the data up to December 1958, forecast all of 1959.
#   Later months are further away and harder; this is what a planner needs.
#
# The error measure is the root mean squared error, in thousands of passengers:
# $\mathrm{RMSE} = \sqrt{\frac{1}{n}\sum_t (\hat y_t - y_t)^2}$.

# %%
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(years, y, color="k", linewidth=1)
ax.axvspan(
    years[fc.TEST_START],
    years[-1] + 1 / 12,
    color="tab:orange",
    alpha=0.15,
    label="one-step test: 1957-1959",
)
ax.axvspan(
    years[fc.LESSON_ORIGIN],
    years[-1] + 1 / 12,
    color="tab:red",
    alpha=0.2,
    label="12-month test: 1959",
)
ax.axvspan(
    years[fc.VALIDATION_ORIGIN],
    years[fc.TEST_START],
    color="tab:green",
    alpha=0.15,
    label="validation: 1956",
)
ax.set_xlabel("year")
ax.set_ylabel("passengers (thousands)")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Baselines
#
# **Persistence**: next month will be like this month, $\hat y_{t+1} = y_t$. It ignores
# the season, so it is late at every turn.
#
# **Seasonal naive**: next month will be like the same month a year ago,
# $\hat y_{t+h} = y_{t+h-12}$. It knows the season but misses a year's growth.
#
# **SARIMA(0,1,1)(0,1,1)$_{12}$ on log passengers**, Box and Jenkins' "airline model"
# (from their 1976 book, fitted on this very series). It differences the log series once
# and once seasonally, and models what is left with one moving-average term for the
# previous month and one for the previous year: two coefficients in all (plus the noise
# variance), estimated by maximum likelihood (`statsmodels`). `fc.sarima_one_step`
# estimates them on the training years and keeps them fixed over the months it forecasts,
# as a network trained once would be.
#
# Here all three forecast the validation year 1956 one step ahead, from 1949–1955:

# %%
val, test = fc.VALIDATION_ORIGIN, fc.TEST_START
one_step = {
    "persistence": fc.rolling(fc.persistence)(y[:test], val),
    "seasonal naive": fc.rolling(fc.seasonal_naive)(y[:test], val),
    "SARIMA": fc.sarima_one_step(y[:test], val),
}
truth = y[val:test]
for name, forecast in one_step.items():
    print(f"{name:<15} one-step RMSE 1956 (validation): {fc.rmse(forecast, truth):6.1f}")

fig, ax = plt.subplots(figsize=(9, 3.2))
ax.plot(years[val:test], truth, "k", linewidth=2, label="observed")
for name, forecast in one_step.items():
    ax.plot(years[val:test], forecast, linewidth=1, marker=".", label=name)
ax.set_xlabel("year")
ax.set_ylabel("passengers (thousands)")
ax.set_title("One step ahead, validation year 1956")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Persistence trails the series by one month; seasonal naive has the right shape but sits
# a year's growth too low; SARIMA follows closely. The tutorial's LSTM scores about what
# persistence scores (Section 4's table): fed one month of raw scaled passengers at a
# time, it learned little more than "next month is about this month". **Whatever model
# you build, report these baselines beside it.** A model that
# does not beat seasonal naive has not learned the season; one that does not approach
# SARIMA has not learned what two parameters can.

# %% [markdown]
# ## 3. Scaling
#
# Networks learn best when inputs and targets are numbers around 0 with a spread of
# about 1: the initialisation and learning rates of Lesson 1 assume it. Standardise with
# $(v - \mu)/\sigma$, or min-max scale to $[0, 1]$. Either way, **compute $\mu$ and
# $\sigma$ on the training months only**: the test months' level must not leak into the
# model through the scaler. Here the difference is large, because the series grows:

# %%
train_part = y[: fc.TEST_START]
print(f"mean and std of 1949-1956: {train_part.mean():.1f}, {train_part.std():.1f}")
print(f"mean and std of 1949-1959: {y.mean():.1f}, {y.std():.1f}   <- knows the future")
scaled_test = (y[fc.TEST_START :] - train_part.mean()) / train_part.std()
print(f"test months on the training scale: from {scaled_test.min():.2f} to {scaled_test.max():.2f}")

# %% [markdown]
# The test months lie well outside the range seen in training. A network with saturating
# activations (tanh, sigmoid, and an LSTM's gates) cannot produce values far beyond what
# it was trained on, so on a raw growing series it falls behind. The next two steps
# remove the growth and the season before the network sees the series.

# %% [markdown]
# ## 4. Log and seasonal differencing
#
# ### The log
#
# The summer peaks grow with the level: the swing is a *percentage* of the level (a
# multiplicative season). The log turns percentages into differences, so after it the
# swing has the same size every year:

# %%
by_year = y.reshape(-1, 12)
swing = by_year.max(axis=1) - by_year.min(axis=1)
log_swing = np.log(by_year).max(axis=1) - np.log(by_year).min(axis=1)
print("yearly swing (max - min), raw:", swing.round(0))
print("yearly swing of the log       :", log_swing.round(2))

# %% [markdown]
# ### Seasonal differencing
#
# Subtract the same month of the previous year: $z_t = \log y_t - \log y_{t-12}$, the
# growth over twelve months. That removes the season (each month is compared with its
# own kind) and the trend (the level cancels); what is left wanders slowly around a few
# per cent a year, a series without growth or season. `fc.log_seasonal_diff` computes it
# and `fc.undo_log_seasonal_diff` turns forecasts of $z$ back into passengers.

# %%
z = fc.log_seasonal_diff(y)
fig, axes = plt.subplots(1, 3, figsize=(12, 2.8))
axes[0].plot(years, y)
axes[0].set_title("passengers")
axes[1].plot(years, np.log(y))
axes[1].set_title("log passengers")
axes[2].plot(years[12:], z)
axes[2].axhline(0, color="grey", linewidth=0.5)
axes[2].set_title("$z_t = \\log y_t - \\log y_{t-12}$")
for ax in axes:
    ax.set_xlabel("year")
fig.tight_layout()
plt.show()

back = fc.undo_log_seasonal_diff(y[:24], z[12:24])
print("undo gives back months 25-36:", np.allclose(back, y[24:36]))

# %% [markdown]
# This is what SARIMA's "(0,**1**,1)(0,**1**,1)$_{12}$ on the log" does before it
# models anything. A network given the same $z$ starts from the same place; given the raw
# series, it has to discover the log, the season and the trend from 96 numbers.

# %% [markdown]
# ## 5. Windowing
#
# A network needs many (input, target) examples; a series is one long row. A **sliding
# window** cuts it into examples: the previous `window` values are the input, the next
# `horizon` values the target. `fc.make_windows(z, window, horizon)` returns both:

# %%
x_demo, t_demo = fc.make_windows(np.arange(10.0), window=4, horizon=2)
for inputs, targets in zip(x_demo[:3], t_demo[:3], strict=True):
    print(inputs, "->", targets)
print("...", len(x_demo), "examples from 10 values")

# %% [markdown]
# The window length is a choice: it must be long enough to see what matters (here, 13
# months covers a full year of $z$ and one more month) and short enough to leave
# examples: 1949–1956 gives only 84 values of $z$, so a window of 13 leaves 71 one-step
# examples. A recurrent network reads its window step by step; an MLP reads it all at
# once. With a window this short, the difference matters less than what is in it.

# %% [markdown]
# ## 6. Direct vs recursive forecasts
#
# To forecast 12 months ahead with a model of the next value there are two ways:
#
# - **recursive**: forecast one month, append it to the history as if it had been
#   observed, forecast the next, and so on. One model; but its errors are fed back into
#   it and compound;
# - **direct**: train a model with 12 outputs, one per month ahead, and read them all at
#   once. No feedback of errors, but each output is trained on fewer examples (the last
#   11 windows have no full 12-month target).
#
# The simplest model to try both with is a **linear autoregression**: a network without a
# hidden layer, the next values as a weighted sum of the window, fitted by least squares.
# Here it forecasts the validation year 1956 from the data up to 1955, both ways:


# %%
def fit_linear(inputs, targets):
    """Least-squares weights (and a bias, last row) for targets = inputs @ W + b."""
    with_bias = np.hstack([inputs, np.ones((len(inputs), 1))])
    weights, *_ = np.linalg.lstsq(with_bias, targets, rcond=None)
    return weights


def linear_forecast(history, horizon, window=13, recursive=True):
    z = fc.log_seasonal_diff(history)
    mean, std = z.mean(), z.std()  # the training span's scale only
    scaled = list((z - mean) / std)
    if recursive:
        weights = fit_linear(*fc.make_windows(np.array(scaled), window, 1))
        for _ in range(horizon):
            scaled.append(float(np.append(scaled[-window:], 1.0) @ weights[:, 0]))
        future = np.array(scaled[-horizon:])
    else:
        weights = fit_linear(*fc.make_windows(np.array(scaled), window, horizon))
        future = np.append(scaled[-window:], 1.0) @ weights
    return fc.undo_log_seasonal_diff(history, future * std + mean)


history, actual_1956 = y[: fc.VALIDATION_ORIGIN], y[fc.VALIDATION_ORIGIN : fc.TEST_START]
forecasts_1956 = {
    "seasonal naive": fc.seasonal_naive(history, 12),
    "SARIMA": fc.sarima_forecast(history, 12),
    "linear, recursive": linear_forecast(history, 12, recursive=True),
    "linear, direct": linear_forecast(history, 12, recursive=False),
}
months = np.arange(1, 13)
fig, ax = plt.subplots(figsize=(8, 3.2))
ax.plot(months, actual_1956, "k", linewidth=2, label="observed")
for name, forecast in forecasts_1956.items():
    ax.plot(
        months,
        forecast,
        marker=".",
        linewidth=1,
        label=f"{name}: RMSE {fc.rmse(forecast, actual_1956):.1f}",
    )
ax.set_xlabel("month of 1956")
ax.set_ylabel("passengers (thousands)")
ax.set_title("Validation year 1956, forecast from data up to 1955")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Given the log and the seasonal difference, even a linear model lands far closer than
# seasonal naive: most of the work is in the preparation. Which of the two ways wins
# depends on the model and the series, and twelve months of one series is a small test:
# a few points between them can be luck (hence the three validation years of
# `fc.validate`). Section 4 does the same with networks, and scores every model on both
# tests, once.

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 4; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz3 = quiz.Quiz(
    3,
    3,
    [
        quiz.Question(
            "q1",
            "Every year the summer peak is 30% above that year's mean month, and the mean grows 10% a year. In the log series, how far above the log of the mean is the peak, in year 1 and in year 10?",
            {
                "a": "about 0.26 in both years",
                "b": "about 0.26, then 0.62",
                "c": "about 0.30 in both years",
                "d": "about 0.26, then 0.10",
            },
            "95e047daae89e2e1aa05ca010776c43be4f965d75aa9f8a5c346479ac913dc82",
        ),
        quiz.Question(
            "q2",
            "The training months have mean 200 and standard deviation 50. A test month has 450. What number does the network see, standardised as it should be?",
            {
                "a": "1.0",
                "b": "5.0",
                "c": "2.5",
                "d": "9.0",
            },
            "bf3cc68ce4f88b229909db112b3f5be8f61489b472d3cc9f36c877d763cbc195",
        ),
        quiz.Question(
            "q3",
            "Two models are equally good one month ahead. One forecasts 12 months recursively, the other directly. What do you expect for the 12th month?",
            {
                "a": "the same error: both are equally good",
                "b": "recursive better: feeding back averages errors",
                "c": "recursive worse: its own errors are fed back",
                "d": "recursive cannot reach the 12th month",
            },
            "7d83ba5ba6aad9f87404cbcb46cf66c3663bfb3f44bca77d62e4623633d835da",
        ),
        quiz.Question(
            "q4",
            "With $z_t = \\log y_t - \\log y_{t-12}$: last July had 500 thousand passengers and the model forecasts $z = 0.1$ for this July. What is the forecast, in thousands?",
            {
                "a": "500.1",
                "b": "about 553",
                "c": "550",
                "d": "about 600",
            },
            "4982dcfa98a2226d2deb6da8edbe35295e03da9c30ec4f6935cd6d04686db19d",
        ),
    ],
)
quiz3.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz3.shown_letters({"q1": "a", "q2": "b", "q3": "c", "q4": "b"})

# %%
passed = quiz3.check(answers)
