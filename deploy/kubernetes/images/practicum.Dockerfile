# The course service (`practicum serve --hub`), run by deploy/kubernetes/practicum.yaml.
# Build context: this folder, after the wheel is built into dist/ (docs/deploy-kubernetes.md).
FROM python:3.11-slim

COPY dist/practicum-*.whl /tmp/wheels/
# psycopg: the PostgreSQL driver of PRACTICUM_DATABASE_URL (postgresql+psycopg://...).
RUN pip install --no-cache-dir /tmp/wheels/practicum-*.whl "psycopg[binary]>=3.1" \
        --extra-index-url https://download.pytorch.org/whl/cpu \
    && rm -rf /tmp/wheels \
    && useradd --uid 1000 --create-home practicum
USER 1000
EXPOSE 8000
CMD ["practicum", "serve", "--hub", "--host", "0.0.0.0", "--port", "8000"]
