# %% [markdown]
# # Lesson 3, Section 4: forecasting airline passengers, every model side by side
#
# Section 3 prepared the ground: a fair split, three baselines, the log and the seasonal
# difference, windows, direct and recursive forecasts. Here you put neural networks on
# that ground and compare them, on the same months, with everything else:
#
# 1. two building blocks to write: the seasonal naive forecast and the windowing;
# 2. a small MLP on the prepared series, looked at on a **validation year** (1956,
#    forecast from 1949–1955) carved from the training years;
# 3. **your recurrent forecaster**: a GRU module and the bare PyTorch training loop, its
#    window chosen on the same validation year;
# 4. the **side-by-side table** of every model on the lesson's test months, used once, at
#    the end: one step ahead over 1957–1959, and all of 1959 from 1949–1958;
# 5. the **Lesson 3 homework**: ECG5000 classification and a 12-month forecast of 1960.
#
# 1960 is the homework's hidden test year: nothing in this notebook looks at it.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks code for you to write. It is
# checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works. Each exercise has a hint that opens
# on a click; try without it first.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05, with 4,500 stand-in test beats for the homework cell): 54 s. Much less in
# smoke mode (`PRACTICUM_SMOKE=1`). Not measured on a GPU.

# %%
from practicum.coursework import quiz

quiz.require(3, 4, quiz_notebook="lesson3/section3_techniques.ipynb")

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from torch import nn

import practicum
from practicum import train
from practicum.coursework import exercise
from practicum.grading.label_csv import write_label_csv
from practicum.lessons.lesson3 import checks_forecast, ecg, recurrent
from practicum.lessons.lesson3 import forecast as fc

train.seed_everything(0)
np.set_printoptions(precision=3, suppress=True)
y = fc.lesson_passengers()  # 1949-1959; 1960 is the homework's
years = 1949 + np.arange(len(y)) / 12
VAL, TEST = fc.VALIDATION_ORIGIN, fc.TEST_START  # January 1956 and January 1957

# %% [markdown]
# ## 1. Two building blocks
#
# ### Seasonal naive
#
# Write `seasonal_naive(history, horizon)`: the forecast for the next `horizon` months
# repeats the last 12 observed months, as many times as needed: month $h$ ahead gets the
# value observed 12 months before it (for $h$ beyond 12, the last season again).
# `history` is a 1-D array of past values; return an array of `horizon` floats.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `history[-12:]` is the last season. Month $h$ ahead ($h = 0, 1, \dots$) takes entry
# $h \bmod 12$ of it: index it with an array of positions.
#
# </details>


# %%
def seasonal_naive(history, horizon=1):
    """The last full year, repeated: an array of `horizon` values."""
    ### BEGIN SOLUTION
    last_year = np.asarray(history, dtype=float)[-12:]
    return last_year[np.arange(horizon) % 12]
    ### END SOLUTION


seasonal_naive = exercise.checked(
    seasonal_naive,
    lesson=3,
    exercise="seasonal_naive",
    cases=[(y[:36], 1), (y[:40], 12), (y[:24], 30)],
)

# %% [markdown]
# ### Windows
#
# Write `make_windows(z, window, horizon)`: inputs of shape (N, window), each row `window`
# consecutive values of `z`, and targets of shape (N, horizon), the `horizon` values that
# follow each input, for every position where both fit: $N = \text{len}(z) - \text{window}
# - \text{horizon} + 1$. Return both as float32 arrays. An off-by-one here silently
# drops a training example or, worse, lets a target leak into its own input.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Row $k$ of the inputs is `z[k : k + window]`, its targets `z[k + window : k + window +
# horizon]`. A loop over $k$ is fine; `np.arange(N)[:, None] + np.arange(window)` builds
# every row's positions at once.
#
# </details>


