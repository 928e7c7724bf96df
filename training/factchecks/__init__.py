"""Training of the fact-check matcher and reranker."""
