"""The answer columns (base, RAG, LoRA, and the optional RAG + LoRA and Retrained) over one shared
model, their protocol and their explicit registry (registry.PIPELINES)."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
