# Aftercare's production image: the hash-checked runtime lock, then the wheel (no source tree,
# no editable install). Runs as a non-root user on a read-only root filesystem; everything the
# service writes goes to the one volume at /data.

# Build stage: only turns the source into a wheel.
FROM python:3.11-slim AS builder
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
# DL3064 reads "KEY" in a name as a secret: this is only where the key file lives on the volume.
# hadolint ignore=DL3064
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AFTERCARE_ENV=production \
    AFTERCARE_DATABASE_URL=sqlite:////data/aftercare.db \
    AFTERCARE_VAPID_PRIVATE_KEY_FILE=/data/vapid-private.pem

# Dependencies first, in their own layer: it changes only when requirements/run.txt does.
COPY requirements/run.txt /tmp/run.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/run.txt && rm /tmp/run.txt
COPY --from=builder /dist/ /tmp/dist/
RUN pip install --no-cache-dir --no-deps /tmp/dist/aftercare-*.whl && rm -r /tmp/dist

RUN useradd --system --uid 10001 --no-create-home --home-dir /data aftercare \
    && mkdir /data && chown 10001:10001 /data
# The working directory is the volume too, so settings left relative (./var/...) land on it.
WORKDIR /data
VOLUME ["/data"]
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"]
# `serve` applies migrations first; with several replicas (compose.yaml) a release step runs
# `aftercare migrate` once and the web processes start with `serve --no-migrate`.
CMD ["aftercare", "serve", "--host", "0.0.0.0", "--port", "8000"]
