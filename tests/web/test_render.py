"""What the pages make of untrusted text: escaped, bidi controls visible, long runs wrappable, nothing lost."""

from __future__ import annotations

import html
import re

from sourcetrace.web.render import WRAP_EVERY, analysis_view, inert


def visible_text(markup: str) -> str:
    """The text a browser shows for `markup` (the bidi markers read as their labels)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_markup_in_the_text_is_escaped():
    out = str(inert('<script>alert(1)</script><img src=x onerror="a()"> & <a href="javascript:x">'))
    assert "<script" not in out and "<img" not in out and "<a " not in out
    assert visible_text(out) == '<script>alert(1)</script><img src=x onerror="a()"> & <a href="javascript:x">'


def test_bidi_controls_become_labelled_markers():
    out = str(inert("file \u202etxt.exe and \u2067inner\u2069 text"))
    assert "\u202e" not in out and "\u2067" not in out and "\u2069" not in out
    assert re.findall(r'<abbr class="ctl" title="[^"]*U\+202E[^"]*">RLO</abbr>', out)
    assert visible_text(out) == "file RLOtxt.exe and RLIinnerPDI text"


def test_a_long_unbroken_run_gets_break_opportunities_and_keeps_every_character():
    text = "start " + "A" * 1000 + "&<" + " end"
    out = str(inert(text))
    assert out.count("<wbr>") == len("A" * 1000 + "&<") // WRAP_EVERY
    assert visible_text(out) == text
    assert "&amp;" in out and "&lt;" in out  # entities are never cut by a <wbr>


def test_analysis_view_offsets_match_the_text(example_analysis):
    view = analysis_view(example_analysis)
    text = example_analysis.article.text
    assert "".join(segment["text"] for segment in view["segments"]) == text
    for segment in view["segments"]:
        assert text[segment["start"]:segment["start"] + len(segment["text"])] == segment["text"]
    layers_with_items = {key for key, _, count, _shown in view["layers"] if count}
    assert "entity" in layers_with_items or "variant" in layers_with_items
    assert "</script" not in str(view["analysis_json"]).lower()
