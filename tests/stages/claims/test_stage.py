"""Claims on the reference article and on real sentences, with the real parser and the real model."""

from __future__ import annotations

import pytest

from sourcetrace.analysis import Analysis, ArticleInfo, Attribution, Meta, Span
from sourcetrace.pipeline.backbone import load_spacy
from sourcetrace.pipeline.registry import Document
from sourcetrace.stages.claims.stage import ClaimExtractor


@pytest.fixture(scope="module")
def extractor() -> ClaimExtractor:
    return ClaimExtractor({})


def claims_of(extractor: ClaimExtractor, text: str, attributions=(), title: str | None = None):  # noqa: ANN001
    """Parse with the backbone's spaCy, add the given attributions, run the claims stage alone."""
    nlp = load_spacy()
    doc = nlp(text)
    analysis = Analysis(article=ArticleInfo(id="t", text=text, title=title), meta=Meta(sourcetrace_version="test"))
    analysis.sentences = [Span.of(text, s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
    for make in attributions:
        analysis.attributions.append(make(text))
    document = Document(analysis, doc)
    extractor.process([document])
    for claim in analysis.claims:
        assert claim.span.text == text[claim.span.start : claim.span.end]
    return analysis.claims


def test_reference_casualty_sentence_is_an_author_voice_statistic_with_a_ratio_above_two(seed_analysis) -> None:
    claim = next(c for c in seed_analysis.claims if "civilian casualties" in c.span.text)
    assert claim.author_voice and claim.attribution is None
    assert claim.kind == "statistic"
    ratio = next(q for q in claim.quantities if q.kind == "ratio")
    assert ratio.lower is not None and ratio.lower >= 2 and ratio.direction == "increase"
    assert ratio.span.text == "more than two-fold"
    assert 0.5 < claim.checkworthiness <= 1.0


def test_reference_article_claims_carry_evidence_dates_and_entities(seed_analysis) -> None:
    text = seed_analysis.text
    entity_ids = {e.id for e in seed_analysis.entities}
    for claim in seed_analysis.claims:
        assert claim.span.text == text[claim.span.start : claim.span.end]
        for quantity in claim.quantities:
            assert claim.span.start <= quantity.span.start and quantity.span.end <= claim.span.end
        assert set(claim.entities) <= entity_ids
        assert claim.author_voice == (claim.attribution is None)
        assert 0.0 <= claim.checkworthiness <= 1.0
    withdrawal = next(c for c in seed_analysis.claims if "withdrawing from the Kharkov region" in c.span.text)
    assert "2022-09-10" in [d.value for d in withdrawal.dates]
    mercenaries = next(c for c in seed_analysis.claims if "thousands of mercenaries" in c.span.text)
    assert any(q.lower == 1000 and q.vague for q in mercenaries.quantities)
    assert "2022-09-11" in [d.value for d in mercenaries.dates]
    operation = next(c for c in seed_analysis.claims if "three-day operation" in c.span.text)
    assert any(q.kind == "duration" and q.value == 3 and q.unit == "day" for q in operation.quantities)
    assert not any(c.span.text.startswith("Read more") for c in seed_analysis.claims)
    # reported speech starts at what is reported: "revealed to Al Mayadeen that \"US generals ..." -> "US generals ..."
    assert not any(c.span.text.lower().startswith(("that ", '"', "“")) for c in seed_analysis.claims)


def test_attribution_contents_become_attributed_claims_one_per_sentence(extractor) -> None:
    text = ('"Our intelligence agencies have detected the arrival of NATO officers in the Kharkov region. '
            'The purpose of their trip is to organize cooperation," Marochko said. '
            "The army withdrew from the region after months of fighting.")
    quote_end = text.index('," Marochko')

    def marochko(t: str) -> Attribution:
        return Attribution(id="att_1", source=Span.of(t, quote_end + 3, quote_end + 11),
                           cue=Span.of(t, quote_end + 12, quote_end + 16), content=Span.of(t, 1, quote_end),
                           source_kind="named_person", quote_kind="direct")

    claims = claims_of(extractor, text, [marochko])
    attributed = [c for c in claims if c.attribution == "att_1"]
    assert [c.span.text for c in attributed] == [
        "Our intelligence agencies have detected the arrival of NATO officers in the Kharkov region.",
        "The purpose of their trip is to organize cooperation",
    ]
    assert not any(c.author_voice for c in attributed)
    author = [c for c in claims if c.author_voice]
    assert [c.span.text for c in author] == ["The army withdrew from the region after months of fighting."]
    assert author[0].kind == "event"


def test_author_kind_attributions_give_author_voice_claims(extractor) -> None:
    text = "Unemployment in the region has doubled since 2019. Officials said nothing."

    def author(t: str) -> Attribution:
        return Attribution(id="att_a", content=Span.of(t, 0, t.index(".")), source_kind="author",
                           quote_kind="indirect")

    claims = claims_of(extractor, text, [author])
    first = claims[0]
    assert first.span.text == "Unemployment in the region has doubled since 2019"  # the content, as given
    assert (first.author_voice, first.attribution, first.kind) == (True, None, "statistic")


def test_kinds_on_real_sentences(extractor) -> None:
    sentences = {
        "The government will raise the fuel tax by next spring.": "prediction",
        "The liberation of the region could take several months.": "prediction",
        "The bridge collapsed because of the heavy rains that hit the city.": "causal",
        "This policy is a disgrace and the minister should resign immediately.": "opinion",
        "Russian troops withdrew from Izium on Saturday after heavy fighting.": "event",
        "Inflation reached 14 percent in August, the highest level in decades.": "statistic",
    }
    claims = claims_of(extractor, " ".join(sentences))
    assert {c.span.text: c.kind for c in claims} == sentences


def test_questions_and_page_furniture_are_not_claims_and_headlines_score_lower(extractor) -> None:
    body = "Unemployment has doubled since 2019 to 12 percent, the highest rate in Europe."
    text = f"Unemployment has doubled since 2019 to 12 percent\n{body}\nWill the government act now?\n" \
           "Read more: Pentagon says it was closely engaged with Kiev\nSubscribe to our newsletter today."
    claims = claims_of(extractor, text)
    assert [c.span.text for c in claims] == ["Unemployment has doubled since 2019 to 12 percent", body]
    headline, sentence = claims
    assert headline.checkworthiness < sentence.checkworthiness


def test_checkworthiness_ranks_a_statistic_above_small_talk(extractor) -> None:
    claims = claims_of(extractor, "I would like to thank everyone for coming here tonight. "
                                  "We have cut the deficit by $300 billion and created 22 million new jobs.")
    small_talk, statistic = claims
    assert statistic.checkworthiness > 0.8 > 0.2 > small_talk.checkworthiness
