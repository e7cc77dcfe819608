# minutes-rag API + web page, CPU only. Same steps as the Makefile's `setup`: CPU torch first, then the project,
# then `rag model materialize` so the bundled model is built at image build time (the container runs offline).
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
# optional extras, e.g. --build-arg RAG_EXTRAS=milvus for the Milvus store (docker-compose's cluster profile)
ARG RAG_EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RAG_MODEL_CACHE=/opt/minutes-rag/models \
    RAG_INDEX_DIR=/data/index \
    RAG_HOST=0.0.0.0 \
    RAG_PORT=8000 \
    HOME=/home/rag

RUN useradd --create-home --home-dir /home/rag --uid 10001 rag \
 && mkdir -p /app /data/index /opt/minutes-rag/models \
 && chown -R rag:rag /data /opt/minutes-rag

WORKDIR /app

# 1. torch, CPU build (no CUDA wheels), then fail the build if a CUDA build slipped in
RUN pip install "torch==${TORCH_VERSION}" --index-url https://download.pytorch.org/whl/cpu \
 && python -c "import sys, torch; sys.exit('a CUDA build of torch was installed' if torch.version.cuda else 0)"

# 2. the project (not editable, no dev extras)
COPY pyproject.toml README.md ./
COPY rag ./rag
COPY index ./index
COPY api ./api
COPY eval ./eval
RUN pip install . && rm -rf /app/build /app/*.egg-info
RUN if [ -n "$RAG_EXTRAS" ]; then pip install ".[$RAG_EXTRAS]" && rm -rf /app/build /app/*.egg-info; fi

# 3. build the default (bundled) embedding model into RAG_MODEL_CACHE
USER rag
RUN rag model materialize

EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]

# RAG_API_KEY must be given at run time to enable uploads and deletes (see docker-compose.yml).
CMD ["rag", "serve"]
