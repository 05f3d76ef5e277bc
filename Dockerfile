# Aftercare: a small image that applies migrations, then runs the service with uvicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AFTERCARE_ENV=production

WORKDIR /srv/aftercare
RUN useradd --system --uid 10001 --home-dir /srv/aftercare aftercare

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY web ./web
# Editable install: the service finds migrations/ and web/ beside the package.
RUN pip install -e . && mkdir -p var && chown aftercare var

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"]
# `serve` applies migrations first; with several replicas run `aftercare migrate` once as a
# release step and start them with `serve --no-migrate`.
CMD ["aftercare", "serve", "--host", "0.0.0.0", "--port", "8000"]
