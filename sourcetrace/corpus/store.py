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
from sourcetrace.corpus.backends.base import ALL_TABLES, SOURCE_EDGES_SQL, VIEWS
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

    # --- speakers: one person under every name the corpus gives them ---------------------------------------
    def speaker_aliases(self) -> dict[str, str]:
        """Speaker name as stored -> the name every corpus statistic counts them under, for the names that
        change: spacing and case evened out, and a surname alone ("Peskov") or a resolved pronoun joined to
        the one full name of a person ending in it ("Dmitry Peskov"). Ambiguous surnames stay apart."""
        rows = self.rows(
            "SELECT speaker, source_kind, count(*) AS n FROM attributions WHERE speaker IS NOT NULL "
            "GROUP BY speaker, source_kind")
        return merge_speaker_names(rows)

    def _alias_cte(self) -> tuple[str, list[Any]]:
        aliases = self.speaker_aliases()
        if not aliases:
            return ("WITH alias(raw, name) AS (SELECT CAST(NULL AS VARCHAR) AS raw, CAST(NULL AS VARCHAR) AS name "
                    "WHERE 1 = 0) ", [])
        values = ", ".join("(?, ?)" for _ in aliases)
        return f"WITH alias(raw, name) AS (VALUES {values}) ", [x for pair in aliases.items() for x in pair]

    def speakers(self, name: str | None = None, limit: int = 100, offset: int = 0,
                 sort: str = "n_claims") -> list[dict[str, Any]]:
        """People and organisations quoted in the corpus, merged across the names they appear under, with
        how many attributions, claims, articles, outlets and claim clusters (2+ articles) they stand behind."""
        cte, params = self._alias_cte()
        where, extra = "", []
        if name:
            where, extra = "WHERE s.speaker ILIKE ?", [f"%{name}%"]
        order = _order(sort, SPEAKER_SORTS, "n_claims")
        sql = (
            cte + ", s AS (SELECT COALESCE(al.name, a.speaker) AS speaker, a.source_kind, a.article_id, a.outlet, "
            "a.published, a.attribution_id FROM attributions a LEFT JOIN alias al ON al.raw = a.speaker "
            "WHERE a.speaker IS NOT NULL AND a.source_kind NOT IN ('author') "
            "AND (a.source_kind <> 'pronoun' OR a.speaker <> COALESCE(a.source, ''))), "
            "cl AS (SELECT COALESCE(al.name, c.speaker) AS speaker, count(*) AS n_claims, "
            "count(DISTINCT CASE WHEN k.n_articles >= 2 THEN m.cluster_id END) AS n_clusters "
            "FROM claims c LEFT JOIN alias al ON al.raw = c.speaker "
            "LEFT JOIN cluster_members m ON m.claim_id = c.claim_id "
            "LEFT JOIN clusters k ON k.cluster_id = m.cluster_id "
            "WHERE c.speaker IS NOT NULL GROUP BY COALESCE(al.name, c.speaker)) "
            "SELECT s.speaker, "
            "COALESCE(min(CASE WHEN s.source_kind <> 'pronoun' THEN s.source_kind END), 'pronoun') AS source_kind, "
            "count(*) AS n_attributions, COALESCE(max(cl.n_claims), 0) AS n_claims, "
            "count(DISTINCT s.article_id) AS n_articles, count(DISTINCT s.outlet) AS n_outlets, "
            "COALESCE(max(cl.n_clusters), 0) AS n_clusters, min(s.published) AS first_published, "
            "max(s.published) AS last_published "
            f"FROM s LEFT JOIN cl ON cl.speaker = s.speaker {where} GROUP BY s.speaker "
            f"ORDER BY {order}, s.speaker LIMIT ? OFFSET ?"
        )
        return self.rows(sql, [*params, *extra, int(limit), int(offset)])

    def count_speakers(self, name: str | None = None) -> int:
        return len(self.speakers(name=name, limit=2**31 - 1))

    # --- articles -----------------------------------------------------------------------------------------
    def _article_where(self, outlet: str | None = None, speaker: str | None = None, technique: str | None = None,
                       narrative: str | None = None, since: str | dt.date | None = None,
                       until: str | dt.date | None = None) -> tuple[str, list[Any]]:
        conditions: list[str] = []
        params: list[Any] = []
        if outlet:
            conditions.append("a.outlet ILIKE ?")
            params.append(outlet)
        if since:
            conditions.append("a.published >= ?")
            params.append(_date_param(since, "since"))
        if until:
            conditions.append("a.published <= ?")
            params.append(_date_param(until, "until"))
        if speaker:
            conditions.append("EXISTS (SELECT 1 FROM attributions x LEFT JOIN alias al ON al.raw = x.speaker "
                              "WHERE x.article_id = a.article_id AND COALESCE(al.name, x.speaker) ILIKE ?)")
            params.append(f"%{speaker}%")
        if technique:
            conditions.append("EXISTS (SELECT 1 FROM techniques t WHERE t.article_id = a.article_id "
                              "AND t.technique ILIKE ?)")
            params.append(f"%{technique}%")
        if narrative:
            conditions.append("EXISTS (SELECT 1 FROM findings f WHERE f.article_id = a.article_id "
                              "AND f.kind = 'narrative' AND f.message ILIKE ?)")
            params.append(f"%{narrative}%")
        return (("WHERE " + " AND ".join(conditions)) if conditions else ""), params

    def articles(self, limit: int = 50, offset: int = 0, outlet: str | None = None, speaker: str | None = None,
                 technique: str | None = None, narrative: str | None = None, since: str | dt.date | None = None,
                 until: str | dt.date | None = None, sort: str = "published") -> list[dict[str, Any]]:
        """Articles, newest first unless `sort` says otherwise (a column name, "-" before it for descending),
        without their text; `duplicate_of` names the first copy of a duplicate."""
        cte, params = self._alias_cte()
        where, extra = self._article_where(outlet, speaker, technique, narrative, since, until)
        order = _order(sort, ARTICLE_SORTS, "published")
        return self.rows(
            f"{cte}SELECT {ARTICLE_COLUMNS} FROM articles a LEFT JOIN duplicates d ON d.article_id = a.article_id "
            f"{where} ORDER BY {order}, a.article_id LIMIT ? OFFSET ?",
            [*params, *extra, int(limit), int(offset)],
        )

    def count_articles(self, **filters: Any) -> int:
        cte, params = self._alias_cte()
        where, extra = self._article_where(**filters)
        return int(self.rows(f"{cte}SELECT count(*) AS n FROM articles a {where}", [*params, *extra])[0]["n"])

    def article_facets(self, size: int = 8, **filters: Any) -> dict[str, Any]:
        """Counts of the filtered articles per outlet, speaker, technique and narrative, and their date range."""
        cte, params = self._alias_cte()
        where, extra = self._article_where(**filters)
        base = f"{cte}, chosen AS (SELECT a.article_id, a.outlet, a.published FROM articles a {where}) "
        args = [*params, *extra]
        return {
            "outlet": self.rows(base + "SELECT outlet AS value, count(*) AS n FROM chosen WHERE outlet IS NOT NULL "
                                "GROUP BY outlet ORDER BY n DESC, value LIMIT ?", [*args, size]),
            "speaker": self.rows(base + "SELECT COALESCE(al.name, x.speaker) AS value, count(DISTINCT x.article_id) "
                                 "AS n FROM attributions x JOIN chosen ON chosen.article_id = x.article_id "
                                 "LEFT JOIN alias al ON al.raw = x.speaker WHERE x.speaker IS NOT NULL "
                                 "AND x.source_kind NOT IN ('author', 'pronoun') GROUP BY COALESCE(al.name, x.speaker) "
                                 "ORDER BY n DESC, value LIMIT ?", [*args, size]),
            "technique": self.rows(base + "SELECT t.technique AS value, count(DISTINCT t.article_id) AS n FROM "
                                   "techniques t JOIN chosen ON chosen.article_id = t.article_id GROUP BY t.technique "
                                   "ORDER BY n DESC, value LIMIT ?", [*args, size]),
            "narrative": self.rows(base + "SELECT f.message AS value, count(DISTINCT f.article_id) AS n "
                                   "FROM findings f JOIN chosen ON chosen.article_id = f.article_id "
                                   "WHERE f.kind = 'narrative' "
                                   "GROUP BY f.message ORDER BY n DESC, value LIMIT ?", [*args, size]),
            "dates": self.rows(base + "SELECT min(published) AS first, max(published) AS last FROM chosen", args)[0],
        }

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
    def _claim_where(
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
        kind: str | None = None,
        min_checkworthiness: float | None = None,
    ) -> tuple[str, list[Any]]:
        conditions: list[str] = []
        params: list[Any] = []
        if speaker:
            conditions.append("(COALESCE(al.name, c.speaker) ILIKE ? OR c.speaker ILIKE ?)")
            params.extend([f"%{speaker}%", f"%{speaker}%"])
        if source_kind:
            conditions.append("c.source_kind = ?")
            params.append(source_kind)
        if kind:
            conditions.append("c.kind = ?")
            params.append(kind)
        if min_checkworthiness is not None:
            conditions.append("c.checkworthiness >= ?")
            params.append(float(min_checkworthiness))
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
        return (("WHERE " + " AND ".join(conditions)) if conditions else ""), params

    _CLAIM_FROM = (
        "FROM claims c LEFT JOIN alias al ON al.raw = c.speaker "
        "LEFT JOIN cluster_members m ON m.claim_id = c.claim_id "
        "LEFT JOIN duplicates d ON d.article_id = c.article_id "
    )

    def claims(self, limit: int = 50, offset: int = 0, sort: str = "published", **filters: Any) -> list[dict[str, Any]]:
        """Claims matching every filter given, newest first unless `sort` names another column ("-" before it:
        descending; "checkworthiness" puts the most check-worthy first). Text filters are case-insensitive
        substrings; `speaker` matches the merged speaker name or the name as written; `technique` keeps claims
        overlapping a technique span of that name; `narrative` keeps claims with a narrative finding mentioning
        it; `has_finding` keeps claims with (True) or without (False) findings; `kind` is the claim kind;
        `min_checkworthiness` the least score. `speaker` in a row is the merged name, `speaker_as_written` the
        article's; `factcheck` the strongest fact-check finding kind about the claim; `cluster_id` is set only for
        clusters carried by 2+ articles."""
        cte, params = self._alias_cte()
        where, extra = self._claim_where(**filters)
        order = _order(sort, CLAIM_SORTS, "published")
        rows = self.rows(
            f"{cte}SELECT {CLAIM_COLUMNS.replace('c.speaker,', 'COALESCE(al.name, c.speaker) AS speaker,')}, "
            "c.speaker AS speaker_as_written, c.dates, "
            "(SELECT min(CASE f.kind WHEN 'refutes_checked_claim' THEN 1 WHEN 'reports_checked_claim' THEN 2 "
            "WHEN 'factcheck_match' THEN 3 WHEN 'related_factcheck' THEN 4 END) FROM findings f "
            "WHERE f.claim_id = c.claim_id) AS factcheck_rank, "
            "(SELECT k.n_articles FROM clusters k WHERE k.cluster_id = m.cluster_id) AS cluster_articles "
            f"{self._CLAIM_FROM}{where} ORDER BY {order}, c.article_id, c.start_char LIMIT ? OFFSET ?",
            [*params, *extra, int(limit), int(offset)],
        )
        for row in rows:
            row["quantities"] = _json_field(row["quantities"])
            row["dates"] = _json_field(row.get("dates"))
            rank = row.pop("factcheck_rank", None)
            row["factcheck"] = FACTCHECK_KINDS[rank - 1] if rank else None
            if (row.pop("cluster_articles", None) or 0) < 2:
                row["cluster_id"] = None  # a claim no other article carries is in no cluster a view shows
        return rows

    def count_claims(self, **filters: Any) -> int:
        """How many claims match the filters (what `claims` would list without a limit)."""
        cte, params = self._alias_cte()
        where, extra = self._claim_where(**filters)
        return int(self.rows(f"{cte}SELECT count(*) AS n {self._CLAIM_FROM}{where}", [*params, *extra])[0]["n"])

    def claim_facets(self, size: int = 8, **filters: Any) -> dict[str, Any]:
        """Counts of the filtered claims per outlet, speaker, technique, narrative and kind, and their dates."""
        cte, params = self._alias_cte()
        where, extra = self._claim_where(**filters)
        base = (f"{cte}, chosen AS (SELECT c.claim_id, c.article_id, c.outlet, c.published, c.kind, c.start_char, "
                f"c.end_char, COALESCE(al.name, c.speaker) AS speaker {self._CLAIM_FROM}{where}) ")
        args = [*params, *extra]

        def counts(sql: str) -> list[dict[str, Any]]:
            return self.rows(base + sql + " ORDER BY n DESC, value LIMIT ?", [*args, size])

        return {
            "outlet": counts("SELECT outlet AS value, count(*) AS n FROM chosen WHERE outlet IS NOT NULL "
                             "GROUP BY outlet"),
            "speaker": counts("SELECT speaker AS value, count(*) AS n FROM chosen WHERE speaker IS NOT NULL "
                              "GROUP BY speaker"),
            "kind": counts("SELECT kind AS value, count(*) AS n FROM chosen WHERE kind IS NOT NULL GROUP BY kind"),
            "technique": counts("SELECT t.technique AS value, count(DISTINCT chosen.claim_id) AS n FROM chosen "
                                "JOIN techniques t ON t.article_id = chosen.article_id AND t.start_char < "
                                "chosen.end_char AND t.end_char > chosen.start_char GROUP BY t.technique"),
            "narrative": counts("SELECT f.message AS value, count(DISTINCT chosen.claim_id) AS n FROM chosen "
                                "JOIN findings f ON f.claim_id = chosen.claim_id WHERE f.kind = 'narrative' "
                                "GROUP BY f.message"),
            "dates": self.rows(base + "SELECT min(published) AS first, max(published) AS last FROM chosen", args)[0],
        }

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

    def count_clusters(self, since: str | dt.date | None = None, min_articles: int = 2) -> int:
        """Clusters carried by at least `min_articles` articles: what every view calls a claim cluster."""
        conditions, params = ["n_articles >= ?"], [int(min_articles)]
        if since:
            conditions.append("last_published >= ?")
            params.append(_date_param(since, "since"))
        return int(self.rows(f"SELECT count(*) AS n FROM clusters WHERE {' AND '.join(conditions)}", params)[0]["n"])

    def cluster(self, cluster_id: str) -> dict[str, Any] | None:
        """One cluster and its members in order of publication: a timeline of who carried the claim when."""
        found = self.rows("SELECT * FROM clusters WHERE cluster_id = ?", [cluster_id])
        if not found:
            return None
        cluster = _decode_cluster(found[0])
        cte, params = self._alias_cte()
        cluster["members"] = self.rows(
            f"{cte}SELECT c.claim_id, c.article_id, c.outlet, c.published, c.text, c.start_char, c.end_char, "
            "COALESCE(al.name, c.speaker) AS speaker, "
            "c.channel, c.quantities, m.similarity, d.duplicate_of, a.title, a.url "
            "FROM cluster_members m JOIN claims c ON c.claim_id = m.claim_id "
            "LEFT JOIN alias al ON al.raw = c.speaker "
            "JOIN articles a ON a.article_id = c.article_id "
            "LEFT JOIN duplicates d ON d.article_id = c.article_id "
            "WHERE m.cluster_id = ? ORDER BY c.published NULLS LAST, c.article_id, c.start_char",
            [*params, cluster_id],
        )
        for member in cluster["members"]:
            member["quantities"] = _json_field(member["quantities"])
        return cluster

    # --- the source graph ---------------------------------------------------------------------------------
    def _source_edges_sql(self) -> tuple[str, list[Any]]:
        """The `source_edges` view with speakers merged across the names they appear under."""
        cte, params = self._alias_cte()
        merged = SOURCE_EDGES_SQL.replace(
            "FROM attributions a\n", "FROM (SELECT x.article_id, x.published, x.outlet, x.channel, x.source, "
            "x.source_kind, COALESCE(al.name, x.speaker) AS speaker FROM attributions x "
            "LEFT JOIN alias al ON al.raw = x.speaker) a\n")
        # one row per merged speaker and target, whatever kinds its mentions had (a pronoun counts as its person)
        merged = merged.replace("SELECT e.source, e.source_kind, e.target",
                                "SELECT e.source, COALESCE(min(CASE WHEN e.source_kind <> 'pronoun' THEN e.source_kind "
                                "END), 'pronoun') AS source_kind, e.target")
        merged = merged.replace("GROUP BY e.source, e.source_kind, e.target", "GROUP BY e.source, e.target")
        return f"{cte}, edges AS ({merged}) ", params

    def _source_where(self, source: str | None = None, outlet: str | None = None, source_kind: str | None = None,
                      since: str | dt.date | None = None, until: str | dt.date | None = None) -> tuple[str, list[Any]]:
        conditions, params = [], []
        if source:
            conditions.append("(source ILIKE ? OR target ILIKE ?)")
            params.extend([f"%{source}%", f"%{source}%"])
        if outlet:
            conditions.append("target_kind = 'outlet' AND target ILIKE ?")
            params.append(f"%{outlet}%")
        if source_kind:
            conditions.append("source_kind = ?")
            params.append(source_kind)
        if since:
            conditions.append("last_published >= ?")
            params.append(_date_param(since, "since"))
        if until:
            conditions.append("first_published <= ?")
            params.append(_date_param(until, "until"))
        return (("WHERE " + " AND ".join(conditions)) if conditions else ""), params

    def sources(self, limit: int | None = None, source: str | None = None, offset: int = 0, outlet: str | None = None,
                source_kind: str | None = None, since: str | dt.date | None = None,
                until: str | dt.date | None = None, sort: str = "-n_articles") -> list[dict[str, Any]]:
        """Edges of the source graph (speaker -> channel -> outlet) with counts, the most frequent first;
        speakers merged across the names they appear under (see `speaker_aliases`)."""
        sql, params = self._source_edges_sql()
        where, extra = self._source_where(source, outlet, source_kind, since, until)
        order = _order(sort, SOURCE_SORTS, "-n_articles")
        sql += f"SELECT * FROM edges {where} ORDER BY {order}, n_attributions DESC, source, target"
        params = [*params, *extra]
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([int(limit), int(offset)])
        return self.rows(sql, params)

    def count_sources(self, source: str | None = None, outlet: str | None = None, source_kind: str | None = None,
                      since: str | dt.date | None = None, until: str | dt.date | None = None) -> int:
        sql, params = self._source_edges_sql()
        where, extra = self._source_where(source, outlet, source_kind, since, until)
        return int(self.rows(sql + f"SELECT count(*) AS n FROM edges {where}", [*params, *extra])[0]["n"])

    def source_facets(self, size: int = 8, **filters: Any) -> dict[str, Any]:
        """Counts of the filtered edges per outlet and source kind, and their date range."""
        sql, params = self._source_edges_sql()
        where, extra = self._source_where(**filters)
        base = sql + f", chosen AS (SELECT * FROM edges {where}) "
        args = [*params, *extra]
        return {
            "outlet": self.rows(base + "SELECT target AS value, sum(n_attributions) AS n FROM chosen WHERE "
                                "target_kind = 'outlet' GROUP BY target ORDER BY n DESC, value LIMIT ?", [*args, size]),
            "source_kind": self.rows(base + "SELECT source_kind AS value, count(*) AS n FROM chosen GROUP BY "
                                     "source_kind ORDER BY n DESC, value LIMIT ?", [*args, size]),
            "dates": self.rows(base + "SELECT min(first_published) AS first, max(last_published) AS last FROM chosen",
                               args)[0],
        }


