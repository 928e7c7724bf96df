"""Stage `framing`: framing markers the technique taxonomy misses, each a span with a plain explanation.

Markers (`FramingMarker.marker`):
- `euphemism`: soft words of war and power ("special military operation", "regroup", "liberate Donbas"),
  from `data/lexicons/euphemisms.yaml`.
- `agentless_passive`: a passive verb with no "by ..." agent in the spaCy parse ("a decision was made"): the
  span runs from the passive subject to the verb.
- `hedge`, `intensifier`: from `hedges.yaml` and `intensifiers.yaml`.
- `scare_quote`: quotation marks around a short phrase (one to three words) inside a sentence, and "so-called".
- `anonymous_source`: phrases that quote someone unnamed (`anonymous_sources.yaml`).
- `anonymous_sourcing` (article level): the share of attributions whose source is anonymous, from the
  attribution layer; details carry the counts.
- `transliteration_variant` (article level): the entity variants the entities stage found, with counts.

Article-level markers carry the span of their first occurrence (so a reader can jump to it) and put the
article-wide counts in `details`; they carry no span only when no occurrence has one.
Lexicons are YAML files users can extend; the setting `lexicons` points the stage at another folder.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from sourcetrace._yaml import load_yaml
from sourcetrace.analysis import FramingMarker, Span, stable_id
from sourcetrace.pipeline.languages.cyrillic import CYRILLIC
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, register_stage
from sourcetrace.stages.framing.usage import read_usage, usage_markers

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"

# a lookahead so that candidates may overlap: a stray apostrophe must not swallow the next real quote
_SCARE_QUOTE = re.compile(r"(?=([\"“‘'«]([^\"“”‘’'«»\n]{2,40}?)[\"”’'»]))")
_SO_CALLED = re.compile(r"\bso-called\s+[\"“‘']?([\w-]+(?:\s+[\w-]+)?)", re.IGNORECASE)


def phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    """One case-insensitive pattern for lexicon phrases; a trailing * matches any word ending."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        wildcard = phrase.endswith("*")
        body = r"\s+".join(re.escape(word) for word in phrase.rstrip("*").split())
        parts.append(body + (r"\w*" if wildcard else ""))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


class Lexicons:
    """The framing lexicons, read once per process from a folder of YAML files."""

    def __init__(self, folder: Path = LEXICON_DIR) -> None:
        def load(name: str) -> dict[str, Any]:
            path = folder / name
            try:
                return load_yaml(path) or {}
            except yaml.YAMLError as error:
                raise ValueError(f"{path}: not valid YAML ({error})") from None

        euphemisms = load("euphemisms.yaml")
        self.euphemisms = [
            (phrase_pattern(entry["phrases"]), entry["explanation"], bool(entry.get("object")))
            for entry in euphemisms.get("entries", [])
        ]
        self.word_lists = []
        for name in ("hedges.yaml", "intensifiers.yaml", "anonymous_sources.yaml"):
            data = load(name)
            self.word_lists.append((data["marker"], phrase_pattern(data["phrases"]), data["explanation"]))
        passive = load("agentless_passive.yaml")
        self.passive_ignore = set(passive.get("ignore_lemmas", []))
        self.passive_explanation = passive["explanation"]
        self.usage = read_usage(folder)  # Russian and Ukrainian usage choices


