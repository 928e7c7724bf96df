"""Train the Russian techniques model (`stages/techniques/russian.py`) on a SemEval-2023 folder, choosing everything by
5-fold cross-validation by article, and write the model and its cross-validation report.

    nice -n 10 python -m training.techniques.russian --data ../shared/data/semeval23/ru \
        --out sourcetrace/data/models/techniques_ru --report docs/results/techniques/cv_ru.json

Steps: (1) the token tagger's C, the run threshold, seed and gap: best out-of-fold span F1; (2) the technique
classifier's C: best out-of-fold accuracy on the gold spans (classes: techniques with at least MIN_SPANS spans);
(3) the score calibration, fitted on the other folds' spans for each fold; (4) the cuts: `recall_min_score` the
best span F1, `min_score` the lowest cut at which PRECISION_TARGET of the shown spans overlap a gold span of
their technique (or, when no cut reaches it, the cut with the highest share among those keeping at least one
span per article on average). The shipped parts are then fitted on all articles.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from sourcetrace.datasets.semeval23 import read_semeval23
from sourcetrace.evaluate.calibration import calibration_report
from sourcetrace.evaluate.techniques import overlaps_its_technique, sentence_baseline, shown_precision, span_prf
from sourcetrace.stages.techniques.russian import score_inputs, span_rows, token_rows
from sourcetrace.stages.techniques.stage import merge_same_technique
from sourcetrace.stages.techniques.unlp import decode, tokens
from training.techniques.train import FOLDS, _fold_scores, _mean_spread, fold_ids

MIN_SPANS = 30
PRECISION_TARGET = 0.6
TOKEN_C = (0.1, 0.3, 1.0)
CLASS_C = (1.0, 3.0, 10.0)
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
SEED_LEADS = (0.0, 0.1)
GAPS = (0, 1, 2)
MIN_CHARS = 3
CUTS = tuple(round(0.01 * k, 2) for k in range(96))


def token_targets(text: str, spans: list[tuple[int, int]], gold: list[tuple[str, int, int]]) -> np.ndarray:
    """1 for a token at least half inside a gold span."""
    covered = np.zeros(len(text) + 1, dtype=np.int32)
    for _, start, end in gold:
        covered[start:end] = 1
    cumulative = np.concatenate([[0], np.cumsum(covered)])
    return np.array([(cumulative[e] - cumulative[s]) * 2 >= (e - s) for s, e in spans], dtype=np.int32)


def fit_lr(x: Any, y: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000).fit(x, y)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a SemEval-2023 folder (articles/, spans/)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=13, help="seed of the cross-validation folds")
    parser.add_argument("--version", default="semeval23-ru-1")
    parser.add_argument("--token-c", type=float, nargs="+", default=list(TOKEN_C),
                        help="the token tagger's C values tried")
    args = parser.parse_args(argv)
    started = time.time()
    texts, gold = read_semeval23(args.data)
    ids = sorted(texts)
    folds = fold_ids(ids, args.seed)
    fold_of = {i: k for k, fold in enumerate(folds) for i in fold}
    token_spans = {i: tokens(texts[i]) for i in ids}
    rows = {i: token_rows(texts[i], token_spans[i]) for i in ids}
    targets = {i: token_targets(texts[i], token_spans[i], gold[i]) for i in ids}
    gold_spans = {i: [(s, e) for _, s, e in gold[i]] for i in ids}
    print(f"{len(ids)} articles, {sum(map(len, gold.values()))} spans, features in {time.time() - started:.0f}s",
          flush=True)

    # (1) token tagger C and decoding
    best: tuple = (-1.0,)
    oof_by_c = {}
    for c in args.token_c:
        oof = {}
        for k, fold in enumerate(folds):
            train = [i for i in ids if fold_of[i] != k]
            model = fit_lr(scipy.sparse.vstack([rows[i] for i in train]),
                           np.concatenate([targets[i] for i in train]), c)
            oof.update({i: model.predict_proba(rows[i])[:, 1] for i in fold})
        oof_by_c[c] = oof
        for threshold in THRESHOLDS:
            for lead in SEED_LEADS:
                for gap in GAPS:
                    found = {i: [(s, e) for s, e, _ in decode(texts[i], token_spans[i], oof[i], threshold,
                                                               threshold + lead, gap) if e - s >= MIN_CHARS]
                             for i in ids}
                    f1 = span_prf(found, gold_spans)[2]
                    if f1 > best[0]:
                        best = (f1, c, threshold, threshold + lead, gap)
        print(f"token C={c}: best span F1 so far {best[0]:.4f} ({time.time() - started:.0f}s)", flush=True)
    _, token_c, threshold, seed, gap = best
    oof = oof_by_c[token_c]
    print(f"tagger: C={token_c} threshold {threshold} seed {seed} gap {gap}: out-of-fold span F1 {best[0]:.4f}")

    # (2) technique classifier
    counts = Counter(t for i in ids for t, _, _ in gold[i])
    classes = sorted(t for t, n in counts.items() if n >= MIN_SPANS)
    gold_rows = {i: span_rows(texts[i], [(s, e) for t, s, e in gold[i] if t in classes]) for i in ids}
    gold_targets = {i: np.array([classes.index(t) for t, _, _ in gold[i] if t in classes]) for i in ids}

    def fit_classifier(train: list[str], c: float) -> LogisticRegression:
        train = [i for i in train if len(gold_targets[i])]
        return fit_lr(scipy.sparse.vstack([gold_rows[i] for i in train]),
                      np.concatenate([gold_targets[i] for i in train]), c)

    best_c, best_accuracy, fold_classifiers = CLASS_C[0], -1.0, []
    for c in CLASS_C:
        classifiers = [fit_classifier([i for i in ids if fold_of[i] != k], c) for k in range(FOLDS)]
        right = total = 0
        for i in ids:
            if len(gold_targets[i]):
                right += int((classifiers[fold_of[i]].predict(gold_rows[i]) == gold_targets[i]).sum())
                total += len(gold_targets[i])
        print(f"classifier C={c}: out-of-fold accuracy on gold spans {right / total:.4f}", flush=True)
        if right / total > best_accuracy:
            best_c, best_accuracy, fold_classifiers = c, right / total, classifiers

    # (3) out-of-fold spans, named, with score inputs; calibration fitted on the other folds
    spans, x, y, span_fold = [], [], [], []
    for i in ids:
        found = [(s, e, m) for s, e, m in decode(texts[i], token_spans[i], oof[i], threshold, seed, gap)
                 if e - s >= MIN_CHARS]
        if not found:
            continue
        classifier = fold_classifiers[fold_of[i]]
        probabilities = np.zeros((len(found), len(classes)))
        probabilities[:, classifier.classes_] = classifier.predict_proba(
            span_rows(texts[i], [(s, e) for s, e, _ in found]))
        starts = np.array([s for s, _ in token_spans[i]])
        gold_items = [((t,), s, e) for t, s, e in gold[i]]
        for (start, end, mean_p), row in zip(found, probabilities):
            inside = oof[i][(starts >= start) & (starts < end)]
            name = classes[int(row.argmax())]
            spans.append((i, start, end, name))
            x.append(score_inputs(mean_p, float(inside.max()) if len(inside) else mean_p, row, end - start))
            y.append(overlaps_its_technique(name, start, end, gold_items))
            span_fold.append(fold_of[i])
    x_array, y_array, fold_array = np.array(x), np.array(y, dtype=int), np.array(span_fold)
    scores = np.zeros(len(y_array))
    for k in range(FOLDS):
        calibration = LogisticRegression(C=1.0, max_iter=2000).fit(x_array[fold_array != k], y_array[fold_array != k])
        scores[fold_array == k] = calibration.predict_proba(x_array[fold_array == k])[:, 1]

    def kept_at(cut: float, wanted: list[str]) -> dict[str, list[tuple[str, int, int]]]:
        chosen = set(wanted)
        above: dict[str, list[tuple[str, int, int, float]]] = {i: [] for i in wanted}
        for (i, start, end, name), score in zip(spans, scores):
            if i in chosen and score >= cut:
                above[i].append((name, start, end, float(score)))
        return {i: [(n, s, e) for n, s, e, _ in merge_same_technique(texts[i], found)] for i, found in above.items()}

    # (4) cuts
    by_cut = {}
    for cut in CUTS:
        kept = kept_at(cut, ids)
        shown = sum(map(len, kept.values()))
        by_cut[cut] = (span_prf({i: [(s, e) for _, s, e in v] for i, v in kept.items()}, gold_spans)[2],
                       shown_precision(kept, gold), shown)
    recall_cut = max(CUTS, key=lambda cut: by_cut[cut][0])
    reaching = [cut for cut in CUTS if by_cut[cut][1] >= PRECISION_TARGET and by_cut[cut][2] >= len(ids)]
    precision_cut = reaching[0] if reaching else max(
        (cut for cut in CUTS if by_cut[cut][2] >= len(ids)), key=lambda cut: by_cut[cut][1])
    print(f"cuts: recall {recall_cut} {by_cut[recall_cut]}, precision {precision_cut} {by_cut[precision_cut]}")

    report: dict[str, Any] = {"version": args.version, "data": str(args.data), "folds": FOLDS, "fold_seed": args.seed,
                              "articles": len(ids), "classes": classes,
                              "not_emitted": sorted(t for t in counts if t not in classes),
                              "precision_target": PRECISION_TARGET,
                              "precision_target_reached": bool(reaching), "operating_points": {}}
    for name, cut in (("precision", precision_cut), ("recall", recall_cut)):
        fold_rows = [_fold_scores({i: texts[i] for i in fold}, kept_at(cut, fold), {i: gold[i] for i in fold})
                     for fold in folds]
        report["operating_points"][name] = {"min_score": cut, "per_fold": fold_rows,
                                            "across_folds": _mean_spread(fold_rows)}
        spread = report["operating_points"][name]["across_folds"]
        print(f"{name} (min_score {cut}): span F1 {spread['span_f1']['mean']:.4f} ± {spread['span_f1']['sd']:.4f}, "
              f"right technique {spread['labelled_span_f1']['mean']:.4f} ± {spread['labelled_span_f1']['sd']:.4f}, "
              f"shown precision {spread['shown_precision']['mean']:.4f}", flush=True)
    baseline_rows = [_fold_scores({i: texts[i] for i in fold}, sentence_baseline({i: texts[i] for i in fold}),
                                  {i: gold[i] for i in fold}) for fold in folds]
    report["baseline_every_line"] = {"per_fold": baseline_rows, "across_folds": _mean_spread(baseline_rows)}
    report["calibration"] = calibration_report([float(s) for s in scores], [bool(v) for v in y_array])
    spread = report["baseline_every_line"]["across_folds"]
    print(f"every-line baseline: span F1 {spread['span_f1']['mean']:.4f} ± {spread['span_f1']['sd']:.4f}, right "
          f"technique {spread['labelled_span_f1']['mean']:.4f} ± {spread['labelled_span_f1']['sd']:.4f}", flush=True)

    # shipped parts, fitted on all articles
    tagger = fit_lr(scipy.sparse.vstack([rows[i] for i in ids]), np.concatenate([targets[i] for i in ids]), token_c)
    classifier = fit_classifier(ids, best_c)
    calibration = LogisticRegression(C=1.0, max_iter=2000).fit(x_array, y_array)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "weights.npz",
                        token_coef=tagger.coef_[0].astype(np.float16),
                        token_intercept=tagger.intercept_.astype(np.float32),
                        class_coef=classifier.coef_.astype(np.float16),
                        class_intercept=classifier.intercept_.astype(np.float32))
    meta = {"version": args.version, "language": "ru", "classes": classes, "threshold": threshold, "seed": seed,
            "gap": gap, "min_chars": MIN_CHARS, "token_c": token_c, "classifier_c": best_c,
            "min_score": precision_cut, "recall_min_score": recall_cut,
            "score_calibration": {"coef": [round(float(c), 6) for c in calibration.coef_[0]],
                                  "intercept": round(float(calibration.intercept_[0]), 6)},
            "not_emitted": report["not_emitted"], "training_seconds": round(time.time() - started)}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"saved {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
