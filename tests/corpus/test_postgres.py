"""The PostgreSQL store against a real server (`.ci/run` starts one): same tables, same read API, atomic tasks.

Set SOURCETRACE_TEST_POSTGRES to a URL of a role that may create databases; each test session works in a
database of its own and drops it. Without a server the tests skip, except where that variable is set (CI)."""

from __future__ import annotations

import os
import uuid

import pytest

from sourcetrace.corpus.runner import RunOptions, run_corpus
from sourcetrace.corpus.store import CorpusStore

from .conftest import ARTICLES, relayed_claim_analyses, write_jsonl

pytestmark = pytest.mark.postgres

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'sourcetrace[postgres]'")

DEFAULT_URL = "postgresql://sourcetrace:sourcetrace@localhost:5432/postgres"


@pytest.fixture(scope="module")
def pg_server():
    """A connection that may create databases, and the URL base to reach them."""
    url = os.environ.get("SOURCETRACE_TEST_POSTGRES", DEFAULT_URL)
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"no PostgreSQL server at {url} ({str(exc).strip().splitlines()[0]}); .ci/run starts one"
        if "SOURCETRACE_TEST_POSTGRES" in os.environ:
            pytest.fail(message)
        pytest.skip(message)
    created: list[str] = []

    def new_database() -> str:
        name = f"sourcetrace_t_{uuid.uuid4().hex[:10]}"
        admin.execute(f"CREATE DATABASE {name}")
        created.append(name)
        return url.rpartition("/")[0] + "/" + name

    yield new_database
    for name in created:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="module")
def pg_url(pg_server):
    return pg_server()


