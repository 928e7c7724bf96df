"""What every corpus backend is: the `Backend` protocol the runner writes through and the read API queries,
the tables and views it holds, and the ids of the tasks that write them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import pyarrow as pa

from sourcetrace.corpus.backends.tables import DERIVED_TABLES, SHARD_TABLES

ALL_TABLES: dict[str, pa.Schema] = {**SHARD_TABLES, **DERIVED_TABLES}

# Who relays whom, aggregated over the corpus. Three kinds of edge: a speaker to the channel that relayed the
# statement ("told RIA Novosti"), that channel to the outlet citing it, and a speaker straight to the outlet
# when no channel is named. Duplicated articles (syndicated copies) do not count as independent.
SOURCE_EDGES_SQL = """
SELECT e.source, e.source_kind, e.target, e.target_kind,
       count(*) AS n_attributions,
       count(DISTINCT e.article_id) AS n_articles,
       count(DISTINCT CASE WHEN d.article_id IS NULL THEN e.article_id END) AS n_independent_articles,
       min(e.published) AS first_published, max(e.published) AS last_published
FROM (
    SELECT a.speaker AS source, a.source_kind, a.channel AS target, 'channel' AS target_kind, a.article_id, a.published
    FROM attributions a
    WHERE a.channel IS NOT NULL AND a.speaker IS NOT NULL
      AND (a.source_kind NOT IN ('pronoun', 'author') OR a.speaker <> a.source)
    UNION ALL
    SELECT a.channel AS source, 'channel' AS source_kind, a.outlet AS target, 'outlet' AS target_kind, a.article_id,
           a.published
    FROM attributions a
    WHERE a.channel IS NOT NULL AND a.outlet IS NOT NULL
    UNION ALL
    SELECT a.speaker AS source, a.source_kind, a.outlet AS target, 'outlet' AS target_kind, a.article_id, a.published
    FROM attributions a
    WHERE a.channel IS NULL AND a.outlet IS NOT NULL AND a.speaker IS NOT NULL
      AND (a.source_kind NOT IN ('pronoun', 'author') OR a.speaker <> a.source)
) e
LEFT JOIN duplicates d ON d.article_id = e.article_id
GROUP BY e.source, e.source_kind, e.target, e.target_kind
"""

VIEWS: dict[str, str] = {"source_edges": SOURCE_EDGES_SQL}


class Backend(Protocol):
    """What the runner writes through and the read API queries: a folder of Parquet, or PostgreSQL."""

    location: str

    def prepare(self) -> None:
        """Create what is missing and clear what a killed run left half-written."""

    def done_ids(self) -> set[str]:
        """Ids of the articles already stored (analysed or failed in analysis): a rerun skips them. A record
        that could not be read is not done: once fixed, the rerun analyses it."""

    def clear_input_errors(self, inputs: Sequence[str]) -> None:
        """Forget the input errors stored for these inputs (files or folders): a run reads them again and
        reports what is still wrong, so fixed records leave the table and none is counted twice."""

    def write_task(self, task: str, tables: dict[str, pa.Table]) -> None:
        """Store one task's tables all at once, or not at all."""

    def write_derived(self, name: str, table: pa.Table) -> None:
        """Replace a corpus-wide table."""

    def read(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a query (`?` placeholders) and return the result as an Arrow table."""

    def finish(self) -> None:
        """After a run: make the store queryable by outside tools."""

    def close(self) -> None: ...


def new_task_id() -> str:
    return "task-" + uuid.uuid4().hex[:16]


INPUT_ERRORS_PREFIX = "inputs-"


def new_input_errors_id() -> str:
    return INPUT_ERRORS_PREFIX + uuid.uuid4().hex[:16]


def read_from(source: str | None, inputs: Sequence[str]) -> bool:
    """Whether an error's source lies in one of the inputs: the file itself, a file below a folder, or a
    record of a WARC file (`crawl.warc.gz (https://...)`)."""
    if not source:
        return False
    return any(source == path or source.startswith((path.rstrip(os.sep) + os.sep, path + " (")) for path in inputs)
