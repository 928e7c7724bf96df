"""Property-based: no stage emits an invalid span or fails, whatever text it is fed (generated from real news
fragments, quotation marks, scripts and control characters), through the whole default pipeline."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcetrace.analysis import Span
from sourcetrace.api import make_article
from tests.test_analysis import assert_offsets_hold

FRAGMENTS = [
    "Kremlin spokesman Dmitry Peskov said,", " according to RIA Novosti.", '"We want peace," he said.',
    " Officials said the bridge was closed on Monday", " who asked not to be named", " — Russia's top diplomat",
    "Contained within the pages were requests from donors, routed through the foundation.",
    " The ministry was criticised.", " By 2023, prices had risen 40% to $3.5 billion", " Kharkov", " Kharkiv",
    " special military operation", "«Мы не будем это обсуждать», — сказал Песков.", " заявив він.", "\n\n",
    " said", " “", "”", "'", '"', " (", ")", ":", " —", "...", " according to", " on September 11th",
]
ODD_CHARACTERS = list(" \n\t.,;:!?\"'“”‘’«»()[]—-–…aZé0ФЖї🔥\u200b\u202e\u00a0\x00")
ODD = st.text(alphabet=st.sampled_from(ODD_CHARACTERS), max_size=30)
TEXTS = st.lists(st.one_of(st.sampled_from(FRAGMENTS), ODD), min_size=1, max_size=25).map("".join).filter(
    lambda text: text.strip() != "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_every_stage_keeps_the_span_invariant_on_generated_text(pipeline, text):
    [analysis] = pipeline.analyze_batch([make_article(text, id="generated")])
    assert analysis.meta.failed_stages == []
    assert_offsets_hold(analysis)
    analysis.to_json()


@given(start=st.integers(-5, 30), end=st.integers(-5, 30))
def test_span_of_accepts_exactly_the_slices_of_its_text(start, end):
    text = "Officials said so on Monday."
    if 0 <= start <= end <= len(text):
        assert Span.of(text, start, end).text == text[start:end]
    else:
        try:
            Span.of(text, start, end)
        except ValueError:
            return
        raise AssertionError("an invalid span was made")


def test_a_span_whose_text_disagrees_with_its_offsets_cannot_be_made():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ends before it starts"):
        Span(start=107, end=38, text="")
    with pytest.raises(ValidationError, match="has a text of 3 characters"):
        Span(start=0, end=5, text="abc")
