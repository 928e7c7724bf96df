"""The fact-check store (DuckDB, idempotent import) and the `factchecks` stage, with the real MiniLM model."""

from __future__ import annotations

import csv
import json

import pytest

from sourcetrace._ml.embedder import load_embedder
from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.registry import Document
from sourcetrace.pipeline.run import Pipeline
from sourcetrace.stages.factchecks.importers import read_factchecks
from sourcetrace.stages.factchecks.retrieval import duplicate_of
from sourcetrace.stages.factchecks.stage import FactcheckMatcher
from sourcetrace.stages.factchecks.store import FactcheckStore
from tests.conftest import SHARED, require_shared


def review(url: str, claim: str, verdict: str = "False", outlet: str = "StopFake") -> dict:
    return {"@type": "ClaimReview", "url": url, "claimReviewed": claim, "datePublished": "2022-09-20",
            "author": {"name": outlet}, "reviewRating": {"alternateName": verdict}}


REVIEWS = [
    review("https://fc.example/nato-kharkiv",
           "NATO officers are deployed in the Kharkiv region to command Ukrainian units."),
    review("https://fc.example/bio-labs", "The United States runs secret biological laboratories in Ukraine."),
    review("https://fc.example/vaccine", "The flu vaccine contains microchips for tracking people.", outlet="AFP"),
    review("https://fc.example/elections", "Dead people voted in large numbers in the Michigan election."),
]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("factchecks")
    source = folder / "reviews.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in REVIEWS), encoding="utf-8")
    path = folder / "store.duckdb"
    with FactcheckStore(path) as store:
        first = store.import_records(read_factchecks(source), load_embedder())
        again = store.import_records(read_factchecks(source), load_embedder())
    assert (first.added, first.embedded) == (4, 4)
    assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 4, 0)
    return path


def test_reimport_updates_a_changed_record_only(store_path, tmp_path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store_path.read_bytes())
    changed = [dict(r) for r in REVIEWS]
    changed[2]["claimReviewed"] = "The flu vaccine contains 5G microchips for tracking people."
    source = tmp_path / "changed.json"
    source.write_text(json.dumps(changed), encoding="utf-8")
    with FactcheckStore(copy) as store:
        report = store.import_records(read_factchecks(source), load_embedder())
        assert (report.updated, report.unchanged, store.count()) == (1, 3, 4)


def test_stage_matches_a_checked_claim_and_stays_silent_otherwise(store_path) -> None:
    pipeline = Pipeline(["backbone", "factchecks"], {"factchecks": {"db": str(store_path)}})
    text = ("NATO officers have been deployed to the Kharkiv region, where they command Ukrainian units, "
            "a militia spokesman said. The weather in the city was cold and rainy on Monday morning.")
    analysis = pipeline.analyze(ArticleInfo(id="a", text=text))
    matches = [f for f in analysis.findings if f.kind == "factcheck_match"]
    assert len(matches) == 1
    (match,) = matches
    assert match.span.text.startswith("NATO officers") and match.evidence[0].url == "https://fc.example/nato-kharkiv"
    assert match.evidence[0].data["verdict"] == "False" and 0.6 <= match.score <= 1.0
    assert match.evidence[0].data["match"] == "same_claim"
    assert "cross-encoder" in FactcheckMatcher({"db": str(store_path)}).models()["factcheck_matcher"]
    plain = FactcheckMatcher({"db": str(store_path), "rerank": False})
    assert plain.index.reranker is None and "cross-encoder" not in plain.models()["factcheck_matcher"]
    strict = Pipeline(["backbone", "factchecks"],
                      {"factchecks": {"db": str(store_path), "min_cosine": 0.99, "related_cosine": 1.0}})
    assert [f for f in strict.analyze(ArticleInfo(id="a", text=text)).findings if f.kind == "factcheck_match"] == []


def test_no_store_means_no_matches(tmp_path) -> None:
    matcher = FactcheckMatcher({"db": str(tmp_path / "absent.duckdb")})
    assert matcher.index is None and matcher.models() == {}


