"""Answer pipelines (base, RAG, LoRA) over one shared model; see registry.PIPELINES."""
