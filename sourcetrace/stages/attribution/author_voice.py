"""The author's own voice: sentences that assert something and that no attribution touches."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sourcetrace.analysis import Attribution, Span, stable_id
from sourcetrace.pipeline.registry import Document


def author_voice(document: Document, found: list[Attribution], has_finite_verb: Callable[[Any], bool],
                 headline_ends: tuple[str, ...], skip: re.Pattern[str] | None = None) -> list[Attribution]:
    """One author-voice attribution per sentence of five words or more, not a question, with a finite verb, that
    no attribution in `found` touches; a first sentence not ending in `headline_ends` is the headline, and
    sentences matching `skip` (site furniture) are left out."""
    text, doc = document.text, document.doc
    taken = [(s.start, s.end) for a in found for s in (a.content, a.cue, a.source) if s is not None]
    result = []
    for sentence in document.analysis.sentences:
        if any(s < sentence.end and sentence.start < e for s, e in taken):
            continue
        if sentence.text.rstrip().endswith("?") or len(sentence.text.split()) < 5:
            continue
        if sentence.start == 0 and not sentence.text.rstrip().endswith(headline_ends):
            continue  # the headline
        span = doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
        if span is None or not has_finite_verb(span):
            continue  # no finite verb: a caption, a dateline, a fragment
        if skip is not None and skip.match(sentence.text):
            continue
        result.append(Attribution(
            id=stable_id("attr", document.analysis.article.id, sentence.start, sentence.end, "author"),
            content=Span.of(text, sentence.start, sentence.end), source_kind="author", quote_kind="indirect"))
    return result
