"""What each training task (--task) uses where its flags are left at 0."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskDefaults:
    """What a task's run uses where its flags are left at 0."""

    max_length: int  # tokens per example
    epochs: int
    max_steps: int  # 0 = no limit


# Tokens per example: a question/answer pair fits 96; the RAG prompt with its context of evidence
# sentences and the answer took 317 on average and at most 476 on data/qa's train split.
# A reading example is ~3.5 times a question/answer pair's tokens and a step of 16 costs ~8 times
# a recall step (32-36 s on 2 CPU cores), so the reader's default run is one pass cut at 36 steps
# (576 of the 988 examples, the learning rate decaying to zero there), which fits 30 minutes on 2
# CPU cores (its card states the time it took).
TASKS = {
    "recall": TaskDefaults(max_length=96, epochs=4, max_steps=0),
    "read": TaskDefaults(max_length=512, epochs=1, max_steps=36),
    # both = the recall run's pairs and steps and the read run's (training/mixed.py), one pass
    "both": TaskDefaults(max_length=512, epochs=1, max_steps=0),
}
