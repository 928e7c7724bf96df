"""Stage `claims`: what the article asserts, one `Claim` per checkable statement.

Where claims come from:
- every attribution's content, one claim per sentence of it (a two-sentence quote gives two claims), with the
  attribution's id; an attribution of `source_kind` "author" gives author-voice claims (attribution null);
- every sentence that no attribution covers (source, cue or content) is the author's voice too, so the stage
  works whether or not the attribution layer marks author voice explicitly, and while it is empty.

What is not a claim (skipped): questions, sentences without a verb (bylines, captions, datelines), very short
fragments, and navigation lines ("Read more:", "Subscribe", "Follow us", ...; the list is
`sourcetrace/stages/claims/non_assertions.yaml`). A headline (the first line, without final punctuation, or
the article's title) stays a claim, since it is what readers share, but its check-worthiness is halved: it
restates the body and is rarely the sentence a fact-checker quotes.

Each claim carries its kind (statistic, prediction, causal, opinion, event, other: cue words from
`sourcetrace/stages/claims/kinds.yaml`, statistic first since a number is the most checkable thing), the
quantities it states (`sourcetrace.stages.claims.quantities`), the dates of the `time` layer inside it or in the
attribution frame of its sentence ("on September 10th, Russia announced that ..."), the ids of the entities
inside it, and a check-worthiness score from the model of `sourcetrace.stages.claims.checkworthiness`.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from sourcetrace._ml.shared_encoder import load_shared_encoder, shared_encoding
from sourcetrace._ml.weights import shipped_or_given_folder
from sourcetrace.analysis import Analysis, Attribution, Claim, Quantity, Span, TimeExpression, stable_id
from sourcetrace.pipeline.languages.cyrillic import CYRILLIC
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, language_name, register_stage
from sourcetrace.stages.claims.checkworthiness import MODEL_DIR as CHECKWORTHINESS_DIR
from sourcetrace.stages.claims.checkworthiness import claim_pieces, load_checkworthiness_model, shape_of
from sourcetrace.stages.claims.quantities import find_cyrillic_quantities, find_quantities

DATA_DIR = Path(__file__).resolve().parent
HEADLINE_FACTOR = 0.5
NO_CHECKWORTHINESS = ("check-worthiness is not scored for {language} text: the model was trained on English only, "
                      "so claims carry no score rather than an English model's guess")
# quotes, brackets and dashes around a quoted content are not the claim's words; a final full stop is
_TRIM = " \t\r\n\"'“”‘’«»„()[]—–-,;:"


@dataclass(frozen=True)
class KindLexicon:
    """Cue words per claim kind (lower-case lemmas or phrases)."""

    statistic: frozenset[str]
    prediction: frozenset[str]
    causal: frozenset[str]
    opinion: frozenset[str]
    non_assertion_prefixes: tuple[str, ...]

    @classmethod
    def load(cls, kinds_path: Path, non_assertions_path: Path) -> KindLexicon:
        kinds = yaml.safe_load(kinds_path.read_text(encoding="utf-8")) or {}
        non_assertions = yaml.safe_load(non_assertions_path.read_text(encoding="utf-8")) or {}
        return cls(
            statistic=frozenset(w.lower() for w in kinds.get("statistic", [])),
            prediction=frozenset(w.lower() for w in kinds.get("prediction", [])),
            causal=frozenset(w.lower() for w in kinds.get("causal", [])),
            opinion=frozenset(w.lower() for w in kinds.get("opinion", [])),
            non_assertion_prefixes=tuple(p.lower() for p in non_assertions.get("prefixes", [])),
        )


@functools.lru_cache(maxsize=16)
def _one_and_several_words(phrases: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    return (frozenset(phrase for phrase in phrases if " " not in phrase),
            tuple(f" {phrase} " for phrase in phrases if " " in phrase))


def _has_phrase(words: list[str], lemmas: list[str], phrases: frozenset[str]) -> bool:
    """A cue (one word or several) appears as words or lemmas."""
    one_word, several_words = _one_and_several_words(phrases)
    if not one_word.isdisjoint(words) or not one_word.isdisjoint(lemmas):
        return True
    if not several_words:
        return False
    joined_words = " " + " ".join(words) + " "
    joined_lemmas = " " + " ".join(lemmas) + " "
    return any(phrase in joined_words or phrase in joined_lemmas for phrase in several_words)


def classify_kind(tokens: Sequence[Any], quantities: Sequence[Quantity], lexicon: KindLexicon) -> str:
    """The claim's kind from its tokens (spaCy) and quantities; the first kind that applies wins."""
    words = [t.text.lower() for t in tokens]
    lemmas = [t.lemma_.lower() for t in tokens]
    if any(q.kind != "duration" for q in quantities) or _has_phrase(words, lemmas, lexicon.statistic):
        return "statistic"
    # future: "will", "is going to", "expected to", "forecast"; or a modal of possibility on the main verb
    if _has_phrase(words, lemmas, lexicon.prediction) or any(
        t.tag_ == "MD" and (t.lower_ in ("will", "'ll", "shall") or (
            # "could take months", "may rise": possibility about what is to come, not "could have"
            t.lower_ in ("could", "may", "might") and t.head.tag_ == "VB"
            and not any(c.lower_ == "have" for c in t.head.children)))
        for t in tokens
    ):
        return "prediction"
    if _has_phrase(words, lemmas, lexicon.causal):
        return "causal"
    if _has_phrase(words, lemmas, lexicon.opinion) or any(
        t.tag_ == "MD" and t.lower_ in ("should", "must", "ought") for t in tokens
    ):
        return "opinion"
    if any(t.pos_ in ("VERB", "AUX") for t in tokens):
        return "event"
    return "other"


