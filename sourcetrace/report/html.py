"""A self-contained HTML report: the article with its layers highlighted, toggles, and a side panel.

No CDN and no network. Article text is untrusted: Jinja2 escapes every piece of it, the layer data
travels as JSON inside a non-executable <script type="application/json"> with <, > and & escaped, the
page's own script only ever writes with textContent, and a Content-Security-Policy admits that one
script by its hash, so an injected <script> or onerror= could not run even if escaping failed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape

from sourcetrace.analysis import Analysis, Span
from sourcetrace.report.coverage import coverage_notes

# (layer key, label shown on its toggle)
LAYERS = (
    ("source", "Sources"),
    ("cue", "Cues"),
    ("content", "Attributed content"),
    ("channel", "Channels"),
    ("entity", "Entities"),
    ("variant", "Spelling variants"),
    ("claim", "Claims"),
    ("technique", "Techniques"),
    ("framing", "Framing markers"),
    ("finding", "Findings"),
)
# Layers shown when a report opens: who speaks, the words that attribute, what is claimed, and what was found.
# The others are one click away; all ten at once overlap too much to read.
DEFAULT_LAYERS = frozenset({"source", "cue", "claim", "finding"})
# Layers whose highlights carry a small label at their end (the label is CSS-drawn: it adds no text).
LABELLED_LAYERS = ("technique", "channel", "finding", "claim")
FAMILY_LABELS = {
    "attack_on_reputation": "Attack on reputation",
    "justification": "Justification",
    "simplification": "Simplification",
    "distraction": "Distraction",
    "call": "Call",
    "manipulative_wording": "Manipulative wording",
    "other": "Other",
}


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    layer: str
    item: str


def _pieces(span: Span) -> list[tuple[int, int]]:
    return [tuple(p) for p in span.fragments] if span.fragments else [(span.start, span.end)]


def marks_and_items(analysis: Analysis) -> tuple[list[Mark], dict[str, dict[str, Any]]]:
    """Every highlight (layer, item, offsets) and, per item id, the details shown when it is clicked."""
    marks: list[Mark] = []
    items: dict[str, dict[str, Any]] = {}

    def add(layer: str, item_id: str, span: Span | None, details: dict[str, Any]) -> None:
        if span is None:
            return
        items.setdefault(item_id, {"layer": layer, **details})
        for start, end in _pieces(span):
            if end > start:
                marks.append(Mark(start, end, layer, item_id))

    by_id = {a.id: a for a in analysis.attributions}
    for a in analysis.attributions:
        who = a.speaker.name if a.speaker else (a.source.text if a.source else "author")
        details = {
            "title": f"Attribution: {who}",
            "speaker": who,
            "role": a.speaker.role if a.speaker else None,
            "source kind": a.source_kind,
            "quote kind": a.quote_kind,
            "cue": a.cue.text if a.cue else None,
            "channel": a.channel.text if a.channel else None,
            "content": a.content.text,
            "quoted within": _quoted_within(by_id.get(a.parent)) if a.parent else None,
        }
        add("source", a.id + ":source", a.source, details)
        add("cue", a.id + ":cue", a.cue, details)
        add("content", a.id + ":content", a.content, details)
        add("channel", a.id + ":channel", a.channel, details)
    for e in analysis.entities:
        details = {"title": f"Entity ({e.label})", "text": e.span.text, "canonical": e.canonical,
                   "id": e.entity_id, "type": e.type}
        if e.variant:
            details.update({"canonical spelling": e.variant.canonical, "variant origin": e.variant.origin})
        add("variant" if e.variant else "entity", e.id, e.span, details)
    for c in analysis.claims:
        add("claim", c.id, c.span, {
            "title": f"Claim ({c.kind})", "author voice": c.author_voice,
            "said by": _quoted_within(by_id.get(c.attribution)) if c.attribution else "the outlet's own voice",
            "check-worthiness": c.checkworthiness,
            "dates": ", ".join(d.value or d.span.text for d in c.dates) or None,
            "quantities": ", ".join(q.span.text for q in c.quantities) or None,
        })
    for t in analysis.techniques:
        add("technique", t.id, t.span, {"title": f"Technique: {t.technique}", "family": t.family or "other",
                                         "score": round(t.score, 3), "from": t.source})
    for m in analysis.framing:
        add("framing", m.id, m.span, {"title": f"Framing: {m.marker}", "explanation": m.explanation})
    for f in analysis.findings:
        add("finding", f.id, f.span, {
            "title": f"Finding: {f.kind}", "message": f.message, "score": f.score,
            "evidence": [ev.description + (f" ({ev.source})" if ev.source else "") for ev in f.evidence],
        })
    offsets: dict[str, list[str]] = {}
    for mark in marks:
        offsets.setdefault(mark.item, []).append(f"{mark.start}–{mark.end}")
    for item_id, item in items.items():
        item["evidence offsets"] = ", ".join(offsets.get(item_id, []))
    return marks, items


def _quoted_within(parent: Any) -> str | None:
    """A parent attribution as a reader names it: "<speaker> — <first words of what they said>"."""
    if parent is None:
        return None
    who = parent.speaker.name if parent.speaker else (parent.source.text if parent.source else "the author")
    words = parent.content.text.split()
    return f"{who} — {' '.join(words[:8])}{' …' if len(words) > 8 else ''}"


def _label(item: dict[str, Any]) -> str:
    layer = item["layer"]
    if layer == "technique":
        return item["title"].removeprefix("Technique: ").replace("_", " ")
    if layer == "claim":
        score = item.get("check-worthiness")
        return "claim" + (f" {score:.2f}" if isinstance(score, (int, float)) else "")
    if layer == "finding":
        return item["title"].removeprefix("Finding: ").replace("_", " ")
    return layer


def segments(text: str, marks: list[Mark], items: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Cut the text at every mark boundary; each piece knows which layers and items cover it."""
    cuts = {0, len(text)}
    for mark in marks:
        cuts.update((mark.start, mark.end))
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    starts: dict[int, list[Mark]] = {}
    for mark in marks:
        starts.setdefault(mark.start, []).append(mark)
    active: list[Mark] = []
    cut_pieces = []
    # a label goes after the last piece of an item (one label per item, however many pieces it has)
    last_end = {}
    for mark in marks:
        if mark.layer in LABELLED_LAYERS:
            last_end[mark.item] = max(last_end.get(mark.item, 0), mark.end)
    for left, right in zip(bounds, bounds[1:]):
        active = [m for m in active if m.end > left] + starts.get(left, [])
        if right <= left:
            continue
        covering = [m for m in active if m.start <= left and m.end >= right]
        families = sorted({items[m.item].get("family") or "other" for m in covering
                           if m.layer == "technique" and items and m.item in items})
        labels = [] if not items else [
            {"layer": m.layer, "text": _label(items[m.item])}
            for m in sorted(covering, key=lambda m: LABELLED_LAYERS.index(m.layer) if m.layer in LABELLED_LAYERS else 0)
            if m.layer in LABELLED_LAYERS and last_end.get(m.item) == right and m.item in items]
        cut_pieces.append({
            "text": text[left:right],
            "start": left,
            "layers": sorted({m.layer for m in covering}),
            "items": sorted({m.item for m in covering}),
            # hover text names what is highlighted (e.g. "Technique: Loaded_Language")
            "titles": " · ".join(sorted({items[m.item]["title"] for m in covering if items and m.item in items})),
            "family": families[0] if families else None,
            "labels": labels,
        })
    return cut_pieces


