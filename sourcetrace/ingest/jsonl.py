"""JSON Lines: one article per line; a broken line is reported with its number and the rest are read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadOptions, record_to_article


def read(stream: BinaryIO, source: str, article_id: str, options: ReadOptions) -> Iterator[ArticleInfo | InputError]:
    seen_any = False
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        seen_any = True
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield InputError(source, f"line is not UTF-8 ({exc.reason} at byte {exc.start})", line=number)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(source, f"invalid JSON: {exc.msg} (column {exc.colno})", line=number)
            continue
        if not isinstance(record, dict):
            yield InputError(source, f"expected a JSON object, got {type(record).__name__}", line=number)
            continue
        try:
            yield record_to_article(record, source, options, number, f"{article_id}-{number}")
        except InputError as error:
            yield error
    if not seen_any:
        yield InputError(source, "the file is empty")
