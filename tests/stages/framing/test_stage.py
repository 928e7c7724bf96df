"""Framing markers on real sentences with the real spaCy parse."""

from __future__ import annotations

import shutil

import pytest

from sourcetrace.analysis import Analysis, ArticleInfo, Attribution, Entity, EntityVariant, Meta
from sourcetrace.pipeline.registry import Document
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.stages.framing.stage import FramingMarkers


@pytest.fixture(scope="module")
def framing_pipeline():
    return load_pipeline(["backbone", "framing"])


def markers(pipeline, text: str, marker: str | None = None):
    analysis = pipeline.analyze(ArticleInfo(id="t", text=text, language="en"))
    for m in analysis.framing:
        if m.span is not None:
            assert m.span.text == text[m.span.start:m.span.end]
        assert m.explanation
    return [m for m in analysis.framing if marker is None or m.marker == marker]


def test_reference_article_euphemisms_and_agentless_passive(seed_analysis):
    found = {(m.marker, m.span.text) for m in seed_analysis.framing if m.span}
    assert ("euphemism", "special military operation") in found
    assert ("euphemism", "liberate Donbas") in found
    assert ("euphemism", "regroup") in found
    assert ("agentless_passive", "a decision was made") in found
    assert ("anonymous_source", "Russian sources") in found
    explanations = {m.span.text: m.explanation for m in seed_analysis.framing if m.span}
    assert "war" in explanations["special military operation"]
    assert "who" in explanations["a decision was made"]


def test_passive_with_agent_is_not_agentless(framing_pipeline):
    assert not markers(framing_pipeline, "The decision was made by the city council on Monday.", "agentless_passive")
    found = markers(framing_pipeline, "Mistakes were made, and three villages were shelled overnight.",
                    "agentless_passive")
    assert {m.span.text for m in found} == {"Mistakes were made", "three villages were shelled"}


def test_idiomatic_passive_is_ignored(framing_pipeline):
    assert not markers(framing_pipeline, "He was born in Kyiv in 1975.", "agentless_passive")


def test_scare_quotes_and_so_called(framing_pipeline):
    text = 'The "experts" at the ministry backed the so-called reforms. She said: "We will rebuild every school."'
    found = {m.span.text for m in markers(framing_pipeline, text, "scare_quote")}
    assert found == {'"experts"', "so-called reforms"}


def test_hedges_and_intensifiers(framing_pipeline):
    text = "The minister reportedly ordered an utterly unprecedented purge."
    assert [m.span.text for m in markers(framing_pipeline, text, "hedge")] == ["reportedly"]
    assert {m.span.text for m in markers(framing_pipeline, text, "intensifier")} == {"utterly", "unprecedented"}


def test_lexicons_are_user_extendable(tmp_path):
    from sourcetrace.stages.framing.stage import LEXICON_DIR

    folder = tmp_path / "lexicons"
    shutil.copytree(LEXICON_DIR, folder)
    with (folder / "euphemisms.yaml").open("a", encoding="utf-8") as handle:
        handle.write('  - phrases: ["kinetic action"]\n    explanation: "Military jargon for an attack."\n')
    stage = FramingMarkers({"lexicons": str(folder)})
    text = "The army took kinetic action near the border."
    document = Document(Analysis(article=ArticleInfo(id="x", text=text, language="en"),
                                 meta=Meta(sourcetrace_version="test")))
    stage.process([document])
    assert [(m.marker, m.span.text) for m in document.analysis.framing] == [("euphemism", "kinetic action")]


def test_anonymous_share_and_variants_are_article_level():
    text = "Officials said the plant was hit. Sergei Lavrov told reporters in Kiev it was not."
    analysis = Analysis(article=ArticleInfo(id="a", text=text, language="en"), meta=Meta(sourcetrace_version="t"))
    span = analysis.span
    analysis.attributions = [
        Attribution(id="a1", source=span(0, 9), cue=span(10, 14), content=span(15, 32),
                    source_kind="anonymous", quote_kind="indirect"),
        Attribution(id="a2", source=span(34, 47), cue=span(48, 52), content=span(71, 81),
                    source_kind="named_person", quote_kind="indirect"),
    ]
    analysis.entities = [
        Entity(id="e1", span=span(66, 70), label="GPE", canonical="Kyiv",
               variant=EntityVariant(canonical="Kyiv", variant="Kiev", origin="Russian transliteration")),
    ]
    FramingMarkers({}).process([Document(analysis)])
    by_marker = {m.marker: m for m in analysis.framing}
    share = by_marker["anonymous_sourcing"]
    assert share.details == {"anonymous": 1, "attributions": 2, "share": 0.5}
    assert share.span.text == "Officials"
    variant = by_marker["transliteration_variant"]
    assert variant.span.text == "Kiev"
    assert variant.details["variants"][0] == {"variant": "Kiev", "canonical": "Kyiv",
                                              "origin": "Russian transliteration", "count": 1}
    assert "Kiev" in variant.explanation


INVERTED = ("The news arrived on Monday.\n\nContained within the hundreds of pages released in the latest cache of "
            "emails were multiple requests from foundation donors, routed through the foundation to a longtime "
            "aide.\n")


def test_inverted_word_order_gives_a_valid_agentless_passive_span(framing_pipeline):
    found = markers(framing_pipeline, INVERTED, "agentless_passive")
    assert all(m.span.start < m.span.end for m in found)
    assert any(m.span.text.startswith("Contained") for m in found)
