"""`sourcetrace evaluate stance --stances FILE --bodies FILE`: FNC-1 stance detection (agree, disagree, discuss,
unrelated) of a claim against an article body.

Metrics: the FNC-1 weighted score (0.25 for telling related from unrelated, 0.75 more for the exact label of a
related pair; printed raw and as a share of the gold labels' own score), the F1 of each class and their mean
(macro-F1, the measure that does not reward predicting the 73% `unrelated` majority).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from sourcetrace.datasets.fnc1 import STANCES

RELATED = frozenset({"agree", "disagree", "discuss"})


def fnc1_score(gold: list[str], predicted: list[str]) -> float:
    """The FNC-1 weighted score: +0.25 when related/unrelated is right, +0.75 more when a related label is exact."""
    score = 0.0
    for truth, guess in zip(gold, predicted, strict=True):
        if (truth in RELATED) == (guess in RELATED):
            score += 0.25
        if truth == guess and truth in RELATED:
            score += 0.75
    return score


def per_class_f1(gold: list[str], predicted: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each of the four stances (0.0 where undefined)."""
    result = {}
    for label in STANCES:
        true_positive = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        predicted_count = sum(1 for p in predicted if p == label)
        support = sum(1 for g in gold if g == label)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return result


@dataclass
class StanceScores:
    pairs: int
    weighted_score: float
    max_weighted_score: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    pairs_per_second: float | None = None

    @property
    def relative_score(self) -> float:
        return self.weighted_score / self.max_weighted_score if self.max_weighted_score else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "weighted_score": round(self.weighted_score, 2),
            "max_weighted_score": round(self.max_weighted_score, 2),
            "relative_score": round(self.relative_score, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {label: {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}
                          for label, scores in self.per_class.items()},
            "confusion": self.confusion,
            "pairs_per_second": None if self.pairs_per_second is None else round(self.pairs_per_second, 1),
        }

    def lines(self) -> list[str]:
        out = [
            f"pairs: {self.pairs}",
            f"FNC-1 weighted score: {self.weighted_score:.2f} of {self.max_weighted_score:.2f} "
            f"({100 * self.relative_score:.2f}%)",
            f"macro-F1: {self.macro_f1:.4f}",
        ]
        for label, scores in self.per_class.items():
            out.append(f"  {label:<10} P={scores['precision']:.4f}  R={scores['recall']:.4f}  "
                       f"F1={scores['f1']:.4f}  (gold {scores['support']})")
        out.append("confusion (rows gold, columns predicted): " + " ".join(f"{label[:4]:>6}" for label in STANCES))
        for label in STANCES:
            row = self.confusion.get(label, {})
            out.append(f"  {label:<10}" + " " * 32 + " ".join(f"{row.get(p, 0):>6}" for p in STANCES))
        if self.pairs_per_second is not None:
            out.append(f"speed: {self.pairs_per_second:.0f} pairs/s")
        return out


def score_stances(gold: list[str], predicted: list[str], pairs_per_second: float | None = None) -> StanceScores:
    classes = per_class_f1(gold, predicted)
    confusion = {g: {p: 0 for p in STANCES} for g in STANCES}
    for truth, guess in zip(gold, predicted, strict=True):
        confusion[truth][guess] += 1
    return StanceScores(
        pairs=len(gold), weighted_score=fnc1_score(gold, predicted), max_weighted_score=fnc1_score(gold, gold),
        macro_f1=sum(scores["f1"] for scores in classes.values()) / len(classes), per_class=classes,
        confusion=confusion, pairs_per_second=pairs_per_second,
    )


def run_stance_evaluation(stances: Path, bodies: Path, validation_only: bool = False,
                          model: Any = None) -> StanceScores:
    """Score `model` (default: the packaged stance model) on an FNC-1 pair of files.

    `validation_only` keeps the pairs whose body is in the packaged model's validation part (the bodies it was
    not trained on; meaningful on the FNC-1 train files, from which that part was split)."""
    from sourcetrace.datasets.fnc1 import check_bodies_present, read_bodies, read_stances
    from sourcetrace.errors import InputError

    pairs = read_stances(stances)
    texts = read_bodies(bodies)
    unlabelled = sum(1 for pair in pairs if pair.stance is None)
    if unlabelled:
        raise InputError(str(stances), "no Stance column: scoring needs the gold labels")
    if model is None:
        from sourcetrace.stages.factchecks.stance import load_stance_model

        model = load_stance_model()
    if validation_only:
        held_out = set(model.validation_body_ids)
        pairs = [pair for pair in pairs if pair.body_id in held_out]
        if not pairs:
            raise InputError(str(stances), "no pair has a body of the model's validation part")
    check_bodies_present(pairs, texts, str(bodies))
    started = time.perf_counter()
    predicted = model.predict_labels([pair.headline for pair in pairs], [texts[pair.body_id] for pair in pairs])
    seconds = time.perf_counter() - started
    return score_stances([pair.stance for pair in pairs], predicted, len(pairs) / max(seconds, 1e-9))


def register(evaluate_app: typer.Typer) -> None:
    @evaluate_app.command("stance")
    def evaluate_stance(
        stances: Path = typer.Option(..., "--stances", help="FNC-1 stances CSV (Headline, Body ID, Stance)"),
        bodies: Path = typer.Option(..., "--bodies", help="FNC-1 bodies CSV (Body ID, articleBody)"),
        validation_only: bool = typer.Option(False, "--validation-only", help="only the pairs whose body is in "
                                             "the packaged model's validation part (on the FNC-1 train files)"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object instead of lines"),
    ) -> None:
        """FNC-1 weighted score, macro-F1 and per-class F1 of the stance model on an FNC-1 pair of files."""
        from sourcetrace.errors import SourcetraceError

        try:
            scores = run_stance_evaluation(stances, bodies, validation_only=validation_only)
        except SourcetraceError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(scores.to_dict(), indent=2))
        else:
            typer.echo("\n".join(scores.lines()))
