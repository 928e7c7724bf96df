"""PostgreSQL as the store, for teams that share one database: `sourcetrace run ... --store postgresql://...`.

The same tables as the Parquet store (columns from `tables.py`), one corpus per database (or per schema, with
`?options=-csearch_path%3Dmyschema` in the URL). A task's rows go in one transaction, so a task is stored whole
or not at all, as a shard folder is; `articles.article_id` is the primary key, so an article can never be
stored twice. `CorpusStore.open("postgresql://...")` gives the same read API as for a folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from sourcetrace.corpus.backends.base import ALL_TABLES, VIEWS, read_from
from sourcetrace.corpus.backends.tables import DERIVED_TABLES, SHARD_TABLES
from sourcetrace.errors import ConfigurationError


def _pg_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "TEXT"
    if pa.types.is_int32(arrow_type):
        return "INTEGER"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_binary(arrow_type):
        return "BYTEA"
    if pa.types.is_list(arrow_type):
        return "REAL[]"
    raise ConfigurationError(f"no PostgreSQL type for {arrow_type}")


def create_table_sql(name: str, schema: pa.Schema) -> str:
    columns = [f"{field.name} {_pg_type(field.type)}" for field in schema]
    if name == "articles":
        columns[0] += " PRIMARY KEY"
    return f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)})"


INDEXES = (
    "CREATE INDEX IF NOT EXISTS {t}_article_id ON {t} (article_id)",
)


class PostgresBackend:
    """The corpus tables in a PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.location = url
        self._conn: Any = None

    def connection(self) -> Any:
        if self._conn is None:
            try:
                import psycopg
            except ImportError:
                raise ConfigurationError("a postgresql:// store needs psycopg: pip install psycopg[binary]") from None
            try:
                self._conn = psycopg.connect(self.location, connect_timeout=10)
            except psycopg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConfigurationError(f"cannot connect to PostgreSQL: {first}") from None
        return self._conn

    def prepare(self) -> None:
        conn = self.connection()
        with conn.transaction(), conn.cursor() as cur:
            for name, schema in ALL_TABLES.items():
                cur.execute(create_table_sql(name, schema))
                for field in schema:  # columns added since the database was made (errors.kind, errors.stage)
                    cur.execute(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {field.name} {_pg_type(field.type)}")
                if "article_id" in schema.names and name != "articles":
                    cur.execute(INDEXES[0].format(t=name))
            cur.execute("CREATE INDEX IF NOT EXISTS cluster_members_claim ON cluster_members (claim_id)")
            cur.execute("CREATE INDEX IF NOT EXISTS claims_claim ON claims (claim_id)")
            for name, sql in VIEWS.items():
                cur.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")

    def done_ids(self) -> set[str]:
        rows = self.read(
            "SELECT article_id FROM articles UNION SELECT article_id FROM errors WHERE article_id IS NOT NULL "
            "AND kind IS DISTINCT FROM 'input'"
        )
        return set(rows.column("article_id").to_pylist())

    def clear_input_errors(self, inputs: Sequence[str]) -> None:
        sources = self.read("SELECT DISTINCT source FROM errors WHERE kind = 'input'").column("source").to_pylist()
        stale = [source for source in sources if read_from(source, inputs)]
        if not stale:
            return
        conn = self.connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("DELETE FROM errors WHERE kind = 'input' AND source = ANY(%s)", [stale])

    def _copy(self, cur: Any, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        columns = table.schema.names
        with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in table.to_pylist():
                copy.write_row([row[column] for column in columns])

    def write_task(self, task: str, tables: dict[str, pa.Table]) -> None:
        conn = self.connection()
        with conn.transaction(), conn.cursor() as cur:  # all of the task's rows, or none
            for name, schema in SHARD_TABLES.items():
                if name in tables:
                    self._copy(cur, name, tables[name].cast(schema))

    def write_derived(self, name: str, table: pa.Table) -> None:
        conn = self.connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(f"DELETE FROM {name}")
            self._copy(cur, name, table.cast(DERIVED_TABLES[name]))

    def read(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        conn = self.connection()
        if params:
            sql = sql.replace("%", "%%").replace("?", "%s")
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(sql, list(params) if params else None)
            if cur.description is None:
                return pa.table({})
            names = [column.name for column in cur.description]
            rows = cur.fetchall()
        columns = list(zip(*rows)) if rows else [[] for _ in names]
        return pa.table({name: pa.array([_plain(v) for v in values]) for name, values in zip(names, columns)})

    def refresh(self) -> None:
        return None

    def finish(self) -> None:
        conn = self.connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("ANALYZE")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return value.tobytes()
    return value
