"""Duplicates: exact and near copies of real-looking wire stories are linked to the earliest copy."""

from __future__ import annotations

from sourcetrace.corpus.dedupe import content_sha1, find_duplicates, signature_bytes

from .conftest import BRIDGE, BUDGET, GRAIN


def _article(article_id: str, text: str, published: str) -> dict:
    return {"article_id": article_id, "published": published, "content_sha1": content_sha1(text),
            "minhash": signature_bytes(text)}


def test_exact_near_and_distinct_articles():
    # A partner's edit: its own dateline, one verb changed (true word 5-shingle Jaccard with the wire: 0.79).
    rewritten = BRIDGE.replace("struck again overnight", "hit again overnight").replace(
        "Kyiv, 12 September. ", "KYIV (Reuters) - "
    )
    articles = [
        _article("wire", BRIDGE, "2022-09-12"),
        _article("reformatted", "  " + BRIDGE.upper().replace(". ", ".\n\n"), "2022-09-12"),
        _article("rewrite", rewritten, "2022-09-13"),
        _article("grain", GRAIN, "2022-09-13"),
        _article("budget", BUDGET, "2022-09-14"),
    ]
    found = {row["article_id"]: row for row in find_duplicates(articles)}
    assert set(found) == {"reformatted", "rewrite"}
    assert found["reformatted"]["duplicate_of"] == "wire" and found["reformatted"]["exact"] is True
    assert found["rewrite"]["duplicate_of"] == "wire" and found["rewrite"]["exact"] is False
    assert 0.7 <= found["rewrite"]["similarity"] < 1.0


def test_a_copy_of_a_copy_links_to_the_first():
    copy = BRIDGE + " The outlet could not independently verify the reports."
    copy_of_copy = copy + " Comments are closed."
    found = {r["article_id"]: r["duplicate_of"] for r in find_duplicates(
        [_article("first", BRIDGE, "2022-09-12"), _article("copy", copy, "2022-09-13"),
         _article("copy2", copy_of_copy, "2022-09-14")]
    )}
    assert found == {"copy": "first", "copy2": "first"}


def test_different_stories_on_the_same_topic_are_not_duplicates():
    other = (
        "Kyiv, 14 September. Engineers began repairs on the Antonivskyi bridge on Wednesday, the regional "
        "administration said, adding that pontoon crossings would be used for aid convoys until the work ends."
    )
    assert find_duplicates([_article("a", BRIDGE, "2022-09-12"), _article("b", other, "2022-09-14")]) == []