@pytest.fixture(scope="module")
def pg_corpus(pg_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pg")
    source = write_jsonl(folder / "articles.jsonl", ARTICLES)
    options = RunOptions(store=pg_url, stages=("backbone",), task_size=2, workers=0)
    summary = run_corpus([source], folder / "out", options, progress=False)
    return {"url": pg_url, "source": source, "out": folder / "out", "summary": summary, "options": options}


def test_run_into_postgres_gives_the_same_tables(pg_corpus):
    store = CorpusStore.open(pg_corpus["url"])
    assert sorted(r["article_id"] for r in store.rows("SELECT article_id FROM articles")) == sorted(
        a["id"] for a in ARTICLES
    )
    by_id = {row["article_id"]: row for row in store.articles(limit=10)}
    assert by_id["bridge-copy"]["duplicate_of"] == "bridge" and by_id["grain"]["published"] == "2022-09-13"
    assert store.article("grain")["sentences"][0]["text"].startswith("Istanbul, 13 September.")
    texts = {a["id"]: a["text"] for a in ARTICLES}
    for entity in store.rows("SELECT article_id, text, start_char, end_char FROM entities"):
        assert texts[entity["article_id"]][entity["start_char"] : entity["end_char"]] == entity["text"]
    agency = store.rows("SELECT article_id FROM articles WHERE outlet LIKE '%Agency'")
    assert {row["article_id"] for row in agency} == {"bridge", "grain"}


def test_rerun_against_postgres_resumes(pg_corpus):
    summary = run_corpus([pg_corpus["source"]], pg_corpus["out"], pg_corpus["options"], progress=False)
    assert (summary.analysed, summary.skipped) == (0, len(ARTICLES))


def test_a_task_is_stored_whole_or_not_at_all(pg_corpus):
    from sourcetrace.analysis import ArticleInfo
    from sourcetrace.corpus.backends.postgres import PostgresBackend
    from sourcetrace.corpus.backends.tables import analyses_to_tables
    from sourcetrace.pipeline.run import load_pipeline

    backend = PostgresBackend(pg_corpus["url"])
    store = CorpusStore.open(pg_corpus["url"])
    entities_before = store.count("entities")
    fresh = ArticleInfo(id="fresh", text="Officials in Sumy said the school would reopen on Monday.")
    grain = ArticleInfo(id="grain", text=ARTICLES[2]["text"])  # already stored: the primary key refuses it
    tables = analyses_to_tables(load_pipeline(("backbone",)).analyze_batch([fresh, grain]), "task-dup")
    with pytest.raises(psycopg.errors.UniqueViolation):
        backend.write_task("task-dup", tables)
    backend.close()
    assert store.count("entities") == entities_before
    assert store.rows("SELECT article_id FROM articles WHERE article_id = 'fresh'") == []


def test_claims_clusters_and_sources_in_postgres(pg_server):
    from sourcetrace.corpus.backends.postgres import PostgresBackend
    from sourcetrace.corpus.backends.tables import analyses_to_tables
    from sourcetrace.corpus.clusters import update_clusters
    from sourcetrace.corpus.dedupe import update_duplicates

    pg_url = pg_server()
    backend = PostgresBackend(pg_url)
    backend.prepare()
    for analysis in relayed_claim_analyses():
        backend.write_task(f"task-{analysis.article.id}", analyses_to_tables([analysis], "t"))
    update_duplicates(backend)
    update_clusters(backend)
    backend.close()
    store = CorpusStore.open(pg_url)
    assert [c["claim_id"] for c in store.claims(speaker="peskov", since="2022-09-13")] == ["claim-2"]
    assert [c["claim_id"] for c in store.claims(technique="exaggeration")] == ["claim-2"]
    assert [c["claim_id"] for c in store.claims(narrative="losing")] == ["claim-1"]
    [cluster] = store.clusters()
    timeline = store.cluster(cluster["cluster_id"])
    assert [m["outlet"] for m in timeline["members"]] == ["RIA Novosti", "Echo Daily"]
    assert timeline["first_published"] == "2022-09-12" and timeline["numbers_changed"] is True
    edges = {(e["source"], e["target"]) for e in store.sources()}
    assert ("Dmitry Peskov", "RIA Novosti") in edges and ("Dmitry Peskov", "Echo Daily") in edges


def test_failed_records_are_in_the_errors_table_with_their_ids(pg_corpus):
    store = CorpusStore.open(pg_corpus["url"])
    rows = store.errors()
    assert [(e["line"], e["article_id"], e["kind"]) for e in rows] == [(5, None, "input"), (6, "empty", "input")]
    assert rows[0]["error"].startswith("invalid JSON") and rows[0]["source"] == str(pg_corpus["source"])
    assert pg_corpus["summary"].failed == 2


def test_a_rerun_replaces_the_input_errors_and_retries_fixed_records(pg_server, tmp_path):
    url = pg_server()
    source = write_jsonl(tmp_path / "feed.jsonl", ARTICLES[:1])
    options = RunOptions(store=url, stages=(), workers=0, embed_claims=False)
    run_corpus([source], tmp_path / "out", options, progress=False)
    again = run_corpus([source], tmp_path / "out", options, progress=False)
    assert again.input_errors == 2 and CorpusStore.open(url).count("errors") == 2
    write_jsonl(source, [*ARTICLES[:1], {"id": "empty", "text": "The council met on Monday."}], broken_line=False)
    fixed = run_corpus([source], tmp_path / "out", options, progress=False)
    store = CorpusStore.open(url)
    assert (fixed.failed, fixed.analysed, store.count("errors")) == (0, 1, 0)
    assert store.article("empty") is not None


def test_an_errors_table_from_before_kind_and_stage_gets_them(pg_server, tmp_path):
    from sourcetrace.corpus.backends.postgres import PostgresBackend

    url = pg_server()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE errors (article_id TEXT, source TEXT, line INTEGER, error TEXT)")
        conn.execute("INSERT INTO errors VALUES ('old', 'old.jsonl', 1, 'analysis failed: ValueError')")
    backend = PostgresBackend(url)
    backend.prepare()
    assert backend.done_ids() == {"old"}
    backend.close()
    assert CorpusStore.open(url).errors()[0]["kind"] is None
