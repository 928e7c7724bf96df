"""Claim clusters with the real MiniLM embedder: paraphrases join, other claims do not, and a second run only
places the claims that are new."""

from __future__ import annotations

import numpy as np

from sourcetrace._ml.embedder import load_embedder
from sourcetrace.analysis import Analysis, ArticleInfo, Claim, Meta, Span
from sourcetrace.corpus.backends.directory import DirectoryBackend
from sourcetrace.corpus.backends.tables import analyses_to_tables
from sourcetrace.corpus.clusters import LeaderIndex, embed_claim_texts, update_clusters
from sourcetrace.corpus.store import CorpusStore


def test_paraphrases_share_a_leader_and_other_claims_do_not():
    texts = {
        "a": "Russian forces shelled the Zaporizhzhia nuclear power plant overnight",
        "b": "The Zaporizhzhia nuclear plant was shelled by Russian troops during the night",
        "c": "Wheat prices fell slightly after the grain ships left Odesa",
        "d": "Grain prices dropped a little once the ships carrying wheat sailed from Odesa",
        "e": "The mayor promised to extend library opening hours in three districts",
    }
    vectors = embed_claim_texts(load_embedder(), list(texts.items()))
    index = LeaderIndex()
    clusters = {key: index.assign(key, np.asarray(vectors[key], dtype=np.float32))[0] for key in texts}
    assert clusters["a"] == clusters["b"]
    assert clusters["c"] == clusters["d"]
    assert len({clusters["a"], clusters["c"], clusters["e"]}) == 3


def _analysis(article_id: str, text: str, outlet: str, published: str) -> Analysis:
    analysis = Analysis(article=ArticleInfo(id=article_id, text=text, outlet=outlet, published=published),
                        meta=Meta(sourcetrace_version="test"))
    analysis.claims.append(Claim(id=f"claim-{article_id}", span=Span.of(text, 0, len(text)), author_voice=True))
    return analysis


def test_second_run_places_only_new_claims_and_keeps_old_assignments(tmp_path):
    backend = DirectoryBackend(tmp_path / "out")
    backend.prepare()
    text = "Russian forces shelled the Zaporizhzhia nuclear power plant overnight."
    first = _analysis("one", text, "A", "2022-08-20")
    backend.write_task("task-1", analyses_to_tables([first], "t1"))
    backend.refresh()
    assert update_clusters(backend)["placed"] == 1
    before = {r["claim_id"]: r["cluster_id"] for r in CorpusStore(backend).rows("SELECT * FROM cluster_members")}

    later = [
        _analysis("two", "The Zaporizhzhia nuclear plant was shelled by Russian troops during the night.", "B",
                  "2022-08-21"),
        _analysis("three", "The mayor promised to extend library opening hours in three districts.", "C", "2022-08-22"),
    ]
    backend.write_task("task-2", analyses_to_tables(later, "t2"))
    backend.refresh()
    counts = update_clusters(backend)
    assert counts["placed"] == 2 and counts["claims"] == 3
    after = {r["claim_id"]: r["cluster_id"] for r in CorpusStore(backend).rows("SELECT * FROM cluster_members")}
    assert after["claim-one"] == before["claim-one"] == after["claim-two"]
    assert after["claim-three"] != after["claim-one"]
    [cluster] = CorpusStore(backend).clusters()
    assert (cluster["first_outlet"], cluster["n_outlets"]) == ("A", 2)
    assert [o["outlet"] for o in cluster["outlets"]] == ["A", "B"]
    assert update_clusters(backend)["placed"] == 0
