"""Lesson 3: recurrent networks, on heartbeats (ECG5000) and airline passengers.

Read `rnn.py` first, top to bottom: RNN, LSTM and GRU cells written out by hand, the loop
over time, and why gradients vanish or explode. Then:

- `bptt.py`: one RNN step backward and backpropagation through time, by hand;
- `ecg.py`: classifying heartbeats with a GRU and a 1-D CNN, and the students' homework
  baseline (`BASELINE`);
- `charlm.py`: a character-level language model (embeddings, teacher forcing, sampling
  with a temperature), the bridge to Lesson 4;
- `forecast.py`: forecasting monthly airline passengers against honest baselines
  (persistence, seasonal naive, SARIMA), and `recurrent.py`: a GRU forecaster;
- `checks.py`, `checks_charlm.py`, `checks_forecast.py`: the exercises' checks;
  `diagrams.py`: the unrolled RNN and the LSTM cell, drawn;
- `reference.py`: the homework references (the ECG classifier `practicum lesson homework 3`
  runs, the forecast of 1960), apart so that a course can withhold them.
"""
