"""Speed, memory, load and sizing measurements and their reports."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
