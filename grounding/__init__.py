"""The evidence check: the checkable values an answer states, looked up in the documents."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