def test_reference_article_nato_claims_match_euvsdisinfo_cases(seed_analysis, tmp_path) -> None:
    """Imports the NATO-and-Ukraine part of the shared EUvsDisinfo list (221 cases: seconds, not minutes)."""
    posts = require_shared(SHARED / "data" / "factchecks" / "euvsdisinfo" / "posts.csv")
    with posts.open(encoding="utf-8", newline="") as stream:
        rows = [r for r in csv.DictReader(stream)
                if "NATO" in r["title"] + r["keywords"] and "Ukrain" in r["title"] + r["keywords"] + r["countries"]]
    subset = tmp_path / "posts.csv"
    with subset.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    db = tmp_path / "euvs.duckdb"
    with FactcheckStore(db) as store:
        store.import_records(read_factchecks(subset, "euvsdisinfo"), load_embedder())
    document = Document(seed_analysis.model_copy(deep=True))
    document.analysis.findings = []
    FactcheckMatcher({"db": str(db)}).process([document])
    matches = [f for f in document.analysis.findings if f.kind == "factcheck_match"]
    assert all(m.evidence[0].url.startswith("https://euvsdisinfo.eu/report/") for m in matches)
    nato = [m for m in matches if "NATO officers" in m.span.text or "NATO personnel" in m.span.text]
    assert nato, "the reference article's NATO-involvement claims matched no EUvsDisinfo case"
    # Related cases about NATO's presence in Ukraine (e.g. "NATO Troops have arrived in Luhansk"), not the
    # same claim: the data set ends in 2021.
    assert all("NATO" in m.evidence[0].data["claim"] for m in nato)
    assert {m.evidence[0].data["match"] for m in nato} == {"related"}
    assert not [m for m in matches if "mine clearance" in m.span.text]
    if seed_analysis.claims:
        assert {m.claim for m in matches} <= {c.id for c in seed_analysis.claims}


def test_a_fact_check_stored_twice_is_matched_once_as_its_older_copy(tmp_path) -> None:
    # CheckThat! 2020's collection holds such pairs: the same claim with other quotes, checked once.
    older = review("https://fc.example/old", 'A Fox affiliate described the suspect as "dark white."')
    older["datePublished"] = "2017-04-18"
    newer = review("https://fc.example/new", "A Fox affiliate described the suspect as 'dark white.'")
    other = review("https://fc.example/other", "A Fox affiliate aired a map that mislabeled Alabama.")
    source = tmp_path / "reviews.json"
    source.write_text(json.dumps([newer, older, other, *REVIEWS]), encoding="utf-8")
    db = tmp_path / "store.duckdb"
    with FactcheckStore(db) as store:
        store.import_records(read_factchecks(source), load_embedder())
    matcher = FactcheckMatcher({"db": str(db)})
    by_url = {row["url"]: i for i, row in enumerate(matcher.rows)}
    assert duplicate_of(matcher.rows)[by_url["https://fc.example/new"]] == by_url["https://fc.example/old"]
    tweet = "Fox affiliate described the murder suspect as 'dark white', unbelievable"
    (matches,) = matcher.index.search([tweet], matcher.embedder.encode([tweet]), top_k=5)
    urls = [matcher.rows[m.index]["url"] for m in matches]
    assert urls[0] == "https://fc.example/old" and "https://fc.example/new" not in urls
    # the later record is not lost: the evidence of the match names it
    evidence = matcher._evidence(matches[0])
    assert [copy["url"] for copy in evidence.data["also_recorded"]] == ["https://fc.example/new"]
    assert "recorded 2 times" in evidence.description


def test_without_a_store_the_analysis_says_matching_is_off_and_how_to_turn_it_on(tmp_path):
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import Pipeline
    from sourcetrace.report.coverage import coverage_notes

    pipeline = Pipeline(["backbone", "factchecks"], {"factchecks": {"db": str(tmp_path / "none.duckdb")}})
    analysis = pipeline.analyze(make_article("Officials said the bridge was closed on Monday.", id="a"))
    assert analysis.findings == []
    [skipped] = analysis.meta.skipped_stages
    assert skipped.stage == "factchecks" and "sourcetrace factchecks import FILE" in skipped.reason
    assert any(note.startswith("Skipped: factchecks: fact-check matching is off") for note in coverage_notes(analysis))
