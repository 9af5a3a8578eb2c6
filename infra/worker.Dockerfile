# A MedPerf data-site worker: the project (flows, tasks, medperf) and a Prefect process worker.
# Build from the repository root:  docker build -f infra/worker.Dockerfile -t medperf/site-worker:dev .
# Run on the site machine (data root, site home and docker socket mounted; nothing of it is in the image):
#   docker run -d --name medperf-worker \
#     -e PREFECT_API_URL=http://prefect.example:4200/api -e MEDPERF_SITE_NAME=site-a \
#     -e MEDPERF_SITE_RUNNER=docker -v /srv/medperf:/data -e MEDPERF_SITE_DATA_ROOT=/data \
#     -v /root/.medperf:/home/medperf/.medperf -v /var/run/docker.sock:/var/run/docker.sock \
#     medperf/site-worker:dev
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    DO_NOT_TRACK=1 \
    PREFECT_WORKER_QUERY_SECONDS=1 \
    PREFECT_WORKER_PREFETCH_SECONDS=1 \
    MEDPERF_HOME=/home/medperf/.medperf \
    MEDPERF_SITE_DATA_ROOT=/data

RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 medperf

WORKDIR /opt/medperf
COPY pyproject.toml README.md ./
COPY medperf ./medperf
COPY flows ./flows
COPY tasks ./tasks
COPY blocks ./blocks
COPY deployments ./deployments
COPY prefect.yaml ./
RUN pip install --no-cache-dir .

USER medperf
# The pool and its deployments come from `medperf site up --site $MEDPERF_SITE_NAME --no-worker`
# (run once, or at each start as below); the worker then polls the site's pool.
CMD ["sh", "-c", "medperf site up --site \"$MEDPERF_SITE_NAME\" --no-worker && exec prefect worker start --pool \"$MEDPERF_SITE_NAME\" --type process"]
