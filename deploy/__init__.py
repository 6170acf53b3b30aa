"""Deployment checks: run what the Space's Dockerfile runs, without Docker."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
