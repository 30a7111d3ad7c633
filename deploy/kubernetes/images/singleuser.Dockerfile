# A student's notebook server: Jupyter's PyTorch stack with CUDA (the same image serves the
# CPU profile), Practicum for practicum.submit() and the exercise notebooks that the
# postStart hook copies into each home. Pin a dated tag of the base image in production.
FROM quay.io/jupyter/pytorch-notebook:cuda12-latest

COPY --chown=1000:100 dist/practicum-*.whl /tmp/wheels/
RUN pip install --no-cache-dir /tmp/wheels/practicum-*.whl && rm -rf /tmp/wheels
COPY --chown=1000:100 dist/notebooks/exercise/ /opt/practicum/notebooks/
