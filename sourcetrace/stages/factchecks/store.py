"""The fact-check store: one embedded DuckDB file with every imported fact-check and its MiniLM vectors.

Where: `--db PATH`, else `$SOURCETRACE_FACTCHECK_DB`, else `~/.local/share/sourcetrace/factchecks.duckdb`.
Re-import is idempotent: ids are stable (from the collection's own id or URL), rows are upserted, and a row
whose text did not change keeps its vectors (nothing is embedded twice).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sourcetrace._ml.embedder import DIMENSIONS, MODEL_NAME, SentenceEmbedder
from sourcetrace.stages.factchecks.importers import FactCheck

COLUMNS = ("id", "collection", "claim", "title", "verdict", "date", "outlet", "url", "claimant", "appeared_in",
           "narrative", "sub_narrative", "explanation")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS factchecks (
    id VARCHAR PRIMARY KEY,
    collection VARCHAR NOT NULL,
    claim VARCHAR NOT NULL,
    title VARCHAR,
    verdict VARCHAR,
    date VARCHAR,
    outlet VARCHAR,
    url VARCHAR,
    claimant VARCHAR,
    appeared_in VARCHAR,
    narrative VARCHAR,
    sub_narrative VARCHAR,
    explanation VARCHAR,
    extra VARCHAR,
    text_hash VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    claim_vector FLOAT[{DIMENSIONS}] NOT NULL,
    title_vector FLOAT[{DIMENSIONS}]
)
"""


def default_db_path() -> Path:
    configured = os.environ.get("SOURCETRACE_FACTCHECK_DB")
    if configured:
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "sourcetrace" / "factchecks.duckdb"


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


def _hash(record: FactCheck) -> str:
    return hashlib.sha1(f"{record.claim}\x1f{record.title or ''}\x1f{MODEL_NAME}".encode()).hexdigest()


class FactcheckStore:
    def __init__(self, path: str | Path | None = None, read_only: bool = False) -> None:
        import duckdb

        self.path = Path(path) if path is not None else default_db_path()
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = duckdb.connect(str(self.path), read_only=read_only)
        if not read_only:
            self.connection.execute(_SCHEMA)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> FactcheckStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self, collection: str | None = None) -> int:
        if collection is None:
            return self.connection.execute("SELECT count(*) FROM factchecks").fetchall()[0][0]
        query = "SELECT count(*) FROM factchecks WHERE collection = ?"
        return self.connection.execute(query, [collection]).fetchall()[0][0]

    def import_records(self, records: Iterable[FactCheck], embedder: SentenceEmbedder, batch_size: int = 512,
                       progress: Callable[[int], None] | None = None) -> ImportReport:
        report = ImportReport()
        batch: list[FactCheck] = []
        for record in records:
            batch.append(record)
            if len(batch) >= batch_size:
                self._import_batch(batch, embedder, report)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            self._import_batch(batch, embedder, report)
            if progress:
                progress(len(batch))
        return report

    def _import_batch(self, batch: list[FactCheck], embedder: SentenceEmbedder, report: ImportReport) -> None:
        import pyarrow as pa

        unique: dict[str, FactCheck] = {}
        for record in batch:
            unique[record.id] = record  # the last occurrence of an id in a file wins
        batch = list(unique.values())
        ids = [record.id for record in batch]
        existing = {
            row[0]: (row[1], row[2], row[3])
            for row in self.connection.execute(
                "SELECT id, text_hash, claim_vector, title_vector FROM factchecks WHERE id IN "
                "(SELECT unnest(?::VARCHAR[]))", [ids]
            ).fetchall()
        }
        hashes = [_hash(record) for record in batch]
        claim_vectors: list[list[float] | None] = [None] * len(batch)
        title_vectors: list[list[float] | None] = [None] * len(batch)
        to_embed: list[int] = []
        for i, (record, text_hash) in enumerate(zip(batch, hashes)):
            old = existing.get(record.id)
            if old is not None and old[0] == text_hash:
                claim_vectors[i], title_vectors[i] = list(old[1]), (list(old[2]) if old[2] is not None else None)
                report.unchanged += 1
            else:
                to_embed.append(i)
                if old is None:
                    report.added += 1
                else:
                    report.updated += 1
        if to_embed:
            claims = embedder.encode([batch[i].claim for i in to_embed])
            with_title = [i for i in to_embed if batch[i].title and batch[i].title != batch[i].claim]
            titles = embedder.encode([batch[i].title for i in with_title]) if with_title else np.zeros((0, DIMENSIONS))
            for row, i in enumerate(to_embed):
                claim_vectors[i] = claims[row].tolist()
            for row, i in enumerate(with_title):
                title_vectors[i] = titles[row].tolist()
            report.embedded += len(to_embed) + len(with_title)
        columns = {name: [getattr(record, name) for record in batch] for name in COLUMNS}
        columns["extra"] = [json.dumps(record.extra, ensure_ascii=False) if record.extra else None for record in batch]
        columns["text_hash"] = hashes
        columns["model"] = [MODEL_NAME] * len(batch)
        vector_type = pa.list_(pa.float32(), DIMENSIONS)
        table = pa.table({
            **{name: pa.array(values, pa.string()) for name, values in columns.items()},
            "claim_vector": pa.array(claim_vectors, vector_type),
            "title_vector": pa.array(title_vectors, vector_type),
        })
        self.connection.register("incoming", table)
        try:
            names = ", ".join(list(columns) + ["claim_vector", "title_vector"])
            self.connection.execute(f"INSERT OR REPLACE INTO factchecks ({names}) SELECT {names} FROM incoming")
        finally:
            self.connection.unregister("incoming")

    def load(self, collections: Iterable[str] | None = None) -> tuple[list[dict], np.ndarray, np.ndarray]:
        """Every row (as dicts, without vectors), the claim vectors and the title vectors (claim's when none)."""
        where, params = "", []
        if collections:
            collections = list(collections)
            where = f"WHERE collection IN ({', '.join('?' for _ in collections)})"
            params = collections
        names = ", ".join(COLUMNS + ("extra",))
        relation = self.connection.sql(
            f"SELECT {names}, claim_vector, coalesce(title_vector, claim_vector) AS title_vector "
            f"FROM factchecks {where} ORDER BY id", params=params or None
        )
        # duckdb 1.4 renamed fetch_arrow_table to to_arrow_table
        table = (getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table)()
        rows = table.select(list(COLUMNS) + ["extra"]).to_pylist()
        for row in rows:
            row["extra"] = json.loads(row["extra"]) if row["extra"] else {}
        claim = _vectors(table.column("claim_vector"))
        title = _vectors(table.column("title_vector"))
        return rows, claim, title


def _vectors(column) -> np.ndarray:  # noqa: ANN001 - a pyarrow ChunkedArray of fixed-size lists
    if len(column) == 0:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return np.asarray(flat, dtype=np.float32).reshape(-1, DIMENSIONS)


def record_dict(record: FactCheck) -> dict:
    return asdict(record)
