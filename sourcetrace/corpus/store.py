"""Where a corpus run's tables live, and the small read API every shell uses (CLI, web app, notebooks).

Layout of a corpus folder (the default store):

    DIR/shards/<task>/<table>.parquet   one folder per finished task, renamed into place when complete
    DIR/shards/inputs-<id>/errors.parquet  records the run could not read (a rerun replaces those of its inputs)
    DIR/tmp/<task>/                      a task being written (removed on the next start)
    DIR/derived/<table>.parquet          corpus-wide tables: duplicates, cluster_members, clusters
    DIR/corpus.duckdb                    views over the Parquet files, for `duckdb DIR/corpus.duckdb`
    DIR/errors.jsonl                     the `errors` table as JSON lines: what failed, with record and reason

A task folder appears by one `rename`, so a folder under `shards/` is always complete: the ids in it are
done, whatever happened to the process that wrote it. `source_edges` (the source graph) is a view.

    store = CorpusStore.open("out/")              # or "postgresql://user@host/db"
    store.claims(speaker="Peskov", since="2022-09-01", limit=20)
    store.cluster(store.clusters(limit=1)[0]["cluster_id"])

Every method returns plain dicts (dates as ISO strings), so they serialise to JSON as they are.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sourcetrace.corpus.backends import Backend, open_backend
from sourcetrace.corpus.backends.base import ALL_TABLES, VIEWS
from sourcetrace.corpus.backends.tables import ERRORS
from sourcetrace.errors import ConfigurationError

# --- the read API ---------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row.items()} for row in table.to_pylist()]


def _date_param(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ConfigurationError(f"{name}: cannot read the date {value!r}; use YYYY-MM-DD") from None


def _json_field(value: str | None) -> Any:
    return json.loads(value) if value else []


ARTICLE_COLUMNS = (
    "a.article_id, a.title, a.published, a.outlet, a.url, a.language, a.n_chars, a.n_sentences, a.n_entities, "
    "a.n_attributions, a.n_claims, a.n_techniques, a.n_findings, d.duplicate_of"
)
CLAIM_COLUMNS = (
    "c.claim_id, c.article_id, c.outlet, c.published, c.text, c.start_char, c.end_char, c.kind, c.speaker, "
    "c.source_kind, c.channel, c.attribution_id, c.author_voice, c.checkworthiness, c.quantities, "
    "m.cluster_id, d.duplicate_of"
)


class CorpusStore:
    """Read access to a corpus: the tables of `sourcetrace run`, and the questions users ask of them."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @classmethod
    def open(cls, location: str | Path) -> CorpusStore:
        """A corpus folder written by `sourcetrace run --out DIR`, or a `postgresql://` URL."""
        text = str(location)
        if not text.startswith(("postgresql://", "postgres://")) and not (Path(text) / "shards").is_dir():
            raise ConfigurationError(f"{text} is not a corpus folder (no shards/ in it): run `sourcetrace run` first")
        return cls(open_backend(text))

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> CorpusStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh(self) -> None:
        """Pick up what a run still going has written since the store was opened."""
        refresh = getattr(self.backend, "refresh", None)
        if refresh is not None:
            refresh()

    # --- general ------------------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Any SQL over the tables (articles, attributions, claims, entities, techniques, framing, findings,
        errors, duplicates, clusters, cluster_members, source_edges)."""
        return self.backend.read(sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return _rows(self.backend.read(sql, params))

    def count(self, table: str) -> int:
        if table not in ALL_TABLES and table not in VIEWS:
            raise ConfigurationError(f"unknown table {table!r}")
        return int(self.backend.read(f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py())

    def stats(self) -> dict[str, int]:
        """Row counts of every table."""
        return {name: self.count(name) for name in (*ALL_TABLES, *VIEWS)}

    # --- articles -----------------------------------------------------------------------------------------
    def articles(self, limit: int = 50, offset: int = 0, outlet: str | None = None) -> list[dict[str, Any]]:
        """Articles, newest first, without their text; `duplicate_of` names the first copy of a duplicate."""
        where, params = "", []
        if outlet:
            where, params = "WHERE a.outlet ILIKE ?", [outlet]
        return self.rows(
            f"SELECT {ARTICLE_COLUMNS} FROM articles a LEFT JOIN duplicates d ON d.article_id = a.article_id {where} "
            "ORDER BY a.published DESC NULLS LAST, a.article_id LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )

    def article(self, article_id: str) -> dict[str, Any] | None:
        """The stored analysis of one article (the JSON `sourcetrace analyze` prints), or None."""
        table = self.backend.read("SELECT analysis FROM articles WHERE article_id = ? LIMIT 1", [article_id])
        if table.num_rows == 0:
            return None
        return json.loads(table.column("analysis")[0].as_py())

    # --- errors -------------------------------------------------------------------------------------------
    def errors(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """What failed: records that could not be read (`kind` input), articles that could not be analysed
        (analysis) or lost one layer (stage), each with its record id where it has one, file, line and cause."""
        # SELECT *: a corpus written before `kind` and `stage` existed has shards without them
        rows = self.rows("SELECT * FROM errors ORDER BY source, line NULLS FIRST, article_id LIMIT ? OFFSET ?",
                         [int(limit), int(offset)])
        return [{name: row.get(name) for name in ERRORS.names} for row in rows]

    # --- claims -------------------------------------------------------------------------------------------
    def claims(
        self,
        speaker: str | None = None,
        source_kind: str | None = None,
        outlet: str | None = None,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        technique: str | None = None,
        narrative: str | None = None,
        has_finding: bool | None = None,
        search: str | None = None,
        article_id: str | None = None,
        cluster_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Claims matching every filter given, newest first. Text filters are case-insensitive substrings;
        `technique` keeps claims overlapping a technique span of that name; `narrative` keeps claims with a
        narrative finding mentioning it; `has_finding` keeps claims with (True) or without (False) findings."""
        conditions: list[str] = []
        params: list[Any] = []
        if speaker:
            conditions.append("c.speaker ILIKE ?")
            params.append(f"%{speaker}%")
        if source_kind:
            conditions.append("c.source_kind = ?")
            params.append(source_kind)
        if outlet:
            conditions.append("c.outlet ILIKE ?")
            params.append(f"%{outlet}%")
        if since:
            conditions.append("c.published >= ?")
            params.append(_date_param(since, "since"))
        if until:
            conditions.append("c.published <= ?")
            params.append(_date_param(until, "until"))
        if technique:
            conditions.append(
                "EXISTS (SELECT 1 FROM techniques t WHERE t.article_id = c.article_id AND t.technique ILIKE ? "
                "AND t.start_char < c.end_char AND t.end_char > c.start_char)"
            )
            params.append(f"%{technique}%")
        if narrative:
            conditions.append(
                "EXISTS (SELECT 1 FROM findings f WHERE f.claim_id = c.claim_id AND f.kind = 'narrative' "
                "AND (f.message ILIKE ? OR f.evidence ILIKE ?))"
            )
            params.extend([f"%{narrative}%", f"%{narrative}%"])
        if has_finding is not None:
            exists = "EXISTS (SELECT 1 FROM findings f2 WHERE f2.claim_id = c.claim_id)"
            conditions.append(exists if has_finding else f"NOT {exists}")
        if search:
            conditions.append("c.text ILIKE ?")
            params.append(f"%{search}%")
        if article_id:
            conditions.append("c.article_id = ?")
            params.append(article_id)
        if cluster_id:
            conditions.append("m.cluster_id = ?")
            params.append(cluster_id)
        where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
        rows = self.rows(
            f"SELECT {CLAIM_COLUMNS} FROM claims c "
            "LEFT JOIN cluster_members m ON m.claim_id = c.claim_id "
            "LEFT JOIN duplicates d ON d.article_id = c.article_id "
            f"{where} ORDER BY c.published DESC NULLS LAST, c.article_id, c.start_char LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        for row in rows:
            row["quantities"] = _json_field(row["quantities"])
        return rows

    # --- clusters -----------------------------------------------------------------------------------------
    def clusters(
        self, since: str | dt.date | None = None, limit: int = 50, offset: int = 0, min_articles: int = 2
    ) -> list[dict[str, Any]]:
        """Claim clusters carried by at least `min_articles` articles, the most widely carried first; `since`
        keeps clusters seen on or after that date. (Every claim long enough is in a cluster, most alone.)"""
        conditions, params = ["n_articles >= ?"], [int(min_articles)]
        if since:
            conditions.append("last_published >= ?")
            params.append(_date_param(since, "since"))
        rows = self.rows(
            f"SELECT * FROM clusters WHERE {' AND '.join(conditions)} "
            "ORDER BY n_independent_articles DESC, n_articles DESC, first_published NULLS LAST, cluster_id "
            "LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        return [_decode_cluster(row) for row in rows]

    def cluster(self, cluster_id: str) -> dict[str, Any] | None:
        """One cluster and its members in order of publication: a timeline of who carried the claim when."""
        found = self.rows("SELECT * FROM clusters WHERE cluster_id = ?", [cluster_id])
        if not found:
            return None
        cluster = _decode_cluster(found[0])
        cluster["members"] = self.rows(
            "SELECT c.claim_id, c.article_id, c.outlet, c.published, c.text, c.start_char, c.end_char, c.speaker, "
            "c.channel, c.quantities, m.similarity, d.duplicate_of, a.title, a.url "
            "FROM cluster_members m JOIN claims c ON c.claim_id = m.claim_id "
            "JOIN articles a ON a.article_id = c.article_id "
            "LEFT JOIN duplicates d ON d.article_id = c.article_id "
            "WHERE m.cluster_id = ? ORDER BY c.published NULLS LAST, c.article_id, c.start_char",
            [cluster_id],
        )
        for member in cluster["members"]:
            member["quantities"] = _json_field(member["quantities"])
        return cluster

    # --- the source graph ---------------------------------------------------------------------------------
    def sources(self, limit: int | None = None, source: str | None = None) -> list[dict[str, Any]]:
        """Edges of the source graph (speaker -> channel -> outlet) with counts, the most frequent first."""
        where, params = "", []
        if source:
            where, params = "WHERE source ILIKE ? OR target ILIKE ?", [f"%{source}%", f"%{source}%"]
        sql = f"SELECT * FROM source_edges {where} ORDER BY n_articles DESC, n_attributions DESC, source, target"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return self.rows(sql, params)


def _decode_cluster(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("outlets", "wordings", "numbers", "findings", "narratives"):
        row[key] = _json_field(row.get(key))
    return row


def export_table(table: pa.Table, path: Path) -> None:
    """Write a query result as CSV, Parquet or JSON Lines, chosen by the file's extension."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        pq.write_table(table, path)
    elif suffix == ".csv":
        import pyarrow.csv as pacsv

        plain = table
        for index, field in enumerate(table.schema):
            if pa.types.is_list(field.type) or pa.types.is_binary(field.type):
                cells = [_csv_cell(v) for v in table.column(index).to_pylist()]
                plain = plain.set_column(index, field.name, pa.array(cells, pa.string()))
        pacsv.write_csv(plain, path)
    elif suffix in (".jsonl", ".ndjson"):
        with path.open("w", encoding="utf-8") as stream:
            for row in _rows(table):
                stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    else:
        raise ConfigurationError(f"{path}: export to .csv, .parquet or .jsonl")


def _csv_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.hex()
    return json.dumps(value)


def iter_batches(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
