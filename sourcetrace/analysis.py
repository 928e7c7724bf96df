"""The analysis object and its layers.

One `Analysis` per article. Every layer item carries evidence as `Span`s: 0-based character offsets into
`article.text`, end exclusive, with `text == article.text[start:end]` always. The JSON Schema that
`sourcetrace schema` prints is generated from these models (see `sourcetrace/schema/`).
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_ID = "sourcetrace/analysis/v1"


class _Layer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Layer):
    """A stretch of the article text. Discontinuous spans list their pieces in `fragments`."""

    start: int = Field(ge=0, description="0-based offset of the first character")
    end: int = Field(ge=0, description="offset one past the last character")
    text: str = Field(description="article.text[start:end], always")
    fragments: list[tuple[int, int]] | None = Field(
        default=None, description="[start, end] pieces of a discontinuous span, in order"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Span:
        """A span is checked where it is made: ordered offsets, a text as long as they say, pieces inside."""
        if self.end < self.start:
            raise ValueError(f"span [{self.start}, {self.end}) ends before it starts")
        if len(self.text) != self.end - self.start:
            raise ValueError(f"span [{self.start}, {self.end}) has a text of {len(self.text)} characters")
        if self.fragments is not None:
            previous = self.start
            for piece_start, piece_end in self.fragments:
                if not previous <= piece_start <= piece_end <= self.end:
                    raise ValueError(f"span [{self.start}, {self.end}) has a piece [{piece_start}, {piece_end}) "
                                     "out of order or outside it")
                previous = piece_start
        return self

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Span:
        """The span of `text[start:end]`."""
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"span [{start}, {end}) outside a text of {len(text)} characters")
        return cls(start=start, end=end, text=text[start:end])

    @classmethod
    def of_fragments(cls, text: str, pieces: list[tuple[int, int]]) -> Span:
        """A span covering several pieces; `text` of the whole covers start..end, pieces say which parts."""
        pieces = sorted((s, e) for s, e in pieces if e > s)
        if not pieces:
            raise ValueError("a span needs at least one non-empty piece")
        if len(pieces) == 1:
            return cls.of(text, *pieces[0])
        start, end = pieces[0][0], pieces[-1][1]
        span = cls.of(text, start, end)
        span.fragments = [(s, e) for s, e in pieces]
        return span


class ArticleInfo(_Layer):
    id: str
    text: str
    title: str | None = None
    published: str | None = Field(default=None, description="publication date, ISO 8601 (YYYY-MM-DD)")
    outlet: str | None = None
    url: str | None = None
    language: str | None = Field(default=None, description="ISO 639-1 code, detected when not given")


class Sentence(Span):
    pass


class EntityVariant(_Layer):
    """The text uses a spelling other than the canonical one (e.g. a Russian-derived transliteration)."""

    canonical: str
    variant: str
    origin: str = Field(description="where the variant spelling comes from, e.g. 'Russian transliteration'")


class Entity(_Layer):
    id: str
    span: Span
    label: str = Field(description="spaCy-style label: PERSON, ORG, GPE, LOC, NORP, DATE, ...")
    canonical: str | None = Field(default=None, description="canonical name when linked")
    entity_id: str | None = Field(default=None, description="stable id of the linked entry (Wikidata QID)")
    type: str | None = Field(default=None, description="gazetteer type: person, organization, place, outlet, ...")
    variant: EntityVariant | None = None
    profile: dict[str, Any] | None = Field(
        default=None, description="facts from the gazetteer entry (e.g. an outlet's country and ownership)"
    )


SourceKind = Literal["named_person", "named_organization", "anonymous", "pronoun", "author", "other"]
QuoteKind = Literal["direct", "indirect", "mixed"]


SpeakerEvidence = Literal["name", "pronoun", "description", "quote", "headline", "author", "interview"]


class Speaker(_Layer):
    name: str
    role: str | None = None
    resolved_from: SpeakerEvidence | None = Field(
        default=None, description="how the source mention gave the name: the name itself, a pronoun or a "
        "description resolved to it, the quotation it speaks in (\"I\", \"we\"), a headline's dash convention, "
        "the article's author (\"I\", \"we\" outside quotations), an interview's answer line (the person the "
        "interview is with)")
    mention: Span | None = Field(default=None, description="the mention of the name a pronoun or description was "
                                 "resolved to")


class Attribution(_Layer):
    id: str
    source: Span | None = Field(default=None, description="who says it; null for author voice")
    cue: Span | None = Field(default=None, description="the words that attribute (said, according to...)")
    content: Span
    channel: Span | None = Field(default=None, description="the outlet or medium the statement was relayed through")
    source_kind: SourceKind
    quote_kind: QuoteKind
    speaker: Speaker | None = None
    parent: str | None = Field(default=None, description="id of the enclosing attribution in a nested chain")
    score: float | None = Field(default=None, description="model confidence, when a model produced it")
    statement_kind: Literal["statement", "declined"] = Field(
        default="statement", description="declined: a refusal to speak (\"declined to comment\", \"did not "
        "respond to a request\"), not a statement with content")


class Quantity(_Layer):
    span: Span
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    unit: str | None = None
    kind: Literal["count", "ratio", "percent", "money", "duration", "measure", "other"] = "other"
    vague: bool = False
    direction: Literal["increase", "decrease"] | None = None


class TimeExpression(_Layer):
    span: Span
    value: str | None = Field(
        default=None, description="normalised ISO value: 2022-09-11, 2022-08, XXXX-09-11, P3D, ..."
    )
    type: Literal["date", "time", "duration", "set", "other"] = "date"
    anchored: bool = Field(default=False, description="resolved against the publication date")


ClaimKind = Literal["event", "statistic", "causal", "prediction", "opinion", "other"]


class Claim(_Layer):
    id: str
    span: Span
    attribution: str | None = Field(default=None, description="id of the attribution; null for author voice")
    speaker: Speaker | None = Field(default=None, description="who the attribution that contains the claim names")
    author_voice: bool = False
    kind: ClaimKind = "other"
    quantities: list[Quantity] = Field(default_factory=list)
    dates: list[TimeExpression] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list, description="ids of entities inside the claim")
    checkworthiness: float | None = None


class Technique(_Layer):
    id: str
    technique: str = Field(description="SemEval-2023 Task 3 technique name; for uk/ru also Euphoria or "
                           "Cherry_Picking (UNLP-2025 techniques with no SemEval-2023 counterpart, no family)")
    family: str | None = None
    span: Span
    score: float
    source: Literal["model", "rule"] = "model"
    original_label: str | None = Field(
        None, description="the training corpus's own technique label where it differs in scheme (UNLP-2025 for uk/ru)")
    attribution: str | None = Field(
        None, description="id of the attribution whose content holds the span (the words of a quoted or reported "
        "source); null: the outlet's own voice")
    speaker: str | None = Field(None, description="who the span is attributed to: the attribution's speaker or source")


class TechniqueSummary(_Layer):
    """How much persuasion an article carries: technique counts per family, absolute and per 1,000 words."""

    words: int
    techniques: dict[str, int] = Field(default_factory=dict, description="technique name -> count")
    families: dict[str, int] = Field(default_factory=dict, description="SemEval-2023 family -> count")
    families_per_1000_words: dict[str, float] = Field(default_factory=dict)
    per_1000_words: float = 0.0
    outlet_voice: dict[str, int] = Field(
        default_factory=dict, description="technique name -> count of spans in the outlet's own voice")
    quoted: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="technique name -> speaker -> count of spans inside that speaker's "
        "attributed words (speaker `unnamed` when the attribution names none)")


class FramingMarker(_Layer):
    id: str
    marker: str = Field(description="euphemism, agentless_passive, hedge, intensifier, scare_quote, variant, ...")
    span: Span | None = None
    explanation: str
    details: dict[str, Any] | None = None


class Evidence(_Layer):
    description: str
    span: Span | None = None
    source: str | None = Field(default=None, description="where the evidence comes from (dataset, KB, URL)")
    url: str | None = None
    data: dict[str, Any] | None = None


class Finding(_Layer):
    id: str
    kind: Literal["contradiction", "factcheck_match", "refutes_checked_claim", "reports_checked_claim",
                  "related_factcheck", "narrative", "other"]
    claim: str | None = Field(default=None, description="id of the claim the finding is about")
    span: Span
    message: str = Field(description="a sentence a reader understands")
    score: float | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class StageTiming(_Layer):
    stage: str
    seconds: float


class StageProblem(_Layer):
    """A stage that failed on this article, or was skipped for it, and why."""

    stage: str
    reason: str = Field(description="one line: the cause of the failure, or why the stage did not run")


class Meta(_Layer):
    sourcetrace_version: str
    models: dict[str, str] = Field(default_factory=dict, description="model name -> version")
    timing: list[StageTiming] = Field(default_factory=list)
    language: str | None = Field(default=None, description="the language the stages were chosen for (ISO 639-1)")
    failed_stages: list[StageProblem] = Field(
        default_factory=list, description="stages that failed on this article; their layers are empty")
    skipped_stages: list[StageProblem] = Field(
        default_factory=list, description="stages not run on this article (unsupported language, a failed "
        "stage they need); their layers are empty")
    warnings: list[str] = Field(default_factory=list, description="problems with the input that did not stop it")


class Analysis(_Layer):
    """One article and every layer the pipeline added to it."""

    schema_: str = Field(default=SCHEMA_ID, alias="schema")
    article: ArticleInfo
    sentences: list[Sentence] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    times: list[TimeExpression] = Field(default_factory=list)
    attributions: list[Attribution] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    techniques: list[Technique] = Field(default_factory=list)
    technique_summary: TechniqueSummary | None = None
    framing: list[FramingMarker] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    meta: Meta

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @property
    def text(self) -> str:
        return self.article.text

    def span(self, start: int, end: int) -> Span:
        """A span of this article's text."""
        return Span.of(self.article.text, start, end)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def to_json(self, indent: int | None = None) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)


def stable_id(prefix: str, *parts: object) -> str:
    """A short id that depends only on what it names, so the same input gives the same ids on every run."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}_{digest}"


def json_schema() -> dict[str, Any]:
    schema = Analysis.model_json_schema(by_alias=True)
    schema["$id"] = SCHEMA_ID
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
