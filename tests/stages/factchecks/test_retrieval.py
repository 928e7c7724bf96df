"""Query text for fact-check retrieval: hashtags and handles read as the words fact-checks use."""

from __future__ import annotations

import numpy as np

from sourcetrace.stages.factchecks.retrieval import BM25, clean_query, with_tag_words

TWEET = ("There are just too many funny #RevolutionaryWarAirports images. Ask @SpeakerPelosi about #Trump2020 "
         "pic.twitter.com/FD4BPFkXu2 — (((DeanObeidallah))) (@DeanObeidallah) July 5, 2019")


def test_clean_query_splits_hashtags_and_handles_into_words() -> None:
    assert clean_query(TWEET) == ("There are just too many funny Revolutionary War Airports images. "
                                  "Ask Speaker Pelosi about Trump 2020")


def test_bm25_finds_the_fact_check_named_only_in_a_hashtag() -> None:
    index = BM25(["President Trump said Revolutionary War troops took over the airports.",
                  "A photograph shows columns of tanks in a presidential inaugural parade.",
                  "Nancy Pelosi sold her stock before the announcement."])
    plain, expanded = index.scores([TWEET])[0], index.scores([with_tag_words(TWEET)])[0]
    assert plain[0] == 0.0  # '#RevolutionaryWarAirports' is one unknown word
    assert int(np.argmax(expanded)) == 0 and expanded[0] > expanded[2] > 0
