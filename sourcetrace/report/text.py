"""A terminal summary for a person: who is quoted, through which outlets, what is unattributed, findings."""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from sourcetrace.analysis import Analysis, TechniqueSummary
from sourcetrace.report.claims import claim_queue
from sourcetrace.report.coverage import coverage_notes

CLAIMS_SHOWN = 5


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(analysis: Analysis) -> Group:
    article = analysis.article
    head = Text()
    head.append(article.title or article.id, style="bold")
    details = [x for x in (article.outlet, article.published, article.url, article.language) if x]
    if details:
        head.append("\n" + " · ".join(details), style="dim")
    head.append(
        f"\n{len(analysis.sentences)} sentences · {len(analysis.entities)} entities · "
        f"{len(analysis.attributions)} attributions · {len(analysis.claims)} claims · "
        f"{len(analysis.techniques)} techniques · {len(analysis.framing)} framing markers · "
        f"{len(analysis.findings)} findings"
    )
    parts: list = [Text(note, style="bold yellow") for note in coverage_notes(analysis)]
    parts.append(Panel(head, title=f"sourcetrace · {article.id}", expand=False))

    quoted = [a for a in analysis.attributions if a.source_kind != "author"]
    if quoted:
        # a list, not a table: it stays readable in an 80-column terminal
        lines = Text()
        lines.append(f"Who is quoted ({len(quoted)})\n", style="bold underline")
        for attribution in quoted:
            who = attribution.speaker.name if attribution.speaker else (
                attribution.source.text if attribution.source else "—")
            lines.append("• ")
            lines.append(who, style="bold cyan")
            if attribution.speaker and attribution.speaker.role:
                lines.append(f", {attribution.speaker.role}", style="cyan")
            lines.append(f"  [{attribution.source_kind.replace('_', ' ')}, {attribution.quote_kind}]", style="dim")
            if attribution.channel:
                lines.append("  via ", style="dim")
                lines.append(attribution.channel.text, style="magenta")
            if attribution.cue:
                lines.append(f"  cue: {attribution.cue.text}", style="dim")
            lines.append(f"\n    “{_short(attribution.content.text, 150)}”\n")
        parts.append(lines)

    queue = claim_queue(analysis)
    if queue:
        lines = Text()
        shown = queue[:CLAIMS_SHOWN]
        lines.append(f"Claims to check, most check-worthy first ({len(shown)} of {len(queue)})\n",
                     style="bold underline")
        for row in shown:
            score = f"{row['checkworthiness']:.2f}" if row["checkworthiness"] is not None else " –  "
            lines.append(f"{score} ", style="bold")
            lines.append(row["behind"], style="cyan")
            lines.append(f"  [{row['kind']}; {row['factcheck_note']}; at {row['start']}–{row['end']}]\n", style="dim")
            lines.append(f"     “{_short(row['text'], 150)}”\n")
        parts.append(lines)

    author_claims = [c for c in analysis.claims if c.author_voice]
    if analysis.claims:
        parts.append(Text(
            f"{len(author_claims)} of {len(analysis.claims)} claims are in the author's own voice (unattributed).",
            style="yellow" if author_claims else "",
        ))
    channels = Counter(a.channel.text for a in analysis.attributions if a.channel)
    if channels:
        parts.append(Text("Relayed through: " + ", ".join(f"{name} ×{n}" for name, n in channels.most_common())))
    if analysis.findings:
        lines = Text()
        lines.append(f"Top findings ({len(analysis.findings)})\n", style="bold underline")
        # related fact-checks (not the same claim) are context, never a top finding
        shown = [f for f in analysis.findings if f.kind != "related_factcheck"]
        ranked = sorted(shown, key=lambda f: (f.kind != "contradiction", -(f.score or 0)))
        for finding in ranked[:10]:
            lines.append("• ")
            lines.append(finding.kind.replace("_", " "),
                         style="bold green" if finding.kind == "refutes_checked_claim" else "bold red")
            lines.append(f": {_short(finding.message, 200)}\n")
            where = f"{finding.span.start}–{finding.span.end}"
            lines.append(f"    at {where}: “{_short(finding.span.text, 100)}”\n", style="dim")
        parts.append(lines)
    if analysis.techniques:
        counts = Counter(t.technique for t in analysis.techniques)
        parts.append(Text("Techniques: " + ", ".join(f"{name} ×{n}" for name, n in counts.most_common())))
        if analysis.technique_summary is not None and analysis.technique_summary.quoted:
            parts.append(Text("\n".join("  " + line for line in technique_voices(analysis.technique_summary))))
    if analysis.framing:
        counts = Counter(m.marker for m in analysis.framing)
        parts.append(Text("Framing markers: " + ", ".join(f"{name} ×{n}" for name, n in counts.most_common())))
    return Group(*parts)


def technique_voices(summary: TechniqueSummary) -> list[str]:
    """One line per technique: how many of its spans are in the outlet's own voice and how many in the quoted
    words of each speaker ("Loaded_Language: 3 in the outlet's voice, 5 in quotes of Putin")."""
    lines = []
    for name in summary.techniques:
        parts = [f"{summary.outlet_voice.get(name, 0)} in the outlet's voice"]
        parts += [f"{n} in quotes of {speaker}" for speaker, n in summary.quoted.get(name, {}).items()]
        lines.append(f"{name}: " + ", ".join(parts))
    return lines


def print_summary(analysis: Analysis, console: Console | None = None) -> None:
    (console or Console()).print(summary(analysis))
