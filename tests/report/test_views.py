"""The report's views: the claim queue, the default layers, the technique legend, labels, offsets, parents."""

from __future__ import annotations

import json
import re

import pytest

from sourcetrace.analysis import (
    Analysis,
    ArticleInfo,
    Attribution,
    Claim,
    Finding,
    Meta,
    Span,
    Speaker,
    Technique,
    TechniqueSummary,
)
from sourcetrace.report.claims import claim_queue
from sourcetrace.report.html import DEFAULT_LAYERS, LAYERS, marks_and_items, render_html, segments

TEXT = ("Col. Viktor Hrebenko said that officials had told him \"40 families were evacuated\". "
        "The shelling was a crime against the whole nation. Prices rose by 20% in March.")


def span(piece: str) -> Span:
    start = TEXT.index(piece)
    return Span.of(TEXT, start, start + len(piece))


@pytest.fixture
def analysis() -> Analysis:
    outer = span("that officials had told him \"40 families were evacuated\"")
    inner = span("40 families were evacuated")
    return Analysis(
        article=ArticleInfo(id="views", text=TEXT, title="Views"),
        meta=Meta(sourcetrace_version="test"),
        attributions=[
            Attribution(id="outer", source=span("Col. Viktor Hrebenko"), cue=span("said"), content=outer,
                        source_kind="named_person", quote_kind="indirect", speaker=Speaker(name="Viktor Hrebenko")),
            Attribution(id="inner", source=span("officials"), cue=span("told"), content=inner, parent="outer",
                        source_kind="anonymous", quote_kind="direct"),
        ],
        claims=[
            Claim(id="c-inner", span=inner, attribution="inner", kind="statistic", checkworthiness=0.71),
            Claim(id="c-author", span=span("The shelling was a crime against the whole nation."), author_voice=True,
                  kind="opinion", checkworthiness=0.12),
            Claim(id="c-prices", span=span("Prices rose by 20% in March."), author_voice=True, kind="statistic",
                  checkworthiness=0.93),
        ],
        techniques=[
            Technique(id="t1", technique="Loaded_Language", family="manipulative_wording", span=span("crime"),
                      score=0.8),
            Technique(id="t2", technique="Flag_Waving", family="justification", span=span("the whole nation"),
                      score=0.6),
        ],
        technique_summary=TechniqueSummary(words=30, techniques={"Loaded_Language": 1, "Flag_Waving": 1}),
        findings=[Finding(id="f1", kind="reports_checked_claim", claim="c-inner", span=inner,
                          message="Reports a checked claim")],
    )


def test_claims_are_ranked_with_who_stands_behind_them(analysis):
    queue = claim_queue(analysis)
    assert [row["id"] for row in queue] == ["c-prices", "c-inner", "c-author"]
    assert [row["rank"] for row in queue] == [1, 2, 3]
    prices, inner, author = queue
    assert prices["behind"] == "the outlet's own voice" and prices["speaker_kind"] == "author"
    assert inner["behind"] == "officials" and inner["speaker_kind"] == "anonymous"
    assert inner["factcheck"] == "reports a checked claim" and author["factcheck"] is None
    assert TEXT[inner["start"]:inner["end"]] == "40 families were evacuated"


def test_report_opens_on_sources_cues_claims_and_findings(analysis):
    html = render_html(analysis)
    for key, _label in LAYERS:
        checked = re.search(rf'data-layer="{key}"( checked)?>', html).group(1) is not None
        assert checked == (key in DEFAULT_LAYERS), key
    body = re.search(r'<body class="([^"]*)"', html).group(1).split()
    assert set(body) == {f"hide-{key}" for key, _ in LAYERS if key not in DEFAULT_LAYERS}
    assert DEFAULT_LAYERS == {"source", "cue", "claim", "finding"}


def test_claim_queue_in_the_report(analysis):
    html = render_html(analysis)
    queue = html[html.index('id="claim-queue"'):html.index('id="sources"')]
    order = re.findall(r'class="qclaim" data-item="([^"]+)"', queue)
    assert order == ["c-prices", "c-inner", "c-author"]
    assert "the outlet&#39;s own voice" in queue and "reports a checked claim" in queue
    assert f'at {TEXT.index("40 families")}–' in queue  # the link to its place names the offsets
    assert 'id="q-speaker"' in queue and 'id="q-kind"' in queue and 'id="q-score"' in queue


def test_one_colour_per_technique_family_with_a_legend_and_labels(analysis):
    html = render_html(analysis)
    assert 'fam-swatch fam-manipulative_wording' in html and 'fam-swatch fam-justification' in html
    assert "Manipulative wording" in html and "Justification" in html
    marks, items = marks_and_items(analysis)
    pieces = segments(TEXT, marks, items)
    crime = next(p for p in pieces if p["text"] == "crime")
    assert crime["family"] == "manipulative_wording"
    assert {"layer": "technique", "text": "Loaded Language"} in crime["labels"]
    # a label is drawn by CSS from an attribute: the article's text is unchanged
    assert '<span class="lab lab-technique" data-label="Loaded Language" aria-hidden="true"></span>' in html
    claim_labels = [lab["text"] for p in pieces for lab in p["labels"] if lab["layer"] == "claim"]
    assert sorted(claim_labels) == ["claim 0.12", "claim 0.71", "claim 0.93"]  # one per claim, at its end


def test_details_give_offsets_and_the_parent_in_words(analysis):
    _marks, items = marks_and_items(analysis)
    inner = items["inner:content"]
    start = TEXT.index("40 families")
    assert inner["evidence offsets"] == f"{start}–{start + len('40 families were evacuated')}"
    assert inner["quoted within"] == "Viktor Hrebenko — that officials had told him \"40 families were …"
    assert "parent" not in inner
    data = json.loads(render_html(analysis).split('id="items-data">')[1].split("</script>")[0])
    assert data["inner:content"]["quoted within"].startswith("Viktor Hrebenko — ")


def test_toggle_counts_agree_with_panel_counts(analysis):
    html = render_html(analysis)
    toggle = int(re.search(r'data-layer="source"[^>]*> Sources <span class="count">\((\d+)\)', html).group(1))
    panel = int(re.search(r"Who says what \((\d+) attributions; (\d+) with a source", html).group(2))
    assert toggle == panel == 2
    claims = int(re.search(r'data-layer="claim"[^>]*> Claims <span class="count">\((\d+)\)', html).group(1))
    assert claims == int(re.search(r"Claims to check \((\d+)\)", html).group(1)) == 3


def test_terminal_summary_lists_the_queue(analysis):
    from rich.console import Console

    from sourcetrace.report.text import summary

    console = Console(width=100, record=True, force_terminal=False)
    console.print(summary(analysis))
    text = console.export_text()
    queue = text[text.index("Claims to check"):]
    assert queue.index("Prices rose by 20%") < queue.index("40 families") < queue.index("The shelling")
    assert "0.93 the outlet's own voice" in queue and "reports a checked claim" in queue


def test_the_strongest_fact_check_status_wins():
    from sourcetrace.report.claims import factcheck_status

    assert factcheck_status(["related_factcheck", "factcheck_match"]) == "matches a checked claim"
    assert factcheck_status(["factcheck_match", "refutes_checked_claim"]) == "denies a checked claim"
    assert factcheck_status(["related_factcheck"]) == "a fact-check on the same topic"
    assert factcheck_status(["narrative"]) is None