FACTCHECK_KINDS = ("refutes_checked_claim", "reports_checked_claim", "factcheck_match", "related_factcheck")
PERSON_KINDS = ("named_person", "pronoun")
PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you", "him", "her", "them"})

# Columns a listing may be sorted by (what a user names -> the SQL it means); "-" before a name: descending.
CLAIM_SORTS = {
    "published": "c.published {dir} NULLS LAST", "checkworthiness": "c.checkworthiness {dir} NULLS LAST",
    "speaker": "COALESCE(al.name, c.speaker) {dir} NULLS LAST", "outlet": "c.outlet {dir} NULLS LAST",
    "kind": "c.kind {dir} NULLS LAST", "source_kind": "c.source_kind {dir} NULLS LAST",
    "text": "c.text {dir}", "channel": "c.channel {dir} NULLS LAST",
}
ARTICLE_SORTS = {
    "published": "a.published {dir} NULLS LAST", "outlet": "a.outlet {dir} NULLS LAST",
    "title": "a.title {dir} NULLS LAST", "n_claims": "a.n_claims {dir}", "n_attributions": "a.n_attributions {dir}",
    "n_findings": "a.n_findings {dir}", "n_techniques": "a.n_techniques {dir}",
}
SOURCE_SORTS = {
    key: f"{key} {{dir}} NULLS LAST" for key in ("source", "source_kind", "target", "target_kind", "n_attributions",
                                                  "n_articles", "n_independent_articles", "first_published",
                                                  "last_published")
}
SPEAKER_SORTS = {
    key: f"{key} {{dir}} NULLS LAST" for key in ("speaker", "source_kind", "n_attributions", "n_claims", "n_articles",
                                                  "n_outlets", "n_clusters", "first_published", "last_published")
}
# columns whose natural order is the largest or latest first
_DESCENDING_FIRST = {"published", "checkworthiness", "n_claims", "n_attributions", "n_findings", "n_techniques",
                     "n_articles", "n_independent_articles", "n_outlets", "n_clusters", "first_published",
                     "last_published"}


