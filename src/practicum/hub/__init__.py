"""JupyterHub integration: metering running servers, the pre-spawn check, the hub's
generated configuration, spawner, authenticator and idle culler, the hub REST client, and
`practicum up`.

The arithmetic and policy these decide with (credits, the GPU queue, profiles) live in
`practicum.compute`; the ledger and the queue's rows in `practicum.store`. This package
translates between JupyterHub (its REST API and hooks) and them.
"""
