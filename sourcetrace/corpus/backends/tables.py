"""The corpus tables: their Arrow schemas, and the rows one batch of analyses gives for each.

Every table is flat (one row per layer item, offsets and text kept so evidence stays checkable) and carries
`article_id`; the tables most queried (claims, attributions) also carry the article's outlet and date so that
filters need no join. Nested values (quantities, evidence) are JSON text, which DuckDB and PostgreSQL both read.
The columns come from `sourcetrace/analysis.py`: layers other stages have not filled yet simply give no rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from sourcetrace.analysis import Analysis, Span

_S = pa.string()
_I = pa.int32()
_F = pa.float64()
_B = pa.bool_()
_D = pa.date32()

ARTICLES = pa.schema(
    [
        ("article_id", _S), ("title", _S), ("published", _D), ("outlet", _S), ("url", _S), ("language", _S),
        ("text", pa.large_string()), ("n_chars", _I), ("n_sentences", _I), ("n_entities", _I),
        ("n_attributions", _I), ("n_claims", _I), ("n_techniques", _I), ("n_findings", _I),
        ("content_sha1", _S), ("minhash", pa.binary()), ("task", _S), ("analysis", pa.large_string()),
    ]
)
ATTRIBUTIONS = pa.schema(
    [
        ("attribution_id", _S), ("article_id", _S), ("outlet", _S), ("published", _D),
        ("source", _S), ("source_start", _I), ("source_end", _I), ("cue", _S),
        ("content", _S), ("content_start", _I), ("content_end", _I), ("channel", _S),
        ("source_kind", _S), ("quote_kind", _S), ("speaker", _S), ("speaker_role", _S), ("parent", _S),
        ("score", _F),
    ]
)
CLAIMS = pa.schema(
    [
        ("claim_id", _S), ("article_id", _S), ("outlet", _S), ("published", _D),
        ("text", _S), ("start_char", _I), ("end_char", _I), ("attribution_id", _S), ("author_voice", _B), ("kind", _S),
        ("speaker", _S), ("source_kind", _S), ("channel", _S), ("checkworthiness", _F),
        ("quantities", _S), ("dates", _S), ("entities", _S), ("embedding", pa.list_(pa.float32())),
    ]
)
ENTITIES = pa.schema(
    [
        ("entity_id", _S), ("article_id", _S), ("text", _S), ("start_char", _I), ("end_char", _I), ("label", _S),
        ("canonical", _S), ("linked_id", _S), ("type", _S), ("variant", _S), ("variant_origin", _S),
    ]
)
TECHNIQUES = pa.schema(
    [
        ("technique_id", _S), ("article_id", _S), ("technique", _S), ("family", _S), ("text", _S),
        ("start_char", _I), ("end_char", _I), ("score", _F), ("source", _S),
    ]
)
FRAMING = pa.schema(
    [
        ("framing_id", _S), ("article_id", _S), ("marker", _S), ("text", _S), ("start_char", _I), ("end_char", _I),
        ("explanation", _S),
    ]
)
FINDINGS = pa.schema(
    [
        ("finding_id", _S), ("article_id", _S), ("kind", _S), ("claim_id", _S), ("text", _S), ("start_char", _I),
        ("end_char", _I), ("message", _S), ("score", _F), ("evidence", _S),
    ]
)
# `kind`: input (the record could not be read), analysis (the article could not be analysed at all), stage
# (one stage failed on the article, which is stored without that layer; `stage` names it).
ERRORS = pa.schema([("article_id", _S), ("source", _S), ("line", _I), ("error", _S), ("kind", _S), ("stage", _S)])
ERROR_KINDS = ("input", "analysis", "stage")

# Written by every task, one file each per shard.
SHARD_TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "attributions": ATTRIBUTIONS,
    "claims": CLAIMS,
    "entities": ENTITIES,
    "techniques": TECHNIQUES,
    "framing": FRAMING,
    "findings": FINDINGS,
    "errors": ERRORS,
}

# Computed over the whole corpus after the tasks (dedupe.py, clusters.py).
DUPLICATES = pa.schema([("article_id", _S), ("duplicate_of", _S), ("similarity", _F), ("exact", _B)])
CLUSTER_MEMBERS = pa.schema([("claim_id", _S), ("cluster_id", _S), ("similarity", _F), ("leader", _B)])
CLUSTERS = pa.schema(
    [
        ("cluster_id", _S), ("label", _S), ("first_claim_id", _S), ("first_article_id", _S), ("first_outlet", _S),
        ("first_published", _D), ("last_published", _D), ("n_claims", _I), ("n_articles", _I),
        ("n_independent_articles", _I), ("n_outlets", _I), ("outlets", _S), ("wordings", _S), ("numbers", _S),
        ("numbers_changed", _B), ("findings", _S), ("narratives", _S),
    ]
)
DERIVED_TABLES: dict[str, pa.Schema] = {
    "duplicates": DUPLICATES,
    "cluster_members": CLUSTER_MEMBERS,
    "clusters": CLUSTERS,
}


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _span(span: Span | None) -> tuple[str | None, int | None, int | None]:
    if span is None:
        return None, None, None
    return span.text, span.start, span.end


def _json(value: Any) -> str | None:
    if value is None or value == [] or value == {}:
        return None
    return json.dumps(value, ensure_ascii=False, default=str)


def empty_table(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def analyses_to_tables(
    analyses: Sequence[Analysis],
    task: str,
    article_extras: Sequence[dict[str, Any]] | None = None,
    claim_embeddings: dict[str, list[float]] | None = None,
) -> dict[str, pa.Table]:
    """The rows of every shard table for a batch of analyses (errors excluded: the caller adds those)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SHARD_TABLES}
    claim_embeddings = claim_embeddings or {}
    for index, analysis in enumerate(analyses):
        article = analysis.article
        article_id = article.id
        published = _date(article.published)
        extras = article_extras[index] if article_extras else {}
        rows["articles"].append(
            {
                "article_id": article_id, "title": article.title, "published": published, "outlet": article.outlet,
                "url": article.url, "language": article.language, "text": article.text, "n_chars": len(article.text),
                "n_sentences": len(analysis.sentences), "n_entities": len(analysis.entities),
                "n_attributions": len(analysis.attributions), "n_claims": len(analysis.claims),
                "n_techniques": len(analysis.techniques), "n_findings": len(analysis.findings),
                "content_sha1": extras.get("content_sha1"), "minhash": extras.get("minhash"), "task": task,
                "analysis": analysis.to_json(),
            }
        )
        attributions = {a.id: a for a in analysis.attributions}
        for a in analysis.attributions:
            source, source_start, source_end = _span(a.source)
            content, content_start, content_end = _span(a.content)
            rows["attributions"].append(
                {
                    "attribution_id": a.id, "article_id": article_id, "outlet": article.outlet, "published": published,
                    "source": source, "source_start": source_start, "source_end": source_end,
                    "cue": a.cue.text if a.cue else None, "content": content, "content_start": content_start,
                    "content_end": content_end, "channel": a.channel.text if a.channel else None,
                    "source_kind": a.source_kind, "quote_kind": a.quote_kind,
                    "speaker": a.speaker.name if a.speaker else source,
                    "speaker_role": a.speaker.role if a.speaker else None, "parent": a.parent, "score": a.score,
                }
            )
        for c in analysis.claims:
            attribution = attributions.get(c.attribution) if c.attribution else None
            if attribution is not None:
                speaker = attribution.speaker.name if attribution.speaker else _span(attribution.source)[0]
                source_kind = attribution.source_kind
                channel = attribution.channel.text if attribution.channel else None
            else:
                speaker, source_kind, channel = None, ("author" if c.author_voice else None), None
            rows["claims"].append(
                {
                    "claim_id": c.id, "article_id": article_id, "outlet": article.outlet, "published": published,
                    "text": c.span.text, "start_char": c.span.start, "end_char": c.span.end,
                    "attribution_id": c.attribution,
                    "author_voice": c.author_voice, "kind": c.kind, "speaker": speaker, "source_kind": source_kind,
                    "channel": channel, "checkworthiness": c.checkworthiness,
                    "quantities": _json([q.model_dump(mode="json") for q in c.quantities]),
                    "dates": _json([d.model_dump(mode="json") for d in c.dates]),
                    "entities": _json(c.entities), "embedding": claim_embeddings.get(c.id),
                }
            )
        for e in analysis.entities:
            rows["entities"].append(
                {
                    "entity_id": e.id, "article_id": article_id, "text": e.span.text, "start_char": e.span.start,
                    "end_char": e.span.end, "label": e.label, "canonical": e.canonical, "linked_id": e.entity_id,
                    "type": e.type, "variant": e.variant.variant if e.variant else None,
                    "variant_origin": e.variant.origin if e.variant else None,
                }
            )
        for t in analysis.techniques:
            rows["techniques"].append(
                {
                    "technique_id": t.id, "article_id": article_id, "technique": t.technique, "family": t.family,
                    "text": t.span.text, "start_char": t.span.start, "end_char": t.span.end, "score": t.score,
                    "source": t.source,
                }
            )
        for f in analysis.framing:
            text, start, end = _span(f.span)
            rows["framing"].append(
                {
                    "framing_id": f.id, "article_id": article_id, "marker": f.marker, "text": text, "start_char": start,
                    "end_char": end, "explanation": f.explanation,
                }
            )
        for f in analysis.findings:
            rows["findings"].append(
                {
                    "finding_id": f.id, "article_id": article_id, "kind": f.kind, "claim_id": f.claim,
                    "text": f.span.text, "start_char": f.span.start, "end_char": f.span.end, "message": f.message,
                    "score": f.score, "evidence": _json([e.model_dump(mode="json") for e in f.evidence]),
                }
            )
    return {name: pa.Table.from_pylist(rows[name], schema=schema) for name, schema in SHARD_TABLES.items()}


def errors_table(errors: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([{name: e.get(name) for name in ERRORS.names} for e in errors], schema=ERRORS)


def stage_failure_rows(analyses: Sequence[Analysis], sources: dict[str, tuple[str | None, int | None]]) -> list[
        dict[str, Any]]:
    """One `errors` row per stage that failed on an article (the article itself is stored without that layer);
    `sources` maps an article id to the file and line it was read from."""
    rows = []
    for analysis in analyses:
        article = analysis.article
        source, line = sources.get(article.id, (None, None))
        for problem in analysis.meta.failed_stages:
            rows.append({"article_id": article.id, "source": source or article.url or article.id, "line": line,
                         "error": f"stage {problem.stage} failed: {problem.reason}"[:1000], "kind": "stage",
                         "stage": problem.stage})
    return rows
