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
from sourcetrace.stages.factchecks.stage import IMPORT_COMMAND, FactcheckMatcher
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
    review("https://fc.example/covid", "It is not plausible that COVID-19 developed naturally."),
]
NARRATIVE_CASES = [{
    "id": 1, "Narrative": "The West controls Ukraine", "Fakes": "Ukraine is governed from Washington",
    "Disinfo_cases_en": "The government in Kyiv takes its orders directly from the US embassy.",
    "Date": "09/12/2021", "Media": "example.ru", "Link": "https://narratives.example/1",
}]
STAGES = ["backbone", "attribution", "claims", "factchecks"]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("factchecks")
    source = folder / "reviews.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in REVIEWS), encoding="utf-8")
    narratives = folder / "narratives.json"
    narratives.write_text(json.dumps(NARRATIVE_CASES), encoding="utf-8")
    path = folder / "store.duckdb"
    with FactcheckStore(path) as store:
        first = store.import_records(read_factchecks(source), load_embedder())
        again = store.import_records(read_factchecks(source), load_embedder())
        store.import_records(read_factchecks(narratives), load_embedder())
    assert (first.added, first.embedded) == (5, 5)
    assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 5, 0)
    return path


@pytest.fixture(scope="module")
def analyze(store_path):
    pipeline = Pipeline(STAGES, {"factchecks": {"db": str(store_path)}})
    return lambda text: pipeline.analyze(ArticleInfo(id="a", text=text))


def kinds(analysis) -> list[str]:
    return sorted(f.kind for f in analysis.findings)


def test_reimport_updates_a_changed_record_only(store_path, tmp_path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store_path.read_bytes())
    changed = [dict(r) for r in REVIEWS]
    changed[2]["claimReviewed"] = "The flu vaccine contains 5G microchips for tracking people."
    source = tmp_path / "changed.json"
    source.write_text(json.dumps(changed), encoding="utf-8")
    with FactcheckStore(copy) as store:
        report = store.import_records(read_factchecks(source), load_embedder())
        assert (report.updated, report.unchanged, store.count()) == (1, 4, 6)


def test_a_plain_assertion_is_a_match_with_its_decision(analyze, store_path) -> None:
    analysis = analyze("NATO officers are deployed in the Kharkiv region, where they command Ukrainian units. "
                       "The weather in the city was cold and rainy on Monday morning.")
    (match,) = analysis.findings
    assert match.kind == "factcheck_match" and match.span.text.startswith("NATO officers")
    data = match.evidence[0].data
    assert match.evidence[0].url == "https://fc.example/nato-kharkiv" and data["verdict"] == "False"
    assert data["match"] == "same_claim" and data["decision"] == "factcheck_match" and data["score"] >= 0.8
    assert data["stance"] == "agree" and data["stance_probability"] >= 0.5
    assert set(data["stance_probabilities"]) == {"agree", "disagree", "discuss", "unrelated"}
    assert match.message.startswith("Asserts a claim already checked by StopFake (verdict: False)")
    assert "cross-encoder" in FactcheckMatcher({"db": str(store_path)}).models()["factcheck_matcher"]
    plain = FactcheckMatcher({"db": str(store_path), "rerank": False})
    assert plain.index.reranker is None and "cross-encoder" not in plain.models()["factcheck_matcher"]


def test_a_claim_reported_from_a_source_is_reported_and_attributed(analyze) -> None:
    analysis = analyze("Russian state media claimed that the United States runs secret biological laboratories "
                       "in Ukraine.")
    (finding,) = analysis.findings
    assert finding.kind == "reports_checked_claim" and "attributed to Russian state media" in finding.message
    assert "disinformation" not in finding.message
    assert finding.evidence[0].url == "https://fc.example/bio-labs"
    assert finding.claim in {c.id for c in analysis.claims}


def test_the_opposite_claim_refutes_and_is_never_a_match(analyze) -> None:
    analysis = analyze("All evidence so far points to the fact that COVID-19 is naturally derived and not man-made, "
                       "the virologist said.")
    assert "factcheck_match" not in kinds(analysis) and "narrative" not in kinds(analysis)
    assert set(kinds(analysis)) <= {"refutes_checked_claim"}
    for finding in analysis.findings:
        assert finding.message.startswith("Denies a claim") and "verdict" not in finding.message


def test_a_neutral_wire_sentence_gives_nothing(analyze) -> None:
    analysis = analyze("The Pentagon said on Tuesday that it funds public health laboratories in Ukraine. "
                       "Ukraine's government met US embassy officials in Kyiv on Monday to discuss grain exports.")
    assert analysis.findings == []


def test_related_cases_are_off_by_default_and_a_setting_shows_them(analyze, store_path) -> None:
    text = "Ukraine's government met US embassy officials in Kyiv on Monday to discuss grain exports."
    assert analyze(text).findings == []
    pipeline = Pipeline(STAGES, {"factchecks": {"db": str(store_path), "related": True, "related_cosine": 0.4}})
    related = pipeline.analyze(ArticleInfo(id="a", text=text)).findings
    assert related and {(f.kind, f.evidence[0].data["match"]) for f in related} == {("related_factcheck", "related")}
    assert all(f.message.startswith("Related to a case") and "not the same claim" in f.message for f in related)


def test_a_narrative_needs_a_matched_case_of_it(analyze) -> None:
    asserted = analyze("The government in Kyiv takes its orders directly from the US embassy.")
    assert kinds(asserted) == ["factcheck_match", "narrative"]
    narrative = next(f for f in asserted.findings if f.kind == "narrative")
    assert "The West controls Ukraine" in narrative.message and narrative.evidence[0].data["stance"] == "agree"
    reported = analyze("Pro-Kremlin bloggers claim that the government in Kyiv takes its orders directly from the "
                       "US embassy.")
    assert kinds(reported) == ["reports_checked_claim"]
    similar = analyze("Ukraine's government met US embassy officials in Kyiv on Monday to discuss grain exports.")
    assert similar.findings == []


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
    # the reference article makes none of these claims itself: by default nothing is shown
    assert document.analysis.findings == []
    document.analysis.findings = []
    FactcheckMatcher({"db": str(db), "related": True}).process([document])
    matches = [f for f in document.analysis.findings if f.kind == "related_factcheck"]
    assert all(m.evidence[0].url.startswith("https://euvsdisinfo.eu/report/") for m in matches)
    nato = [m for m in matches if "NATO officers" in m.span.text or "NATO personnel" in m.span.text]
    assert nato, "the reference article's NATO-involvement claims are related to no EUvsDisinfo case"
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
    assert skipped.stage == "factchecks" and IMPORT_COMMAND in skipped.reason
    assert any(note.startswith("Skipped: factchecks: fact-check matching is off") for note in coverage_notes(analysis))
    from rich.console import Console

    from sourcetrace.report.html import render_html
    from sourcetrace.report.text import print_summary
    from sourcetrace.web.render import analysis_view

    assert any(IMPORT_COMMAND in note for note in analysis_view(analysis)["coverage"])  # the web page's header
    assert IMPORT_COMMAND in render_html(analysis)
    console = Console(record=True, width=400)
    print_summary(analysis, console)
    assert IMPORT_COMMAND in console.export_text()  # the text summary


def test_a_sentence_inside_a_quotation_is_the_quoted_voice(analyze) -> None:
    from sourcetrace.stages.factchecks.stage import _inside_quotation

    text = ("The leaflet begins, \u201cRead this carefully!\nThe United States runs secret biological laboratories in "
            "Ukraine.\u201d Officials called it absurd. The United States runs secret biological laboratories.")
    second = text.index("The United States")
    assert _inside_quotation(text, second) and not _inside_quotation(text, text.rindex("The United States"))
    assert _inside_quotation('He wrote: "First line. Second line.', 23)
    assert not _inside_quotation('He wrote: "First line." Not here.', 24)
    quoted = analyze("The leaflet begins, \u201cRead this carefully!\nThe United States runs secret biological "
                     "laboratories in Ukraine.\u201d Officials called the leaflet absurd.")
    assert "factcheck_match" not in kinds(quoted)
