"""Plain wire-service sentences (written for these tests): the default model stays quiet on ordinary words, and
what a quoted speaker says is marked as the speaker's."""

from __future__ import annotations

import pytest

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline

WIRE = (
    "The war in the east of the country entered its third year on Monday, the defence ministry said in a "
    "statement.\n"
    "Officials said the country would hold a general election in the spring after the war forced a delay of "
    "several months.\n"
    "Exports of grain from the country's southern ports fell by 12 percent in March, customs data showed.\n"
    "The two governments agreed to reopen the border crossing on Thursday, a spokesman for the foreign "
    "ministry told reporters."
)
QUOTE = ('President Anna Lind said the opposition plan was "a shameless betrayal of every working family in this '
         'country" and promised to veto it on Friday.')


MODELS = (None, "techniques_semeval23")  # the default model, and the one learnt from the 2023 labels


def _pipeline(model_dir: str | None, **settings: str):
    return load_pipeline(["backbone", "attribution", "techniques"],
                         {"techniques": {**({"model_dir": model_dir} if model_dir else {}), **settings}})


@pytest.fixture(scope="module", params=MODELS)
def wire_pipeline(request):
    return _pipeline(request.param)


def test_war_and_the_country_in_plain_wire_sentences_are_not_techniques(wire_pipeline):
    for point in ("precision", "recall"):
        pipeline = wire_pipeline if point == "precision" else _pipeline(
            wire_pipeline.config["techniques"].get("model_dir"), operating_point="recall")
        analysis = pipeline.analyze(ArticleInfo(id="wire", text=WIRE, language="en"))
        flagged = {(t.technique, t.span.text.lower()) for t in analysis.techniques}
        assert not any(name == "Loaded_Language" and "war" in text.split() for name, text in flagged), flagged
        assert not any(name == "Flag_Waving" and "country" in text for name, text in flagged), flagged
    shown = wire_pipeline.analyze(ArticleInfo(id="wire", text=WIRE, language="en"))
    assert shown.technique_summary.per_1000_words <= 10


def test_loaded_words_of_a_named_speaker_are_counted_as_hers(wire_pipeline):
    pipeline = _pipeline(wire_pipeline.config["techniques"].get("model_dir"), operating_point="recall")
    analysis = pipeline.analyze(ArticleInfo(id="quote", text=QUOTE, language="en"))
    quoted = [t for t in analysis.techniques if QUOTE.index('"a shameless') <= t.span.start < QUOTE.index(" and prom")]
    assert quoted, "no technique in a loaded quotation"
    assert all(t.speaker == "Anna Lind" and t.attribution is not None for t in quoted)
    summary = analysis.technique_summary
    assert sum(n for speakers in summary.quoted.values() for n in speakers.values()) == len(
        [t for t in analysis.techniques if t.attribution is not None])
    assert sum(summary.outlet_voice.values()) + sum(
        n for speakers in summary.quoted.values() for n in speakers.values()) == len(analysis.techniques)


PARTIAL_QUOTES = (
    'Foreign Minister Pavel Dorn said the talks in Geneva had been "useful and frank" and that both sides wanted '
    '"a lasting ceasefire" before the winter.\n'
    'Dorn called the proposal "a serious basis for negotiation", the ministry said in a statement.'
)


def test_partial_quotes_of_a_named_speaker_are_not_flagged_in_the_outlets_voice(wire_pipeline):
    quoted = [(PARTIAL_QUOTES.index(phrase) - 1, PARTIAL_QUOTES.index(phrase) + len(phrase) + 1)
              for phrase in ("useful and frank", "a lasting ceasefire", "a serious basis for negotiation")]

    def on_quote(t) -> bool:
        return any(start < t.span.end and t.span.start < end for start, end in quoted)

    analysis = wire_pipeline.analyze(ArticleInfo(id="partial", text=PARTIAL_QUOTES, language="en"))
    assert analysis.attributions, "the speaker's words were not attributed"
    assert not [t for t in analysis.techniques if on_quote(t)], analysis.techniques  # the default point: none
    recall = _pipeline(wire_pipeline.config["techniques"].get("model_dir"), operating_point="recall")
    triage = recall.analyze(ArticleInfo(id="partial", text=PARTIAL_QUOTES, language="en"))
    assert all(t.attribution is not None and t.speaker for t in triage.techniques if on_quote(t))
