"""CSV with a header row: one article per row; broken rows are reported with their line number."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from typing import BinaryIO

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadOptions, decode, record_to_article

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # articles are long fields


def read(stream: BinaryIO, source: str, article_id: str, options: ReadOptions) -> Iterator[ArticleInfo | InputError]:
    try:
        text = decode(stream.read(), source)
    except InputError as error:
        yield error
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        yield InputError(source, f"cannot read the CSV header ({exc})", line=1)
        return
    header = [name.strip() for name in header]
    if options.fields.text not in header:
        yield InputError(source, f"no {options.fields.text!r} column in the header {header[:10]}", line=1)
        return
    row_number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield InputError(source, f"malformed CSV: {exc}", line=reader.line_num)
            continue
        row_number += 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield InputError(
                source, f"the row has {len(row)} fields, the header {len(header)}", line=reader.line_num
            )
            continue
        try:
            yield record_to_article(
                dict(zip(header, row)), source, options, reader.line_num, f"{article_id}-{row_number}"
            )
        except InputError as error:
            yield error
    if row_number == 0:
        yield InputError(source, "the CSV has a header but no rows")
