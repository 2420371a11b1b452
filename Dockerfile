# releasebot as a container: `docker build -t releasebot .`, then
# `docker run --env-file .env -e DATABASE_URL=postgresql://... -p 3000:3000 releasebot`.
# Stage 1 turns the project and every dependency into wheels; stage 2 installs only those
# wheels, so the image carries no compiler, no build tool and no source checkout.
# Needs BuildKit (the default builder of current Docker) for the RUN --mount below.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Only what the wheel is made of (pyproject names README.md as the long description).
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY migrations ./migrations
# The project's wheel and one for each dependency (all of them ship binary wheels).
RUN pip wheel --wheel-dir /wheels -c constraints.txt .

FROM python:3.11-slim AS runtime
ENV PORT=3000 PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Install from the wheels alone (no index), mounted from stage 1 so they stay out of the
# image's layers.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels releasebot
# An unprivileged user with a fixed uid, so Kubernetes can check runAsNonRoot. /app is the
# working directory, writable only for the default SQLite file of a single `docker run`;
# with DATABASE_URL on PostgreSQL nothing is written and the root filesystem can be read-only.
RUN groupadd --system --gid 10001 releasebot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin releasebot \
    && mkdir /app && chown 10001:10001 /app
WORKDIR /app
USER 10001:10001
EXPOSE 3000
# No curl in the image: Python's urllib asks the liveness endpoint (non-2xx raises, exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["releasebot"]
CMD ["run"]