# %%
def make_windows(z, window, horizon=1):
    """(inputs (N, window), targets (N, horizon)), float32."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float32)
    starts = np.arange(len(z) - window - horizon + 1)[:, None]
    return z[starts + np.arange(window)], z[starts + window + np.arange(horizon)]
    ### END SOLUTION


make_windows = exercise.checked(
    make_windows,
    lesson=3,
    exercise="make_windows",
    cases=[(np.arange(10.0), 4, 2), (fc.log_seasonal_diff(y[:60]), 13, 1)],
)

# %% [markdown]
# ## 2. A small MLP on the prepared series, on the validation year
#
# The network predicts how much the growth $z$ (the log seasonal difference) will change:
# its starting guess is "next year's growth equals this year's", and it learns
# corrections to that. The lesson's MLP (`fc.ForecastConfig()`) reads just two numbers:
# last month's change of $z$ (where the growth is heading) and $z$ itself (how far it is
# from its usual level, to which it tends to return). A first try with a window of 13
# growths (`fc.FIRST_MLP`) did worse; the inputs were chosen on the training years only
# (`fc.validate`: forecasting 1954, 1955 and 1956 each from the years before it). One
# hidden layer of 16 units, strong weight decay, and the average of ten networks trained
# from different seeds: 1949–1955 gives only 72 values of $z$. `fc.train_forecaster`
# trains on exactly the history it is given, scaling with that history's statistics.
#
# Here it is trained on 1949–1955 and looked at on the validation year 1956, one step
# ahead, next to SARIMA fitted on the same years:

# %%
cfg = fc.ForecastConfig()
print(cfg)
model = fc.train_forecaster(y[:VAL], horizon=1, cfg=cfg)
network = fc.neural_one_step(model, y[:TEST], VAL)
sarima = fc.sarima_one_step(y[:TEST], VAL)
truth = y[VAL:TEST]
print(
    f"one step ahead over 1956 (validation): network RMSE {fc.rmse(network, truth):.1f}, SARIMA {fc.rmse(sarima, truth):.1f}"
)

# %% [markdown]
# And the 12 months of 1956 at once, from the data up to December 1955: the network
# recursively (its one-step forecasts fed back) and directly (a network with 12 outputs).
# On a validation year such a plot may guide a choice; the test months are not shown
# until the table at the end.

# %%
history, actual = y[:VAL], y[VAL:TEST]
direct = fc.train_forecaster(history, horizon=12, cfg=cfg)
forecasts = {
    "seasonal naive": seasonal_naive(history, 12),
    "SARIMA": fc.sarima_forecast(history, 12),
    "MLP, recursive": fc.neural_forecast(model, history, 12, recursive=True),
    "MLP, direct": fc.neural_forecast(direct, history, 12, recursive=False),
}
months = np.arange(1, 13)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))
axes[0].plot(years[VAL:TEST], truth, "k", linewidth=2, label="observed")
axes[0].plot(years[VAL:TEST], sarima, label="SARIMA")
axes[0].plot(years[VAL:TEST], network, label="MLP")
axes[0].set_title("1956 one step ahead (validation), trained on 1949-1955")
axes[1].plot(months, actual, "k", linewidth=2, label="observed")
for name, forecast in forecasts.items():
    axes[1].plot(
        months, forecast, marker=".", label=f"{name}: RMSE {fc.rmse(forecast, actual):.1f}"
    )
axes[1].set_xlabel("month of 1956")
axes[1].set_title("1956 at once (validation), from data up to 1955")
for ax in axes:
    ax.set_ylabel("passengers (thousands)")
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Your recurrent forecaster
#
# The MLP reads two numbers. A recurrent network can read a whole window of growths,
# month by month, and decide itself what to remember. You write the module and the bare
# PyTorch loop that trains it; `recurrent.py` turns it into one-step and recursive
# forecasts exactly as it does the MLPs, so it takes its place in the table.
#
# ### The module
#
# Write `GRUForecaster(hidden)`, an `nn.Module`: a layer `self.gru`, an `nn.GRU` with one
# input feature and `hidden` units that takes its input as (batch, time, features), and
# `self.head`, a linear layer from the GRU's state to one number. `forward(x)` takes a
# batch of windows of scaled growths, (batch, window), oldest month first, and returns
# (batch, 1): the next month's change of $z$, read from the state after the **last**
# month. The check loads the reference's weights into yours (hence the fixed names) and
# compares the outputs.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `nn.GRU(1, hidden, batch_first=True)` wants (batch, window, 1): `x.unsqueeze(-1)`. It
# returns `(states, h_n)`, `states` of shape (batch, window, hidden); `states[:, -1]` is
# the state after the last month.
#
# </details>


# %%
class GRUForecaster(nn.Module):
    """(batch, window) scaled growths -> (batch, 1): the next change of z."""

    def __init__(self, hidden=16):
        super().__init__()
        ### BEGIN SOLUTION
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        states, _ = self.gru(x.unsqueeze(-1))
        return self.head(states[:, -1])
        ### END SOLUTION


GRUForecaster = exercise.checked(
    GRUForecaster,
    lesson=3,
    exercise="gru_forecaster",
    check=checks_forecast.check_gru_forecaster,
)

# %% [markdown]
# ### The training loop
#
# Write `train_epoch(model, loader, optimizer, loss_fn)`: one pass over a `DataLoader`
# of (windows, targets) batches. For each batch: the model's forecasts, the loss, the
# gradients, one step of the optimizer. Put the model in training mode first (an
# evaluation leaves it in evaluation mode), and return the mean of the batches' losses as
# a Python float. The check runs your epoch and the reference's from the same weights on
# the same batches and compares the weights after it.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `model.train()`; then per batch `optimizer.zero_grad()`, `loss = loss_fn(model(x), t)`,
# `loss.backward()`, `optimizer.step()`, and add `loss.item()` to a running total. Without
# `zero_grad`, every batch's gradient would be added to all the earlier ones.
#
# </details>


# %%
def train_epoch(model, loader, optimizer, loss_fn):
    """One epoch; the mean of the batches' losses."""
    ### BEGIN SOLUTION
    model.train()
    total = 0.0
    for x, t in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)
    ### END SOLUTION


