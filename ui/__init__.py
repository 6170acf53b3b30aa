"""What the browser shows and stores: the tabs and panels of the Gradio app, rendering, transcripts,
votes and the cost model."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
