# The em-assets code location image: the Helm chart's user deployment serves it with
# `dagster code-server start`, and the K8sRunLauncher runs every run of it in a pod of this image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_DISABLE_TELEMETRY=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    EM_ASSETS_HOME=/data/em-assets

WORKDIR /opt/em-assets
COPY pyproject.toml README.md ./
COPY em_assets ./em_assets
RUN pip install . && mkdir -p "$DAGSTER_HOME" "$EM_ASSETS_HOME"
# Telemetry off and SQLite for a plain `docker run`; on Kubernetes the chart mounts its own
# dagster.yaml (PostgreSQL) over this folder.
COPY deploy/dagster/local.yaml /opt/dagster/dagster_home/dagster.yaml

EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "em_assets.definitions"]