class FramingMarkers:
    name = "framing"

    def __init__(self, settings: FramingSettings | Mapping[str, Any] | None = None) -> None:
        settings = FramingSettings.of(settings, "framing")
        self.lexicons = Lexicons(Path(settings.lexicons) if settings.lexicons else LEXICON_DIR)

    def models(self) -> dict[str, str]:
        return {}

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            self._process_one(document)

    def _process_one(self, document: Document) -> None:
        analysis = document.analysis
        text = document.text
        markers: list[FramingMarker] = []

        def add(marker: str, start: int | None, end: int | None, explanation: str,
                details: dict[str, Any] | None = None) -> None:
            span = Span.of(text, start, end) if start is not None and end is not None else None
            markers.append(FramingMarker(
                id=stable_id("frame", analysis.article.id, marker, start, end),
                marker=marker, span=span, explanation=explanation, details=details,
            ))

        english = analysis.article.language in (None, "en")
        for start, end, explanation in self._euphemisms(document):
            add("euphemism", start, end, explanation)
        if english:
            for marker, pattern, explanation in self.lexicons.word_lists:
                for match in pattern.finditer(text):
                    add(marker, match.start(), match.end(), explanation.format(match=match.group(0)))
            for start, end, explanation, verb in self._agentless_passives(document):
                add("agentless_passive", start, end, explanation, {"verb": verb})
            for start, end in scare_quotes(text, analysis.attributions):
                add("scare_quote", start, end,
                    f"Scare quotes: quotation marks around '{text[start:end].strip(chr(34) + '“”‘’«»')}' "
                    "suggest the word is not to be taken at face value.")
        for marker, start, end, explanation, details in usage_markers(self.lexicons.usage, text,
                                                                      analysis.article.language):
            add(marker, start, end, explanation, details)
        self._anonymous_share(analysis, add)
        self._variants(analysis, add)
        markers.sort(key=lambda m: (m.span.start if m.span else -1, m.marker))
        analysis.framing.extend(markers)

    def _euphemisms(self, document: Document) -> list[tuple[int, int, str]]:
        text = document.text
        found = []
        for pattern, explanation, with_object in self.lexicons.euphemisms:
            for match in pattern.finditer(text):
                start, end = match.start(), match.end()
                if with_object and document.doc is not None:
                    end = max(end, _object_end(document.doc, start, end))
                found.append((start, end, explanation))
        # a phrase inside a longer one ("special operation" in "special military operation") is one marker
        found.sort(key=lambda item: (item[0], -item[1]))
        kept: list[tuple[int, int, str]] = []
        for item in found:
            if kept and item[0] < kept[-1][1]:
                continue
            kept.append(item)
        return kept

    def _agentless_passives(self, document: Document) -> list[tuple[int, int, str, str]]:
        doc = document.doc
        if doc is None:
            return []
        found = []
        for token in doc:
            if token.dep_ != "auxpass":
                continue
            verb = token.head
            if verb.lemma_.lower() in self.lexicons.passive_ignore:
                continue
            if any(child.dep_ == "agent" for child in verb.children):
                continue
            subjects = [child for child in verb.children if child.dep_ in ("nsubjpass", "csubjpass")]
            start_token = min([s.left_edge for s in subjects] + [token], key=lambda t: t.i)
            if start_token.i > token.i:  # the auxiliary comes first; keep the clause start at the earlier word
                start_token = token
            particles = [c for c in verb.children if c.dep_ == "prt"]  # "carried out"
            last = max([verb, token, *particles], key=lambda t: t.i)
            # inverted order ("Contained within ... were requests") puts the participle before the auxiliary
            first = min(start_token, verb, key=lambda t: t.i)
            start_char, end_char = first.idx, last.idx + len(last.text)
            if end_char - start_char > 120:  # a long subject: the auxiliary and verb are the evidence
                start_char = min(token.idx, verb.idx)
            if end_char - start_char > 120:  # a long inverted clause: the participle alone
                start_char, end_char = verb.idx, verb.idx + len(verb.text)
            participle = verb.text
            explanation = self.lexicons.passive_explanation.format(
                match=document.text[start_char:end_char], verb=participle
            )
            found.append((start_char, end_char, explanation, verb.lemma_))
        return found

    def _anonymous_share(self, analysis: Any, add: Any) -> None:
        attributions = analysis.attributions
        if not attributions:
            return
        anonymous = [a for a in attributions if a.source_kind == "anonymous"]
        if not anonymous:
            return
        first = min(anonymous, key=lambda a: (a.source or a.content).start)
        span = first.source or first.content
        share = len(anonymous) / len(attributions)
        add("anonymous_sourcing", span.start, span.end,
            f"{len(anonymous)} of {len(attributions)} attributed statements ({share:.0%}) come from unnamed sources.",
            {"anonymous": len(anonymous), "attributions": len(attributions), "share": round(share, 3)})

    def _variants(self, analysis: Any, add: Any) -> None:
        variants = [e for e in analysis.entities if e.variant is not None]
        if not variants:
            return
        counts = Counter((e.variant.variant, e.variant.canonical, e.variant.origin) for e in variants)
        first = min(variants, key=lambda e: e.span.start)
        listed = "; ".join(f"'{v}' for '{c}' ({o}) x{n}" for (v, c, o), n in counts.most_common())
        add("transliteration_variant", first.span.start, first.span.end,
            f"Spellings other than the standard ones: {listed}. The choice of spelling can signal whose view "
            "the text takes.",
            {"variants": [{"variant": v, "canonical": c, "origin": o, "count": n}
                          for (v, c, o), n in counts.most_common()]})


