"""Storage backends of the corpus store: DuckDB over a folder of Parquet files (`directory`), PostgreSQL
(`postgres`); `open_backend` picks one from a location."""

from __future__ import annotations

from pathlib import Path

from sourcetrace.corpus.backends.base import Backend
from sourcetrace.corpus.backends.directory import DirectoryBackend
from sourcetrace.corpus.backends.postgres import PostgresBackend


def open_backend(location: str | Path) -> Backend:
    """A folder path, or a `postgresql://` URL."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(text)
    return DirectoryBackend(text)
