"""Load a model and generate tokens: the engines (transformers, llama.cpp, an OpenAI-compatible
server), request batching, model files and the weights the app serves."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
