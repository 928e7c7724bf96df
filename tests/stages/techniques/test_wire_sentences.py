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


@pytest.fixture(scope="module")
def wire_pipeline():
    return load_pipeline(["backbone", "attribution", "techniques"])


def test_war_and_the_country_in_plain_wire_sentences_are_not_techniques(wire_pipeline):
    for point in ("precision", "recall"):
        pipeline = wire_pipeline if point == "precision" else load_pipeline(
            ["backbone", "attribution", "techniques"], {"techniques": {"operating_point": "recall"}})
        analysis = pipeline.analyze(ArticleInfo(id="wire", text=WIRE, language="en"))
        flagged = {(t.technique, t.span.text.lower()) for t in analysis.techniques}
        assert not any(name == "Loaded_Language" and "war" in text.split() for name, text in flagged), flagged
        assert not any(name == "Flag_Waving" and "country" in text for name, text in flagged), flagged
    shown = wire_pipeline.analyze(ArticleInfo(id="wire", text=WIRE, language="en"))
    assert shown.technique_summary.per_1000_words <= 10


def test_loaded_words_of_a_named_speaker_are_counted_as_hers(wire_pipeline):
    pipeline = load_pipeline(["backbone", "attribution", "techniques"], {"techniques": {"operating_point": "recall"}})
    analysis = pipeline.analyze(ArticleInfo(id="quote", text=QUOTE, language="en"))
    quoted = [t for t in analysis.techniques if QUOTE.index('"a shameless') <= t.span.start < QUOTE.index(" and prom")]
    assert quoted, "no technique in a loaded quotation"
    assert all(t.speaker == "Anna Lind" and t.attribution is not None for t in quoted)
    summary = analysis.technique_summary
    assert sum(n for speakers in summary.quoted.values() for n in speakers.values()) == len(
        [t for t in analysis.techniques if t.attribution is not None])
    assert sum(summary.outlet_voice.values()) + sum(
        n for speakers in summary.quoted.values() for n in speakers.values()) == len(analysis.techniques)