train_epoch = exercise.checked(
    train_epoch, lesson=3, exercise="train_epoch", check=checks_forecast.check_train_epoch
)

# %% [markdown]
# ### Choosing the window on the validation year
#
# How many months should the GRU read: half a year, a year and a month, two years? Each
# candidate is trained (your module, your loop: `recurrent.train_gru` builds the windows
# with `TensorDataset` and a shuffling `DataLoader`, AdamW, three seeds averaged) on
# 1949–1955 and scored on 1956, one step ahead and 12 months recursively. The window with
# the lowest one-step validation RMSE is kept; the test months play no part.

# %%
scores = {
    window: recurrent.validation_rmse(y, window, make_model=GRUForecaster, epoch_fn=train_epoch)
    for window in recurrent.WINDOWS
}
for window, (one, many) in scores.items():
    print(
        f"window {window:2d}: validation RMSE 1956, one step {one:5.1f}, 12 months recursive {many:5.1f}"
    )
window = recurrent.choose_window(scores)
print(f"chosen on validation: window {window}")

_, curve = recurrent.train_gru(y[:VAL], window, make_model=GRUForecaster, epoch_fn=train_epoch)
fig, ax = plt.subplots(figsize=(6, 2.8))
ax.semilogy(curve)
ax.set_xlabel("epoch")
ax.set_ylabel("training MSE (log scale)")
ax.set_title(f"Your GRU, window {window}, trained on 1949-1955")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Every model, side by side, on the test months
#
# Now, once, the lesson's test: `fc.compare` runs every model on one step ahead over
# 1957–1959 (fitted on 1949–1956) and all of 1959 at once (fitted on 1949–1958); the MLPs
# both recursively (one output, fed back) and directly (twelve outputs), and your GRU, with
# the window chosen above, recursively. Each is trained only on the history its forecast
# starts from.

# %%
rows = fc.compare(y, cfg=cfg, start=TEST, origin=fc.LESSON_ORIGIN)
rows.append(
    recurrent.gru_row(
        y,
        window,
        start=TEST,
        origin=fc.LESSON_ORIGIN,
        make_model=GRUForecaster,
        epoch_fn=train_epoch,
        name="your GRU",
    )
)
display(Markdown(fc.markdown_table(rows)))

