"""What travels between sourcetrace and an annotation tool, whichever the format: an article's text and its
attributions (source, cue, content, channel: each a list of [start, end) pieces), claims and technique spans.
`write_gold` stores documents where the evaluators read gold: PolNeAR layout for attributions, PTC layout for
techniques."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sourcetrace.analysis import Analysis

ROLES = ("source", "cue", "content", "channel")
Pieces = list[tuple[int, int]]


@dataclass
class ExchangeAttribution:
    source: Pieces = field(default_factory=list)
    cue: Pieces = field(default_factory=list)
    content: Pieces = field(default_factory=list)
    channel: Pieces = field(default_factory=list)
    score: float | None = None

    def role(self, name: str) -> Pieces:
        return getattr(self, name)


@dataclass
class ExchangeSpan:
    """A claim (label: its kind) or a technique (label: its name) with its pieces and the model's score."""

    label: str
    pieces: Pieces
    score: float | None = None


@dataclass
class Document:
    name: str
    text: str
    attributions: list[ExchangeAttribution] = field(default_factory=list)
    claims: list[ExchangeSpan] = field(default_factory=list)
    techniques: list[ExchangeSpan] = field(default_factory=list)


def safe_name(article_id: str) -> str:
    """A file name from an article id: letters, digits, '-' and '.' kept (no '_': PolNeAR's annotator separator)."""
    return "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in article_id).strip(".") or "article"


def _pieces(span: object) -> Pieces:
    if span is None:
        return []
    fragments = getattr(span, "fragments", None)
    return [tuple(p) for p in fragments] if fragments else [(span.start, span.end)]  # type: ignore[attr-defined]


def document_of(analysis: Analysis) -> Document:
    """The layers a desk corrects, from an analysis: attributions (not the author's own voice), claims,
    techniques."""
    return Document(
        name=safe_name(analysis.article.id),
        text=analysis.article.text,
        attributions=[
            ExchangeAttribution(source=_pieces(a.source), cue=_pieces(a.cue), content=_pieces(a.content),
                                channel=_pieces(a.channel), score=a.score)
            for a in analysis.attributions if a.source_kind != "author"
        ],
        claims=[ExchangeSpan(c.kind, _pieces(c.span), c.checkworthiness) for c in analysis.claims],
        techniques=[ExchangeSpan(t.technique, _pieces(t.span), t.score) for t in analysis.techniques],
    )


def ann_lines(document: Document) -> list[str]:
    """brat standoff lines: T lines per span (discontinuous spans as `start end;start end`), an Attribution
    trigger and E line per attribution (the PolNeAR scheme), then claims and techniques as T lines."""
    lines: list[str] = []
    count = {"T": 0, "E": 0}
    text = document.text

    def span_line(label: str, pieces: Pieces) -> str:
        count["T"] += 1
        ranges = ";".join(f"{s} {e}" for s, e in pieces)
        surface = " ".join(text[s:e] for s, e in pieces).replace("\n", " ").replace("\t", " ")
        lines.append(f"T{count['T']}\t{label} {ranges}\t{surface}")
        return f"T{count['T']}"

    for attribution in document.attributions:
        roles = []
        for role in ("source", "cue", "content", "channel"):
            if attribution.role(role):
                roles.append(f"{role.capitalize()}:{span_line(role.capitalize(), attribution.role(role))}")
        trigger_pieces = attribution.cue or attribution.content or attribution.source
        if not trigger_pieces:
            continue
        trigger = span_line("Attribution", trigger_pieces[:1])
        count["E"] += 1
        lines.append(f"E{count['E']}\tAttribution:{trigger} " + " ".join(roles))
    notes = 0
    for claim in document.claims:
        span_id = span_line("Claim", claim.pieces)
        notes += 1
        score = f"; check-worthiness {claim.score:.2f}" if claim.score is not None else ""
        lines.append(f"#{notes}\tAnnotatorNotes {span_id}\tkind {claim.label}{score}")
    for technique in document.techniques:
        span_line(technique.label, technique.pieces)
    return lines


def write_gold(documents: list[Document], out: Path, annotator: str = "desk") -> dict[str, int]:
    """Gold files from corrected documents: `out/text/NAME.txt` and `out/attributions/NAME_ANNOTATOR.ann`
    (read by `sourcetrace evaluate attribution --gold out`), `out/articles/articleNAME.txt` and
    `out/techniques.labels` (read by `evaluate techniques --articles out/articles --labels out/techniques.labels`),
    and `out/claims.jsonl`. Returns counts."""
    if "_" in annotator or not annotator:
        raise ValueError("the annotator name must be non-empty and have no '_' (PolNeAR's separator)")
    for folder in ("text", "attributions", "articles"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    counts = {"documents": 0, "attributions": 0, "claims": 0, "techniques": 0}
    with (out / "techniques.labels").open("w", encoding="utf-8") as labels, \
            (out / "claims.jsonl").open("w", encoding="utf-8") as claims:
        for document in documents:
            name = safe_name(document.name)
            for path in (out / "text" / f"{name}.txt", out / "articles" / f"article{name}.txt"):
                with open(path, "w", encoding="utf-8", newline="") as stream:
                    stream.write(document.text)
            only_attributions = Document(document.name, document.text, document.attributions)
            (out / "attributions" / f"{name}_{annotator}.ann").write_text(
                "\n".join(ann_lines(only_attributions)) + "\n", encoding="utf-8")
            for technique in document.techniques:
                for start, end in technique.pieces:
                    labels.write(f"{name}\t{technique.label}\t{start}\t{end}\n")
            for claim in document.claims:
                claims.write(json.dumps({"article": name, "kind": claim.label, "pieces": claim.pieces,
                                         "text": " ".join(document.text[s:e] for s, e in claim.pieces)},
                                        ensure_ascii=False) + "\n")
            counts["documents"] += 1
            counts["attributions"] += len(document.attributions)
            counts["claims"] += len(document.claims)
            counts["techniques"] += len(document.techniques)
    return counts