def _order(sort: str | None, allowed: dict[str, str], default: str) -> str:
    """The ORDER BY of a listing: `sort` is a column name; "-name" reverses the column's natural order
    (largest/latest first for numbers and dates, A-Z for names)."""
    text = (sort or default).strip()
    reverse = text.startswith("-")
    name = text.lstrip("-+")
    if name not in allowed:
        raise ConfigurationError(f"cannot sort by {name!r}: use one of {', '.join(sorted(allowed))}")
    descending = (name in _DESCENDING_FIRST) != reverse
    return allowed[name].format(dir="DESC" if descending else "ASC")


def merge_speaker_names(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Name as stored -> merged name, for the names that change (rows: speaker, source_kind, n).

    Spacing and case are evened out (the most frequent spelling wins); a person named by one word becomes the
    one multi-word person name that ends in it ("Peskov" -> "Dmitry Peskov"), and stays apart when several do; a
    joint speaker ("Barack Obama and Angela Merkel") is no one's full name."""
    counts: dict[str, dict[str, int]] = {}
    kinds: dict[str, set[str]] = {}
    for row in rows:
        raw = row["speaker"]
        if not raw:
            continue
        key = " ".join(raw.split()).casefold()
        counts.setdefault(key, {})
        counts[key][raw] = counts[key].get(raw, 0) + int(row.get("n") or 1)
        kinds.setdefault(key, set()).add(row.get("source_kind") or "")
    spelling = {key: max(names.items(), key=lambda item: (item[1], item[0]))[0] for key, names in counts.items()}
    spelling = {key: " ".join(name.split()) for key, name in spelling.items()}
    by_surname: dict[str, set[str]] = {}
    for key in counts:
        words = key.split()
        # a joint speaker ("barack obama and angela merkel") is nobody's full name
        if len(words) >= 2 and kinds[key] & set(PERSON_KINDS) and "and" not in words and "," not in key:
            by_surname.setdefault(words[-1], set()).add(key)
    aliases: dict[str, str] = {}
    for key, names in counts.items():
        target = key
        words = key.split()
        if len(words) == 1 and key not in PRONOUNS and kinds[key] & set(PERSON_KINDS):
            full = by_surname.get(key, set())
            if len(full) == 1:
                target = next(iter(full))
        for raw in names:
            if raw != spelling[target]:
                aliases[raw] = spelling[target]
    return aliases


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
