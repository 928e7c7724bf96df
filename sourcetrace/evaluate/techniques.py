"""`sourcetrace evaluate techniques`: persuasion-technique spans against PTC / SemEval gold labels.

Input: a folder of `article<ID>.txt` and labels `ID<TAB>technique<TAB>start<TAB>end` (one file, or a folder of
per-article `*.labels` files); technique names may be 2020 (PTC) or 2023 names.

Span identification (the official SemEval-2020 Task 11 SI formula, Da San Martino et al. 2020). In each
article, overlapping gold spans are merged first, whatever their technique, and so are overlapping predicted
spans. With S the predicted and T the gold spans of all articles, and C(s, t, h) = |s ∩ t| / h (characters):

    P = 1/|S| * sum_{s in S} sum_{t in T} C(s, t, |s|)
    R = 1/|T| * sum_{s in S} sum_{t in T} C(s, t, |t|)
    F1 = 2PR / (P + R)

so a prediction earns partial credit for the share of it that lies inside gold, and a gold span for the share
of it that is covered.

Technique classification over spans matched to gold. The predicted spans are all the stage emits (model spans
and rule spans; a rule-only 2023 technique such as Appeal_to_Time can never be right against PTC gold). In each
article, predicted spans (with their technique) and gold spans (unmerged, one per label) that overlap are
paired one-to-one, greedily by largest character overlap (ties: closer lengths first). Over the matched
pairs, a pair is correct when the predicted 2023 technique is one the gold label stands for (a merged PTC class
such as `Whataboutism,Straw_Men,Red_Herring` accepts any of its members):

    micro-F1 = correct pairs / matched pairs           (single-label: micro P = micro R = accuracy)
    per-technique F1: over matched pairs, TP = predicted X and correct, FP = predicted X and wrong,
                      FN = gold X (its first 2023 name when wrong) and predicted something else
    end-to-end micro P = correct / all predicted, R = correct / all gold labels

Calibration of the scores (model spans; rule spans carry fixed prior scores and are left out). A span's score
claims the probability that it is a propaganda span of its technique; the event checked is that the span
overlaps (by a character or more) a gold span whose label stands for its technique. Brier score, expected
calibration error over 10 equal-width bins and a reliability table (`sourcetrace/evaluate/calibration.py`).

`--gold-spans` adds the SemEval-2020 TC setting: the model names the technique of each gold span, and
micro-F1 = accuracy over all gold labels. `--baseline` scores the trivial system: every sentence (line) is one
span, labelled with the most frequent technique, Loaded_Language.
"""

# The functions that run a model import it when called: `sourcetrace --help` imports this module.
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from sourcetrace.evaluate.calibration import calibration_report, format_report

Spans = Mapping[str, Sequence[tuple[int, int]]]
Labelled = Mapping[str, Sequence[tuple[str, int, int]]]


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans of one article merged into one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def span_prf(predicted: Spans, gold: Spans) -> tuple[float, float, float]:
    """SemEval-2020 Task 11 span-identification precision, recall, F1 (see the module docstring)."""
    precision_sum = recall_sum = 0.0
    n_predicted = n_gold = 0
    for article_id in set(predicted) | set(gold):
        s_spans = merge_spans(predicted.get(article_id, []))
        t_spans = merge_spans(gold.get(article_id, []))
        n_predicted += len(s_spans)
        n_gold += len(t_spans)
        for s_start, s_end in s_spans:
            for t_start, t_end in t_spans:
                overlap = min(s_end, t_end) - max(s_start, t_start)
                if overlap > 0:
                    precision_sum += overlap / (s_end - s_start)
                    recall_sum += overlap / (t_end - t_start)
    precision = precision_sum / n_predicted if n_predicted else 0.0
    recall = recall_sum / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def labelled_span_prf(predicted: Labelled, gold: Labelled) -> tuple[float, float, float]:
    """Span precision, recall, F1 with the right technique: the SemEval-2020 partial-overlap formula where a
    predicted span earns credit only for gold spans of its own technique (spans merged within each technique of
    an article, as the SemEval-2021 Task 6 span scorer does). Gold names may be 2020 or 2023 names."""
    from sourcetrace.stages.techniques.stage import to_2023

    # the same formula over (article, technique) groups instead of articles
    found: dict[tuple[str, str], list[tuple[int, int]]] = {}
    wanted: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for article_id, spans in predicted.items():
        for technique, start, end in spans:
            found.setdefault((article_id, technique), []).append((start, end))
    for article_id, spans in gold.items():
        for label, start, end in spans:
            wanted.setdefault((article_id, to_2023(label)[0]), []).append((start, end))
    return span_prf(found, wanted)  # type: ignore[arg-type]


