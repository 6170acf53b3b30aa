"""The documents RAG answers from: reading uploads (text, Markdown, HTML, PDF), the document store,
chunking, the embedder and the Chroma index."""

import common  # noqa: F401  (sets the OpenMP default before anything loads torch)