_COMPLEMENTISER = re.compile(r"(?:that|whether|if|что|що)\s+", re.IGNORECASE)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip quotes, brackets and dashes around a piece, and a leading 'that' of reported speech."""
    while start < end and text[start] in _TRIM:
        start += 1
    opener = _COMPLEMENTISER.match(text, start, end)
    if opener and text[start].islower():
        start = opener.end()
        while start < end and text[start] in _TRIM:
            start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _pieces(span: Span) -> list[tuple[int, int]]:
    return [tuple(p) for p in span.fragments] if span.fragments else [(span.start, span.end)]


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


class ClaimExtractor:
    name = "claims"

    def __init__(self, settings: ClaimSettings | Mapping[str, Any] | None = None) -> None:
        settings = ClaimSettings.of(settings, "claims")
        data_dir = Path(settings.data_dir) if settings.data_dir else DATA_DIR
        self.lexicon = KindLexicon.load(
            Path(settings.kinds) if settings.kinds else data_dir / "kinds.yaml",
            Path(settings.non_assertions) if settings.non_assertions else data_dir / "non_assertions.yaml",
        )
        self.min_tokens = settings.min_tokens
        self.model = None
        if settings.checkworthiness:
            folder = shipped_or_given_folder(settings.checkworthiness_model_dir, CHECKWORTHINESS_DIR, "config.json",
                                             "claims: checkworthiness_model_dir")
            self.model = load_checkworthiness_model(folder, minilm=settings.checkworthiness_minilm)
        # a check-worthiness head over the shared MiniLM pass: the pipeline runs the pass with this layer
        self.shared_layers = (self.model.shared_layer,) if self.model is not None and self.model.shared_layer else ()
        if self.shared_layers:  # asked here too, for a stage used outside a pipeline
            load_shared_encoder().require_layers(self.shared_layers)

    def models(self) -> dict[str, str]:
        if self.model is None:
            return {}
        return {"checkworthiness": f"{self.model.name}-{self.model.version}"}

    def process(self, documents: Sequence[Document]) -> None:
        pending: list[tuple[Claim, str, float]] = []
        pieces: list[Any] = []  # per pending claim, its word-piece vectors from the shared pass (or None)
        for document in documents:
            unscored = document.analysis.article.language in CYRILLIC
            if unscored and self.model is not None:  # the model is English: no score rather than a guess
                document.analysis.meta.warnings.append(NO_CHECKWORTHINESS.format(
                    language=language_name(document.analysis.article.language)))
                models = document.analysis.meta.models
                document.analysis.meta.models = {name: v for name, v in models.items() if name != "checkworthiness"}
            for claim, factor in self._claims(document):
                document.analysis.claims.append(claim)
                if unscored:
                    continue
                # the claim's shape from the article's parse: no second parse of the claim text
                pending.append((claim, shape_of(self._tokens(document, claim.span)), factor))
                if self.shared_layers:
                    vectors = claim_pieces(shared_encoding(document), _pieces(claim.span), self.shared_layers[0])
                    pieces.append(vectors if len(vectors) else None)
        if self.model is not None and pending:
            # one batched call for every claim of the batch
            scores = self.model.score([_fragment_text(claim) for claim, _, _ in pending],
                                      shapes=[shape for _, shape, _ in pending],
                                      pieces=pieces if self.shared_layers else None)
            for (claim, _, factor), score in zip(pending, scores):
                claim.checkworthiness = round(float(score) * factor, 4)

    # --- candidates -------------------------------------------------------------------------------------
    def _claims(self, document: Document) -> list[tuple[Claim, float]]:
        analysis = document.analysis
        text = analysis.text
        doc = document.doc
        if doc is None:
            return []
        candidates: list[tuple[list[tuple[int, int]], Attribution | None]] = []
        covered = bytearray(len(text) + 1)  # 1 where some attribution's part lies
        sentence_ends = [sentence.end for sentence in analysis.sentences]
        for attribution in analysis.attributions:
            for part in (attribution.source, attribution.cue, attribution.content, attribution.channel):
                if part is not None:
                    for s, e in _pieces(part):
                        covered[s:e] = b"\x01" * max(e - s, 0)
            author = attribution.source_kind == "author"
            if attribution.statement_kind == "declined":
                continue  # "declined to comment": nothing was claimed
            for pieces in self._split_by_sentence(analysis, sentence_ends, _pieces(attribution.content)):
                candidates.append((pieces, None if author else attribution))
        for sentence in analysis.sentences:
            if 1 not in covered[sentence.start : sentence.end]:
                candidates.append(([(sentence.start, sentence.end)], None))

        claims: list[tuple[Claim, float]] = []
        seen: set[tuple[int, int, str | None]] = set()
        entities = _EntityIndex(analysis.entities)
        for pieces, attribution in sorted(candidates, key=lambda c: c[0][0]):
            pieces = [_trim(text, s, e) for s, e in pieces]
            pieces = [(s, e) for s, e in pieces if e > s]
            if not pieces:
                continue
            span = Span.of_fragments(text, pieces)
            key = (span.start, span.end, attribution.id if attribution else None)
            if key in seen:
                continue
            seen.add(key)
            claim = self._claim(document, span, attribution, entities)
            if claim is None:
                continue
            factor = HEADLINE_FACTOR if self._is_headline(analysis, span) else 1.0
            claims.append((claim, factor))
        return claims

    @staticmethod
    def _split_by_sentence(analysis: Analysis, sentence_ends: list[int],
                           pieces: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        """The content's pieces grouped by the sentence they fall in (a quote of two sentences: two claims);
        `sentence_ends` are the sentences' end offsets, in order, to find them by bisection."""
        sentences = analysis.sentences
        by_sentence: dict[int, list[tuple[int, int]]] = {}
        for s, e in pieces:
            index = bisect_right(sentence_ends, s)  # the first sentence ending after the piece starts
            while index < len(sentences) and sentences[index].start < e:
                sentence = sentences[index]
                if _overlaps(s, e, sentence.start, sentence.end):
                    by_sentence.setdefault(index, []).append((max(s, sentence.start), min(e, sentence.end)))
                index += 1
        return [by_sentence[index] for index in sorted(by_sentence)] or [pieces]

    def _tokens(self, document: Document, span: Span) -> list[Any]:
        tokens: list[Any] = []
        for start, end in _pieces(span):
            part = document.doc.char_span(start, end, alignment_mode="expand")
            if part is not None:
                tokens.extend(part)
        return tokens

    def _is_non_assertion(self, span: Span, tokens: list[Any]) -> bool:
        lowered = span.text.lower().lstrip()
        if any(lowered.startswith(prefix) for prefix in self.lexicon.non_assertion_prefixes):
            return True
        if span.text.rstrip().endswith("?"):
            return True  # a question asks, it does not assert
        words = [t for t in tokens if not t.is_punct and not t.is_space]
        if len(words) < self.min_tokens:
            return True
        # Russian and Ukrainian predicates may be short adjectives with no verb ("Россия готова к ...")
        return not any(t.pos_ in ("VERB", "AUX") or (t.doc.lang_ in CYRILLIC and "Short" in t.morph.get("Variant"))
                       for t in words)

    @staticmethod
    def _is_headline(analysis: Analysis, span: Span) -> bool:
        """The article's title, or a first line without final punctuation that has body text after it."""
        text = analysis.text
        title = (analysis.article.title or "").strip()
        if title and span.text.strip() == title:
            return True
        body_start = len(text) - len(text.lstrip())
        line_end = text.find("\n", body_start)
        if line_end < 0 or not text[line_end:].strip():
            return False
        first_line = text[body_start:line_end].strip()
        return span.start < line_end and not first_line.endswith((".", "!", "?", '"', "”", "’"))

    def _claim(
        self, document: Document, span: Span, attribution: Attribution | None, entities: _EntityIndex
    ) -> Claim | None:
        analysis = document.analysis
        tokens = self._tokens(document, span)
        if self._is_non_assertion(span, tokens):
            return None
        quantities: list[Quantity] = []
        for start, end in _pieces(span):
            if analysis.article.language in CYRILLIC:
                quantities.extend(find_cyrillic_quantities(analysis.text, start, end))
            else:
                quantities.extend(find_quantities(document.doc, start, end, analysis.text))
        return Claim(
            id=stable_id("clm", analysis.article.id, span.start, span.end, attribution.id if attribution else ""),
            span=span,
            attribution=attribution.id if attribution else None,
            speaker=attribution.speaker if attribution else None,
            author_voice=attribution is None,
            kind=classify_kind(tokens, quantities, self.lexicon),
            quantities=quantities,
            dates=self._dates(analysis, span, attribution),
            entities=entities.inside(span),
        )

    @staticmethod
    def _dates(analysis: Analysis, span: Span, attribution: Attribution | None) -> list[TimeExpression]:
        """Times inside the claim, and times in its attribution frame ('on September 10th, X said that ...')."""
        dates = [time for time in analysis.times if _inside(time.span, span)]
        if attribution is not None:
            sentence = next((s for s in analysis.sentences if s.start <= span.start < s.end), None)
            content = _pieces(attribution.content)
            chosen = {_time_key(time) for time in dates}  # value equality, without pydantic's slow __eq__
            for time in analysis.times:
                if sentence is None or _time_key(time) in chosen:
                    continue
                in_sentence = sentence.start <= time.span.start and time.span.end <= sentence.end
                in_content = any(_overlaps(time.span.start, time.span.end, s, e) for s, e in content)
                if in_sentence and not in_content:
                    dates.append(time)  # in the frame: "X, on September 11th, revealed that ..."
        return sorted(dates, key=lambda t: t.span.start)