def shown_precision(predicted: Labelled, gold: Labelled) -> float:
    """Share of predicted spans that overlap a gold span of their technique (what a desk sees as right)."""
    from sourcetrace.stages.techniques.stage import to_2023

    shown = right = 0
    for article_id, items in predicted.items():
        gold_items = [(to_2023(label), start, end) for label, start, end in gold.get(article_id, [])]
        for technique, start, end in items:
            shown += 1
            right += overlaps_its_technique(technique, start, end, gold_items)
    return right / shown if shown else 0.0


def match_to_gold(predicted: Sequence[tuple[str, int, int]],
                  gold: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """(gold index, predicted index) pairs of one article: overlapping spans paired one-to-one, greedily by
    largest character overlap (ties: closer lengths first)."""
    pairs = []
    for g, (_, g_start, g_end) in enumerate(gold):
        for p, (_, p_start, p_end) in enumerate(predicted):
            overlap = min(g_end, p_end) - max(g_start, p_start)
            if overlap > 0:
                pairs.append((-overlap, abs((g_end - g_start) - (p_end - p_start)), g, p))
    used_gold: set[int] = set()
    used_predicted: set[int] = set()
    matched = []
    for _, _, g, p in sorted(pairs):
        if g not in used_gold and p not in used_predicted:
            used_gold.add(g)
            used_predicted.add(p)
            matched.append((g, p))
    return matched


def technique_scores(predicted: Labelled, gold: Labelled) -> dict[str, Any]:
    """Technique classification over predicted spans matched to gold (see the module docstring)."""
    from sourcetrace.stages.techniques.stage import to_2023

    matched = correct = 0
    per_tp: Counter = Counter()
    per_fp: Counter = Counter()
    per_fn: Counter = Counter()
    n_predicted = sum(len(v) for v in predicted.values())
    n_gold = sum(len(v) for v in gold.values())
    for article_id, gold_items in gold.items():
        predicted_items = predicted.get(article_id, [])
        for g, p in match_to_gold(predicted_items, gold_items):
            matched += 1
            allowed = to_2023(gold_items[g][0])
            name = predicted_items[p][0]
            if name in allowed:
                correct += 1
                per_tp[name] += 1
            else:
                per_fp[name] += 1
                per_fn[allowed[0]] += 1
    per_technique = {}
    for name in sorted(set(per_tp) | set(per_fp) | set(per_fn)):
        tp, fp, fn = per_tp[name], per_fp[name], per_fn[name]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        per_technique[name] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                               "support": tp + fn}
    e2e_p = correct / n_predicted if n_predicted else 0.0
    e2e_r = correct / n_gold if n_gold else 0.0
    return {
        "matched": matched, "correct": correct,
        "micro_f1": correct / matched if matched else 0.0,
        "end_to_end": {"precision": e2e_p, "recall": e2e_r,
                       "f1": 2 * e2e_p * e2e_r / (e2e_p + e2e_r) if e2e_p + e2e_r else 0.0},
        "per_technique": per_technique,
    }


def gold_span_accuracy(predicted_names: Labelled, gold: Labelled) -> float:
    """SemEval-2020 TC setting: share of gold labels whose span the model named correctly."""
    from sourcetrace.stages.techniques.stage import to_2023

    total = right = 0
    for article_id, gold_items in gold.items():
        for (name, _, _), (label, _, _) in zip(predicted_names.get(article_id, []), gold_items):
            total += 1
            right += name in to_2023(label)
    return right / total if total else 0.0


def sentence_baseline(articles: Mapping[str, str]) -> dict[str, list[tuple[str, int, int]]]:
    """Every sentence (non-blank line) is one Loaded_Language span."""
    from sourcetrace.stages.techniques.encoder import line_sentences

    return {i: [("Loaded_Language", s, e) for s, e in line_sentences(text)] for i, text in articles.items()}


def run_model(articles: Mapping[str, str], settings: dict[str, Any] | None = None,
              language: str = "en") -> dict[str, list[tuple[str, int, int, float, str]]]:
    """Technique spans from the real pipeline (backbone + techniques): (technique, start, end, score, source).
    `settings`: the techniques stage's (`model_dir`, `min_score`, ...), as in a config file."""
    from sourcetrace.analysis import ArticleInfo
    from sourcetrace.pipeline.run import load_pipeline

    pipeline = load_pipeline(["backbone", "techniques"], {"techniques": settings} if settings else None)
    found: dict[str, list[tuple[str, int, int, float, str]]] = {}
    for article_id, text in articles.items():
        analysis = pipeline.analyze(ArticleInfo(id=article_id, text=text, language=language))
        found[article_id] = [(t.technique, t.span.start, t.span.end, t.score, t.source)
                             for t in analysis.techniques]
    return found


