"""Corpus engines: each brings batches of records to the same `analyze_batch` (process pool, Ray)."""
