"""`sourcetrace evaluate attribution --gold DIR`: source, cue and content spans against PolNeAR-format gold.

Gold format (PolNeAR v1.0, brat standoff): `DIR/text/NAME.txt` and `DIR/attributions/NAME_ANNOTATOR.ann`,
`T` lines with `Source`, `Cue`, `Content` spans (discontinuous ones as `start end;start end`) joined by
`E` `Attribution` events. An article annotated by several annotators is scored against each annotation file
separately (each file counts once; the article is analysed once).

Metric, micro-averaged over all annotation files:
- exact, per role: a span is the extent from its first fragment's start to its last fragment's end, with
  whitespace and punctuation trimmed from both edges; a predicted span counts when the gold file has the same
  span for that role (each distinct span once per file). Precision, recall, F1.
- token, per role: the words (`\\w+` runs) covered by the role's fragments; precision and recall over words.
- relation: an attribution counts when its source (or its absence), cue and content all match exactly.
- calibration of the attributions' scores (the stacked cue probability): an attribution is true for a file when
  its cue overlaps a cue of that file; Brier score, ECE and reliability table (`calibration.py`).
Author-voice items (source_kind "author") are not attributions in PolNeAR's sense and are left out.

A second gold form, for development sets whose texts may not be redistributed (`read_json_gold`): a folder of
JSON files, one per document, `{"id", "language", "origin": {"dataset": "semeval23-ru" | "unlp2025",
"path_or_id"}, "text_sha256", "attributions": [{"source", "cue", "content", "channel": [start, end] | null,
"speaker", "kind"}]}`. The texts are read from the public data (`--texts-root`): `semeval23/ru/articles/PATH`
or the UNLP 2025 span-detection parquet row with that id, and their SHA-256 must match. Items of kind
"author" are left out as above.
"""

# The functions that run a model import it when called: `sourcetrace --help` imports this module.
from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sourcetrace._ml.text import trim
from sourcetrace.datasets.polnear import ROLES, AnnotatedArticle, GoldAttribution
from sourcetrace.errors import InputError
from sourcetrace.evaluate.calibration import calibration_report, format_report

_WORD = re.compile(r"\w+")
Extent = tuple[int, int]


@dataclass
class Counts:
    true_positive: float = 0
    predicted: float = 0
    gold: float = 0

    def add(self, true_positive: float, predicted: float, gold: float) -> None:
        self.true_positive += true_positive
        self.predicted += predicted
        self.gold += gold

    def prf(self) -> dict[str, float]:
        precision = self.true_positive / self.predicted if self.predicted else 0.0
        recall = self.true_positive / self.gold if self.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


@dataclass
class Scores:
    exact: dict[str, Counts] = field(default_factory=lambda: {role: Counts() for role in ROLES})
    token: dict[str, Counts] = field(default_factory=lambda: {role: Counts() for role in ROLES})
    relation: Counts = field(default_factory=Counts)
    files: int = 0
    scores: list[float] = field(default_factory=list)  # model-scored attributions, once per annotation file
    cue_found: list[bool] = field(default_factory=list)  # ... and whether their cue overlaps a gold cue

    def to_dict(self) -> dict[str, Any]:
        result = {
            "files": self.files,
            "exact": {role: self.exact[role].prf() for role in ROLES},
            "token": {role: self.token[role].prf() for role in ROLES},
            "relation": self.relation.prf(),
        }
        if self.scores:
            result["calibration"] = calibration_report(self.scores, self.cue_found)
        return result


def extent(text: str, fragments: Sequence[tuple[int, int]]) -> Extent | None:
    if not fragments:
        return None
    start, end = trim(text, fragments[0][0], fragments[-1][1])
    return (start, end) if end > start else None


def _words(text: str, fragments: Iterable[tuple[int, int]]) -> set[int]:
    covered: set[int] = set()
    for start, end in fragments:
        covered.update(match.start() + start for match in _WORD.finditer(text[start:end]))
    return covered


def predicted_roles(analysis: Any) -> list[GoldAttribution]:
    """The analysis's attributions in the gold's shape (author-voice items left out)."""
    return [_roles(attribution) for attribution in analysis.attributions if attribution.source_kind != "author"]


def predicted_scores(analysis: Any) -> list[float | None]:
    """The model score of each attribution `predicted_roles` returns (None where a rule made it)."""
    return [attribution.score for attribution in analysis.attributions if attribution.source_kind != "author"]


def _roles(attribution: Any) -> GoldAttribution:
    item = GoldAttribution()
    for role in ROLES:
        span = getattr(attribution, role)
        if span is not None:
            item.role(role).extend(span.fragments or [(span.start, span.end)])
    return item


def score_file(scores: Scores, text: str, gold: list[GoldAttribution], predicted: list[GoldAttribution],
               predicted_score: Sequence[float | None] = ()) -> None:
    scores.files += 1
    gold_cues = [f for g in gold for f in g.cue]
    for item, score in zip(predicted, predicted_score):
        if score is not None and item.cue:
            scores.scores.append(score)
            scores.cue_found.append(any(start < g_end and g_start < end
                                        for start, end in item.cue for g_start, g_end in gold_cues))
    for role in ROLES:
        gold_spans = {extent(text, g.role(role)) for g in gold} - {None}
        predicted_spans = {extent(text, p.role(role)) for p in predicted} - {None}
        scores.exact[role].add(len(gold_spans & predicted_spans), len(predicted_spans), len(gold_spans))
        gold_words = _words(text, [f for g in gold for f in g.role(role)])
        predicted_words = _words(text, [f for p in predicted for f in p.role(role)])
        scores.token[role].add(len(gold_words & predicted_words), len(predicted_words), len(gold_words))

    def triple(item: GoldAttribution) -> tuple[Extent | None, ...]:
        return tuple(extent(text, item.role(role)) for role in ROLES)

    gold_triples = {triple(g) for g in gold if g.content}
    predicted_triples = {triple(p) for p in predicted if p.content}
    scores.relation.add(len(gold_triples & predicted_triples), len(predicted_triples), len(gold_triples))


