"""Train the uk/ru technique model from UNLP-2025 (CPU, scikit-learn, no torch).

    python -m training.techniques.unlp --data ../shared/data/unlp2025 \
        --out sourcetrace/data/models/techniques_unlp

Posts listed in `sourcetrace/datasets/splits/unlp2025_heldout.txt` are never read for training (`--make-split`
writes that list: a seeded 20% sample of the post ids). On the rest, 5 seeded folds give out-of-fold
probabilities: on them the text classifiers' regularisation C and each technique's threshold (best F1) are
chosen, and the span tagger's C and decoding (threshold, seed, gap; best pooled character F1, the tagger's
input P(manipulative) being out-of-fold too). The shipped weights are then fit on all training posts.
The shipped model was trained with `--text-c 8` (8 was chosen from the default 2, 8, 32 by the same folds).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from sourcetrace.evaluate.techniques_unlp import (
    HELDOUT_FILE,
    UnlpPost,
    char_prf,
    heldout_ids,
    label_matrix,
    read_unlp,
    technique_f1,
)
from sourcetrace.stages.techniques.unlp import (
    TOKEN_EXTRA,
    UNLP_TECHNIQUES,
    decode,
    text_counts,
    tfidf,
    token_matrix,
    tokens,
)

VERSION = "techniques-unlp-2"


def make_split(posts: Sequence[UnlpPost], seed: int, share: float, path: Path) -> None:
    ids = sorted(post.id for post in posts)
    held = sorted(random.Random(seed).sample(ids, round(share * len(ids))))
    header = (f"# {len(held)} UNLP-2025 post ids (of {len(ids)}, span_detection/train.parquet) held out from training:"
              f" random.Random({seed}).sample(sorted ids, {len(held)})\n")
    path.write_text(header + "\n".join(held) + "\n", encoding="utf-8")


def idf_of(counts: scipy.sparse.csr_matrix) -> np.ndarray:
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1 + counts.shape[0]) / (1 + df)) + 1).astype(np.float32)


def fit_text(features: scipy.sparse.csr_matrix, labels: np.ndarray, c: float,
             class_weight: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One L2 logistic regression per label column: (labels, features) coefficients and intercepts."""
    from sklearn.linear_model import LogisticRegression

    coefs, intercepts = [], []
    for column in labels.T:
        model = LogisticRegression(C=c, solver="liblinear", max_iter=1000, class_weight=class_weight)
        model.fit(features, column)
        coefs.append(model.coef_[0])
        intercepts.append(model.intercept_[0])
    return np.array(coefs, dtype=np.float32), np.array(intercepts, dtype=np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def best_thresholds(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    grid = np.arange(0.05, 0.91, 0.025)
    thresholds = []
    for k in range(labels.shape[1]):
        scores = [technique_f1((probabilities[:, [k]] >= t).astype(np.int8), labels[:, [k]])["macro_f1"]
                  for t in grid]
        thresholds.append(float(grid[int(np.argmax(scores))]))
    chosen = np.array(thresholds)
    return chosen, technique_f1((probabilities >= chosen).astype(np.int8), labels)["macro_f1"]


def token_rows(posts: Sequence[UnlpPost], manipulative: np.ndarray,
               sentence_context: bool) -> tuple[list[Any], list[np.ndarray]]:
    """Per post: the tagger's feature rows and 0/1 labels (token's middle character inside a gold span)."""
    matrices, labels = [], []
    for post, p in zip(posts, manipulative):
        spans = tokens(post.text)
        inside = np.zeros(len(post.text) + 1, dtype=bool)
        for start, end in post.spans:
            inside[start:end] = True
        matrices.append(token_matrix(post.text, spans, float(p), sentence_context))
        labels.append(np.array([inside[(s + e - 1) // 2] for s, e in spans], dtype=np.int8))
    return matrices, labels


def fit_tokens(matrices: Sequence[Any], labels: Sequence[np.ndarray], c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", max_iter=1000)
    model.fit(scipy.sparse.vstack(matrices).tocsr(), np.concatenate(labels))
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the unlp2025 folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--make-split", action="store_true", help="write the held-out id list first")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--text-c", type=float, nargs="+", default=[2.0, 8.0, 32.0])
    parser.add_argument("--token-c", type=float, nargs="+", default=[0.03, 0.1])
    parser.add_argument("--class-weights", nargs="+", default=["none"],
                        help="text classifiers' class weighting, each tried with each --text-c")
    parser.add_argument("--sentence-context", action=argparse.BooleanOptionalAction, default=False,
                        help="the tagger also sees the words of each token's sentence")
    parser.add_argument("--chunk-chars", type=int, default=800)
    args = parser.parse_args(argv)
    started = time.time()

    posts = read_unlp(args.data)
    if args.make_split:
        make_split(posts, args.seed, 0.2, HELDOUT_FILE)
    held = heldout_ids()
    train = [post for post in posts if post.id not in held]
    print(f"{len(train)} training posts, {len(held)} held out")
    texts = [post.text for post in train]
    labels = np.column_stack([label_matrix(train), [bool(post.spans) for post in train]]).astype(np.int8)
    counts = text_counts(texts)
    folds = np.array([i % args.folds for i in range(len(train))])
    random.Random(args.seed).shuffle(folds)  # type: ignore[arg-type]

    # text classifiers: C and thresholds from out-of-fold probabilities
    best: tuple[float, str | None, float, np.ndarray, np.ndarray] | None = None
    for weighting in args.class_weights:
        class_weight = None if weighting == "none" else weighting
        for c in args.text_c:
            oof = np.zeros(labels.shape, dtype=np.float32)
            for k in range(args.folds):
                fit_rows, score_rows = folds != k, folds == k
                idf = idf_of(counts[fit_rows])
                coef, intercept = fit_text(tfidf(counts[fit_rows], idf), labels[fit_rows], c, class_weight)
                oof[score_rows] = sigmoid(tfidf(counts[score_rows], idf) @ coef.T + intercept)
            thresholds, macro = best_thresholds(oof[:, :10], labels[:, :10])
            print(f"text C={c} class_weight={weighting}: out-of-fold macro-F1 {macro:.4f} "
                  f"({time.time() - started:.0f}s)")
            if best is None or macro > best[2]:
                best = (c, class_weight, macro, thresholds, oof)
    assert best is not None
    text_c, text_class_weight, text_macro, thresholds, oof = best

    # span tagger: C and decoding from out-of-fold token probabilities
    matrices, token_labels = token_rows(train, oof[:, 10], args.sentence_context)
    best_span: dict[str, Any] | None = None
    for c in args.token_c:
        token_oof: list[np.ndarray] = [np.zeros(0)] * len(train)
        for k in range(args.folds):
            coef, intercept = fit_tokens([m for m, f in zip(matrices, folds) if f != k],
                                         [y for y, f in zip(token_labels, folds) if f != k], c)
            for i in np.flatnonzero(folds == k):
                token_oof[i] = sigmoid(matrices[i] @ coef + intercept)
        post_tokens = [tokens(t) for t in texts]
        for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
            for seed in (threshold, threshold + 0.1, threshold + 0.2):
                for gap in (0, 1, 3, 6):
                    predicted = [[(s, e) for s, e, _ in decode(t, sp, p, threshold, seed, gap)]
                                 for t, sp, p in zip(texts, post_tokens, token_oof)]
                    score = char_prf(texts, predicted, [post.spans for post in train])
                    if best_span is None or score["f1"] > best_span["f1"]:
                        best_span = {"f1": score["f1"], "c": c, "threshold": threshold, "seed": seed, "gap": gap}
        print(f"token C={c}: best so far {best_span} ({time.time() - started:.0f}s)")
    assert best_span is not None

    # the shipped weights, fit on all training posts
    idf = idf_of(counts)
    text_coef, text_intercept = fit_text(tfidf(counts, idf), labels, text_c, text_class_weight)
    # the tagger was given out-of-fold P(manipulative) (`matrices`): an in-sample one would be overconfident
    token_coef, token_intercept = fit_tokens(matrices, token_labels, best_span["c"])

    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "weights.npz", idf=idf.astype(np.float16), text_coef=text_coef.astype(np.float16),
        text_intercept=text_intercept, token_coef=token_coef.astype(np.float16),
        token_intercept=np.array([token_intercept], dtype=np.float32),
    )
    meta = {
        "version": VERSION,
        "techniques": list(UNLP_TECHNIQUES),
        "thresholds": [round(float(t), 4) for t in thresholds],
        "text_c": text_c,
        "text_class_weight": text_class_weight,
        "sentence_context": args.sentence_context,
        "token_c": best_span["c"],
        "token_extra_features": TOKEN_EXTRA,
        "span_threshold": best_span["threshold"],
        "span_seed": round(best_span["seed"], 3),
        "gap": best_span["gap"],
        "min_chars": 2,
        "chunk_chars": args.chunk_chars,
        "max_per_span": 2,
        "cross_validation": {"folds": args.folds, "seed": args.seed, "techniques_macro_f1": round(text_macro, 4),
                             "per_technique": technique_f1((oof[:, :10] >= thresholds).astype(np.int8),
                                                           labels[:, :10])["per_technique"],
                             "spans_char_f1": best_span["f1"]},
        "training_posts": len(train),
        "training_seconds": round(time.time() - started, 1),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
