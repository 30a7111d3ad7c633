"""Lesson 3: recurrent networks, on heartbeats (ECG5000) and airline passengers.

Read `rnn.py` first, top to bottom: RNN, LSTM and GRU cells written out by hand, the loop
over time, and why gradients vanish or explode. Then:

- `ecg.py`: classifying heartbeats with a GRU and a 1-D CNN, and the homework reference
  (`solve_ecg`, what `practicum lesson homework 3` runs);
- `forecast.py`: forecasting monthly airline passengers against honest baselines
  (persistence, seasonal naive, SARIMA).
"""