def script_json(data: Any) -> str:
    """JSON safe to place inside <script type="application/json">: no </script>, no HTML specials."""
    return (json.dumps(data, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# The old private names, kept for callers written before these became public.
_marks_and_items = marks_and_items
_segments = segments
_script_json = script_json


def _template_text(name: str) -> str:
    return resources.files("sourcetrace.report").joinpath("templates", name).read_text(encoding="utf-8")


def technique_legend(analysis: Analysis) -> list[dict[str, Any]]:
    """One row per technique family present: its colour class, label, count and the techniques in it."""
    families: dict[str, dict[str, Any]] = {}
    for t in analysis.techniques:
        family = t.family or "other"
        entry = families.setdefault(family, {"family": family, "label": FAMILY_LABELS.get(family, family),
                                             "count": 0, "techniques": {}})
        entry["count"] += 1
        name = t.technique.replace("_", " ")
        entry["techniques"][name] = entry["techniques"].get(name, 0) + 1
    order = list(FAMILY_LABELS)
    return sorted(families.values(), key=lambda e: order.index(e["family"]) if e["family"] in order else len(order))


def layer_counts(items: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Items per layer: the number each toggle shows, and the panels repeat."""
    counts: dict[str, int] = {}
    for item in items.values():
        counts[item["layer"]] = counts.get(item["layer"], 0) + 1
    return counts


def render_html(analysis: Analysis) -> str:
    """The report as one HTML string."""
    from sourcetrace.report.claims import SPEAKER_KINDS, claim_queue

    marks, items = marks_and_items(analysis)
    script = _template_text("report.js")
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(_template_text("report.html"))
    counts = layer_counts(items)
    queue = claim_queue(analysis)
    return template.render(
        analysis=analysis,
        article=analysis.article,
        coverage=coverage_notes(analysis),
        segments=segments(analysis.article.text, marks, items),
        layers=[(key, label, counts.get(key, 0), key in DEFAULT_LAYERS) for key, label in LAYERS],
        hidden_layers=[key for key, _ in LAYERS if key not in DEFAULT_LAYERS],
        counts=counts,
        legend=technique_legend(analysis),
        queue=queue,
        speaker_kinds=[(k, v) for k, v in SPEAKER_KINDS.items() if any(r["speaker_kind"] == k for r in queue)],
        claim_kinds=sorted({r["kind"] for r in queue}),
        items_json=script_json(items),
        analysis_json=script_json(analysis.to_dict()),
        script=script,
        script_hash=script_hash,
        css=_template_text("report.css") + _template_text("layers.css"),
    )
