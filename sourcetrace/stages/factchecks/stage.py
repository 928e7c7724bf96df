"""Stage `factchecks`: matches of the article's claims to claims already fact-checked, and known narratives.

Reads the fact-check store (`sourcetrace factchecks import ...`; see `store.py` beside this module for where it
lives). Query units are the `claims` layer, or the sentences when no claims were extracted. Each match above
the threshold becomes a `factcheck_match` finding (score, verdict, date, outlet, URL as evidence; `data.match`
"same_claim"); a claim with none gets its closest related cases (MiniLM cosine >= `related_cosine`, sharing
words; `data.match` "related") so a reader sees the known disinformation around it; a match to a
case of the narratives collection also tags the claim with that narrative (`narrative` finding, the matched
case as evidence). With no store imported there are simply no such findings.

Config: `db` (path), `threshold` (0..1, the estimated probability that the fact-check is about the same claim;
default 0.6: false matches are what users complain about most), `top_k` (3), `collections` (list, default all),
`narrative_threshold` (default: `threshold`), `min_cosine` (0.3: the least MiniLM similarity a match needs,
whatever its rank in the collection), `related_cosine` (0.55; 1.0 turns related cases off), `rerank` (true:
the cross-encoder re-reads the 10 best candidates of each claim, about 0.55 s per claim on one core; false
skips it, MAP@5 0.881 instead of 0.909 on CheckThat! 2020 dev).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from sourcetrace._ml.embedder import load_embedder
from sourcetrace.analysis import Evidence, Finding, Span, StageProblem, stable_id
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, register_stage
from sourcetrace.stages.factchecks.reranker import load_reranker
from sourcetrace.stages.factchecks.retrieval import WEIGHTS_PATH, FactcheckIndex, MatchScorer, duplicate_of
from sourcetrace.stages.factchecks.store import FactcheckStore, default_db_path

DEFAULT_THRESHOLD = 0.6
# MiniLM cosine from which a fact-check is reported as related (same topic and actors, not the same claim).
DEFAULT_RELATED_COSINE = 0.55
log = logging.getLogger(__name__)


class FactcheckMatcher:
    name = "factchecks"

    def __init__(self, settings: FactcheckSettings | Mapping[str, Any] | None = None) -> None:
        settings = FactcheckSettings.of(settings, "factchecks")
        self.threshold = settings.threshold
        self.narrative_threshold = (settings.narrative_threshold if settings.narrative_threshold is not None
                                    else self.threshold)
        self.top_k = settings.top_k
        self.min_cosine = settings.min_cosine
        self.related_cosine = settings.related_cosine
        self.rerank = settings.rerank
        self.db_path = Path(settings.db) if settings.db else default_db_path()
        self.rows: list[dict[str, Any]] = []
        self.copies: dict[int, list[int]] = {}  # kept row -> rows merged into it (the same fact-check stored again)
        self.index = None
        self.embedder = None
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

    def models(self) -> dict[str, str]:
        if self.index is None:
            return {}
        reranked = " + cross-encoder" if self.index.reranker is not None else ""
        return {"factcheck_matcher": f"{self.embedder.version} + BM25, re-ranked{reranked} "
                                     f"({len(self.rows)} fact-checks)"}

    def process(self, documents: Sequence[Document]) -> None:
        if self.index is None:  # say so: an empty layer must not read as "no known false claim here"
            reason = ("fact-check matching is off: the fact-check store holds no fact-checks; import a collection "
                      "with `sourcetrace factchecks import FILE` (ClaimReview JSON, EUvsDisinfo posts.csv, "
                      "CheckThat! verified claims)")
            for document in documents:
                document.analysis.meta.skipped_stages.append(StageProblem(stage=self.name, reason=reason))
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
        texts = [span.text for _, _, span in units]
        vectors = self.embedder.encode(texts)
        results = self.index.search(texts, vectors, top_k=max(self.top_k, 5), threshold=0.0,
                                    min_cosine=self.min_cosine)
        for (document, claim_id, span), matches in zip(units, results):
            analysis = document.analysis
            kept = [m for m in matches if m.score >= self.threshold][: self.top_k]
            for match in kept:
                analysis.findings.append(self._match_finding(analysis.article.id, claim_id, span, match))
            if not kept:  # no same-claim match: report the closest related cases, if close enough
                related = sorted((m for m in matches if m.cosine >= self.related_cosine and m.bm25 > 0),
                                 key=lambda m: -m.cosine)[:2]
                for match in related:
                    analysis.findings.append(
                        self._match_finding(analysis.article.id, claim_id, span, match, related=True))
            tagged: set[str] = set()
            for match in matches:
                row = self.rows[match.index]
                narrative = row.get("narrative")
                close = match.score >= self.narrative_threshold or match.cosine >= self.related_cosine
                if narrative and close and narrative not in tagged:
                    tagged.add(narrative)
                    analysis.findings.append(self._narrative_finding(analysis.article.id, claim_id, span, match))

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

    def _match_finding(self, article_id: str, claim_id: str | None, span: Span, match,  # noqa: ANN001
                       related: bool = False) -> Finding:
        row = self.rows[match.index]
        who = row.get("outlet") or row["collection"]
        verdict = f" (verdict: {row['verdict']})" if row.get("verdict") else ""
        evidence = self._evidence(match)
        evidence.data["match"] = "related" if related else "same_claim"
        if related:
            message = f"Related to a case checked by {who}{verdict}: “{row['claim']}”"
        else:
            message = f"Matches a claim already checked by {who}{verdict}: “{row['claim']}”"
        return Finding(
            id=stable_id("fcm", article_id, span.start, span.end, row["id"]),
            kind="factcheck_match", claim=claim_id, span=span, score=round(match.score, 4),
            message=message, evidence=[evidence],
        )

    def _narrative_finding(self, article_id: str, claim_id: str | None, span: Span, match) -> Finding:  # noqa: ANN001
        row = self.rows[match.index]
        message = f"Matches the known disinformation narrative “{row['narrative']}”"
        if row.get("sub_narrative"):
            message += f" ({row['sub_narrative']})"
        return Finding(
            id=stable_id("nar", article_id, span.start, span.end, row["narrative"]),
            kind="narrative", claim=claim_id, span=span, score=round(match.score, 4), message=message + ".",
            evidence=[self._evidence(match)],
        )


class FactcheckSettings(StageSettings):
    threshold: float = Field(DEFAULT_THRESHOLD, ge=0, le=1, description="the score a match needs")
    narrative_threshold: float | None = Field(None, ge=0, le=1, description="for narratives (default: threshold)")
    top_k: int = Field(3, ge=1, description="matches kept per claim")
    min_cosine: float = Field(0.3, ge=-1, le=1, description="candidates below this cosine are not scored")
    related_cosine: float = Field(DEFAULT_RELATED_COSINE, ge=-1, le=1, description="'related' fact-checks")
    rerank: bool = Field(True, description="the cross-encoder over the best candidates")
    db: str | None = Field(None, description="the fact-check store (default: the user's store)")
    collections: list[str] | None = Field(None, description="only these imported collections")


@register_stage("factchecks", requires=("backbone",), reads=("claims",), assigns=("findings",), languages=ENGLISH,
                settings=FactcheckSettings)
def make_factchecks(settings: FactcheckSettings) -> FactcheckMatcher:
    return FactcheckMatcher(settings)
