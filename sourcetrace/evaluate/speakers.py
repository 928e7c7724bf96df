"""`sourcetrace evaluate speakers --gold FILE --texts DIR`: who said it, per kind of source mention.

Gold (JSON lines, one per gold `Source` span of an article): `article` (the text is `DIR/ARTICLE.txt`), `start`,
`end` (character offsets, end exclusive), `kind` (named, pronoun, description, anonymous, author, other),
`speaker` (the article's fullest name of who speaks, several joined by "; ", or null).

Metric, per kind: the share of gold sources that the system found (an attribution whose source span overlaps the
gold one; of several, the one overlapping most) and resolved to the same speaker: the last word of a gold name,
case-folded, is among the words of the system's speaker name (for several gold names, any of them); where the gold
names nobody (anonymous sources, unresolvable ones), the system must name nobody; where it names the author, the
system's speaker must be resolved to the author. `found` is the share found at
all, whatever the speaker.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from sourcetrace.errors import InputError

AUTHOR = "author"
KINDS = ("named", "pronoun", "description", "anonymous", "author", "other")
_WORD = re.compile(r"[\w'’-]+")
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}  # "Joseph R. Biden Jr.": the last word of the name is "Biden"


@dataclass(frozen=True)
class GoldSource:
    article: str
    start: int
    end: int
    kind: str
    speaker: str | None
    text: str = ""


@dataclass
class SpeakerScores:
    total: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    resolved: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        kinds = [kind for kind in KINDS if self.total[kind]] + sorted(set(self.total) - set(KINDS))
        result: dict[str, Any] = {}
        for kind in kinds:
            result[kind] = _shares(self.total[kind], self.found[kind], self.resolved[kind])
        everything = sum(self.total.values())
        if everything:
            result["all"] = _shares(everything, sum(self.found.values()), sum(self.resolved.values()))
        return result

    def lines(self) -> list[str]:
        lines = [f"{'kind':<13}{'gold':>6}{'found':>8}{'resolved':>10}{'right when found':>18}"]
        for kind, values in self.to_dict().items():
            right = values["right_when_found"]
            lines.append(f"{kind:<13}{values['gold']:>6}{values['found']:>8.3f}{values['resolved']:>10.3f}"
                         f"{'-' if right is None else format(right, '.3f'):>18}")
        return lines


def _shares(total: int, found: int, resolved: int) -> dict[str, Any]:
    """`found` and `resolved` as shares of the gold sources; `right_when_found`, resolved among those found, is the
    resolver's own accuracy apart from the attribution layer's recall."""
    return {"gold": total, "found": round(found / total, 3), "resolved": round(resolved / total, 3),
            "right_when_found": round(resolved / found, 3) if found else None}


def read_gold(path: Path) -> list[GoldSource]:
    """The gold sources of a speakers JSON-lines file."""
    if not path.is_file():
        raise InputError(str(path), "no such speakers file")
    sources = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            sources.append(GoldSource(article=row["article"], start=int(row["start"]), end=int(row["end"]),
                                      kind=row["kind"], speaker=row.get("speaker"), text=row.get("text", "")))
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(str(path), f"not a speaker line ({error})", line=line_no) from None
    return sources


def same_speaker(gold: str | None, predicted: str | None, resolved_from: str | None = None) -> bool:
    """Whether the system's speaker name is the gold one: a gold name's last word (not a suffix such as "Jr."),
    case-folded, among the words of the predicted name; a gold null wants a null; the gold "author" (the writer or
    the outlet) wants a speaker resolved to the author."""
    if gold == AUTHOR:
        return resolved_from == AUTHOR
    if gold is None:
        return predicted is None
    if predicted is None:
        return False
    # apostrophes compared plain: "O’Connor" is "O'Connor"
    gold, predicted = gold.replace("’", "'"), predicted.replace("’", "'")
    words = {word.casefold().strip("'-") for word in _WORD.findall(predicted)}
    words |= {re.sub(r"'s$", "", word) for word in words}
    for name in gold.split(";"):
        last = [w for w in _WORD.findall(name) if w.casefold().rstrip(".") not in _SUFFIXES]
        if last and last[-1].casefold().strip("'-") in words:
            return True
    return False


def score(gold: list[GoldSource], attributions: dict[str, list[Any]], keep_errors: bool = False) -> SpeakerScores:
    """Score the gold sources against each article's attributions (objects with `source` and `speaker`)."""
    scores = SpeakerScores()
    for item in gold:
        scores.total[item.kind] += 1
        best, best_overlap = None, 0
        for attribution in attributions.get(item.article, []):
            source = attribution.source
            if source is None:
                continue
            overlap = min(source.end, item.end) - max(source.start, item.start)
            if overlap > best_overlap:
                best, best_overlap = attribution, overlap
        if best is None:
            if keep_errors:
                scores.errors.append({"article": item.article, "start": item.start, "kind": item.kind,
                                      "text": item.text, "gold": item.speaker, "predicted": None, "found": False})
            continue
        scores.found[item.kind] += 1
        name = best.speaker.name if best.speaker is not None else None
        resolved_from = getattr(best.speaker, "resolved_from", None)
        if same_speaker(item.speaker, name, resolved_from):
            scores.resolved[item.kind] += 1
        elif keep_errors:
            scores.errors.append({"article": item.article, "start": item.start, "kind": item.kind, "text": item.text,
                                  "gold": item.speaker, "predicted": name, "system_kind": best.source_kind,
                                  "found": True})
    return scores


