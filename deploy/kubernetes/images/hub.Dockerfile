# The hub: the chart's own hub image (same version as the chart: they are released
# together) plus Practicum, whose spawn check and idle-culler arbiter run inside the hub.
# Build context: this folder, after the wheel is built into dist/ (docs/deploy-kubernetes.md).
ARG CHART_VERSION=4.3.3
FROM quay.io/jupyterhub/k8s-hub:${CHART_VERSION}

USER root
COPY dist/practicum-*.whl /tmp/wheels/
# CPU builds of torch (a Practicum dependency): the hub never trains anything.
RUN pip install --no-cache-dir /tmp/wheels/practicum-*.whl \
        --extra-index-url https://download.pytorch.org/whl/cpu \
    && rm -rf /tmp/wheels
USER 1000
