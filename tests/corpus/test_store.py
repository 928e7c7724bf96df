"""The corpus store: tables from real analyses, the read API the web app uses, duplicates, the source graph."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from sourcetrace.corpus.runner import RunOptions, run_corpus
from sourcetrace.corpus.store import CorpusStore
from sourcetrace.errors import ConfigurationError

from .conftest import ARTICLES


def test_run_stores_every_article_once_with_checkable_spans(small_corpus):
    store = CorpusStore.open(small_corpus["out"])
    ids = sorted(row["article_id"] for row in store.rows("SELECT article_id FROM articles"))
    assert ids == sorted(a["id"] for a in ARTICLES)
    texts = {a["id"]: a["text"] for a in ARTICLES}
    entities = store.rows("SELECT article_id, text, start_char, end_char, label FROM entities")
    assert entities, "the backbone finds named entities in these articles"
    for entity in entities:
        assert texts[entity["article_id"]][entity["start_char"] : entity["end_char"]] == entity["text"]
    assert {"Kherson", "Istanbul"} <= {e["text"] for e in entities}


def test_article_returns_the_stored_analysis(small_corpus):
    store = CorpusStore.open(small_corpus["out"])
    analysis = store.article("grain")
    assert analysis["article"]["id"] == "grain"
    assert analysis["article"]["published"] == "2022-09-13"
    assert analysis["sentences"][0]["text"].startswith("Istanbul, 13 September.")
    assert store.article("no-such-article") is None


def test_articles_lists_newest_first_and_links_the_copy(small_corpus):
    store = CorpusStore.open(small_corpus["out"])
    listed = store.articles(limit=10)
    assert [row["published"] for row in listed] == sorted((row["published"] for row in listed), reverse=True)
    by_id = {row["article_id"]: row for row in listed}
    assert by_id["bridge-copy"]["duplicate_of"] == "bridge"
    assert by_id["bridge"]["duplicate_of"] is None
    assert by_id["grain"]["duplicate_of"] is None
    assert store.articles(limit=1, offset=1)[0]["article_id"] == listed[1]["article_id"]


def test_broken_records_go_to_the_errors_file_with_their_line(small_corpus):
    lines = [json.loads(line) for line in (small_corpus["out"] / "errors.jsonl").read_text().splitlines()]
    reasons = {(e["line"], e["error"].split(":")[0]) for e in lines}
    assert reasons == {(5, "invalid JSON"), (6, "the 'text' field is empty")}
    assert small_corpus["summary"].input_errors == 2
    stored = CorpusStore.open(small_corpus["out"]).errors()
    assert [(e["line"], e["article_id"], e["kind"]) for e in stored] == [(5, None, "input"), (6, "empty", "input")]


def test_rerun_skips_what_is_stored(small_corpus):
    out = small_corpus["out"]
    summary = run_corpus(
        [small_corpus["source"]], out, RunOptions(store=str(out), stages=("backbone",), workers=0), progress=False
    )
    assert (summary.analysed, summary.skipped) == (0, len(ARTICLES))
    assert CorpusStore.open(out).count("articles") == len(ARTICLES)


def test_duckdb_file_answers_queries(small_corpus):
    with duckdb.connect(str(small_corpus["out"] / "corpus.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == len(ARTICLES)
        assert con.execute("SELECT count(*) FROM claims").fetchone() is not None
        copy = con.execute("SELECT duplicate_of FROM duplicates WHERE article_id = 'bridge-copy'").fetchone()
        assert copy[0] == "bridge"


def test_shards_are_parquet_tables_per_task(small_corpus):
    folders = sorted((small_corpus["out"] / "shards").iterdir())
    shards = [f for f in folders if f.name.startswith("task-")]
    # four articles, tasks of 1 then 2 (the task size), then the last one: progress shows from the first article
    sizes = sorted(pq.read_table(shard / "articles.parquet").num_rows for shard in shards)
    assert sizes == [1, 1, 2]
    [inputs] = [f for f in folders if f.name.startswith("inputs-")]  # the two records that could not be read
    assert pq.read_table(inputs / "errors.parquet").column("kind").to_pylist() == ["input", "input"]
    for shard in shards:
        assert (shard / "claims.parquet").exists() and (shard / "findings.parquet").exists()


def test_claims_filters(relay_corpus):
    store = CorpusStore.open(relay_corpus)
    assert {c["claim_id"] for c in store.claims(speaker="peskov")} == {"claim-1", "claim-2"}
    assert [c["claim_id"] for c in store.claims(speaker="peskov", since="2022-09-13")] == ["claim-2"]
    assert [c["claim_id"] for c in store.claims(until="2022-09-12")] == ["claim-1"]
    assert [c["claim_id"] for c in store.claims(outlet="ria")] == ["claim-1"]
    assert [c["claim_id"] for c in store.claims(technique="exaggeration")] == ["claim-2"]
    assert [c["claim_id"] for c in store.claims(narrative="losing the war")] == ["claim-1"]
    assert [c["claim_id"] for c in store.claims(has_finding=True)] == ["claim-1"]
    assert {c["claim_id"] for c in store.claims(has_finding=False)} == {"claim-2", "claim-3"}
    assert [c["claim_id"] for c in store.claims(search="budget")] == ["claim-3"]
    assert [c["claim_id"] for c in store.claims(source_kind="named_person", limit=1)] == ["claim-2"]
    with pytest.raises(ConfigurationError):
        store.claims(since="last week")


def test_same_claim_in_two_outlets_is_one_cluster_with_its_timeline(relay_corpus):
    store = CorpusStore.open(relay_corpus)
    claims = {c["claim_id"]: c for c in store.claims()}
    assert claims["claim-1"]["cluster_id"] == claims["claim-2"]["cluster_id"]
    assert claims["claim-3"]["cluster_id"] != claims["claim-1"]["cluster_id"]
    listed = store.clusters()
    assert [c["cluster_id"] for c in listed] == [claims["claim-1"]["cluster_id"]]  # singletons are not listed
    cluster = store.cluster(listed[0]["cluster_id"])
    assert (cluster["first_outlet"], cluster["first_published"]) == ("RIA Novosti", "2022-09-12")
    assert [m["outlet"] for m in cluster["members"]] == ["RIA Novosti", "Echo Daily"]
    assert cluster["numbers_changed"] is True
    assert [n["values"] for n in cluster["numbers"]] == [["300"], ["500"]]
    assert cluster["narratives"] == ["Matches the known narrative 'Ukraine is losing the war'"]
    assert store.clusters(since="2022-09-14") == []
    assert store.cluster("cl_nothing") is None


def test_source_graph_edges(relay_corpus):
    edges = {(e["source"], e["target"], e["target_kind"]): e for e in CorpusStore.open(relay_corpus).sources()}
    assert edges[("Dmitry Peskov", "RIA Novosti", "channel")]["n_articles"] == 1
    assert edges[("RIA Novosti", "RIA Novosti", "outlet")]["n_attributions"] == 1
    assert edges[("Dmitry Peskov", "Echo Daily", "outlet")]["first_published"] == "2022-09-13"
    assert len(edges) == 3


def test_open_refuses_a_folder_that_is_not_a_corpus(tmp_path):
    with pytest.raises(ConfigurationError, match="not a corpus folder"):
        CorpusStore.open(tmp_path)