def analyse_texts(texts: dict[str, str], config: dict[str, Any] | None = None,
                  batch_size: int = 8) -> dict[str, list[Any]]:
    """The attributions of each text (backbone and attribution stages)."""
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import Pipeline

    pipeline = Pipeline(("backbone", "attribution"), config or {"attribution": {"author_voice": False}})
    result: dict[str, list[Any]] = {}
    names = list(texts)
    for first in range(0, len(names), batch_size):
        chunk = names[first: first + batch_size]
        records = [make_article(texts[name], id=name) for name in chunk]
        for name, analysis in zip(chunk, pipeline.analyze_batch(records)):
            result[name] = list(analysis.attributions)
    return result


def run_speaker_evaluation(gold_path: Path, texts_dir: Path, keep_errors: bool = False) -> tuple[SpeakerScores, float]:
    gold = read_gold(gold_path)
    texts = {}
    for name in sorted({item.article for item in gold}):
        path = texts_dir / f"{name}.txt"
        if not path.is_file():
            raise InputError(str(path), "the text of a gold article is missing")
        texts[name] = path.read_text(encoding="utf-8")
    started = time.perf_counter()
    attributions = analyse_texts(texts)
    return score(gold, attributions, keep_errors=keep_errors), time.perf_counter() - started


def register(evaluate_app: typer.Typer) -> None:
    @evaluate_app.command("speakers")
    def evaluate_speakers(
        gold: Path = typer.Option(..., "--gold", help="speakers JSON lines (article, start, end, kind, speaker)"),
        texts: Path = typer.Option(..., "--texts", help="folder of the articles' texts (ARTICLE.txt)"),
        errors: Path | None = typer.Option(None, "--errors", help="write the misses as JSON lines to this file"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object instead of lines"),
    ) -> None:
        """Per kind of source mention, the share of gold sources found and resolved to the right speaker."""
        from sourcetrace.errors import SourcetraceError

        try:
            scores, elapsed = run_speaker_evaluation(gold, texts, keep_errors=errors is not None)
        except SourcetraceError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        if errors is not None:
            errors.write_text("".join(json.dumps(e) + "\n" for e in scores.errors), encoding="utf-8")
        if as_json:
            typer.echo(json.dumps({**scores.to_dict(), "seconds": round(elapsed, 1)}, indent=2))
        else:
            typer.echo("\n".join(scores.lines()))
            typer.echo(f"analysed in {elapsed:.1f}s")
