"""Parquet: one article per row, columns named as for JSONL and CSV (configurable); read batch by batch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadOptions, record_to_article

BATCH_ROWS = 2048


def read(stream: BinaryIO, source: str, article_id: str, options: ReadOptions) -> Iterator[ArticleInfo | InputError]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowException, OSError) as exc:
        yield InputError(source, f"not a readable Parquet file ({str(exc).splitlines()[0][:120]})")
        return
    columns = parquet.schema_arrow.names
    if options.fields.text not in columns:
        yield InputError(source, f"no {options.fields.text!r} column; columns: {columns[:10]}")
        return
    wanted = [name for name in dict.fromkeys(options.fields.__dict__.values()) if name in columns]
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            for record in batch.to_pylist():
                row += 1
                try:
                    yield record_to_article(record, source, options, row, f"{article_id}-{row}")
                except InputError as error:
                    yield error
    except (pa.ArrowException, OSError) as exc:
        yield InputError(source, f"cannot read past row {row} ({str(exc).splitlines()[0][:120]})", line=row + 1)
        return
    if row == 0:
        yield InputError(source, "the Parquet file has no rows")