# %%
names = [row.model for row in rows]
positions = np.arange(len(rows))
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.barh(positions - 0.2, [row.one_step_rmse for row in rows], 0.4, label="one step, 1957-1959")
ax.barh(positions + 0.2, [row.forecast_12_rmse for row in rows], 0.4, label="12 months, 1959")
ax.set_yticks(positions, names)
ax.invert_yaxis()
ax.set_xlabel("RMSE (thousands of passengers; lower is better)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the table from the top. Persistence and seasonal naive are what any forecast must
# beat, and on this series they are not hard to beat once the model is given the log and
# the seasonal difference. SARIMA is the real bar: two coefficients, fitted in well under
# a second. Whether a network clears it is measured here, not assumed:

# %%
baselines = ("persistence", "seasonal naive")
sarima_row = next(row for row in rows if row.model.startswith("SARIMA"))
networks = [row for row in rows if row.model not in baselines and row is not sarima_row]
for test, label in (("one_step_rmse", "one step ahead"), ("forecast_12_rmse", "12 months of 1959")):
    best = min(networks, key=lambda row: getattr(row, test))
    mine, theirs = getattr(best, test), getattr(sarima_row, test)
    verdict = "beats SARIMA" if mine < theirs else "does NOT beat SARIMA"
    print(
        f"{label}: the best network ({best.model}, RMSE {mine:.1f}) {verdict} (RMSE {theirs:.1f})"
    )

# %% [markdown]
# When the networks do not clear the bar, say so: on 132 months a well-specified
# classical model is very hard to beat, and hiding that would teach the wrong habit.
# Networks earn their keep elsewhere: many related series at once, many input variables,
# patterns no one wrote a model for. The habit to keep from this lesson is the table
# above: every model next to the naive baselines and the best classical one, on the same
# months, with every choice made before the test months were looked at.

# %% [markdown]
# ## Homework
#
# Lesson 3 has two homework competitions, each scored on hidden answers.
#
# ### 1. ECG5000 heartbeats
#
# Classify the test beats of ECG5000 into their 5 classes; the course's target is **95%
# accuracy**. Train on the 500 labelled beats (any model: RNN, LSTM, GRU, CNN,
# ensembles), predict one label 0–4 per test beat, in order, and submit them as
# `id,label`. The baseline below, `ecg.BASELINE` (one bidirectional GRU trained for a few
# epochs), runs end to end and falls short of the target: 0.910 ± 0.021 accuracy in 5-fold
# cross-validation on the 500 beats (BENCHMARKS.md). Closing the gap is the homework.
#
# In a course notebook server the published test beats are in `~/homework`; elsewhere the
# same beats come from your data cache (`practicum data fetch ecg5000`).

# %%
published = Path.home() / "homework" / "lesson3-ecg5000" / "x_test.npy"
x_test = np.load(published) if published.is_file() else practicum.load("ecg5000", "test")["x"]
y_pred = ecg.solve_ecg(practicum.load("ecg5000", "train"), x_test, cfg=ecg.BASELINE)
write_label_csv(Path("submission.csv"), y_pred)
print(
    f"{len(y_pred)} labels written to submission.csv; per class {np.bincount(y_pred, minlength=5)}"
)

# %% [markdown]
# Ideas: the 1-D CNN of Section 2, longer training, an ensemble of several seeds,
# augmentation (small shifts and scalings of the beats), class weights for the rare
# classes. Measure each idea with cross-validation on the 500 beats, never on the test
# beats.
#
# When you are happy with your predictions, submit them yourself, from a cell of your own
# (in a course notebook server the address and your identity are already set; each
# homework has a daily limit of submissions):
#
# ```python
# practicum.submit("lesson3-ecg5000", y_pred)   # or the file: "submission.csv"
# ```
#
# This notebook never submits anything for you.

# %% [markdown]
# ### 2. Forecasting 1960
#
# Forecast the 12 months of 1960 from the data up to December 1959 (`y` above, all of
# it), and submit the 12 values (thousands of passengers, January first). Scored by RMSE
# against what was observed; the course's target is an RMSE of 25. Any model and any
# preparation is allowed, as long as it sees nothing after 1959. The baseline is your
# seasonal naive forecast, which on the lesson's test year 1959 misses by far more than
# that (the table above); the models of the table are starting points. Choose yours on
# validation years, the latest you have, each forecast from the years before it
# (`fc.validate(y, cfg, origins=fc.HOMEWORK_VALIDATION_ORIGINS)` forecasts 1955 to 1959;
# `recurrent.validation_rmse` for your GRU), then train it on 1949–1959. One validation
# year is 12 months: pool several before you trust a difference. Submit your 12 values
# yourself when you are ready:
#
# ```python
# practicum.submit("lesson3-airline-forecast", forecast_1960)
# ```

# %%
forecast_1960 = seasonal_naive(y, 12)
print("forecast of 1960:", forecast_1960.round(1))
print('to submit: practicum.submit("lesson3-airline-forecast", forecast_1960)')

# %% [markdown]
# ## Lesson 3 in numbers
#
# You wrote 12 exercises, 60 lines between the solution markers: in Section 2 the RNN
# cell, one step backward and BPTT by hand, the LSTM and GRU cells, the loop over time,
# the language model's teacher-forcing loss and its sampler; here the seasonal naive
# forecast, the windows, the GRU forecaster and its training epoch. Two are checked
# against numerical gradients (the step backward and BPTT); the LSTM and GRU cells are
# checked against `nn.LSTMCell` and `nn.GRUCell`, outputs and gradients; the others
# against the reference's outputs on fixed inputs, or by stand-in models that expose the
# usual mistakes.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(3)
