"""The claim queue: an article's claims ranked by check-worthiness, each with who stands behind it, its numbers
and dates, its fact-check status and its place in the text. The HTML report, the web app and the corpus views
all show these rows."""

from __future__ import annotations

from typing import Any

from sourcetrace.analysis import Analysis, Attribution

# Finding kinds that say something about a claim's fact-check status, strongest first, in a reader's words.
FACTCHECK_STATUS: dict[str, str] = {
    "refutes_checked_claim": "denies a checked claim",
    "reports_checked_claim": "reports a checked claim",
    "factcheck_match": "matches a checked claim",
    "related_factcheck": "a fact-check on the same topic",
}

# Who stands behind a claim, in the order a filter lists them.
SPEAKER_KINDS: dict[str, str] = {
    "named_person": "named person",
    "named_organization": "named organisation",
    "anonymous": "anonymous source",
    "pronoun": "person (pronoun)",
    "other": "other source",
    "channel": "relayed by a channel",
    "author": "the outlet's own voice",
}


def speaker_of(attribution: Attribution | None) -> str | None:
    """The name a reader knows the speaker by: the resolved speaker, else the source words as written."""
    if attribution is None:
        return None
    if attribution.speaker:
        return attribution.speaker.name
    return attribution.source.text if attribution.source else None


def factcheck_status(kinds: list[str]) -> str | None:
    """The strongest fact-check status among finding kinds, in words; None when there is none."""
    for kind, words in FACTCHECK_STATUS.items():
        if kind in kinds:
            return words
    return None


def first_words(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def claim_queue(analysis: Analysis) -> list[dict[str, Any]]:
    """One row per claim, the most check-worthy first (claims with no score last, then in text order)."""
    attributions = {a.id: a for a in analysis.attributions}
    problems = [*analysis.meta.skipped_stages, *analysis.meta.failed_stages]
    matching_off = any(p.stage == "factchecks" for p in problems)
    findings: dict[str, list[str]] = {}
    for finding in analysis.findings:
        if finding.claim:
            findings.setdefault(finding.claim, []).append(finding.kind)
    rows = []
    for claim in analysis.claims:
        attribution = attributions.get(claim.attribution) if claim.attribution else None
        speaker = speaker_of(attribution)
        channel = attribution.channel.text if attribution and attribution.channel else None
        if attribution is None:
            speaker_kind = "author"
        elif speaker is None and channel:
            speaker_kind = "channel"
        else:
            speaker_kind = attribution.source_kind
        if speaker_kind == "author":
            behind = "the outlet's own voice"
        else:
            behind = speaker or channel or SPEAKER_KINDS.get(speaker_kind, speaker_kind)
        kinds = findings.get(claim.id, [])
        rows.append({
            "id": claim.id,
            "text": claim.span.text,
            "start": claim.span.start,
            "end": claim.span.end,
            "kind": claim.kind,
            "checkworthiness": claim.checkworthiness,
            "speaker": speaker,
            "speaker_kind": speaker_kind,
            "behind": behind,
            "channel": channel,
            "quantities": [q.span.text for q in claim.quantities],
            "dates": [d.value or d.span.text for d in claim.dates],
            "factcheck": factcheck_status(kinds),
            "factcheck_note": factcheck_status(kinds) or ("fact-check matching off" if matching_off
                                                          else "no fact-check match"),
            "findings": kinds,
        })
    rows.sort(key=lambda r: (r["checkworthiness"] is None, -(r["checkworthiness"] or 0.0), r["start"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows
