"""Contradictions between relations stated in text and the shipped knowledge base (real parser, real KB)."""

from __future__ import annotations

import pytest

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline


@pytest.fixture(scope="module")
def kb_pipeline():
    return load_pipeline(["backbone", "knowledge_base"])


def findings(pipeline, text: str, published: str = "2022-09-13"):
    analysis = pipeline.analyze(ArticleInfo(id="t", text=text, published=published))
    for finding in analysis.findings:
        for evidence in finding.evidence:
            if evidence.span is not None:
                assert evidence.span.text == text[evidence.span.start : evidence.span.end]
    return analysis.findings


def test_nato_tochka_is_a_contradiction_with_sources(kb_pipeline) -> None:
    text = ("Since Ukraine has been equipped with NATO's Tochka-U tactical missile systems, "
            "the number of civilian casualties has increased.")
    (finding,) = findings(kb_pipeline, text)
    assert finding.kind == "contradiction"
    assert finding.message == "Tochka-U is a Soviet-designed system; it is not a NATO system."
    stated = finding.evidence[0]
    assert stated.span.text == "NATO's Tochka-U tactical missile systems"
    assert stated.data["relation"] == "possession"
    known = {(e.data["property"], e.data["value"]) for e in finding.evidence[1:]}
    assert ("country_of_origin", "Q15180") in known and ("operator", "Q212") in known
    assert all(e.source for e in finding.evidence[1:])


@pytest.mark.parametrize("text", [
    "Ukraine's Tochka-U missiles hit Donetsk.",  # Ukraine operates it: consistent
    "NATO's HIMARS struck the bridge.",  # US-designed, the US is a NATO member
    "The Russian army fired Iskander missiles.",
    "Poland's Bayraktar drones arrived.",  # operators are an open list: never a contradiction by absence
    "Ukraine is not a member of NATO.",  # a denial, and true
    "Russia recognised the Donetsk People's Republic in February 2022.",
])
def test_no_finding_where_the_text_agrees_or_the_kb_is_silent(kb_pipeline, text: str) -> None:
    assert findings(kb_pipeline, text) == []


@pytest.mark.parametrize(("text", "message"), [
    ("Sweden joined NATO in 2004.", "Sweden joined NATO on 7 March 2024, not in 2004."),
    ("NATO member Ukraine sent troops.", "Ukraine is not a member of NATO."),
    ("Finland is a NATO member.",
     "Finland was not yet a member of NATO on 13 September 2022: it joined on 4 April 2023."),
    ("Germany recognised the Donetsk People's Republic.",
     "Germany has not recognised the Donetsk People's Republic; "
     "only Russia, Syria, North Korea and South Ossetia have."),
    ("The Soviet-made HIMARS were fired at dawn.", "HIMARS is an American-designed system, not Soviet-made."),
    ("Russia's Azov Regiment shelled the town.", "Azov Regiment is a Ukrainian unit; it does not belong to Russia."),
])
def test_other_relations(kb_pipeline, text: str, message: str) -> None:
    assert [f.message for f in findings(kb_pipeline, text)] == [message]


def test_reference_article_has_the_tochka_contradiction(seed_analysis) -> None:
    contradictions = [f for f in seed_analysis.findings if f.kind == "contradiction"]
    tochka = [f for f in contradictions if "Tochka-U" in f.message]
    assert len(tochka) == 1
    assert tochka[0].message == "Tochka-U is a Soviet-designed system; it is not a NATO system."
    assert "NATO’s Tochka-U tactical missile systems" in tochka[0].span.text
    if seed_analysis.claims:
        assert tochka[0].claim in {claim.id for claim in seed_analysis.claims}