def _object_end(doc: Any, start: int, end: int) -> int:
    """End offset of the direct object of the verb at [start, end), or `end` when it has none."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return end
    for token in span:
        for child in token.children:
            if child.dep_ in ("dobj", "obj") and child.i > token.i:
                last = child.right_edge
                return max(end, last.idx + len(last.text))
    return end


class _Quoted:
    """A lookahead match seen as the quoted stretch itself: group(0) with its quotes, group(1) inside."""

    def __init__(self, candidate: re.Match[str]) -> None:
        self._candidate = candidate

    def start(self) -> int:
        return self._candidate.start(1)

    def end(self) -> int:
        return self._candidate.end(1)

    def group(self, index: int) -> str:
        return self._candidate.group(index + 1)


def scare_quotes(text: str, attributions: Sequence[Any] = ()) -> list[tuple[int, int]]:
    """Short quoted phrases inside a sentence (not a whole quotation), and 'so-called X'."""
    # a quotation, or a partial quote inside the reported words of a source ("Lind called the plan "reckless""):
    # the marks say whose words these are, not that the outlet distances itself from them
    quoted_contents = [(a.content.start, a.content.end) for a in attributions
                       if a.quote_kind == "direct" or (a.quote_kind == "mixed" and a.source is not None)]
    found = []
    taken_until = -1
    for candidate in _SCARE_QUOTE.finditer(text):
        if candidate.start(1) < taken_until:
            continue
        match = _Quoted(candidate)
        inner = match.group(1).strip()
        words = inner.split()
        if not 1 <= len(words) <= 3 or not any(ch.isalpha() for ch in inner):
            continue
        if match.group(0)[0] in "'’" and match.start() > 0 and text[match.start() - 1].isalnum():
            continue  # an apostrophe (Russia's), not a quote
        if match.group(0)[-1] in "'’" and match.end() < len(text) and text[match.end()].isalnum():
            continue  # closes on an apostrophe inside a word ("That's")
        if any(s <= match.start() + 1 and match.end() - 1 <= e and e - s > match.end() - match.start() + 2
               for s, e in quoted_contents):
            continue
        before = text[max(0, match.start() - 12) : match.start()].lower()
        if re.search(r"\b(said|says|told|called|titled|dubbed|named)\s*:?\s*$", before):
            continue  # a quoted title or a one-word answer, not a scare quote
        found.append((match.start(), match.end()))
        taken_until = match.end()
    for match in _SO_CALLED.finditer(text):
        found.append((match.start(), match.end()))
    return sorted(set(found))


class FramingSettings(StageSettings):
    lexicons: str | None = Field(None, description="a folder of framing word lists replacing the shipped ones")


@register_stage("framing", requires=("backbone",), reads=("entities", "attribution"), assigns=("framing",),
                languages=ENGLISH | CYRILLIC, settings=FramingSettings)
def make_framing(settings: FramingSettings) -> FramingMarkers:
    return FramingMarkers(settings)
