"""A terminal summary for a person: who is quoted, through which outlets, what is unattributed, findings."""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sourcetrace.model import Analysis


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
    parts: list = [Panel(head, title=f"sourcetrace · {article.id}", expand=False)]

    if analysis.attributions:
        table = Table(title="Who is quoted", show_lines=False, expand=True)
        table.add_column("source", style="cyan", ratio=2)
        table.add_column("kind", ratio=1)
        table.add_column("through", style="magenta", ratio=1)
        table.add_column("says", ratio=5)
        for attribution in analysis.attributions:
            if attribution.source_kind == "author":
                continue
            who = attribution.speaker.name if attribution.speaker else (
                attribution.source.text if attribution.source else "—")
            if attribution.speaker and attribution.speaker.role:
                who += f" ({attribution.speaker.role})"
            table.add_row(
                _short(who, 60),
                attribution.source_kind.replace("_", " "),
                attribution.channel.text if attribution.channel else "",
                _short(attribution.content.text),
            )
        parts.append(table)

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
        table = Table(title="Findings", expand=True)
        table.add_column("kind", style="red", ratio=1)
        table.add_column("finding", ratio=4)
        table.add_column("evidence in the text", ratio=3)
        ranked = sorted(analysis.findings, key=lambda f: (f.kind != "contradiction", -(f.score or 0)))
        for finding in ranked[:10]:
            table.add_row(finding.kind.replace("_", " "), _short(finding.message, 160), _short(finding.span.text, 80))
        parts.append(table)
    if analysis.techniques:
        counts = Counter(t.technique for t in analysis.techniques)
        parts.append(Text("Techniques: " + ", ".join(f"{name} ×{n}" for name, n in counts.most_common())))
    if analysis.framing:
        counts = Counter(m.marker for m in analysis.framing)
        parts.append(Text("Framing markers: " + ", ".join(f"{name} ×{n}" for name, n in counts.most_common())))
    return Group(*parts)


def print_summary(analysis: Analysis, console: Console | None = None) -> None:
    (console or Console()).print(summary(analysis))
