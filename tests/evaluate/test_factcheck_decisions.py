"""`evaluate factcheck-decisions`: reading the news sources and reporting findings per 1,000 sentences."""

from __future__ import annotations

import pytest

from sourcetrace.errors import InputError
from sourcetrace.evaluate.factcheck_decisions import DecisionReport, evaluate_factcheck_decisions, news_articles


def test_the_first_articles_of_each_source_in_name_order(tmp_path) -> None:
    polnear = tmp_path / "polnear" / "text"
    polnear.mkdir(parents=True)
    for name in ("b", "a", "c"):
        (polnear / f"{name}.txt").write_text(f"Article {name}.", encoding="utf-8")
    ptc = tmp_path / "ptc"
    ptc.mkdir()
    (ptc / "article2.txt").write_text("Second.", encoding="utf-8")
    (ptc / "article1.txt").write_text("First.", encoding="utf-8")
    (ptc / "notes.txt").write_text("not an article", encoding="utf-8")
    bodies = tmp_path / "bodies.csv"
    bodies.write_text('Body ID,articleBody\n10,"Ten, with a comma."\n2,Two.\n', encoding="utf-8")
    articles = news_articles([tmp_path / "polnear"], ptc, bodies, per_source=2)
    assert articles == [("polnear:a", "Article a."), ("polnear:b", "Article b."), ("ptc:article1", "First."),
                        ("ptc:article2", "Second."), ("fnc1:2", "Two."), ("fnc1:10", "Ten, with a comma.")]
    with pytest.raises(InputError, match="no PTC articles"):
        news_articles([], tmp_path / "polnear", None, per_source=1)
    with pytest.raises(InputError, match="no fact-check store"):
        evaluate_factcheck_decisions(tmp_path / "absent.duckdb", articles)


def test_the_report_gives_rates_and_lists_every_finding() -> None:
    finding = {"article": "fnc1:43", "kind": "factcheck_match", "text": "The town was quarantined.",
               "checked_claim": "The town was quarantined after an Ebola case.", "collection": "clef2020",
               "score": 0.99, "stance": "agree", "stance_probability": 0.85, "reasons": "asserted"}
    report = DecisionReport(articles=2, sentences=2000, counts={"factcheck_match": 1},
                            per_1000_sentences={"factcheck_match": 0.5}, seconds=10.0, factchecks_seconds=1.0,
                            findings=[finding])
    lines = report.lines()
    assert lines[0] == "2 articles, 2000 sentences; analysis 10 s, the factchecks stage 1 s (10.0%)"
    assert any(line.startswith("factcheck_match") and "0.50 per 1,000" in line for line in lines)
    assert lines[-1].startswith("- [factcheck_match] fnc1:43 score 0.99, stance agree 0.85")
    assert report.to_dict()["findings"] == [finding]


def test_a_folder_of_collections_is_imported_once_into_a_store(tmp_path) -> None:
    import json

    from sourcetrace.evaluate.factcheck_decisions import store_of_collections
    from sourcetrace.stages.factchecks.store import FactcheckStore

    folder = tmp_path / "collections"
    folder.mkdir()
    (folder / "reviews.jsonl").write_text(json.dumps({
        "@type": "ClaimReview", "url": "https://fc.example/moon", "claimReviewed": "The moon is made of cheese.",
        "author": {"name": "StopFake"}, "reviewRating": {"alternateName": "False"}}) + "\n", encoding="utf-8")
    db = store_of_collections(folder, tmp_path / "store.duckdb")
    assert store_of_collections(folder, db) == db
    with FactcheckStore(db, read_only=True) as store:
        assert store.count() == 1
    with pytest.raises(InputError, match="no fact-check collection"):
        store_of_collections(tmp_path / "absent")
