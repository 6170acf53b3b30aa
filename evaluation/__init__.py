"""Answer-quality metrics and the batched evaluation used by the adapter card."""
