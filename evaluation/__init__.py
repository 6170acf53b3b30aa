"""Answer quality: metrics, evaluation runs over question sets, their outputs and reports."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
