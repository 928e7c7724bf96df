"""What the corpus views ask of the store: speakers merged across names, sorting, counts, facets, clusters of 2+."""

from __future__ import annotations

import io

import pytest

from sourcetrace.corpus.runner import _Progress, ramped_batches
from sourcetrace.corpus.store import CorpusStore, merge_speaker_names
from sourcetrace.errors import ConfigurationError


def test_a_surname_and_a_pronoun_join_the_one_full_name():
    rows = [{"speaker": "Dmitry Peskov", "source_kind": "named_person", "n": 3},
            {"speaker": "Peskov", "source_kind": "named_person", "n": 2},
            {"speaker": "dmitry  peskov", "source_kind": "pronoun", "n": 1},
            {"speaker": "Ivanov", "source_kind": "named_person", "n": 1},
            {"speaker": "Anna Ivanov", "source_kind": "named_person", "n": 1},
            {"speaker": "Boris Ivanov", "source_kind": "named_person", "n": 1},
            {"speaker": "Reuters", "source_kind": "named_organization", "n": 4}]
    aliases = merge_speaker_names(rows)
    assert aliases == {"Peskov": "Dmitry Peskov", "dmitry  peskov": "Dmitry Peskov"}  # Ivanov is ambiguous


def test_a_joint_speaker_is_no_one_s_full_name():
    rows = [{"speaker": "Angela Merkel", "source_kind": "named_person", "n": 2},
            {"speaker": "Barack Obama and Angela Merkel", "source_kind": "named_person", "n": 1},
            {"speaker": "Merkel", "source_kind": "named_person", "n": 2},
            {"speaker": "Obama, Merkel and Macron", "source_kind": "named_person", "n": 1},
            {"speaker": "Macron", "source_kind": "named_person", "n": 1}]
    assert merge_speaker_names(rows) == {"Merkel": "Angela Merkel"}


def test_speakers_are_counted_once_in_every_statistic(speaker_corpus):
    store = CorpusStore.open(speaker_corpus)
    speakers = {row["speaker"]: row for row in store.speakers()}
    assert set(speakers) == {"Dmitry Peskov", "Maria Petrenko"}
    petrenko = speakers["Maria Petrenko"]
    # full name, surname alone and "She" (a pronoun resolved to her): one person, named
    assert (petrenko["n_attributions"], petrenko["n_claims"], petrenko["n_articles"]) == (3, 3, 2)
    assert petrenko["source_kind"] == "named_person"
    assert speakers["Dmitry Peskov"]["n_clusters"] == 1
    sources = [row["source"] for row in store.sources() if row["source_kind"] != "channel"]
    assert "Peskov" not in sources and "Petrenko" not in sources
    # the counts agree across views: claims listed for a speaker = the speaker's claims
    for name, row in speakers.items():
        assert store.count_claims(speaker=name) == row["n_claims"] == len(store.claims(speaker=name))
    assert {c["speaker"] for c in store.claims(speaker="Peskov")} == {"Dmitry Peskov"}
    assert {c["speaker_as_written"] for c in store.claims(speaker="Peskov")} == {"Dmitry Peskov", "Peskov"}


def test_claims_sorted_by_checkworthiness_with_filters_and_facets(speaker_corpus):
    store = CorpusStore.open(speaker_corpus)
    ranked = store.claims(sort="checkworthiness", limit=4)
    assert [c["checkworthiness"] for c in ranked] == [0.93, 0.61, 0.45, 0.2]
    assert ranked[0]["factcheck"] == "factcheck_match" and ranked[1]["factcheck"] is None
    assert [c["claim_id"] for c in store.claims(sort="-checkworthiness", min_checkworthiness=0.1)][0] == "sp-c3"
    assert [c["claim_id"] for c in store.claims(kind="statistic", min_checkworthiness=0.5)] == ["sp-c2"]
    facets = store.claim_facets()
    assert {f["value"]: f["n"] for f in facets["speaker"]} == {"Dmitry Peskov": 3, "Maria Petrenko": 3}
    assert facets["dates"] == {"first": "2022-09-12", "last": "2022-09-20"}
    assert sum(f["n"] for f in facets["outlet"]) == store.count_claims()
    with pytest.raises(ConfigurationError, match="cannot sort by 'nonsense'"):
        store.claims(sort="nonsense")


def test_articles_and_sources_sort_filter_and_count(speaker_corpus):
    store = CorpusStore.open(speaker_corpus)
    assert store.count_articles() == 6
    assert [a["article_id"] for a in store.articles(speaker="Petrenko", sort="published")
            ] == ["sp-1", "sp-2"]
    assert [a["outlet"] for a in store.articles(sort="outlet", limit=2)] == ["City News", "Echo Daily"]
    assert store.count_articles(technique="Exaggeration") == 1
    facets = store.article_facets()
    assert {f["value"]: f["n"] for f in facets["speaker"]}["Dmitry Peskov"] == 3
    assert store.count_sources() == len(store.sources())
    assert [s["target"] for s in store.sources(sort="target", limit=2)] == ["Echo Daily", "Kyiv Post"]


def test_single_claims_are_not_clusters(speaker_corpus):
    store = CorpusStore.open(speaker_corpus)
    assert store.count_clusters() == len(store.clusters()) == 1
    assert store.count("clusters") > 1  # the table keeps every claim's cluster, alone or not
    listed = {c["cluster_id"] for c in store.claims(limit=100) if c["cluster_id"]}
    assert listed == {store.clusters()[0]["cluster_id"]}


def test_tasks_ramp_up_so_progress_shows_from_the_first_article():
    sizes = [len(b) for b in ramped_batches(iter(range(300)), task_size=64, workers=1, total=300)]
    assert sizes[:7] == [1, 2, 4, 8, 16, 32, 64] and sum(sizes) == 300
    # a corpus smaller than the task size is still cut into several tasks per worker
    small = [len(b) for b in ramped_batches(iter(range(20)), task_size=64, workers=2, total=20)]
    assert max(small) <= 3 and len(small) >= 7 and sum(small) == 20


def test_progress_writes_a_line_with_rate_and_eta_at_the_first_article():
    stream = io.StringIO()
    bar = _Progress(10, enabled=True, stream=stream)
    bar.advance(1)
    first = stream.getvalue().splitlines()
    assert len(first) == 1 and first[0].startswith("1/10 articles,") and "articles/s" in first[0]
    assert "ETA" in first[0]
    # the first rate is the first task's own pace, times the workers: model loading does not count
    paced = _Progress(100, enabled=True, stream=io.StringIO(), workers=2)
    paced.advance(1, seconds=0.5)
    assert paced.rate() == pytest.approx(4.0)
    assert paced.line().endswith("ETA 25 s")