UNLP_PARQUET = Path("unlp2025/span_detection/train.parquet")
SEMEVAL_RU_ARTICLES = Path("semeval23/ru/articles")


def read_json_gold(folder: Path, texts_root: Path) -> tuple[list[AnnotatedArticle], dict[str, str]]:
    """The JSON-form development set in `folder` (one file per document) with its texts from `texts_root`, and
    each document's language. A text whose SHA-256 differs from the file's is refused, naming the file."""
    paths = sorted(folder.glob("*.json"))
    unlp_rows: dict[str, str] | None = None
    articles: list[AnnotatedArticle] = []
    languages: dict[str, str] = {}
    for path in paths:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            origin = record["origin"]
            dataset, reference = origin["dataset"], str(origin["path_or_id"])
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(str(path), f"not a development-set record ({type(error).__name__}: {error})") from None
        if dataset == "unlp2025":
            if unlp_rows is None:
                unlp_rows = _unlp_texts(texts_root / UNLP_PARQUET)
            if reference not in unlp_rows:
                raise InputError(str(path), f"no UNLP 2025 row with id {reference!r} in {texts_root / UNLP_PARQUET}")
            text = unlp_rows[reference]
        elif dataset == "semeval23-ru":
            source = texts_root / SEMEVAL_RU_ARTICLES / Path(reference).name
            if not source.exists():
                raise InputError(str(path), f"{source} does not exist (--texts-root {texts_root})")
            text = source.read_text(encoding="utf-8")
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != record.get("text_sha256"):
                text = source.read_bytes().decode("utf-8")  # the text as stored, line ends untranslated
        else:
            raise InputError(str(path), f"unknown dataset {dataset!r} (semeval23-ru or unlp2025)")
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != record.get("text_sha256"):
            raise InputError(str(path), f"the text of {dataset} {reference!r} does not have the recorded SHA-256: "
                             "the annotation's offsets would not fit it")
        gold = []
        for item in record.get("attributions", []):
            if item.get("kind") == "author":
                continue
            gold.append(GoldAttribution(**{role: [tuple(item[role])] if item.get(role) else [] for role in ROLES}))
        name = str(record.get("id") or path.stem)
        articles.append(AnnotatedArticle(name=name, annotator=path.stem, text=text, attributions=gold, ann_path=path))
        languages[name] = record.get("language") or ""
    return articles, languages


def _unlp_texts(parquet: Path) -> dict[str, str]:
    import pyarrow.parquet as pq

    if not parquet.exists():
        raise InputError(str(parquet), "the UNLP 2025 span-detection parquet is not there (--texts-root)")
    table = pq.read_table(parquet, columns=["id", "content"]).to_pydict()
    return dict(zip(table["id"], table["content"]))


def evaluate(
    articles: list[AnnotatedArticle], config: dict[str, Any] | None = None, batch_size: int = 8,
    languages: dict[str, str] | None = None,
) -> tuple[Scores, float]:
    """Analyse each distinct text once (backbone + attribution) and score it against every annotation file.
    `languages`: the language of each text by name (None or absent: detected)."""
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import Pipeline

    pipeline = Pipeline(("backbone", "attribution"), config or {})
    texts = {article.name: article.text for article in articles}
    predictions: dict[str, list[GoldAttribution]] = {}
    scored: dict[str, list[float | None]] = {}
    started = time.perf_counter()
    names = list(texts)
    for first in range(0, len(names), batch_size):
        chunk = names[first : first + batch_size]
        records = [make_article(texts[name], id=name, language=(languages or {}).get(name) or None)
                   for name in chunk]
        for name, analysis in zip(chunk, pipeline.analyze_batch(records)):
            predictions[name] = predicted_roles(analysis)
            scored[name] = predicted_scores(analysis)
    elapsed = time.perf_counter() - started
    scores = Scores()
    for article in articles:
        score_file(scores, article.text, article.attributions, predictions[article.name], scored[article.name])
    return scores, elapsed


def format_table(scores: Scores) -> str:
    data = scores.to_dict()
    lines = [f"annotation files: {data['files']}", f"{'role':<9}{'match':<7}{'P':>8}{'R':>8}{'F1':>8}"]
    for kind in ("exact", "token"):
        for role in ROLES:
            values = data[kind][role]
            lines.append(f"{role:<9}{kind:<7}{values['precision']:>8.3f}{values['recall']:>8.3f}{values['f1']:>8.3f}")
    values = data["relation"]
    lines.append(f"{'relation':<9}{'exact':<7}{values['precision']:>8.3f}{values['recall']:>8.3f}{values['f1']:>8.3f}")
    if "calibration" in data:
        lines += format_report(data["calibration"], "model attributions (true: the cue overlaps a gold cue)", "")
    return "\n".join(lines)
