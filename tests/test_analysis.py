import json

import jsonschema
import pytest

from sourcetrace.analysis import Analysis, Span, json_schema
from tests.conftest import REPO


def _all_spans(node):
    if isinstance(node, dict):
        if {"start", "end", "text"} <= node.keys() and isinstance(node.get("start"), int):
            yield node
        for value in node.values():
            yield from _all_spans(value)
    elif isinstance(node, list):
        for value in node:
            yield from _all_spans(value)


def assert_offsets_hold(analysis: Analysis) -> int:
    """Every span in the output is text[start:end] of the article; returns how many were checked."""
    data = analysis.to_dict()
    text = data["article"]["text"]
    count = 0
    for span in _all_spans({k: v for k, v in data.items() if k != "article"}):
        assert text[span["start"]:span["end"]] == span["text"], span
        for start, end in span.get("fragments") or []:
            assert span["start"] <= start < end <= span["end"]
        count += 1
    return count


def test_span_of_rejects_offsets_outside_the_text():
    with pytest.raises(ValueError):
        Span.of("short", 2, 10)


def test_discontinuous_span_keeps_its_pieces():
    text = '"We will win," he said, "whatever it takes."'
    span = Span.of_fragments(text, [(24, 43), (1, 12)])
    assert span.start == 1 and span.end == 43
    assert span.fragments == [(1, 12), (24, 43)]
    assert span.text == text[1:43]


def test_committed_schema_is_the_generated_one():
    committed = json.loads((REPO / "sourcetrace/schema/analysis-v1.schema.json").read_text())
    assert committed == json.loads(json.dumps(json_schema())), (
        "the model changed: regenerate with `sourcetrace schema --out sourcetrace/schema/analysis-v1.schema.json`"
    )


def test_seed_analysis_validates_and_offsets_hold(seed_analysis):
    jsonschema.validate(seed_analysis.to_dict(), json_schema())
    assert assert_offsets_hold(seed_analysis) > 20
    assert seed_analysis.article.published == "2022-09-13"
    assert seed_analysis.article.language == "en"


def test_ids_are_stable_across_runs(seed_text):
    from sourcetrace import analyze

    first = analyze(seed_text, id="seed")
    second = analyze(seed_text, id="seed")
    assert [e.id for e in first.entities] == [e.id for e in second.entities]
    assert len({e.id for e in first.entities}) == len(first.entities)
