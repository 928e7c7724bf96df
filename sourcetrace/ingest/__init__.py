"""Readers, one module per input format, and the walk over paths that picks one per file.

A reader takes a binary stream and yields articles or `InputError`s: one broken record never stops
the rest of a file, and nothing is dropped without a report.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest import csv as csv_reader
from sourcetrace.ingest import html, jsonl, parquet, text, warc
from sourcetrace.ingest.common import FieldMap, ReadArticle, ReadOptions, input_warnings

Reader = Callable[[BinaryIO, str, str, ReadOptions], Iterator[ArticleInfo | InputError]]

READERS: dict[str, Reader] = {
    ".txt": text.read,
    ".text": text.read,
    ".html": html.read,
    ".htm": html.read,
    ".jsonl": jsonl.read,
    ".ndjson": jsonl.read,
    ".csv": csv_reader.read,
    ".parquet": parquet.read,
    ".warc": warc.read,
    ".warc.gz": warc.read,
}


def register_reader(suffix: str, reader: Reader) -> None:
    """Add a reader for files ending in `suffix` (e.g. '.parquet', '.warc.gz')."""
    READERS[suffix.lower()] = reader


def _suffix_of(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):  # longest first: .warc.gz before .gz
        if name.endswith(suffix):
            return suffix
    return None


def _article_id(path: Path, suffix: str) -> str:
    return path.name[: -len(suffix)] if suffix else path.stem


def read_stdin(options: ReadOptions, stream: BinaryIO | None = None) -> Iterator[ArticleInfo | InputError]:
    data = (stream or sys.stdin.buffer).read()
    looks_html = data.lstrip()[:1] == b"<"
    reader = html.read if looks_html else text.read
    yield from reader(io.BytesIO(data), "<stdin>", "stdin", options)


def read_path(path: Path, options: ReadOptions) -> Iterator[ArticleInfo | InputError]:
    """Articles from one file, or from every supported file below a directory, in name order."""
    if str(path) == "-":
        yield from read_stdin(options)
        return
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _suffix_of(p) is not None)
        if not files:
            yield InputError(str(path), f"no supported files in this folder ({', '.join(sorted(READERS))})")
        for file in files:
            yield from read_path(file, options)
        return
    if not path.exists():
        yield InputError(str(path), "no such file or folder")
        return
    suffix = _suffix_of(path)
    if suffix is None:
        yield InputError(str(path), f"unsupported file type; supported: {', '.join(sorted(READERS))}")
        return
    try:
        with path.open("rb") as stream:
            yield from READERS[suffix](stream, str(path), _article_id(path, suffix), options)
    except OSError as exc:
        yield InputError(str(path), f"cannot read the file ({exc.strerror or exc})")


def read_inputs(paths: Iterable[str | Path], options: ReadOptions | None = None) -> Iterator[ArticleInfo | InputError]:
    """Articles and errors from every input, in input order."""
    options = options or ReadOptions()
    for path in paths:
        yield from read_path(Path(path), options)


__all__ = [
    "READERS", "FieldMap", "InputError", "ReadArticle", "ReadOptions", "input_warnings", "read_inputs", "read_path",
    "register_reader",
]
