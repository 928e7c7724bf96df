"""Technique spans in quoted or reported words carry their speaker; the summary counts voices apart."""

from __future__ import annotations

from sourcetrace.analysis import Attribution, Span, Speaker, Technique
from sourcetrace.report.text import technique_voices
from sourcetrace.stages.techniques.stage import summarize, voice_of

TEXT = ('The mayor said the new tax was "a shameless robbery of working families". '
        "Critics of the council called the plan reckless. The council meets on Tuesday, it said.")


def _attribution(ident: str, content: str, speaker: str | None, source: str | None,
                 kind: str = "named_person", quote: str = "mixed") -> Attribution:
    start = TEXT.index(content)
    source_span = Span.of(TEXT, TEXT.index(source), TEXT.index(source) + len(source)) if source else None
    return Attribution(id=ident, content=Span.of(TEXT, start, start + len(content)), source=source_span,
                       source_kind=kind, quote_kind=quote,  # type: ignore[arg-type]
                       speaker=Speaker(name=speaker) if speaker else None)


ATTRIBUTIONS = [
    _attribution("attr-mayor", 'the new tax was "a shameless robbery of working families"', "Jane Doe", "The mayor"),
    _attribution("attr-critics", "the plan reckless", None, "Critics of the council", kind="other"),
    _attribution("attr-author", "The council meets on Tuesday", None, None, kind="author", quote="indirect"),
]


def _technique(name: str, phrase: str) -> Technique:
    start = TEXT.index(phrase)
    attribution, speaker = voice_of(start, start + len(phrase), ATTRIBUTIONS)
    return Technique(id=f"t-{start}", technique=name, span=Span.of(TEXT, start, start + len(phrase)), score=0.7,
                     attribution=attribution, speaker=speaker)


def test_a_span_inside_quoted_words_is_the_speakers():
    quoted = _technique("Loaded_Language", "shameless robbery")
    assert (quoted.attribution, quoted.speaker) == ("attr-mayor", "Jane Doe")


def test_a_source_without_a_resolved_speaker_is_named_as_written():
    reported = _technique("Loaded_Language", "reckless")
    assert (reported.attribution, reported.speaker) == ("attr-critics", "Critics of the council")


def test_spans_outside_attributed_words_or_in_the_authors_are_the_outlets():
    assert voice_of(0, 9, ATTRIBUTIONS) == (None, None)  # "The mayor"
    start = TEXT.index("meets")
    assert voice_of(start, start + 5, ATTRIBUTIONS) == (None, None)
    across = TEXT.index("said the new")  # begins outside the quoted words
    assert voice_of(across, across + 20, ATTRIBUTIONS) == (None, None)


def test_summary_counts_the_outlets_voice_and_each_speakers_quotes_apart():
    techniques = [_technique("Loaded_Language", "shameless robbery"), _technique("Loaded_Language", "reckless"),
                  _technique("Loaded_Language", "Critics"), _technique("Doubt", "working families")]
    summary = summarize(techniques, TEXT)
    assert summary.techniques == {"Loaded_Language": 3, "Doubt": 1}
    assert summary.outlet_voice == {"Loaded_Language": 1}
    assert summary.quoted == {"Doubt": {"Jane Doe": 1},
                              "Loaded_Language": {"Jane Doe": 1, "Critics of the council": 1}}
    assert technique_voices(summary) == [
        "Loaded_Language: 1 in the outlet's voice, 1 in quotes of Jane Doe, 1 in quotes of Critics of the council",
        "Doubt: 0 in the outlet's voice, 1 in quotes of Jane Doe",
    ]
