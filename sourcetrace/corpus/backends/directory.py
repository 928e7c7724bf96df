"""The default corpus backend: sharded Parquet tables in a folder, queried through DuckDB views over them
(the folder layout is described in `sourcetrace.corpus.store`)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sourcetrace.corpus.backends.base import ALL_TABLES, INPUT_ERRORS_PREFIX, VIEWS, new_input_errors_id, read_from
from sourcetrace.corpus.backends.tables import DERIVED_TABLES, ERRORS, SHARD_TABLES
from sourcetrace.errors import ConfigurationError


class DirectoryBackend:
    """Sharded Parquet tables in a folder, queried through DuckDB views over them."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.location = str(self.root)
        self._con: Any = None

    # --- writing ----------------------------------------------------------------------------------------
    @property
    def shards(self) -> Path:
        return self.root / "shards"

    def prepare(self) -> None:
        for folder in (self.shards, self.root / "tmp", self.root / "derived"):
            folder.mkdir(parents=True, exist_ok=True)
        # Tasks a killed run was writing: their articles are not done and will be analysed again.
        for leftover in (self.root / "tmp").iterdir():
            shutil.rmtree(leftover, ignore_errors=True)

    def done_ids(self) -> set[str]:
        done: set[str] = set()
        for name in ("articles", "errors"):
            files = sorted(p for p in self.shards.glob(f"*/{name}.parquet")
                           if not p.parent.name.startswith(INPUT_ERRORS_PREFIX))
            if not files:
                continue
            column = pq.ParquetDataset(files).read(columns=["article_id"]).column("article_id")
            done.update(value for value in column.to_pylist() if value is not None)
        return done

    def write_task(self, task: str, tables: dict[str, pa.Table]) -> None:
        staging = self.root / "tmp" / task
        staging.mkdir(parents=True, exist_ok=False)
        for name, schema in SHARD_TABLES.items():
            table = tables.get(name, schema.empty_table())
            pq.write_table(table.cast(schema), staging / f"{name}.parquet", compression="zstd")
        _fsync_dir(staging)
        os.rename(staging, self.shards / task)  # atomic: the shard is there whole, or not at all
        _fsync_dir(self.shards)

    def clear_input_errors(self, inputs: Sequence[str]) -> None:
        for shard in sorted(self.shards.glob(f"{INPUT_ERRORS_PREFIX}*")):
            path = shard / "errors.parquet"
            rows = pq.read_table(path).to_pylist() if path.exists() else []
            kept = [row for row in rows if not read_from(row.get("source"), inputs)]
            if len(kept) == len(rows) and path.exists():
                continue
            if kept:  # the new shard is in place before the old one goes: a kill in between loses nothing
                self.write_task(new_input_errors_id(), {"errors": pa.Table.from_pylist(kept, schema=ERRORS)})
            retired = self.root / "tmp" / shard.name
            os.rename(shard, retired)
            shutil.rmtree(retired, ignore_errors=True)
        self._con = None

    def write_derived(self, name: str, table: pa.Table) -> None:
        folder = self.root / "derived"
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".{name}.{uuid.uuid4().hex[:8]}.parquet"
        pq.write_table(table.cast(DERIVED_TABLES[name]), staging, compression="zstd")
        os.replace(staging, folder / f"{name}.parquet")
        self._con = None  # views are rebuilt on the next query

    # --- reading ----------------------------------------------------------------------------------------
    def _sources(self) -> dict[str, str | None]:
        """For each table, the Parquet glob to read, or None when the table has no file yet."""
        sources: dict[str, str | None] = {}
        for name in SHARD_TABLES:
            has_files = any(self.shards.glob(f"*/{name}.parquet"))
            sources[name] = str(self.shards.resolve() / "*" / f"{name}.parquet") if has_files else None
        for name in DERIVED_TABLES:
            path = self.root / "derived" / f"{name}.parquet"
            sources[name] = str(path.resolve()) if path.exists() else None
        return sources

    def _create_views(self, con: Any, persistent: bool) -> None:
        for name, source in self._sources().items():
            if source is not None:
                con.execute(
                    f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_sql_string(source)}, "
                    "union_by_name = true)"
                )
            else:
                con.register(f"_empty_{name}", ALL_TABLES[name].empty_table())
                kind = "TABLE" if persistent else "VIEW"
                con.execute(f"CREATE OR REPLACE {kind} {name} AS SELECT * FROM _empty_{name}")
                if persistent:
                    con.unregister(f"_empty_{name}")
        for name, sql in VIEWS.items():
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")

    def connection(self) -> Any:
        if self._con is None:
            import duckdb

            if not self.shards.exists():
                raise ConfigurationError(f"{self.root} is not a corpus folder (no shards/ in it)")
            con = duckdb.connect(":memory:")
            self._create_views(con, persistent=False)
            self._con = con
        return self._con

    def read(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        relation = self.connection().sql(sql, params=list(params) or None)
        if relation is None:  # a statement that returns nothing
            return pa.table({})
        # DuckDB 2 renamed fetch_arrow_table to to_arrow_table
        return relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()

    def refresh(self) -> None:
        """See shards and derived tables written since the store was opened."""
        self._con = None

    def finish(self) -> None:
        import duckdb

        staging = self.root / f".corpus.{uuid.uuid4().hex[:8]}.duckdb"
        con = duckdb.connect(str(staging))
        try:
            self._create_views(con, persistent=True)
        finally:
            con.close()
        os.replace(staging, self.root / "corpus.duckdb")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
