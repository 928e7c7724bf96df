"""Parse rules of the attribution stage (`sourcetrace.stages.attribution.rules`) with the real parser."""

from __future__ import annotations

import pytest

from sourcetrace import analyze
from sourcetrace.stages.attribution.rules import Lexicon, RuleExtractor


@pytest.fixture(scope="module")
def nlp():
    from sourcetrace.pipeline.backbone import load_spacy

    return load_spacy()


def _records(nlp, text: str) -> list[tuple[str, str, list[str]]]:
    doc = nlp(text)
    return [(text[c.source[0]:c.source[1]], text[c.cue[0]:c.cue[1]], [text[s:e] for s, e in c.content])
            for c in RuleExtractor(Lexicon()).records_show(doc, text)]


@pytest.mark.parametrize("text, expected", [
    # the clause it closes
    ("The charity paid $12,000 to a consulting firm in March 2015, state tax records show.",
     [("state tax records", "show", ["The charity paid $12,000 to a consulting firm in March 2015"])]),
    # the clause after it
    ("Payroll data showed that hiring slowed in the spring.",
     [("Payroll data", "showed", ["that hiring slowed in the spring"])]),
    # inserted in the sentence, where the parse takes "show" for a noun
    ("As the county expanded its contracts, court filings show, the firm's revenue tripled.",
     [("court filings", "show", ["As the county expanded its contracts", "the firm's revenue tripled"])]),
    # no record as subject, or no clause shown
    ("The company showed strong profits in the third quarter.", []),
    ("Recent polls show the mayor trailing her challenger by six points.", []),
    ("The museum will show the paintings until May, the curator said.", []),
])
def test_records_show(nlp, text, expected):
    assert _records(nlp, text) == expected


def test_records_that_show_a_clause_are_a_source_in_the_layer():
    text = "Most of that money came from firms that no longer exist, campaign and corporate records show."
    found = [a for a in analyze(text, id="t", stages=("backbone", "attribution")).attributions
             if a.cue is not None and a.cue.text == "show"]
    assert len(found) == 1
    assert found[0].source.text == "campaign and corporate records"
    assert found[0].content.text == "Most of that money came from firms that no longer exist"
    assert found[0].source_kind == "other"


def _lines(text: str) -> list[tuple[str, str | None, str, str]]:
    return [(text[c.source[0]:c.source[1]], c.cue and text[c.cue[0]:c.cue[1]],
             text[c.content[0][0]:c.content[-1][1]], c.extras["interview"])
            for c in RuleExtractor(Lexicon()).interview_lines(text)]


def test_interview_lines_with_colons_stops_and_run_in_marks():
    text = ("Tomas Reyes runs the harbour ferry.\n\n"
            "Q: How long have you run it?\n\nA: Eleven years, since my uncle retired.\n\n"
            "Q. Will the fares rise?\n\nA. Not this winter.\n\nShe added later that she may sell.\n\n"
            "QAnd after that?\n\nA: We will see.")
    assert _lines(text) == [
        ("Q", ":", "How long have you run it", "question"),
        ("A", ":", "Eleven years, since my uncle retired", "answer"),
        ("Q", ".", "Will the fares rise", "question"),
        # an answer of several paragraphs runs to the next question
        ("A", ".", "Not this winter.\n\nShe added later that she may sell", "answer"),
        ("Q", None, "And after that", "question"),
        # the last answer keeps its own paragraph
        ("A", ":", "We will see", "answer"),
    ]


def test_a_lone_initial_or_a_single_exchange_is_no_interview():
    assert _lines("A. Philip Randolph led the union.\n\nA. J. Muste spoke next.\n\nQ: Who paid?") == []
    assert _lines("Q: Who paid?\n\nA: The city did.\n\nThe council met on Monday.") == []


def test_a_lower_case_word_tagged_as_a_name_names_no_one():
    from sourcetrace.pipeline.backbone import load_spacy
    from sourcetrace.stages.attribution.rules import Describer

    text = "The party knows that — given the range of Swiss referenda — most referenda see a turnout of 50 percent."
    doc = load_spacy()(text)
    start = text.index("most referenda")
    head = [t for t in doc if t.idx == text.index("referenda", start)][0]
    assert head.pos_ == "PROPN"  # the small model's tag for this word here
    kind, _, _ = Describer(Lexicon()).source_kind(doc, (start, start + len("most referenda")))
    assert kind not in ("named_person", "named_organization")


def test_a_plural_common_noun_the_small_model_labels_an_organisation_is_a_group_of_people():
    from spacy.tokens import Span as SpacySpan

    from sourcetrace.pipeline.backbone import load_spacy
    from sourcetrace.stages.attribution.rules import Describer

    text = "On Tuesday night the Republican hopefuls argued that taxes must fall."
    doc = load_spacy()(text)
    start = text.index("the Republican")
    group = doc.char_span(start, text.index(" argued"))
    doc.ents = [SpacySpan(doc, group.start, group.end, label="ORG")]  # as the small model labels it in some articles
    describer = Describer(Lexicon())
    assert describer.source_kind(doc, (start, group.end_char))[0] == "anonymous"
    party = "On Tuesday night the Republican Party argued that taxes must fall."
    doc = load_spacy()(party)
    body = doc.char_span(party.index("the Republican"), party.index(" argued"))
    doc.ents = [SpacySpan(doc, body.start, body.end, label="ORG")]
    assert describer.source_kind(doc, (body.start_char, body.end_char))[0] == "named_organization"
