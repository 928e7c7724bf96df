"""Training of the check-worthiness models (TF-IDF n-grams, fine-tuned MiniLM)."""
