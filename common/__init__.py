"""The bottom layer: configuration, errors, files, threads, messages and logging. Imports nothing
else of ours. Every other package imports this one first (in its __init__), so that the OpenMP
default below is set before any module loads torch."""

import os

# One OpenMP thread per Python thread unless a thread asks for more (the generation thread
# asks for every core). Measured on 2 cores: once two Python threads each run a multi-threaded
# OpenMP team, libgomp has more threads than cores, throttles its spin-waiting and a decode
# step takes 30 % longer. Must be set before torch loads, hence here.
os.environ.setdefault("OMP_NUM_THREADS", "1")