def calibration(scored: Mapping[str, Sequence[tuple[str, int, int, float]]], gold: Labelled) -> dict[str, Any]:
    """Calibration of span scores (see the module docstring): the outcome of a span is whether it overlaps a gold
    span whose label stands for its technique."""
    from sourcetrace.stages.techniques.stage import to_2023

    scores, outcomes = [], []
    for article_id, items in scored.items():
        gold_items = [(to_2023(label), start, end) for label, start, end in gold.get(article_id, [])]
        for technique, start, end, score in items:
            scores.append(score)
            outcomes.append(overlaps_its_technique(technique, start, end, gold_items))
    return calibration_report(scores, outcomes)


def overlaps_its_technique(technique: str, start: int, end: int,
                           gold_items: Sequence[tuple[tuple[str, ...], int, int]]) -> bool:
    """The event a span's score claims: it overlaps a gold span whose label stands for its technique (gold items
    as (2023 names of the label, start, end))."""
    return any(technique in allowed and g_start < end and start < g_end for allowed, g_start, g_end in gold_items)


def evaluate(predicted: Labelled, gold: Labelled, texts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Span P/R/F1, the same with the right technique, technique scores over matched spans, the share of shown
    spans that overlap gold of their technique, and (given the texts) spans per 1,000 words."""
    p, r, f = span_prf(
        {i: [(s, e) for _, s, e in v] for i, v in predicted.items()},
        {i: [(s, e) for _, s, e in v] for i, v in gold.items()},
    )
    lp, lr, lf = labelled_span_prf(predicted, gold)
    result = {"span": {"precision": p, "recall": r, "f1": f},
              "labelled_span": {"precision": lp, "recall": lr, "f1": lf},
              "shown_precision": shown_precision(predicted, gold),
              "technique": technique_scores(predicted, gold)}
    if texts is not None:
        words = sum(len(text.split()) for text in texts.values())
        result["spans_per_1000_words"] = 1000 * sum(len(v) for v in predicted.values()) / max(words, 1)
    return result


def _print(name: str, result: dict[str, Any], per_technique: bool) -> None:
    span, tech = result["span"], result["technique"]
    typer.echo(f"{name}")
    typer.echo(f"  span identification (SemEval-2020 SI): P {span['precision']:.4f}  R {span['recall']:.4f}  "
               f"F1 {span['f1']:.4f}")
    if "labelled_span" in result:
        labelled = result["labelled_span"]
        typer.echo(f"  span F1 with the right technique: P {labelled['precision']:.4f}  R {labelled['recall']:.4f}  "
                   f"F1 {labelled['f1']:.4f}")
        typer.echo(f"  shown spans that overlap gold of their technique: {result['shown_precision']:.4f}"
                   + (f"  ({result['spans_per_1000_words']:.1f} spans per 1,000 words)"
                      if "spans_per_1000_words" in result else ""))
    typer.echo(f"  technique micro-F1 over {tech['matched']} spans matched to gold: {tech['micro_f1']:.4f}")
    e2e = tech["end_to_end"]
    typer.echo(f"  technique end-to-end: P {e2e['precision']:.4f}  R {e2e['recall']:.4f}  F1 {e2e['f1']:.4f}")
    if "calibration" in result:
        for line in format_report(result["calibration"], "model spans (true: overlaps gold of its technique)"):
            typer.echo(line)
    if "gold_span_micro_f1" in result:
        typer.echo(f"  technique micro-F1 on gold spans (SemEval-2020 TC): {result['gold_span_micro_f1']:.4f}")
    if per_technique:
        for technique, row in sorted(tech["per_technique"].items(), key=lambda kv: -kv[1]["support"]):
            typer.echo(f"    {technique:36s} F1 {row['f1']:.3f}  (P {row['precision']:.3f} R {row['recall']:.3f}, "
                       f"gold {row['support']})")




def name_gold_spans(texts: Mapping[str, str], gold: Labelled,
                     model_dir: str | None = None) -> dict[str, list[tuple[str, int, int]]]:
    from sourcetrace.stages.techniques.encoder import line_sentences
    from sourcetrace.stages.techniques.stage import TechniqueModel

    model = TechniqueModel(Path(model_dir)) if model_dir else TechniqueModel()
    named = {}
    for article_id, text in texts.items():
        spans = [(s, e) for _, s, e in gold.get(article_id, [])]
        names = model.classify_gold(text, line_sentences(text), spans) if spans else []
        named[article_id] = [(n, s, e) for n, (s, e) in zip(names, spans)]
    return named
