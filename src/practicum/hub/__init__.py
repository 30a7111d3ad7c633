"""JupyterHub integration: the credit ledger and metering, the fair GPU queue, the hub's
generated configuration, spawner, authenticator and spawn checks, and `practicum up`.

Pure policy (`credits`, `queue`) is plain functions over plain data; the rest translates
between JupyterHub (its REST API and hooks) and that core.
"""
