"""Answer pipelines (base, RAG, LoRA, and the optional RAG + LoRA and Retrained) over one shared
model (a second one for Retrained); see registry.PIPELINES."""

import os

# One OpenMP thread per Python thread unless a thread asks for more (the generation thread
# asks for every core). Measured on 2 cores: once two Python threads each run a multi-threaded
# OpenMP team, libgomp has more threads than cores, throttles its spin-waiting and a decode
# step takes 30 % longer. Must be set before torch loads, hence here.
os.environ.setdefault("OMP_NUM_THREADS", "1")
