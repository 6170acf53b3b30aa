"""Make and describe trained weights: question/answer data, the training loop and methods (LoRA,
full), a whole training run (workflow.py), model cards, run records and staleness, and the
incremental update (refresh.py)."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
