"""The arena: votes and per-answer feedback from the chat (blind or not), the ratings they make
(Bradley-Terry with bootstrap intervals), shared comparisons, and their export as a dataset."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
