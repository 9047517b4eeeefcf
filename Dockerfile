# The forum service: a builder stage makes the virtual environment, a slim stage runs it.
#
#   docker build -t forum .
#   docker run -p 8000:8000 -e FORUM_SECRET_KEY=... -e FORUM_ALLOWED_ORIGINS=http://localhost:8000 forum
#
# The project is installed in place (editable) at /app: the service finds migrations/ and
# static/ next to the package at run time (alembic.ini is there for running Alembic by hand).

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /app
# Dependencies first, so a change of source alone reuses this layer.
COPY pyproject.toml README.md ./
RUN mkdir forum && touch forum/__init__.py \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/pip uninstall -y forum \
    && rm -rf forum build ./*.egg-info
COPY alembic.ini ./
COPY forum ./forum
COPY migrations ./migrations
COPY static ./static
RUN /opt/venv/bin/pip install --no-deps -e . \
    && /opt/venv/bin/python -m compileall -q forum

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --uid 10001 --home-dir /data --create-home --shell /usr/sbin/nologin forum
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
# The working directory holds the default SQLite file (forum.db); mount a volume here, or
# set FORUM_DATABASE_URL to PostgreSQL.
WORKDIR /data
VOLUME /data
USER forum
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
# uvicorn stops gracefully on SIGTERM: websockets hear 1012 and clients resume elsewhere.
STOPSIGNAL SIGTERM
CMD ["forum", "serve", "--host", "0.0.0.0", "--port", "8000"]
