"""A partial direct quote of a named speaker is the speaker's words, never a scare quote."""

from __future__ import annotations

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline


def test_partial_quotes_of_a_named_speaker_are_not_scare_quotes():
    pipeline = load_pipeline(["backbone", "attribution", "framing"])
    for text in ('Lind called the plan "reckless" on Tuesday.',
                 'The minister described the talks as "constructive", the agency reported.'):
        analysis = pipeline.analyze(ArticleInfo(id="q", text=text, language="en"))
        assert analysis.attributions, text
        assert not [m for m in analysis.framing if m.marker == "scare_quote"], text
    # quotation marks the outlet puts around a phrase nobody is reported to have said still are
    analysis = pipeline.analyze(ArticleInfo(id="s", text='The company\'s "restructuring" cost 400 jobs last year.',
                                            language="en"))
    assert [m.span.text for m in analysis.framing if m.marker == "scare_quote"] == ['"restructuring"']
