"""Stage `factchecks`: does a sentence make a claim fact-checkers already rated, and does it assert or deny it?

Reads the fact-check store (`sourcetrace factchecks import ...`; see `store.py` beside this module for where it
lives). Query units are the `claims` layer, or the sentences when no claims were extracted.

1. Candidates: a unit whose closest fact-check (MiniLM cosine, one matrix product for all units) is too far to
   be decided on is not searched; the others are matched against every fact-check by BM25 and MiniLM cosine and
   scored by the learned matcher. The cross-encoder re-reads a unit's best candidates only when the closest could be
   decided on (MiniLM cosine >= `decision_cosine`, first-scorer probability >= `rerank_min_score`), which few
   sentences of an article are.
2. Decision (`decision.py`): a candidate above `threshold` that also passes the cosine, word-overlap and stance
   checks gives `factcheck_match` (asserted in the article's voice), `refutes_checked_claim` (denied) or
   `reports_checked_claim` (attributed to a source, named in the message); anything unclear gives nothing.
   Each finding's evidence carries the retrieval score and the decision (stance label and probabilities).
3. A `factcheck_match` with a case of the narratives collection also tags the unit with that narrative
   (`narrative` finding); similarity alone gives no tag.
4. `related: true` adds, for units with no finding, the closest related cases (`related_factcheck` findings:
   same topic, not the same claim); off by default, and never among a summary's top findings.

With no fact-checks in the store, every analysis lists the stage in `meta.skipped_stages` with the command that
imports the collections, so the reports say that matching is off.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field
from scipy import sparse

from sourcetrace._ml.embedder import load_embedder
from sourcetrace.analysis import Analysis, Evidence, Finding, Span, StageProblem, stable_id
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, register_stage
from sourcetrace.stages.factchecks.decision import (
    MATCH,
    REFUTES,
    REPORTS,
    Decision,
    DecisionSettings,
    content_polarity,
    decide,
)
from sourcetrace.stages.factchecks.reranker import load_reranker
from sourcetrace.stages.factchecks.retrieval import WEIGHTS_PATH, FactcheckIndex, Match, MatchScorer, duplicate_of
from sourcetrace.stages.factchecks.store import FactcheckStore, default_db_path

# Decision thresholds chosen for precision (training/factchecks/decision_thresholds.py: the most CheckThat! train
# tweets decided on their fact-check with at most 0.7 findings per 1,000 sentences of PolNeAR train news).
# The estimated probability that the fact-check is about the same claim, from which a candidate is decided on:
DEFAULT_THRESHOLD = 0.95
# MiniLM cosine from which a fact-check is reported as related (same topic and actors, not the same claim).
DEFAULT_RELATED_COSINE = 0.55
# The cross-encoder re-reads a unit's candidates only when its closest candidate could be decided on (cosine at
# least the decision's) and the first scorer gives its best candidate at least this probability: from 0.2, the
# combined probability (combine.json: 0.93 x first-scorer logit + 0.11 x cross-encoder logit + 1.24) reaches the
# decision threshold (0.95; even 0.8) only with a cross-encoder logit above 12, where a claim and its exact copy
# score 2 to 5.
DEFAULT_RERANK_MIN_SCORE = 0.2
DEFAULT_DECISION_COSINE = 0.75
DEFAULT_MIN_OVERLAP = 0.5
IMPORT_COMMAND = "sourcetrace factchecks import PATH/TO/factchecks/"
OFF_REASON = ("fact-check matching is off: the fact-check store holds no fact-checks; turn it on with "
              f"`{IMPORT_COMMAND}` (a folder holding EUvsDisinfo posts.csv, the narratives JSON, CheckThat! "
              "verified claims or ClaimReview files: every collection in it is imported)")
RELATED = "related_factcheck"
_GATE_MARGIN = 1e-3
_GATE_CHUNK = 256
log = logging.getLogger(__name__)


class FactcheckMatcher:
    name = "factchecks"

    def __init__(self, settings: FactcheckSettings | Mapping[str, Any] | None = None) -> None:
        settings = FactcheckSettings.of(settings, "factchecks")
        self.decision_settings = DecisionSettings(
            threshold=settings.threshold, min_cosine=settings.decision_cosine, min_overlap=settings.min_overlap,
            max_unrelated=settings.max_unrelated, min_agree=settings.min_agree)
        self.top_k = settings.top_k
        self.min_cosine = settings.min_cosine
        self.related = settings.related
        self.related_cosine = settings.related_cosine
        self.rerank = settings.rerank
        self.rerank_min_score = settings.rerank_min_score
        self.db_path = Path(settings.db) if settings.db else default_db_path()
        self.rows: list[dict[str, Any]] = []
        self.copies: dict[int, list[int]] = {}  # kept row -> rows merged into it (the same fact-check stored again)
        self.index = None
        self.embedder = None
        self.stance = None
        self._vocabulary: dict[str, int] = {}
        self._claim_words = None
        self._claim_word_counts = np.zeros(0)
        if self.db_path.exists():
            self._load(settings.collections)

    def _load(self, collections: list[str] | None) -> None:
        try:
            with FactcheckStore(self.db_path, read_only=True) as store:
                self.rows, claim_vectors, title_vectors = store.load(collections)
        except Exception as error:  # noqa: BLE001 - a locked or foreign file must not stop the analysis
            log.warning("fact-check store %s could not be read (%s): no fact-check matches", self.db_path, error)
            return
        if not self.rows:
            return
        from sourcetrace.stages.factchecks.stance import load_stance_model

        texts = [f"{row['claim']} {row['title'] or ''}" for row in self.rows]
        originals = duplicate_of(self.rows)
        for row_index, original in enumerate(originals):
            if original != row_index:
                self.copies.setdefault(original, []).append(row_index)
        self.index = FactcheckIndex(texts, claim_vectors, title_vectors, scorer=MatchScorer.load(WEIGHTS_PATH),
                                    claims=[row['claim'] for row in self.rows],
                                    titles=[row['title'] or '' for row in self.rows],
                                    reranker=load_reranker() if self.rerank else None,
                                    duplicate_rows=originals)
        self.embedder = load_embedder()
        self.stance = load_stance_model()
        # each fact-check's claim as the set of its content words (the decision's word-overlap test), one row each
        vocabulary: dict[str, int] = {}
        rows, columns = [], []
        for row_index, row in enumerate(self.rows):
            for word in content_polarity(row["claim"]):
                rows.append(row_index)
                columns.append(vocabulary.setdefault(word, len(vocabulary)))
        self._vocabulary = vocabulary
        self._claim_words = sparse.csc_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                                              shape=(len(self.rows), max(len(vocabulary), 1)))
        counts = np.asarray(self._claim_words.sum(axis=1)).ravel()
        # a claim with no content word can never be decided: a count no sentence reaches
        self._claim_word_counts = np.where(counts > 0, counts, np.inf)

    def models(self) -> dict[str, str]:
        if self.index is None:
            return {}
        reranked = " + cross-encoder" if self.index.reranker is not None else ""
        return {"factcheck_matcher": f"{self.embedder.version} + BM25, re-ranked{reranked} "
                                     f"({len(self.rows)} fact-checks)",
                "stance": "FNC-1 stance: gradient-boosted trees over MiniLM cosines and cue words"}

    def process(self, documents: Sequence[Document]) -> None:
        if self.index is None:  # say so: an empty layer must not read as "no known false claim here"
            for document in documents:
                document.analysis.meta.skipped_stages.append(StageProblem(stage=self.name, reason=OFF_REASON))
            return
        units: list[tuple[Document, str | None, Span]] = []
        for document in documents:
            analysis = document.analysis
            if analysis.claims:
                units += [(document, claim.id, claim.span) for claim in analysis.claims]
            else:
                units += [(document, None, Span.of(analysis.text, s.start, s.end)) for s in analysis.sentences
                          if len(s.text.split()) >= 4]
        if not units:
            return
        if not self.related:  # no fact-check shares enough of its words with the unit's sentence: no finding
            sentences = [_sentence_of(document.analysis, span) for document, _, span in units]
            units = [unit for unit, enough in zip(units, self._share_enough_words(sentences)) if enough]
            if not units:
                return
        texts = [_words_of(span) for _, _, span in units]
        vectors = self.embedder.encode(texts)
        # Only a unit with a fact-check at least this close can give a finding; the others are not searched.
        gate = self.decision_settings.min_cosine
        if self.related:
            gate = min(gate, self.related_cosine)
        near = [i for i, cosine in enumerate(self._closest_cosines(vectors)) if cosine >= gate - _GATE_MARGIN]
        results: list[list[Match]] = [[] for _ in units]
        found = self.index.search([texts[i] for i in near], vectors[near], top_k=max(self.top_k, 5), threshold=0.0,
                                  min_cosine=self.min_cosine, rerank_min_cosine=self.decision_settings.min_cosine,
                                  rerank_min_score=self.rerank_min_score) if near else []
        for i, matches in zip(near, found):
            results[i] = matches
        for (document, claim_id, span), matches in zip(units, results):
            analysis = document.analysis
            sentence = _sentence_of(analysis, span)
            who = _attributed_to(analysis, claim_id, span)
            if who is None and _inside_quotation(analysis.text, span.start):
                who = "a quotation"
            candidates = [m for m in matches if m.score >= self.decision_settings.threshold
                          and m.cosine >= self.decision_settings.min_cosine][: self.top_k]
            decided = False
            tagged: set[str] = set()
            if candidates:
                claims = [self.rows[m.index]["claim"] for m in candidates]
                stances = self.stance.predict_proba(claims, [sentence] * len(candidates))
                for match, claim, probabilities in zip(candidates, claims, stances):
                    decision = decide(sentence, claim, match.score, match.cosine, probabilities, who,
                                      self.decision_settings)
                    if decision.kind is None:
                        continue
                    decided = True
                    analysis.findings.append(self._match_finding(analysis.article.id, claim_id, span, match,
                                                                 decision, who))
                    narrative = self.rows[match.index].get("narrative")
                    if decision.kind == MATCH and narrative and narrative not in tagged:
                        tagged.add(narrative)
                        analysis.findings.append(
                            self._narrative_finding(analysis.article.id, claim_id, span, match, decision))
            if self.related and not decided:  # the closest related cases, when asked for
                related = sorted((m for m in matches if m.cosine >= self.related_cosine and m.bm25 > 0),
                                 key=lambda m: -m.cosine)[:2]
                for match in related:
                    analysis.findings.append(
                        self._match_finding(analysis.article.id, claim_id, span, match, None, who))

    def _share_enough_words(self, sentences: Sequence[str]) -> list[bool]:
        """Per sentence, whether some fact-check's claim has at least `min_overlap` of its content words in it: the
        decision's own word-overlap test (`decision.word_overlap`) against every fact-check at once, so that a
        sentence no decision could pass is not even embedded."""
        if self._claim_words is None or self.decision_settings.min_overlap <= 0:
            return [True] * len(sentences)
        columns = self._claim_words
        out = []
        for sentence in sentences:
            found = [self._vocabulary[w] for w in content_polarity(sentence) if w in self._vocabulary]
            if not found:
                out.append(False)
                continue
            shared = np.asarray(columns[:, found].sum(axis=1)).ravel()
            # the tolerance keeps a share equal to min_overlap (7 of 10 words at 0.7) in, as the decision does
            out.append(bool((shared >= self.decision_settings.min_overlap * self._claim_word_counts - 1e-9).any()))
        return out

    def _closest_cosines(self, vectors: np.ndarray) -> np.ndarray:
        """Per unit vector, its highest cosine with any fact-check's claim or title: one matrix product per chunk
        of units (cheap), where the search computes each unit's products alone. A product's last bits depend on
        the chunk, so the gate is lowered by `_GATE_MARGIN`: which units are searched never changes a finding."""
        best = np.full(len(vectors), -1.0, dtype=np.float32)
        for start in range(0, len(vectors), _GATE_CHUNK):
            chunk = np.asarray(vectors[start:start + _GATE_CHUNK], dtype=np.float32)
            for matrix in (self.index.claim_vectors, self.index.title_vectors):
                best[start:start + len(chunk)] = np.maximum(best[start:start + len(chunk)],
                                                            (matrix @ chunk.T).max(axis=0))
        return best

    def _evidence(self, match) -> Evidence:  # noqa: ANN001 - retrieval.Match
        row = self.rows[match.index]
        verdict = row.get("verdict") or "checked"
        description = f"{row.get('outlet') or row['collection']} ({verdict}"
        description += f", {row['date']})" if row.get("date") else ")"
        description += f": {row['claim']}"
        # A case recorded again (EUvsDisinfo repeats a case word for word when the claim recurs) is matched as its
        # first record; the later records stay in the evidence, so that the recurrence is still visible.
        also_recorded = [
            {"factcheck_id": copy["id"], "date": copy.get("date"), "outlet": copy.get("outlet"), "url": copy.get("url"),
             "appeared_in": copy.get("appeared_in")}
            for copy in (self.rows[i] for i in self.copies.get(match.index, []))
        ]
        if also_recorded:
            description += f" (recorded {len(also_recorded) + 1} times)"
        return Evidence(
            description=description,
            source=f"{row['collection']}: {row.get('outlet') or ''}".rstrip(": "),
            url=row.get("url"),
            data={
                "factcheck_id": row["id"], "collection": row["collection"], "claim": row["claim"],
                "title": row.get("title"), "verdict": row.get("verdict"), "date": row.get("date"),
                "outlet": row.get("outlet"), "url": row.get("url"), "appeared_in": row.get("appeared_in"),
                "narrative": row.get("narrative"), "score": round(match.score, 4),
                "cosine": round(match.cosine, 4), "bm25": round(match.bm25, 3),
                **({"also_recorded": also_recorded} if also_recorded else {}),
            },
        )

    def _match_finding(self, article_id: str, claim_id: str | None, span: Span, match: Match,
                       decision: Decision | None, who: str | None) -> Finding:
        """A decided finding, or (decision None) a related case."""
        row = self.rows[match.index]
        checker = row.get("outlet") or row["collection"]
        verdict = f" (verdict: {row['verdict']})" if row.get("verdict") else ""
        evidence = self._evidence(match)
        evidence.data["match"] = "related" if decision is None else "same_claim"
        kind = RELATED if decision is None else decision.kind
        if decision is not None:
            evidence.data.update(decision.data())
        claim = f"“{row['claim']}”"
        if decision is None:
            message = f"Related to a case checked by {checker}{verdict}, not the same claim: {claim}"
        elif kind == REFUTES:  # the article agrees with the fact-checkers: no verdict words such as "disinformation"
            by = f", in the words of {who}" if who else ""
            message = f"Denies a claim that {checker} checked{by}: {claim}"
        elif kind == REPORTS:
            message = (f"Reports a claim that {checker} checked{verdict}, attributed to {who}" if who else
                       f"Reports a claim that {checker} checked{verdict}") + f": {claim}"
        else:
            message = f"Asserts a claim already checked by {checker}{verdict}: {claim}"
        prefix = {MATCH: "fcm", REFUTES: "fcr", REPORTS: "fcp", RELATED: "fcx"}[kind]
        return Finding(
            id=stable_id(prefix, article_id, span.start, span.end, row["id"]),
            kind=kind, claim=claim_id, span=span, score=round(match.score, 4), message=message,
            evidence=[evidence],
        )

    def _narrative_finding(self, article_id: str, claim_id: str | None, span: Span, match: Match,
                           decision: Decision) -> Finding:
        row = self.rows[match.index]
        message = f"Asserts a case of the known disinformation narrative “{row['narrative']}”"
        if row.get("sub_narrative"):
            message += f" ({row['sub_narrative']})"
        evidence = self._evidence(match)
        evidence.data.update(decision.data())
        return Finding(
            id=stable_id("nar", article_id, span.start, span.end, row["narrative"]),
            kind="narrative", claim=claim_id, span=span, score=round(match.score, 4), message=message + ".",
            evidence=[evidence],
        )


def _words_of(span: Span) -> str:
    """A unit's words as the claims stage scores them (the pieces of a discontinuous span joined by a space,
    spaces collapsed): the embedder remembers the vectors it computed for them, so they are not encoded again."""
    text = span.text
    if span.fragments:
        text = " ".join(text[start - span.start: end - span.start] for start, end in span.fragments)
    return " ".join(text.split())


def _inside_quotation(text: str, start: int) -> bool:
    """Whether `start` lies inside a quotation opened before it: a “ not yet closed by ” (looking back 600
    characters), or an odd number of straight double quotes since the paragraph began. A quotation that runs over
    several sentences ("The report begins, “It ain't debatable! ...") is the quoted source's voice in each of
    them, whether or not the attribution layer tied each sentence to the source."""
    before = text[max(0, start - 600):start]
    if before.rfind("\u201c") > before.rfind("\u201d"):
        return True
    paragraph = before[before.rfind("\n\n") + 1:]
    return paragraph.count('"') % 2 == 1


def _sentence_of(analysis: Analysis, span: Span) -> str:
    """The text of the sentences the unit lies in (a claim can be part of a sentence: its reporting verb and
    negation may stand outside the claim's own span)."""
    covering = [s for s in analysis.sentences if s.start < span.end and span.start < s.end]
    if not covering:
        return span.text
    return analysis.text[min(s.start for s in covering): max(s.end for s in covering)]


def _attributed_to(analysis: Analysis, claim_id: str | None, span: Span) -> str | None:
    """Who the article says made the statement: the speaker or source of the claim's attribution (or of an
    attribution whose content holds the sentence); None for the article's own voice."""
    attribution_id = None
    if claim_id is not None:
        attribution_id = next((c.attribution for c in analysis.claims if c.id == claim_id), None)
    candidates = [a for a in analysis.attributions if a.id == attribution_id] if attribution_id else [
        a for a in analysis.attributions if a.content.start <= span.start + 5 and span.end - 5 <= a.content.end]
    for attribution in candidates:
        if attribution.source_kind == "author" or attribution.source is None:
            continue
        if attribution.speaker is not None and attribution.speaker.name:
            return attribution.speaker.name
        if attribution.source_kind == "pronoun":  # unresolved: quote the pronoun rather than name "it" or "he"
            return f"“{attribution.source.text}”"
        return attribution.source.text
    return None


class FactcheckSettings(StageSettings):
    threshold: float = Field(DEFAULT_THRESHOLD, ge=0, le=1,
                             description="the retrieval probability (same claim) a candidate needs to be decided on")
    decision_cosine: float = Field(DEFAULT_DECISION_COSINE, ge=-1, le=1,
                                   description="the MiniLM cosine a decided candidate needs")
    min_overlap: float = Field(DEFAULT_MIN_OVERLAP, ge=0, le=1,
                               description="the share of the checked claim's words the unit uses")
    max_unrelated: float = Field(0.5, ge=0, le=1, description="the stance model's 'unrelated' above which: nothing")
    min_agree: float = Field(0.5, ge=0, le=1, description="the stance model's 'agree' a factcheck_match needs")
    top_k: int = Field(3, ge=1, description="candidates decided on per claim")
    min_cosine: float = Field(0.3, ge=-1, le=1, description="candidates below this cosine are not scored")
    related: bool = Field(False, description="also show related (not the same claim) fact-checks")
    related_cosine: float = Field(DEFAULT_RELATED_COSINE, ge=-1, le=1, description="'related' fact-checks")
    rerank: bool = Field(True, description="the cross-encoder over the best candidates")
    rerank_min_score: float = Field(DEFAULT_RERANK_MIN_SCORE, ge=0, le=1,
                                    description="the first scorer's best probability from which the cross-encoder runs")
    db: str | None = Field(None, description="the fact-check store (default: the user's store)")
    collections: list[str] | None = Field(None, description="only these imported collections")


@register_stage("factchecks", requires=("backbone",), reads=("claims", "attribution"), assigns=("findings",),
                languages=ENGLISH, settings=FactcheckSettings)
def make_factchecks(settings: FactcheckSettings) -> FactcheckMatcher:
    return FactcheckMatcher(settings)