def _time_key(time: TimeExpression) -> tuple[Any, ...]:
    span = time.span
    return (span.start, span.end, tuple(span.fragments or ()), time.value, time.type, time.anchored)


class _EntityIndex:
    """The article's entities by start offset: the ids of those inside a claim, in the article's entity order,
    without a pass over every entity for every claim."""

    def __init__(self, entities: Sequence[Any]) -> None:
        order = sorted(range(len(entities)), key=lambda position: entities[position].span.start)
        self.starts = [entities[position].span.start for position in order]
        self.ends = [entities[position].span.end for position in order]
        self.order = order
        self.ids = [entity.id for entity in entities]

    def inside(self, span: Span) -> list[str]:
        found: set[int] = set()
        for start, end in _pieces(span):
            for k in range(bisect_left(self.starts, start), bisect_right(self.starts, end)):
                if self.ends[k] <= end:
                    found.add(self.order[k])
        return [self.ids[position] for position in sorted(found)]


def _inside(inner: Span, outer: Span) -> bool:
    return any(start <= inner.start and inner.end <= end for start, end in _pieces(outer))


_SPACES = re.compile(r"\s+")


def _fragment_text(claim: Claim) -> str:
    """The words of a claim for the model: the pieces of a discontinuous span joined by a space."""
    text = claim.span.text
    if claim.span.fragments:
        text = " ".join(text[s - claim.span.start : e - claim.span.start] for s, e in claim.span.fragments)
    return _SPACES.sub(" ", text).strip()


class ClaimSettings(StageSettings):
    data_dir: str | None = Field(None, description="a folder with kinds.yaml and non_assertions.yaml")
    kinds: str | None = Field(None, description="the claim-kind cue file")
    non_assertions: str | None = Field(None, description="the file of sentence shapes that assert nothing")
    min_tokens: int = Field(4, ge=1, description="shorter sentences are not claims")
    checkworthiness: bool = Field(True, description="score each claim's check-worthiness")
    checkworthiness_minilm: bool = Field(True, description="the fine-tuned MiniLM half of that score")
    checkworthiness_model_dir: str | None = Field(
        None, description="a check-worthiness model's folder, or a shipped model's name (checkworthiness_shared: "
        "the head over the shared MiniLM pass)")


@register_stage("claims", requires=("backbone",), reads=("entities", "time", "attribution"), assigns=("claims",),
                languages=ENGLISH | CYRILLIC, settings=ClaimSettings)
def make_claims(settings: ClaimSettings) -> ClaimExtractor:
    return ClaimExtractor(settings)
